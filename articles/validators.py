import re
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from PIL import Image, UnidentifiedImageError

LINK_SCHEMES = ("http", "https", "mailto", "tel")
PHONE_NUMBER = re.compile(r"^\+?[0-9][0-9 ().-]{2,30}$")
MAX_IMAGE_PIXELS = 40_000_000

check_web_url = URLValidator(schemes=["http", "https"])


def validate_link_url(value: str) -> None:
    """Accept only http(s), mailto and tel links: never javascript:, data: or the like."""
    scheme = urlsplit(value.strip()).scheme.lower()
    message = "Enter a web address (https://…), an email link (mailto:…) or a phone link (tel:…)."
    if scheme not in LINK_SCHEMES:
        raise ValidationError(message, code="link_scheme")
    target = value.strip()[len(scheme) + 1 :]
    try:
        if scheme in {"http", "https"}:
            check_web_url(value.strip())
        elif scheme == "mailto":
            validate_email(target.split("?", 1)[0])
        elif not PHONE_NUMBER.match(target):
            raise ValidationError(message, code="link_invalid")
    except ValidationError:
        raise ValidationError(message, code="link_invalid") from None


def validate_image_upload(file) -> None:
    """Refuse files that are too big or that Pillow cannot read as a picture."""
    if file.size > settings.MAX_IMAGE_UPLOAD_BYTES:
        limit = settings.MAX_IMAGE_UPLOAD_BYTES // (1024 * 1024)
        raise ValidationError(
            f"The picture is too large; the limit is {limit} MB.", code="image_too_large"
        )
    position = file.tell() if hasattr(file, "tell") else 0
    try:
        file.seek(0)
        with Image.open(file) as image:
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise ValidationError(
                    "The picture has too many pixels; keep it under 40 megapixels.",
                    code="image_too_many_pixels",
                )
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise ValidationError(
            "This file is not a picture we can read. Upload a JPEG, PNG, WebP or GIF.",
            code="image_unreadable",
        ) from None
    finally:
        file.seek(position)
