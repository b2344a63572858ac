"""Uploaded pictures: the checks, the clean copy Pillow writes, and where it is stored."""

import io
import logging
import re
import uuid
import zipfile
from pathlib import PurePosixPath
from typing import NamedTuple

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from PIL import Image, ImageOps, ImageSequence, JpegImagePlugin

logger = logging.getLogger(__name__)

# Uploaded pictures. What is stored is never the editor's file itself: it is checked, then
# every frame is decoded and written again by Pillow (see _clean_copy), under a random name
# whose extension comes from the format Pillow found (see hero_image_path).

# A still, or all of an animation's frames together: 40 megapixels is 160 MB once decoded.
MAX_IMAGE_PIXELS = 40_000_000
MAX_IMAGE_FRAMES = 100


class ImageFormat(NamedTuple):
    label: str
    extensions: tuple[str, ...]  # the first is the one stored files get
    content_types: tuple[str, ...]


# The formats we take, by Pillow's name for them: what browsers show and what the model's
# extension check and the renditions expect. Not SVG (a document that can run scripts) and
# not AVIF, HEIC or TIFF: export those as JPEG. Django's form field replaces the browser's
# content type with Pillow's, which is image/mpo for a JPEG with a camera's extra pictures.
IMAGE_FORMATS = {
    "JPEG": ImageFormat("JPEG", ("jpg", "jpeg"), ("image/jpeg", "image/pjpeg", "image/mpo")),
    "PNG": ImageFormat("PNG", ("png",), ("image/png", "image/x-png")),
    "WEBP": ImageFormat("WebP", ("webp",), ("image/webp",)),
    "GIF": ImageFormat("GIF", ("gif",), ("image/gif",)),
}
# What a browser sends for a file it cannot name: not a claim to check.
UNDECLARED_CONTENT_TYPES = {"", "application/octet-stream"}
# Web page code smuggled into a picture (a "polyglot" file). Each tag must be followed by a
# delimiter so that the random-looking bytes of compressed pixels never match by chance.
HIDDEN_MARKUP = re.compile(
    rb"<(?:script|html|body|iframe|object|embed|!doctype)[\s/>]"
    rb"|<svg\s+(?:xmlns|on[a-z]+)\s*="
    rb"|<\?php\s",
    re.IGNORECASE,
)


class CleanPicture(SimpleUploadedFile):
    """The copy Pillow wrote of an upload that passed every check (see clean_copy)."""


def validate_image_upload(file) -> None:
    """Refuse anything but a JPEG, PNG, WebP or GIF picture within the limits.

    It only checks; the story form's PictureField stores the clean copy instead of the file.
    """
    if isinstance(file, FieldFile) and file._committed:
        # Stored already, so checked when it was uploaded: saving the story again with the
        # same picture neither reads it back nor refuses it under newer rules.
        return
    if isinstance(file.file if isinstance(file, FieldFile) else file, CleanPicture):
        # Made from a file that passed these checks. Checked again, a copy Pillow wrote a
        # little larger than the editor's file could be refused as over the byte limit.
        return
    _checked_copy(file)


def clean_copy(file) -> CleanPicture:
    """Check an uploaded picture; return the copy Pillow writes of it, to store instead."""
    data, image_format = _checked_copy(file)
    content_type = IMAGE_FORMATS[image_format].content_types[0]
    return CleanPicture(file.name, data, content_type=content_type)


def _checked_copy(file) -> tuple[bytes, str]:
    """Refuse the file as validate_image_upload does, or return its clean copy and format.

    Decoding every frame for the copy is itself a check: it finds a truncated file.
    """
    check_image_size(file)
    data = _read(file)
    upload = file.file if isinstance(file, FieldFile) else file
    with _open(io.BytesIO(data)) as image:
        image_format = _format_of(image)
        _check_frames(image)
        _check_declared(image_format, file.name, getattr(upload, "content_type", None))
        _check_nothing_hidden(data)
        try:
            return _clean_copy(image, image_format, data), image_format
        except Exception as error:
            # Pillow raises many kinds of error for a truncated or damaged file.
            logger.info("Refused an uploaded picture Pillow could not decode: %r", error)
            raise _unreadable() from None


def check_image_size(file) -> None:
    """Refuse a file over the byte limit, or a picture over the pixel limit, from its header.

    Nothing is decoded, so a small file claiming 50,000 × 50,000 pixels is refused at once.
    A file that is not a picture at all passes here; validate_image_upload refuses it.
    """
    limit = settings.MAX_IMAGE_UPLOAD_BYTES
    if file.size > limit:
        raise ValidationError(
            f"The picture is too large; the limit is {_size_label(limit)}.",
            code="image_too_large",
        )
    position = file.tell()
    try:
        file.seek(0)
        with Image.open(file, formats=list(IMAGE_FORMATS)) as image:
            width, height = image.size
    except Image.DecompressionBombError:
        # Pillow will not even open a picture of over twice its own limit (179 megapixels).
        raise _too_many_pixels() from None
    except Exception:
        return
    finally:
        file.seek(position)
    if width * height > MAX_IMAGE_PIXELS:
        raise _too_many_pixels()


