"""Validators for the links and button labels editors type."""

import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email

# Migrations name these as articles.editing.validators.<name>, and articles.models imports
# them from here: a migration's reference is history, so they stay importable at this path.
from articles.editing.uploads import (  # noqa: F401
    hero_image_path,
    social_image_path,
    validate_image_upload,
)

LINK_SCHEMES = ("http", "https", "mailto", "tel")
PHONE_NUMBER = re.compile(r"^\+?[0-9][0-9 ().-]{2,30}$")

check_web_url = URLValidator(schemes=["http", "https"])


# A path on this site: a "/" not followed by another "/" or a backslash (browsers read "//x"
# and "/\x" as the site x), with no space or control character (browsers drop tabs and
# line breaks, so "/<tab>/x" is "//x" too).
SITE_PATH = re.compile(r"/(?![/\\])[^\s\\\x00-\x1f\x7f]*")


def is_safe_link(value: str) -> bool:
    """Whether a browser following this address stays with a harmless scheme or this site."""
    address = value.strip()
    if address.startswith("/"):
        return bool(SITE_PATH.fullmatch(address))
    return urlsplit(address).scheme.lower() in LINK_SCHEMES


def validate_link_url(value: str) -> None:
    """Accept only http(s), mailto and tel links and paths on this site: never javascript:,
    data:, or another site's address posing as a path (//other.example)."""
    message = (
        "Enter a web address (https://…), a path on this site (/…), an email link (mailto:…) "
        "or a phone link (tel:…)."
    )
    if not is_safe_link(value):
        raise ValidationError(message, code="link_scheme")
    address = value.strip()
    if address.startswith("/"):
        return
    scheme = urlsplit(address).scheme.lower()
    target = address[len(scheme) + 1 :]
    try:
        if scheme in {"http", "https"}:
            check_web_url(address)
        elif scheme == "mailto":
            validate_email(target.split("?", 1)[0])
        elif not PHONE_NUMBER.match(target):
            raise ValidationError(message, code="link_invalid")
    except ValidationError:
        raise ValidationError(message, code="link_invalid") from None


# Button labels that do not say where they lead (WCAG 2.4.4, link purpose).
VAGUE_LABELS = {"click here", "here", "click", "more", "read more", "learn more", "link", "go"}


def validate_button_label(value: str) -> None:
    """Refuse a button label that does not say what happens, such as “Click here”.

    The one rule for labels: the call-to-action form applies it when the label is typed, and
    the quality gate (articles/moderation/quality.py) and the story importer apply the same
    function.
    """
    if " ".join(value.split()).lower().rstrip(".!…") in VAGUE_LABELS:
        raise ValidationError(
            "Say what happens when readers press it: “Book a consultation”, not “Click here”.",
            code="vague_label",
        )
