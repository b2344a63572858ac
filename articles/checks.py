"""Start-up checks for settings a deployment could get wrong."""

import os

from django.conf import settings
from django.core.checks import Error, register


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
