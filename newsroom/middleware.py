"""The site's answers for requests it cannot serve: a database or media bucket that is down
or too slow (503), and a body too large to read (413). Both come before any view runs.

**503.** A stopped PostgreSQL raises OperationalError (or InterfaceError on a connection that
has gone) wherever the first query happens: in a view, while a template renders, or in another
middleware, such as SessionMiddleware saving the session. Views and templates reach
process_exception. Django turns an error raised inside another middleware into a 500
response before any outer middleware sees it, so got_request_exception (sent while that
error is being handled) marks the request, and __call__ swaps the 500 for the 503.

The media bucket (newsroom/storage.py) is handled the same way: a picture uploaded while
the bucket is unreachable, or refuses the site's keys, raises botocore's errors in the save,
whose transaction then rolls back, and the editor gets the same page instead of a 500.

A database that hangs or crawls instead of refusing is given a few seconds per request in
all (DATABASE_SECONDS, the request's Budget, counted by newsroom/postgresql/base.py), then
answered the same way, so a worker is never held until gunicorn kills it.

Nothing here touches the database or the template engine: the page is read from
templates/503.html once, at start-up. Retry-After tells browsers, crawlers and load
balancers when to come back. The next request connects afresh, so the site recovers by
itself when the database returns.

**413.** The largest form the site takes is a story in the admin, with its hero and sharing
pictures each at MAX_IMAGE_UPLOAD_BYTES and its text fields. Anything bigger could only be
refused once read (a 2 GB upload would first be written to disk), so it is answered 413 from
its Content-Length alone. A picture over its own limit but within this one reaches the form,
which says which picture is too big. bench/nginx.conf's client_max_body_size is the same
number (tests/editing/test_uploads.py checks it), so nginx neither refuses what the app takes
nor passes on what it refuses.
"""

import base64
import hashlib
import logging
import re
import sys
import time
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.dispatch import receiver
from django.http import HttpResponse

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)
# An S3 endpoint out of reach (BotoCoreError), or one that refuses: keys, bucket (ClientError).
STORAGE_ERRORS = (BotoCoreError, ClientError)
UNAVAILABLE_ERRORS = DATABASE_ERRORS + STORAGE_ERRORS
RETRY_AFTER_SECONDS = 30
# All the waiting for PostgreSQL one request may do, connecting included: a page takes a few
# milliseconds of it, and a reader gets the 503 page within 4 seconds of asking.
DATABASE_SECONDS = 3
PAGE = (Path(__file__).resolve().parent.parent / "templates" / "503.html").read_bytes()
# The page's own policy, so that it holds even when the error skipped the CSP middleware:
# no scripts, no frames, nothing but the page's inline style.
STYLE_HASH = base64.b64encode(
    hashlib.sha256(re.search(rb"<style>(.*?)</style>", PAGE, re.DOTALL).group(1)).digest()
).decode()
POLICY = (
    f"default-src 'none'; style-src 'sha256-{STYLE_HASH}'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


class DatabaseTooSlow(OperationalError):
    """The database did not answer within the request's budget."""


class Budget:
    def __init__(self, seconds: float):
        self.seconds = seconds
        self.left = seconds

    @contextmanager
    def spend(self):
        """Charge the time the block takes; refuse to start once nothing is left."""
        if self.left <= 0:
            raise DatabaseTooSlow(self.message())
        started = time.monotonic()
        try:
            yield self.left
        finally:
            self.left -= time.monotonic() - started

    def message(self) -> str:
        return f"the database did not answer within this request's {self.seconds:g} seconds"


current_budget: ContextVar[Budget | None] = ContextVar("database_budget", default=None)


@contextmanager
def request_budget(seconds: float):
    """Let the database calls in this block wait for the server this long in all."""
    token = current_budget.set(Budget(seconds))
    try:
        yield
    finally:
        current_budget.reset(token)


def unavailable(request, error) -> HttpResponse:
    logger.warning(
        "%s unavailable for %s %s (%s: %s); answered 503.",
        "Media storage" if isinstance(error, STORAGE_ERRORS) else "Database",
        request.method,
        request.path,
        type(error).__name__,
        " ".join(str(error).split()),  # one line: psycopg's messages span several
    )
    response = HttpResponse(PAGE, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    # Not for nginx or a CDN to keep: they should ask again, and may serve their last good copy.
    response["Cache-Control"] = "no-store"
    response["Content-Security-Policy"] = POLICY
    response["X-Frame-Options"] = "DENY"
    return response


@receiver(got_request_exception, dispatch_uid="newsroom.middleware.note_service_failure")
def note_service_failure(sender, request=None, **kwargs):
    error = sys.exception()  # the error Django is turning into a 500 right now
    if request is not None and isinstance(error, UNAVAILABLE_ERRORS):
        request.service_failure = error


class ServiceUnavailableMiddleware:
    """Turn "the database or the media bucket cannot be reached" into a static 503 page
    with Retry-After."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with request_budget(DATABASE_SECONDS):
            response = self.get_response(request)
        failure = getattr(request, "service_failure", None)
        if failure is not None and response.status_code == 500:
            return unavailable(request, failure)
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, UNAVAILABLE_ERRORS):
            return unavailable(request, exception)
        return None


# The story form's pictures: hero and sharing image.
PICTURES_PER_FORM = 2
# The rest of the form: more than the 2.5 MB of text fields Django reads at most
# (DATA_UPLOAD_MAX_MEMORY_SIZE), with room for the multipart framing.
FORM_FIELDS_BYTES = 4 * 1024 * 1024


def max_request_bytes() -> int:
    """Return the largest request body the site reads."""
    return PICTURES_PER_FORM * settings.MAX_IMAGE_UPLOAD_BYTES + FORM_FIELDS_BYTES


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"


class RequestSizeLimitMiddleware:
    """Answer 413 to a request whose Content-Length is over the limit; last in MIDDLEWARE,
    so the page gets the site's security headers, and still before any view reads the body."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads no body at all then
        if length > max_request_bytes():
            return too_large()
        return self.get_response(request)


def too_large() -> HttpResponse:
    # No "Connection: close": WSGI leaves that to the server. gunicorn's sync workers close
    # every connection after its answer, so the rest of the body is never read.
    picture, total = settings.MAX_IMAGE_UPLOAD_BYTES, max_request_bytes()
    return HttpResponse(
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Too large</title>'
        "</head><body><h1>This upload is too large</h1>"
        f"<p>Pictures may be at most {megabytes(picture)} each, and everything sent at once "
        f"at most {megabytes(total)}. Make the picture smaller and try again.</p></body></html>",
        status=413,
    )
