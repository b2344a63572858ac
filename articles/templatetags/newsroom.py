from django import template
from django.utils import timezone

from articles.editing.validators import is_safe_link

register = template.Library()


@register.filter
def iso_datetime(value):
    """Return a machine-readable time for <time datetime>: HTML allows at most milliseconds."""
    if not value:
        return ""
    return timezone.localtime(value).isoformat(timespec="seconds")


@register.filter
def safe_link(url):
    """The address if its scheme is one an editor may link to now, else "": a row saved
    before the rules (or restored from an old backup) never becomes a javascript: link."""
    return url if is_safe_link(url) else ""
