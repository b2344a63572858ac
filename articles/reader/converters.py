"""Path converters for the site's addresses."""

from django.urls import register_converter


class TagSlugConverter:
    """A tag's slug: letters (any script), digits, "-" and "_". Anything else, such as a NUL
    byte PostgreSQL would refuse, is a 404 before it reaches the database."""

    regex = r"[-\w]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(TagSlugConverter, "tagslug")
