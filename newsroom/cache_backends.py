"""A Redis cache that a stopped or hanging Redis cannot take down with it.

Django's RedisCache raises redis.ConnectionError or redis.TimeoutError when Redis is gone,
and every page would become a 500. This backend answers as an empty cache instead: a read
is a miss, a write does nothing, and a warning is logged; incr() raises CacheUnavailable, so
a counter that must go on counting (the login throttle, newsroom/auth.py) can tell. Each call
gives up after the socket timeouts in OPTIONS (half a second in settings.py). After a failure
Redis is left alone for a few seconds, so a page that makes ten cache calls waits for one
timeout, not ten.

A write that did not reach Redis can leave an older value behind: the page-cache generation
from before a story was unpublished, or the session of someone who has since logged out.
The keys of such writes are remembered and deleted as soon as Redis answers again, so
nothing stale comes back after the outage.
"""

import logging
import threading
import time
from urllib.parse import urlsplit

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


class CacheUnavailable(ValueError):
    """incr() could not reach Redis. A ValueError, as for a missing key, so callers that
    treat both alike keep working; a counter that must not stop counting tells them apart."""


class Outage:
    """What every thread of this process knows about one Redis server."""

    def __init__(self):
        self.lock = threading.Lock()
        self.failing = False
        self.resting_until = 0.0  # time.monotonic() before which Redis is not asked
        self.stale_keys = set()  # keys whose last write failed: delete them when Redis is back
        self.stale_keys_lost = False


# Django makes one cache object per thread; the outage is shared by all of them.
outages: dict[tuple[str, ...], Outage] = {}


def describe(server: str) -> str:
    """host:port (or the socket path), without any password the URL holds."""
    parts = urlsplit(server)
    return f"{parts.hostname}:{parts.port or 6379}" if parts.hostname else parts.path


class ResilientRedisCache(RedisCache):
    # How long to leave Redis alone after a call failed.
    rest_seconds = 5.0
    # Beyond this many failed writes in one outage, the oldest pages may come back until
    # they expire (PAGE_CACHE_SECONDS); an error is logged when that happens.
    max_stale_keys = 10_000

    def __init__(self, server, params):
        super().__init__(server, params)
        self._outage = outages.setdefault(tuple(self._servers), Outage())
        self._where = ", ".join(describe(server) for server in self._servers)

    def _try(self, fallback, method, *args, writes=(), version=None):
        """Return method(*args), or fallback if Redis is resting or fails now."""
        outage = self._outage
        if time.monotonic() < outage.resting_until:
            self._remember_stale(writes, version)
            return fallback
        try:
            if outage.stale_keys:
                self._delete_stale_keys()
            result = method(*args)
        except RedisError as error:
            outage.failing = True
            outage.resting_until = time.monotonic() + self.rest_seconds
            self._remember_stale(writes, version)
            logger.warning(
                "Redis at %s failed (%s: %s); the cache counts as empty for %s seconds.",
                self._where,
                type(error).__name__,
                error,
                self.rest_seconds,
            )
            return fallback
        if outage.failing:
            outage.failing = False
            logger.warning("Redis at %s answers again.", self._where)
        return result

    def _remember_stale(self, keys, version):
        if not keys:
            return
        made = {self.make_and_validate_key(key, version=version) for key in keys}
        outage = self._outage
        with outage.lock:
            if len(outage.stale_keys) + len(made) > self.max_stale_keys:
                outage.stale_keys_lost = True
            else:
                outage.stale_keys |= made

    def _delete_stale_keys(self):
        outage = self._outage
        with outage.lock:
            keys, outage.stale_keys = outage.stale_keys, set()
            lost, outage.stale_keys_lost = outage.stale_keys_lost, False
        if not keys:
            return  # another thread got there first
        try:
            self._cache.delete_many(list(keys))
        except RedisError:
            with outage.lock:
                outage.stale_keys |= keys
                outage.stale_keys_lost |= lost
            raise
        logger.warning(
            "Redis at %s: deleted %d entries whose writes failed while it was away.",
            self._where,
            len(keys),
        )
        if lost:
            logger.error(
                "Redis at %s: more than %d writes failed during the outage; some cached "
                "pages may be stale until they expire.",
                self._where,
                self.max_stale_keys,
            )

    # Reads: a failure is a miss.
    def get(self, key, default=None, version=None):
        return self._try(default, super().get, key, default, version)

    def get_many(self, keys, version=None):
        return self._try({}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._try(False, super().has_key, key, version)

    # Writes: a failure stores nothing, and the key is deleted once Redis is back.
    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._try(None, super().set, key, value, timeout, version, writes=[key], version=version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._try(
            False, super().add, key, value, timeout, version, writes=[key], version=version
        )

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        # Django's contract: return the keys that could not be stored.
        return self._try(
            list(data), super().set_many, data, timeout, version, writes=data, version=version
        )

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._try(False, super().touch, key, timeout, version, writes=[key], version=version)

    def delete(self, key, version=None):
        return self._try(False, super().delete, key, version, writes=[key], version=version)

    def delete_many(self, keys, version=None):
        keys = list(keys)  # read twice if the delete fails
        self._try(None, super().delete_many, keys, version, writes=keys, version=version)

    def incr(self, key, delta=1, version=None):
        missing = object()
        value = self._try(missing, super().incr, key, delta, version, writes=[key], version=version)
        if value is missing:
            raise CacheUnavailable(f"Key {key!r} not found: the cache is unavailable.")
        return value

    def clear(self):
        return self._try(False, super().clear)
