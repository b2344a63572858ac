"""Newsroom's settings plus the yardstick view at /plain/<slug>/ (bench only)."""

from newsroom.settings import *  # noqa: F403
from newsroom.settings import BASE_DIR, TEMPLATES

ROOT_URLCONF = "bench.plain_django.urls"
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], BASE_DIR / "bench" / "plain_django" / "templates"]
