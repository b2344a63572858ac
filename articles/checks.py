"""Start-up checks for settings a deployment could get wrong."""

import os

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.checks import Error, register

from newsroom import replicas


@register(deploy=True)
def page_cache_generation_file_is_writable(app_configs, **kwargs):
    """Without Redis, publishing writes the page-cache generation to a file; if it cannot,
    every process would go on serving pages from before the change."""
    path = settings.PAGE_CACHE_GENERATION_FILE
    if not path:
        return []
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent  # the folder is made on first use: check where it would be
    if folder.is_dir() and os.access(folder, os.W_OK | os.X_OK):
        return []
    return [
        Error(
            f"The page-cache generation file {path} cannot be written.",
            hint="Set PAGE_CACHE_GENERATION_FILE to a path in a folder this user can write, "
            "or set REDIS_URL.",
            id="newsroom.E001",
        )
    ]


@register()
def default_share_image_exists(app_configs, **kwargs):
    """Every story without a picture shows DEFAULT_SHARE_IMAGE; once the static files are
    collected, a path to no file would turn each of those pages into a server error."""
    image = settings.DEFAULT_SHARE_IMAGE
    if image.startswith(("http://", "https://")) or finders.find(image):
        return []
    return [
        Error(
            f"DEFAULT_SHARE_IMAGE {image!r} is neither a static file nor a full address.",
            hint="Give a path under static/, such as img/share-default.png, or an https:// "
            "address.",
            id="newsroom.E002",
        )
    ]


@register(deploy=True)
def replicas_have_a_shared_cache(app_configs, **kwargs):
    """Readers read a replica only once it has replayed the last change to what they see,
    which every process must learn of: through Redis, not a process's own memory."""
    if not replicas.replica_aliases() or settings.REDIS_URL:
        return []
    return [
        Error(
            "DATABASE_REPLICA_URLS is set without REDIS_URL.",
            hint="Set REDIS_URL: each process must know of a change another made before "
            "reading a replica, or readers could be shown pages from before it.",
            id="newsroom.E003",
        )
    ]
