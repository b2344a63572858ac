from django.conf import settings
from django.utils.functional import SimpleLazyObject

from articles.delivery import cache as page_cache
from articles.models import Desk


def navigation_desks():
    """Return the desks for the site's menu, with their addresses: every page shows them."""
    return page_cache.remember(
        "nav-desks",
        lambda: [
            {"name": desk.name, "url": desk.get_absolute_url()} for desk in Desk.objects.all()
        ],
    )


def site(request):
    """Expose the site's name and menu to every template."""
    return {
        "SITE_NAME": settings.SITE_NAME,
        "nav_desks": SimpleLazyObject(navigation_desks),
    }
