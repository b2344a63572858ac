"""Resized copies of a story's hero image, made once after it is saved, and of a library
picture (its thumbnail), made once after it is uploaded, both by the task worker
(articles/editing/tasks.py); a story's own hero joins the library.

Page views read the URLs remembered in `Article.hero_renditions` and never open a
file or Pillow; this module is the only place that does.
"""

import hashlib
import io
import logging
from pathlib import PurePosixPath

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageOps

from articles.models import Article, Picture

logger = logging.getLogger(__name__)

RENDITION_WIDTHS = (480, 800, 1200, 1600)
# The plain <img src> for browsers that ignore srcset: sharp enough, not huge.
SRC_MAX_WIDTH = 1200
SOCIAL_SIZE = (1200, 630)
JPEG_OPTIONS = {"quality": 82, "progressive": True, "optimize": True}
WEBP_OPTIONS = {"quality": 80, "method": 4}
PNG_OPTIONS = {"optimize": True}
# The library's grid and chooser show pictures about 160 px wide; twice that stays sharp on HiDPI.
THUMBNAIL_SIZE = (320, 320)


def make_renditions(article: Article) -> dict:
    """Write the renditions of an article's hero image unless they exist; return and store them."""
    if not article.hero_image:
        return _remember(article, {})
    try:
        source = _read(article.hero_image)
        social_source = _read(article.social_image) if article.social_image else None
        key = _cache_key(source, social_source, article)
        if article.hero_renditions and _cache_key_of(article.hero_renditions) == key:
            return article.hero_renditions
        data = _render(article, source, social_source, key)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        # The upload validator refuses bad files; this catches one that went missing or
        # broke later. Forget the old renditions: they may show a picture no longer there.
        logger.exception("Could not make renditions for article %s", article.pk)
        data = {}
    return _remember(article, data)


def srcset(entries: list[dict]) -> str:
    """Return a srcset attribute value: "url 480w, url 800w"."""
    return ", ".join(f"{entry['url']} {entry['width']}w" for entry in entries)


def rendition_widths(width: int) -> list[int]:
    """Return the rendition widths for an original this wide: never wider than it."""
    return [w for w in RENDITION_WIDTHS if w <= width] or [width]


def focal_crop_box(
    size: tuple[int, int], focus: tuple[int, int], ratio: float
) -> tuple[float, float, float, float]:
    """Return the largest box of this aspect ratio whose centre is nearest the focus (percent)."""
    width, height = size
    crop_width, crop_height = (
        (height * ratio, height) if width / height > ratio else (width, width / ratio)
    )
    left = min(max(width * focus[0] / 100 - crop_width / 2, 0), width - crop_width)
    top = min(max(height * focus[1] / 100 - crop_height / 2, 0), height - crop_height)
    return left, top, left + crop_width, top + crop_height


def _read(field_file) -> bytes:
    with field_file.open("rb") as file:
        return file.read()


