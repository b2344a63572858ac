"""The reader-page cache and the HTTP caching headers of reader pages.

Anonymous GET requests for reader pages (views wrapped in `reader_page`) are answered from
the cache (Redis when REDIS_URL is set, local memory otherwise) by PageCacheMiddleware, near
the top of the middleware stack. Every cached page belongs to a *generation*; any change to
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
from django.utils.cache import get_conditional_response, patch_cache_control, set_response_etag

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
        set_response_etag(response)


def reader_page(view):
    """Mark a view's pages as reader pages: PageCacheMiddleware may keep them for anonymous
    readers. Pages made for someone signed in (or with messages waiting) are private."""

    @wraps(view)
    def reader_view(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if is_personal_request(request):
            # Made for one person: no shared cache (nginx, a CDN) may keep it.
            patch_cache_control(response, private=True)
        else:
            response.is_reader_page = True
        return response

    return reader_view


def page_key(request) -> str | None:
    """The cache key of the page this request asks for, or None if it may not be cached."""
    if (
        settings.PAGE_CACHE_SECONDS <= 0
        or request.method not in ("GET", "HEAD")
        or is_personal_request(request)
        # An address with made-up parameters (?x=1, ?x=2…) is answered but not kept, so a
        # crawler cannot fill the cache with copies.
        or not set(request.GET) <= READER_PARAMETERS
    ):
        return None
    # Scheme and host too: pages carry absolute links built from the request.
    address = hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()
    return f"newsroom:page:{generation()}:{address}"


class PageCacheMiddleware:
    """Answers anonymous readers from the page cache before the rest of the stack runs
    (sessions, CSRF, URL resolving, the view): a stored page already carries the headers
    those added. It stores a reader page only as the stack finished it, so a page that
    picked up a cookie on the way out (CSRF token, session, messages) is never stored."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = page_key(request)
        if key is not None:
            stored = cache.get(key)
            if stored is not None:
                # A 304 when the reader's copy is current, like ConditionalGetMiddleware.
                return get_conditional_response(request, etag=stored.get("ETag"), response=stored)
        response = self.get_response(request)
        if getattr(response, "is_reader_page", False) and is_storable(response):
            mark_public(response)
            if key is not None:
                cache.set(key, response, page_timeout())
        return response
