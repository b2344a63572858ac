"""While the database cannot be reached, answer with a static 503 page, not a traceback.

A stopped PostgreSQL raises OperationalError (or InterfaceError on a connection that has
gone) wherever the first query happens: in a view, while a template renders, or in another
middleware, such as SessionMiddleware saving the session. Views and templates reach
process_exception. Django turns an error raised inside another middleware into a 500
response before any outer middleware sees it, so got_request_exception (sent while that
error is being handled) marks the request, and __call__ swaps the 500 for the 503.

A database that hangs or crawls instead of refusing is given a few seconds per request in
all (DATABASE_SECONDS, counted by newsroom/postgresql/base.py), then answered the same way,
so a worker is never held until gunicorn kills it.

Nothing here touches the database or the template engine: the page is read from
templates/503.html once, at start-up. Retry-After tells browsers, crawlers and load
balancers when to come back. The next request connects afresh, so the site recovers by
itself when the database returns.
"""

import base64
import hashlib
import logging
import re
import sys
from pathlib import Path

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.dispatch import receiver
from django.http import HttpResponse

from newsroom.postgresql.base import request_budget

logger = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, InterfaceError)
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


def unavailable(request, error) -> HttpResponse:
    logger.warning(
        "Database unavailable for %s %s (%s: %s); answered 503.",
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


@receiver(got_request_exception, dispatch_uid="newsroom.middleware.note_database_failure")
def note_database_failure(sender, request=None, **kwargs):
    error = sys.exception()  # the error Django is turning into a 500 right now
    if request is not None and isinstance(error, DATABASE_ERRORS):
        request.database_failure = error


class DatabaseUnavailableMiddleware:
    """Turn "the database cannot be reached" into a static 503 page with Retry-After."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with request_budget(DATABASE_SECONDS):
            response = self.get_response(request)
        failure = getattr(request, "database_failure", None)
        if failure is not None and response.status_code == 500:
            return unavailable(request, failure)
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_ERRORS):
            return unavailable(request, exception)
        return None
