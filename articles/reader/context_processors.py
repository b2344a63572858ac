from django.conf import settings
from django.core.cache import cache
from django.utils.functional import SimpleLazyObject

from articles.models import Desk

NAV_DESKS_CACHE_KEY = "newsroom:nav-desks"


def navigation_desks():
    """Return the desks for the site's menu, cached: every page shows them."""
    return cache.get_or_set(
        NAV_DESKS_CACHE_KEY, lambda: list(Desk.objects.values("name", "slug")), 600
    )


def site(request):
    """Expose the site's name and menu to every template."""
    return {
        "SITE_NAME": settings.SITE_NAME,
        "nav_desks": SimpleLazyObject(navigation_desks),
    }
