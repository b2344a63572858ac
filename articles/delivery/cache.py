"""Delivery: the reader-page cache and the HTTP caching headers of reader pages.

The invalidation rule, the only one: every write to something readers see ends with
`pages_changed()`, which starts a new *generation* once its transaction commits; every page
and every value derived from reader content (the menu, related stories, listing counts) is
kept under the generation it was made in and is never served in another.

Anonymous GET requests for reader pages (views wrapped in `reader_page`) are answered by
PageCacheMiddleware, first in the middleware stack, from the cache (Redis when REDIS_URL is
set, local memory otherwise). Requests with a session or messages cookie (staff, previews, a
reviewer who just left a comment) never touch the cache, and their pages are marked private.
A response that sets a cookie, shows a visitor their messages or is not a plain 200 is never
stored. A cached page also expires by the time the next scheduled story goes out, because
that story becomes visible without anyone saving anything.
"""

import hashlib
import os
import tempfile
import time
from functools import wraps
from pathlib import Path
from urllib.parse import parse_qsl

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.cache import cache
from django.db import transaction
from django.db.models import Min, Q
from django.http import HttpResponse, parse_cookie
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control, set_response_etag

from articles.models import Article, CallToAction, Pin
from newsroom import replicas

GENERATION_KEY = "newsroom:pages:generation"
# The query parameters reader pages read: pagination, search and its filters.
READER_PARAMETERS = {"page", "q", "desk", "tag", "published_after", "published_before"}


def generation() -> int:
    """The current generation; a lost one starts a new one, which is always safe."""
    current = read_generation()
    return current if current is not None else start_generation()


def read_generation() -> int | None:
    path = settings.PAGE_CACHE_GENERATION_FILE
    if not path:
        return cache.get(GENERATION_KEY)
    try:
        # os.open rather than open(): three system calls instead of nine, on every page view.
        file = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        return int(os.read(file, 32))
    except ValueError:
        return None
    finally:
        os.close(file)


def start_generation() -> int:
    """Make every cached reader page stale, in every process that shares the generation.

    Without Redis, pages are cached in each process's own memory, so the generation lives in
    a file that every process on the machine reads (PAGE_CACHE_GENERATION_FILE); it is
    replaced in one step, so a reader never sees half a number.
    """
    new = time.time_ns()
    # First, so that a reader who sees the new generation reads no replica behind it.
    replicas.note_primary_position()
    path = settings.PAGE_CACHE_GENERATION_FILE
    if not path:
        cache.set(GENERATION_KEY, new, None)
        return new
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False) as file:
        file.write(str(new))
    os.replace(file.name, path)
    return new


def pages_changed() -> None:
    """Make every cached reader page stale, once the current transaction commits."""
    transaction.on_commit(start_generation)


def remember(name: str, compute):
    """Return compute(), worked out once per generation: for values derived from what
    readers can see (the menu, the next change by time), which no save can leave stale."""
    key = f"newsroom:{name}:{generation()}"
    cached = cache.get(key)
    if cached is None:
        cached = (compute(),)  # wrapped, so that a None result is remembered too
        cache.set(key, cached, settings.PAGE_CACHE_SECONDS or 60)
    return cached[0]


def next_change_by_time(now):
    """When pages change next without anyone saving anything: a scheduled story goes out,
    a call to action starts or ends, or an editor's front-page pick ends. Saving any of
    them starts a new generation."""

    def find():
        stories = Article.objects.filter(
            status=Article.Status.SCHEDULED, published_at__gt=now, deleted_at__isnull=True
        ).aggregate(at=Min("published_at"))
        blocks = CallToAction.objects.aggregate(
            starts=Min("starts_at", filter=Q(starts_at__gt=now)),
            ends=Min("ends_at", filter=Q(ends_at__gt=now)),
        )
        pins = Pin.objects.filter(ends_at__gt=now).aggregate(ends=Min("ends_at"))
        return min(filter(None, [stories["at"], *blocks.values(), pins["ends"]]), default=None)

    return remember("next-change", find)


def page_timeout(now=None) -> int:
    """Seconds a page may stay cached: at most until pages change by time (above)."""
    now = now or timezone.now()
    change = next_change_by_time(now)
    if change is None or change <= now:
        return settings.PAGE_CACHE_SECONDS
    return max(1, min(settings.PAGE_CACHE_SECONDS, int((change - now).total_seconds())))


def is_storable(response) -> bool:
    cache_control = response.get("Cache-Control", "")
    return (
        response.status_code == 200
        and not response.cookies
        and "private" not in cache_control
        and "no-store" not in cache_control
    )


def is_personal(cookies) -> bool:
    """A visitor with a session (staff) or pending messages must get a page made for them."""
    return settings.SESSION_COOKIE_NAME in cookies or CookieStorage.cookie_name in cookies


