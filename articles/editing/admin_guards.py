"""Admin guards: lists take only the filters they offer, "View on site" only what a user may see."""

from django.contrib import admin
from django.contrib.admin.exceptions import NotRegistered
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut
from django.http import Http404

# The parameters a list's own filters put in its address: field__exact and field__isnull,
# and field__id__exact for a related field. The date hierarchy adds __year, __month, __day.
FILTER_SUFFIXES = ("exact", "isnull", "id__exact")
DATE_PARTS = {"year": range(1, 9999), "month": range(1, 13), "day": range(1, 32)}
# Each search word adds a condition; thousands of them overflow SQLite's expression tree.
MAX_SEARCH_WORDS = 10


def without_nul(text: str) -> str:
    # PostgreSQL refuses a NUL character in any text it is sent.
    return text.replace("\x00", "")


def search_words(term: str) -> str:
    """The words of a staff search or autocomplete term that the database is asked about."""
    return " ".join(without_nul(term).split()[:MAX_SEARCH_WORDS])


class GuardedListMixin:
    """A list that accepts only the filters it offers.

    Django's admin lets any field of the model be filtered from the address bar: a regular
    expression that makes the database fail, the first letters of a password hash. Here a
    parameter the page does not offer, or a value no filter link would send (a NUL byte, a
    year with twenty digits), is a 400 Bad Request. Searches keep their first ten words.
    """

    def lookup_allowed(self, lookup, value, request):
        if "\x00" in str(value):
            return False
        hierarchy = self.date_hierarchy
        if hierarchy and lookup.startswith(f"{hierarchy}__"):
            part = DATE_PARTS.get(lookup.removeprefix(f"{hierarchy}__"))
            text = str(value)
            return part is not None and text.isascii() and text.isdigit() and int(text) in part
        return lookup in self.offered_lookups(request) and super().lookup_allowed(
            lookup, value, request
        )

    def offered_lookups(self, request) -> set[str]:
        offered = set()
        for item in self.get_list_filter(request):
            if isinstance(item, str | tuple | list):
                field = item if isinstance(item, str) else item[0]
                offered |= {f"{field}__{suffix}" for suffix in FILTER_SUFFIXES}
            else:
                offered.add(item.parameter_name)  # a SimpleListFilter names its own parameter
        return offered

    def get_search_results(self, request, queryset, search_term):
        return super().get_search_results(request, queryset, search_words(search_term))


def view_on_site(request, content_type_id, object_id):
    """The admin's "View on site" redirect, only for objects this user may see in the admin.

    Django's own (the contenttypes shortcut) sends any staff member to any object's address,
    so a writer would learn the slug, and with it the headline, of another writer's draft.
    newsroom/urls.py routes admin/r/… here, ahead of the admin's own URLs.
    """
    try:
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        model_admin = admin.site.get_model_admin(model)
        obj = model_admin.get_object(request, object_id)
    except (ContentType.DoesNotExist, ValueError, NotRegistered):
        raise Http404 from None
    if obj is None or not model_admin.has_view_permission(request, obj):
        raise Http404
    return shortcut(request, content_type_id, object_id)
