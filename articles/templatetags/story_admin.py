from django import template
from django.contrib.admin.templatetags.admin_list import date_hierarchy
from django.db.models import Max, Min
from django.utils import timezone

register = template.Library()


@register.inclusion_tag("admin/date_hierarchy.html")
def story_date_hierarchy(cl):
    """Django's date links for the story list, but for the years: Django asks for the
    distinct years of every story (100 ms at 100,000 stories); these are the years from the
    first story to the last, read from the date index. A year without a story would show,
    and list none."""
    field = cl.date_hierarchy
    if any(name.startswith(f"{field}__") for name in cl.params):
        return date_hierarchy(cl)  # a year, month or day chosen: Django's own links
    span = cl.queryset.aggregate(first=Min(field), last=Max(field))
    if span["first"] is None or span["first"].year == span["last"].year:
        return date_hierarchy(cl)  # nothing dated, or one year: Django goes to months
    first, last = timezone.localtime(span["first"]).year, timezone.localtime(span["last"]).year
    return {
        "show": True,
        "back": None,
        "choices": [
            {
                "link": cl.get_query_string({f"{field}__year": str(year)}, [f"{field}__"]),
                "title": str(year),
            }
            for year in range(first, last + 1)
        ],
        "field_name": cl.model._meta.get_field(field).verbose_name,
    }