def mark_public(response) -> None:
    """Let browsers revalidate every time (a cheap 304) and shared caches keep it briefly.

    s-maxage is short so a front cache (nginx, a CDN) drops an unpublished story within
    a second (see front_cache_expiry); stale-while-revalidate lets it answer while it
    fetches the new page.
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


def front_cache_expiry() -> tuple[str, str]:
    """Tell nginx to keep this answer only until the current second ends.

    nginx counts a cache entry's life in whole seconds, so s-maxage=1 alone lets an entry
    live up to 2 s; an absolute expiry at the end of this second keeps an unpublished story
    in front of readers for at most 1 s. nginx removes the header before answering; other
    caches ignore it and follow s-maxage.
    """
    return "X-Accel-Expires", f"@{int(time.time())}"


def reader_page(view):
    """Mark a view's pages as reader pages: PageCacheMiddleware may keep them for anonymous
    readers. Pages made for someone signed in (or with messages waiting) are private."""

    @wraps(view)
    def reader_view(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if is_personal(request.COOKIES):
            # Made for one person: no shared cache (nginx, a CDN) may keep it.
            patch_cache_control(response, private=True)
        else:
            response.is_reader_page = True
        return response

    return reader_view


# What the address of a page is made of, as the WSGI server hands it over. Scheme and host
# count too: pages carry absolute links built from the request.
ADDRESS_VARIABLES = (
    "wsgi.url_scheme", "HTTP_HOST", "SERVER_NAME", "SERVER_PORT", "SCRIPT_NAME", "PATH_INFO",
    "QUERY_STRING",
)  # fmt: skip


def page_key(environ) -> str | None:
    """The cache key of the page a request asks for, or None if it may not be cached.

    It is read from the WSGI environ: the address as the server received it.
    """
    cookies = environ.get("HTTP_COOKIE")
    query = environ.get("QUERY_STRING")
    if (
        settings.PAGE_CACHE_SECONDS <= 0
        or environ["REQUEST_METHOD"] not in ("GET", "HEAD")
        or environ.get("PATH_INFO", "").startswith(settings.STATIC_URL)  # WhiteNoise's
        or (cookies and is_personal(parse_cookie(cookies)))
        # An address with made-up parameters (?x=1, ?x=2…) is answered but not kept, so a
        # crawler cannot fill the cache with copies.
        or (query and not {name for name, _ in parse_qsl(query, True)} <= READER_PARAMETERS)
    ):
        return None
    address = [str(environ.get(name, "")) for name in ADDRESS_VARIABLES]
    # What a trusted proxy says of the address, only where Django listens to it: headers it
    # ignores must not let a visitor store copies of a page under new keys.
    if settings.SECURE_PROXY_SSL_HEADER:
        header, secure_value = settings.SECURE_PROXY_SSL_HEADER
        if header in environ:  # Django reads its first value: https, or else http
            first_value = environ[header].split(",", 1)[0].strip()
            address.append("https" if first_value == secure_value else "http")
    if settings.USE_X_FORWARDED_HOST:
        address.append(str(environ.get("HTTP_X_FORWARDED_HOST", "")))
    if settings.USE_X_FORWARDED_PORT:
        address.append(str(environ.get("HTTP_X_FORWARDED_PORT", "")))
    digest = hashlib.sha256("\n".join(address).encode("utf-8", "surrogatepass")).hexdigest()
    return f"newsroom:page:{digest}"


def stored_page(key: str, current: int) -> tuple[list, bytes] | None:
    """The headers and body stored under key, if they were made in the current generation."""
    page_generation, headers, content = cache.get(key, (None, None, None))
    return (headers, content) if page_generation == current else None


def store_page(key: str, response, page_generation: int) -> None:
    """Keep a page in the generation it was made in: if a change started a new generation
    while the page was being made, the page is never served."""
    headers = [*response.items()]
    cache.set(key, (page_generation, headers, response.content), page_timeout())


class PageCacheMiddleware:
    """Answers anonymous readers from stored pages (with a 304 when the reader's copy is
    current), and stores reader pages as the whole stack finished them, so a page that
    picked up a cookie on the way out (CSRF token, session, messages) is never stored. It is
    first in MIDDLEWARE, so a stored page carries every header the stack adds, and a hit
    runs no other middleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = page_key(request.environ)
        if key is not None:
            current = generation()
            page = stored_page(key, current)
            if page is not None:
                headers, content = page
                response = HttpResponse(content, headers=dict(headers))
                response = get_conditional_response(
                    request, etag=response.get("ETag"), response=response
                )
                response.headers.setdefault(*front_cache_expiry())
                return response
        response = self.get_response(request)
        reader_page = getattr(response, "is_reader_page", False)
        if reader_page and is_storable(response):
            mark_public(response)
            if key is not None:
                store_page(key, response, current)
        if reader_page or key is not None:
            # After storing: it is per answer. Every answer nginx may keep has it, the 404 for
            # a story not out yet too, so that a publication reaches readers within a second.
            response.headers.setdefault(*front_cache_expiry())
        return response
