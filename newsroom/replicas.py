"""Read replicas: anonymous readers' pages read from a PostgreSQL streaming replica, and
everything else from the primary.

DATABASE_REPLICA_URLS (comma-separated) adds the databases "replica1", "replica2", … The
router sends reads to a replica only inside a request that ReplicaReadsMiddleware marked as
an anonymous reader's: GET or HEAD, no session or messages cookie (the page cache's rule,
articles/delivery/cache.py), no API key. Staff read from the primary, so whoever just saved
or published sees it at once; so do every write, the workflow, the task worker and the
management commands.

A replica that cannot be reached, or that replays the primary's changes more than
REPLICA_MAX_LAG_SECONDS late, is not read until it is healthy again: the primary serves its
readers meanwhile. Each process checks a replica at most every CHECK_SECONDS, and logs each
change of its state once, not once per request.

A replica that fails while a request is reading it costs the reader nothing: the request,
a GET or HEAD, is answered again from the primary rather than with the 503 page a database
failure otherwise gives, and the replica is checked at once (a stopped one is then skipped,
and the log says so once).

A replica is also not read until it has replayed the last change to what readers see. When
pages change (articles/delivery/cache.py), the primary's position in its write-ahead log is
noted in the shared cache; a page made from a replica behind that position would be stored
under the new generation and shown for minutes, so such a request reads the primary. Once
a replica has been seen past a position, it is not asked again for it.
"""

import logging
import random
import time
from contextvars import ContextVar

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connections

logger = logging.getLogger(__name__)
CHECK_SECONDS = 1.0
# How far behind the primary a replica is, in seconds. A replica that has replayed all it
# received is current, however long ago the last change was (a quiet primary sends nothing);
# one that is not streaming from its primary counts as behind by its last replay's age.
LAG_SQL = """
SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN 0
    WHEN (SELECT status FROM pg_stat_wal_receiver) IS DISTINCT FROM 'streaming'
        THEN COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 1e9)
    WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
    ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 1e9)
END
"""

PRIMARY_POSITION_KEY = "newsroom:replicas:primary-position"

reader_request: ContextVar[bool] = ContextVar("reader_request", default=False)
# The replica this request has read from, if any.
replica_read: ContextVar[str | None] = ContextVar("replica_read", default=None)
# alias -> (checked at, why it is not used, or "" when it is)
states: dict[str, tuple[float, str]] = {}
# alias -> the last primary position it was seen to have replayed
replayed: dict[str, str] = {}


def replica_aliases() -> list[str]:
    return [alias for alias in settings.DATABASES if alias.startswith("replica")]


def is_reader_request(request) -> bool:
    from articles.delivery.cache import is_personal  # cache.py imports this module

    return (
        request.method in ("GET", "HEAD")
        and not is_personal(request.COOKIES)
        # An API key may read drafts (a preview key), and its last use is written down.
        and "HTTP_AUTHORIZATION" not in request.META
        and "key" not in request.GET
    )


class ReplicaReadsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        reads_replica = bool(replica_aliases()) and is_reader_request(request)
        tokens = reader_request.set(reads_replica), replica_read.set(None)
        try:
            response = self.get_response(request)
            alias = replica_read.get()
            if alias and response.status_code >= 500:
                failed_now(alias)  # so that the next requests skip it, if it is down
                reader_request.set(False)
                response = self.get_response(request)  # from the primary
            return response
        finally:
            reader_request.reset(tokens[0])
            replica_read.reset(tokens[1])


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        if not reader_request.get():
            return None
        alias = usable_replica()
        if alias:
            replica_read.set(alias)
        return alias

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same rows, wherever they were read

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"  # a replica copies the primary's tables


def usable_replica() -> str | None:
    """A replica that is up, close enough behind and past the last change to what readers
    see, chosen at random; None for the primary."""
    position = cache.get(PRIMARY_POSITION_KEY)
    usable = [
        alias
        for alias in replica_aliases()
        if not problem_with(alias) and has_replayed(alias, position)
    ]
    return random.choice(usable) if usable else None  # nosec B311: spreading load


def note_primary_position() -> None:
    """Remember where the primary's log is now: the last change readers must see."""
    if not replica_aliases():
        return
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()::text")
            (position,) = cursor.fetchone()
    except DatabaseError as error:
        # The change is committed and its new generation must still start; replicas are
        # then held to REPLICA_MAX_LAG_SECONDS alone, until the next change.
        logger.warning("Could not read the primary's log position (%s).", error)
        return
    cache.set(PRIMARY_POSITION_KEY, position, None)


def has_replayed(alias: str, position: str | None) -> bool:
    if position is None or replayed.get(alias) == position:
        return True
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [position])
            (caught_up,) = cursor.fetchone()
    except DatabaseError:
        return False  # problem_with() says why, at its next check
    if caught_up:
        replayed[alias] = position
    return bool(caught_up)


def failed_now(alias: str) -> bool:
    """Check the replica at once, however recently it was checked: whether it has failed."""
    _, problem = states.get(alias, (0.0, ""))
    states[alias] = (0.0, problem)  # due now; a change is still logged once
    return bool(problem_with(alias))


def problem_with(alias: str) -> str:
    """Why the replica is not to be read now, or "" if it may be: checked once a second."""
    checked_at, problem = states.get(alias, (0.0, ""))
    if time.monotonic() - checked_at < CHECK_SECONDS:
        return problem
    new_problem = check(alias)
    states[alias] = (time.monotonic(), new_problem)
    if new_problem and new_problem != problem:
        logger.warning(
            "Replica %s is not read: %s; the primary serves its readers.", alias, new_problem
        )
    elif problem and not new_problem:
        logger.warning("Replica %s is read again.", alias)
    return new_problem


def check(alias: str) -> str:
    connection = connections[alias]
    try:
        with connection.cursor() as cursor:
            cursor.execute(LAG_SQL)
            (lag,) = cursor.fetchone()
    except DatabaseError as error:
        connection.close()  # reconnect at the next check, not on a broken connection
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
        return f"unreachable ({type(error).__name__}: {first_line})"
    if lag > settings.REPLICA_MAX_LAG_SECONDS:
        return f"{lag:.1f} s behind the primary (the bound is {settings.REPLICA_MAX_LAG_SECONDS} s)"
    return ""
