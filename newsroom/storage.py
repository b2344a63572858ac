"""Uploads in an S3-compatible bucket, at the same public addresses as files on disk."""

from urllib.parse import urljoin

from botocore.config import Config
from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.utils.encoding import filepath_to_uri
from django.views import static
from storages.backends.s3 import S3Storage

# botocore waits 60 s to connect and 60 s for each answer, and tries five times: an editor's
# upload to a bucket that hangs would hold the worker until gunicorn killed it (30 s), and
# the editor would get nginx's 502. Given up after twice 3 + 5 s, the save rolls back and the
# editor gets the 503 page that says to save again (newsroom/middleware.py).
BUCKET_PATIENCE = Config(
    connect_timeout=3, read_timeout=5, retries={"total_max_attempts": 2, "mode": "standard"}
)


class MediaStorage(S3Storage):
    """django-storages' S3 backend whose files are at MEDIA_URL + name.

    The bucket's own addresses are signed and expire, so a cached page would soon show
    broken pictures; instead nginx or a CDN serves MEDIA_URL from the bucket, as it would
    serve MEDIA_ROOT, and pages carry one stable address per file.
    """

    def get_default_settings(self):
        return {**super().get_default_settings(), "client_config": BUCKET_PATIENCE}

    def url(self, name, parameters=None, expire=None, http_method=None):
        # What FileSystemStorage.url() does with its base_url, which is MEDIA_URL.
        return urljoin(settings.MEDIA_URL, filepath_to_uri(name).lstrip("/"))


def serve_media(request, path):
    """Development only (static() adds it when DEBUG is on): an upload at its MEDIA_URL
    address, from the bucket when there is one, so runserver shows pictures without nginx."""
    if not isinstance(default_storage, MediaStorage):
        return static.serve(request, path, document_root=settings.MEDIA_ROOT)
    # A name out of the bucket's folder ("../") raises SuspiciousOperation: Django's 400.
    if not default_storage.exists(path):
        raise Http404("No such file in the bucket.")
    return FileResponse(default_storage.open(path), filename=path.rsplit("/", 1)[-1])
