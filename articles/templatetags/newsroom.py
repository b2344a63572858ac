from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def iso_datetime(value):
    """Return a machine-readable time for <time datetime>: HTML allows at most milliseconds."""
    if not value:
        return ""
    return timezone.localtime(value).isoformat(timespec="seconds")