class PictureField(forms.ImageField):
    """Django's image form field, giving the clean copy of an upload in place of the file.

    Django's field opens every upload with Pillow first and calls any failure "not an image
    or a corrupted image", decompression bombs included; a picture over the limits is
    refused as too big before that.
    """

    def to_python(self, data):
        if isinstance(data, File):
            check_image_size(data)
        upload = super().to_python(data)
        # The model then stores the copy, and reads its width and height from it: the copy
        # may have been turned upright.
        return clean_copy(upload) if upload is not None else None


def hero_image_path(article, filename: str) -> str:
    """Return where a new hero image is stored: stories/<year>/<month>/<random>.<format>."""
    return stored_name(article.hero_image, filename)


def social_image_path(article, filename: str) -> str:
    """Return where a new sharing image is stored, named as hero_image_path names them."""
    return stored_name(article.social_image, filename)


def stored_name(field_file, filename: str) -> str:
    # Nothing of the editor's file name is kept: not its folders, words, Unicode or extra
    # extensions ("x.php.png"). The extension is the format Pillow finds in the content.
    if field_file._committed:
        # Code called FieldFile.save(name, content) itself (the demo's drawn pictures): no
        # upload is assigned to the field, so the content is out of sight; the name is the
        # code's own.
        extension = PurePosixPath(filename).suffix.lower().removeprefix(".")
        image_format = next(
            (name for name, known in IMAGE_FORMATS.items() if extension in known.extensions),
            None,
        )
    else:
        image_format = _detected_format(field_file.file)
    if image_format is None:
        raise ValueError(f"{filename!r} is not a JPEG, PNG, WebP or GIF picture.")
    extension = IMAGE_FORMATS[image_format].extensions[0]
    return f"stories/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.{extension}"


def _detected_format(content) -> str | None:
    position = content.tell()
    try:
        content.seek(0)
        with Image.open(content, formats=list(IMAGE_FORMATS)) as image:
            return _format_of(image)
    except Exception:
        return None
    finally:
        content.seek(position)


def _read(file) -> bytes:
    position = file.tell()
    file.seek(0)
    # check_image_size has refused anything bigger; never read more than the limit anyway.
    data = file.read(settings.MAX_IMAGE_UPLOAD_BYTES + 1)
    file.seek(position)
    return data


def _open(source) -> Image.Image:
    """Open a picture in one of our formats, reading only its header, or refuse it."""
    try:
        return Image.open(source, formats=list(IMAGE_FORMATS))
    except Image.DecompressionBombError:
        raise _too_many_pixels() from None
    except Exception:
        raise _unreadable() from None


def _format_of(image: Image.Image) -> str:
    # Pillow opens a JPEG that carries a camera's extra pictures (a stereo pair, a depth
    # map) as "MPO". It is a JPEG; its first picture is the one we keep.
    return "JPEG" if image.format == "MPO" else image.format


def _check_frames(image: Image.Image) -> None:
    if image.format == "MPO":
        return
    try:
        # A GIF's frames are counted by skipping through them, without decoding any.
        frames = getattr(image, "n_frames", 1)
    except Exception:
        raise _unreadable() from None
    if frames > MAX_IMAGE_FRAMES:
        raise ValidationError(
            f"This animation has {frames} frames; the limit is {MAX_IMAGE_FRAMES}. "
            "Shorten it and upload it again.",
            code="image_too_many_frames",
        )
    width, height = image.size
    if frames * width * height > MAX_IMAGE_PIXELS:
        raise ValidationError(
            f"This animation is too large: {frames} frames of {width:,} × {height:,} pixels. "
            f"All its frames together may have at most {MAX_IMAGE_PIXELS // 1_000_000} "
            "megapixels; make it smaller or shorter and upload it again.",
            code="image_too_many_pixels",
        )


def _check_declared(image_format: str, name: str | None, content_type: str | None) -> None:
    """Refuse a picture whose file name or declared type says it is something else."""
    known = IMAGE_FORMATS[image_format]
    extension = PurePosixPath(name or "").suffix.lower().removeprefix(".")
    if extension and extension not in known.extensions:
        raise ValidationError(
            f"The file name ends in .{extension}, but the file is a {known.label} picture. "
            f"Rename it to end in .{known.extensions[0]} and upload it again.",
            code="image_name_mismatch",
        )
    declared = (content_type or "").split(";")[0].strip().lower()
    if declared not in UNDECLARED_CONTENT_TYPES and declared not in known.content_types:
        raise ValidationError(
            f"The file was sent as {declared}, but it is a {known.label} picture. "
            "Upload the picture file itself.",
            code="image_type_mismatch",
        )


