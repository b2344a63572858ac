"""Refuse a request body too large to be worth reading, before reading any of it.

The largest form the site takes is a story in the admin, with its hero and sharing pictures
each at MAX_IMAGE_UPLOAD_BYTES and its text fields. Anything bigger could only be refused
once read (a 2 GB upload would first be written to disk), so it is answered 413 from its
Content-Length alone. A picture over its own limit but within this one reaches the form,
which says which picture is too big. bench/nginx.conf's client_max_body_size is the same
number (tests/editing/test_uploads.py checks it), so nginx neither refuses what the app takes nor
passes on what it refuses.
"""

from django.conf import settings
from django.http import HttpResponse

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
