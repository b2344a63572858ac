"""The reader-page cache and the HTTP caching headers of reader pages.

Anonymous GET requests for reader pages are answered from the cache (Redis when REDIS_URL
is set, local memory otherwise). Every cached page belongs to a *generation*; any change to
what readers can see starts a new generation once its transaction commits, so no stale page
is ever served again. Requests with a session or messages cookie (staff, previews, a
reviewer who just left a comment) never touch the cache, and their pages are marked private.
A response that sets a cookie, shows a visitor their messages or is not a plain 200 is never
stored.

A cached page also expires by the time the next scheduled story goes out, because that story
becomes visible without anyone saving anything.
"""

import hashlib
import time
from functools import wraps

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.db import transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.cache import patch_cache_control

from articles.models import Article

GENERATION_KEY = "newsroom:pages:generation"
# The query parameters reader pages read: pagination, search and its filters.
READER_PARAMETERS = {"page", "q", "desk", "tag", "published_after", "published_before"}


def generation() -> int:
    """The current generation; a lost key starts a new one, which is always safe."""
    current = cache.get(GENERATION_KEY)
    if current is None:
        current = time.time_ns()
        cache.set(GENERATION_KEY, current, None)
    return current


def invalidate() -> None:
    """Make every cached reader page stale, once the current transaction commits."""
    transaction.on_commit(lambda: cache.set(GENERATION_KEY, time.time_ns(), None))


def remember(name: str, compute):
    """Return compute(), worked out once per generation: for values derived from what
    readers can see (menus, related stories, counts), which no save can leave stale."""
    key = f"newsroom:{name}:{generation()}"
    cached = cache.get(key)
    if cached is None:
        cached = (compute(),)  # wrapped, so that a None result is remembered too
        cache.set(key, cached, settings.PAGE_CACHE_SECONDS or 60)
    return cached[0]


def next_scheduled_time(now):
    """When the next scheduled story goes out. Only the workflow changes it, and every
    workflow step starts a new generation."""
    return remember(
        "next-scheduled",
        lambda: Article.objects.filter(
            status=Article.Status.SCHEDULED, published_at__gt=now, deleted_at__isnull=True
        ).aggregate(at=Min("published_at"))["at"],
    )


def page_timeout(now=None) -> int:
    """Seconds a page may stay cached: at most until the next scheduled story goes out."""
    now = now or timezone.now()
    next_story = next_scheduled_time(now)
    if next_story is None or next_story <= now:
        return settings.PAGE_CACHE_SECONDS
    return max(1, min(settings.PAGE_CACHE_SECONDS, int((next_story - now).total_seconds())))


def is_storable(response) -> bool:
    cache_control = response.get("Cache-Control", "")
    return (
        response.status_code == 200
        and not response.cookies
        and "private" not in cache_control
        and "no-store" not in cache_control
    )


def is_personal_request(request) -> bool:
    """A visitor with a session (staff) or pending messages must get a page made for them."""
    personal = (settings.SESSION_COOKIE_NAME, CookieStorage.cookie_name)
    return any(name in request.COOKIES for name in personal)


def was_made_for_this_visitor(request) -> bool:
    """Whether rendering used something of this visitor's own.

    The CSRF, session and messages middleware set their cookies after this decorator has
    returned, so response.cookies cannot show them yet: ask the request what was used.
    """
    session = getattr(request, "session", None)
    messages = getattr(request, "_messages", None)
    return bool(
        request.META.get("CSRF_COOKIE_NEEDS_UPDATE")  # the page holds a CSRF token
        or (session is not None and session.modified)
        or (messages is not None and len(messages))  # the page shows (or queues) messages
    )


def mark_public(response) -> None:
    """Let browsers revalidate every time (a cheap 304) and shared caches keep it briefly.

    s-maxage is short so a front cache (nginx, a CDN) drops an unpublished story within
    about a second; stale-while-revalidate lets it answer while it fetches the new page.
    """
    patch_cache_control(
        response,
        public=True,
        max_age=0,
        s_maxage=settings.SHARED_CACHE_SECONDS,
        stale_while_revalidate=settings.STALE_WHILE_REVALIDATE_SECONDS,
    )
    if not response.has_header("ETag"):
        digest = hashlib.md5(response.content, usedforsecurity=False).hexdigest()
        response["ETag"] = f'"{digest}"'


def reader_page(view):
    """Serve anonymous readers from the page cache; everyone else gets the view itself."""

    @wraps(view)
    def cached_view(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        if is_personal_request(request):
            response = view(request, *args, **kwargs)
            # Made for one person: no shared cache (nginx, a CDN) may keep it.
            patch_cache_control(response, private=True)
            return response
        # Each address is its own cache entry: one with made-up parameters (?x=1, ?x=2…)
        # is answered but not kept, so a crawler cannot fill the cache with copies.
        enabled = settings.PAGE_CACHE_SECONDS > 0 and set(request.GET) <= READER_PARAMETERS
        if enabled:
            # Scheme and host too: pages carry absolute links built from the request.
            address = hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()
            key = f"newsroom:page:{generation()}:{address}"
            response = cache.get(key)
            if response is not None:
                return response
        response = view(request, *args, **kwargs)
        if hasattr(response, "render") and callable(response.render):
            response = response.render()
        if is_storable(response) and not was_made_for_this_visitor(request):
            mark_public(response)
            if enabled:
                cache.set(key, response, page_timeout())
        return response

    return cached_view