def _check_nothing_hidden(data: bytes) -> None:
    """Refuse a picture that is also a web page or an archive (a polyglot, a "GIFAR")."""
    advice = "Open the picture in an image editor, export it again and upload that."
    if HIDDEN_MARKUP.search(data):
        raise ValidationError(
            "This file has web page code (HTML or script) hidden in it as well as the "
            f"picture, so it is refused. {advice}",
            code="image_hidden_markup",
        )
    if zipfile.is_zipfile(io.BytesIO(data)):
        raise ValidationError(
            "This file has other files (a ZIP archive) hidden in it as well as the picture, "
            f"so it is refused. {advice}",
            code="image_hidden_archive",
        )


def _clean_copy(image: Image.Image, image_format: str, data: bytes) -> bytes:
    """Decode every frame and write the picture again, in the same format.

    The copy is turned the way the camera meant, keeps its colour profile, transparency,
    frame timings and loop, and nothing else: no EXIF (a phone's GPS position), comments or
    text chunks, and no bytes the file carried beyond its pictures.
    """
    options = _save_options(image, image_format, data)
    frames, durations = [], []
    for frame in ImageSequence.Iterator(image):
        frames.append(_plain_frame(frame))
        # Read once the frame is decoded: only then does Pillow know a WebP frame's duration.
        durations.append(frame.info.get("duration", 0))
        if image.format == "MPO":
            break
    if frames[0].mode == "CMYK":
        # A print file: browsers disagree on CMYK JPEGs, and its print profile no longer fits.
        frames = [frames[0].convert("RGB")]
        options.pop("icc_profile", None)
    buffer = io.BytesIO()
    if len(frames) > 1:
        if "loop" in image.info:
            options["loop"] = image.info["loop"]
        frames[0].save(
            buffer,
            image_format,
            save_all=True,
            append_images=frames[1:],
            duration=durations,
            **options,
        )
    else:
        frames[0].save(buffer, image_format, **options)
    return buffer.getvalue()


def _plain_frame(frame: Image.Image) -> Image.Image:
    """Return a decoded copy of one frame, upright, with no metadata but its transparency."""
    upright = ImageOps.exif_transpose(frame)
    upright.info = {key: value for key, value in upright.info.items() if key == "transparency"}
    return upright


def _save_options(image: Image.Image, image_format: str, data: bytes) -> dict:
    options = {}
    if image.info.get("icc_profile"):
        # Colour, not personal data: without it a wide-gamut phone photo looks washed out.
        options["icc_profile"] = image.info["icc_profile"]
    if image_format == "JPEG":
        # The upload's own quantisation tables and chroma subsampling (what Pillow's
        # quality="keep" uses): the copy is as sharp as the original and about as big.
        options |= {
            "qtables": image.quantization,
            "subsampling": JpegImagePlugin.get_sampling(image),
            "progressive": "progressive" in image.info,
            "optimize": True,
        }
    elif image_format == "WEBP":
        options |= {"lossless": True} if _webp_is_lossless(data) else {"quality": 90}
    return options


def _webp_is_lossless(data: bytes) -> bool:
    """Whether a WebP file holds lossless pictures (a VP8L chunk): its copy stays lossless."""
    offset = 12
    while offset + 8 <= len(data):
        chunk, size = (
            data[offset : offset + 4],
            int.from_bytes(data[offset + 4 : offset + 8], "little"),
        )
        if chunk == b"VP8L":
            return True
        # An animation frame's chunk (ANMF) holds the frame's own chunks after 16 bytes.
        offset += 8 + 16 if chunk == b"ANMF" else 8 + size + size % 2
    return False


def _unreadable() -> ValidationError:
    return ValidationError(
        "This file is not a picture we can read. Upload a JPEG, PNG, WebP or GIF.",
        code="image_unreadable",
    )


def _too_many_pixels() -> ValidationError:
    return ValidationError(
        f"The picture has too many pixels; keep it under {MAX_IMAGE_PIXELS // 1_000_000} "
        "megapixels.",
        code="image_too_many_pixels",
    )


def _size_label(size: int) -> str:
    megabytes = size / (1024 * 1024)
    if megabytes >= 1:
        return f"{megabytes:.1f}".removesuffix(".0") + " MB"
    return f"{max(size // 1024, 1)} KB"
