"""Uploads in an S3-compatible bucket, at the same public addresses as files on disk."""

from urllib.parse import urljoin

from django.conf import settings
from django.utils.encoding import filepath_to_uri
from storages.backends.s3 import S3Storage


class MediaStorage(S3Storage):
    """django-storages' S3 backend whose files are at MEDIA_URL + name.

    The bucket's own addresses are signed and expire, so a cached page would soon show
    broken pictures; instead nginx or a CDN serves MEDIA_URL from the bucket, as it would
    serve MEDIA_ROOT, and pages carry one stable address per file.
    """

    def url(self, name, parameters=None, expire=None, http_method=None):
        # What FileSystemStorage.url() does with its base_url, which is MEDIA_URL.
        return urljoin(settings.MEDIA_URL, filepath_to_uri(name).lstrip("/"))