def _hash(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()[:12]


def _cache_key(source: bytes, social_source: bytes | None, article) -> dict:
    return {
        "source": _hash(source),
        "social_source": _hash(social_source) if social_source else "",
        "focus": [article.hero_focus_x, article.hero_focus_y],
    }


def _cache_key_of(data: dict) -> dict:
    return {name: data.get(name) for name in ("source", "social_source", "focus")}


def _render(article, source: bytes, social_source: bytes | None, key: dict) -> dict:
    folder = f"renditions/{article.pk}/{key['source']}"
    with Image.open(io.BytesIO(source)) as original:
        fallback_format = original.format if original.format == "PNG" else "JPEG"
        image = _upright(original)
    webp, fallback = [], []
    for width in rendition_widths(image.width):
        height = max(1, round(width * image.height / image.width))
        resized = image.resize((width, height), Image.LANCZOS)
        webp.append(_store(f"{folder}/{width}w.webp", resized, "WEBP"))
        extension = "png" if fallback_format == "PNG" else "jpg"
        fallback.append(_store(f"{folder}/{width}w.{extension}", resized, fallback_format))

    if social_source:
        # The editor chose this picture for sharing: crop it evenly, not by the hero's focus.
        with Image.open(io.BytesIO(social_source)) as chosen:
            social_image, focus = _upright(chosen), (50, 50)
        social_name = f"{folder}/social-{key['social_source']}.jpg"
    else:
        social_image, focus = image, tuple(key["focus"])
        social_name = f"{folder}/social-{focus[0]}-{focus[1]}.jpg"
    box = focal_crop_box(social_image.size, focus, SOCIAL_SIZE[0] / SOCIAL_SIZE[1])
    social = _store(social_name, social_image.resize(SOCIAL_SIZE, Image.LANCZOS, box=box), "JPEG")

    return {
        **key,
        "width": image.width,
        "height": image.height,
        "webp": webp,
        "fallback": fallback,
        "fallback_type": f"image/{fallback_format.lower()}",
        "webp_srcset": srcset(webp),
        "fallback_srcset": srcset(fallback),
        "src": max(
            (entry for entry in fallback if entry["width"] <= SRC_MAX_WIDTH),
            key=lambda entry: entry["width"],
        )["url"],
        "social": social,
    }


def _upright(image: Image.Image) -> Image.Image:
    """Return the first frame, turned the way the camera meant, in RGB or RGBA."""
    image.seek(0)
    image = ImageOps.exif_transpose(image)
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    return image.convert("RGBA" if has_alpha else "RGB")


def _store(name: str, image: Image.Image, image_format: str) -> dict:
    if image_format == "JPEG" and image.mode == "RGBA":
        # JPEG has no transparency; show transparent parts on white, not black.
        background = Image.new("RGB", image.size, "white")
        background.paste(image, mask=image.getchannel("A"))
        image = background
    options = {"JPEG": JPEG_OPTIONS, "WEBP": WEBP_OPTIONS, "PNG": PNG_OPTIONS}[image_format]
    buffer = io.BytesIO()
    # No exif= or icc_profile= argument: Pillow then writes no metadata.
    image.save(buffer, image_format, **options)
    # The name holds the content hash, so an existing file is an older copy of the same
    # rendition; replace it rather than let storage invent a second name.
    if default_storage.exists(name):
        default_storage.delete(name)
    name = default_storage.save(name, ContentFile(buffer.getvalue()))
    return {"width": image.width, "height": image.height, "url": default_storage.url(name)}


def _remember(article, data: dict) -> dict:
    Article.objects.filter(pk=article.pk).update(hero_renditions=data)
    article.hero_renditions = data
    return data


def make_thumbnail(picture: Picture) -> None:
    """Write the library picture's small WebP copy next to its file and remember its name.

    Called once after an upload, so no page view ever opens Pillow.
    """
    with picture.image.open("rb") as file, Image.open(io.BytesIO(file.read())) as original:
        small = _upright(original)
    small.thumbnail(THUMBNAIL_SIZE, Image.LANCZOS)
    buffer = io.BytesIO()
    small.save(buffer, "WEBP", **WEBP_OPTIONS)
    name = str(PurePosixPath(picture.image.name).with_suffix(".thumb.webp"))
    if default_storage.exists(name):
        default_storage.delete(name)
    picture.thumbnail = default_storage.save(name, ContentFile(buffer.getvalue()))
    Picture.objects.filter(pk=picture.pk).update(thumbnail=picture.thumbnail)


def add_hero_to_library(article: Article, *, by) -> None:
    """Put a story's hero picture in the library unless it is there already.

    A picture uploaded on the story itself is then reusable like any other; one chosen
    from the library is found there and left alone.
    """
    if not article.hero_image or Picture.objects.filter(image=article.hero_image.name).exists():
        return
    picture = Picture.objects.create(
        image=article.hero_image.name,
        alt=article.hero_alt,
        caption=article.hero_caption,
        credit=article.hero_credit,
        focus_x=article.hero_focus_x,
        focus_y=article.hero_focus_y,
        uploaded_by=by,
    )
    from articles.editing import tasks  # tasks.py imports this module

    tasks.make_thumbnail.enqueue(picture.pk)
