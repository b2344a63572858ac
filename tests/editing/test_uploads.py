"""Uploaded pictures: only real JPEG, PNG, WebP and GIF files within the limits are taken,
what is stored is a clean copy Pillow wrote under a random name, and it is served nosniff."""

import io
import random
import re
import socket
import struct
import time
import zipfile
import zlib
from pathlib import Path
from types import ModuleType
from urllib.parse import urlsplit

import pytest
from django.conf.urls.static import static
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms import modelform_factory
from django.http import HttpResponse
from django.test import RequestFactory
from PIL import Image, ImageCms, ImageSequence, PngImagePlugin, features

from articles.editing.forms import ArticleAdminForm
from articles.editing.uploads import (
    MAX_IMAGE_FRAMES,
    PictureField,
    validate_image_upload,
)
from articles.models import Article
from newsroom.middleware import (
    FORM_FIELDS_BYTES,
    PICTURES_PER_FORM,
    RequestSizeLimitMiddleware,
    max_request_bytes,
)
from tests.editing.test_admin import ADD_URL, edit_post, full_story_post
from tests.factories import make_article
from tests.pages import visible_text

pytestmark = pytest.mark.django_db
PROJECT = Path(__file__).resolve().parents[2]

UNREADABLE = "This file is not a picture we can read. Upload a JPEG, PNG, WebP or GIF."
TOO_MANY_PIXELS = "The picture has too many pixels; keep it under 40 megapixels."
HIDDEN_MARKUP = (
    "This file has web page code (HTML or script) hidden in it as well as the picture, so "
    "it is refused. Open the picture in an image editor, export it again and upload that."
)
STORED_NAME = re.compile(r"stories/\d{4}/\d{2}/[0-9a-f]{32}\.(jpg|png|webp|gif)")
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
ORANGE, BLUE = (200, 80, 40), (0, 0, 255)


def picture(image_format="PNG", *, size=(60, 40), colour=ORANGE, mode="RGB", **options) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, colour).save(buffer, image_format, **options)
    return buffer.getvalue()


def animation(image_format="GIF", *, frames=3, size=(4, 4), **options) -> bytes:
    # Alternate colours: Pillow merges identical neighbouring frames into one.
    images = [Image.new("RGB", size, BLUE if n % 2 else ORANGE) for n in range(frames)]
    buffer = io.BytesIO()
    images[0].save(
        buffer, image_format, save_all=True, append_images=images[1:], duration=40, **options
    )
    return buffer.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG of under 100 bytes that claims width × height pixels, as a decompression bomb does."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def gif_by_hand(*, screen=(1, 1), frames=1) -> bytes:
    """A GIF whose screen is `screen` pixels, holding `frames` one-pixel frames."""
    width, height = screen
    data = b"GIF89a" + struct.pack("<HHBBB", width, height, 0x80, 0, 0) + b"\0\0\0\xff\xff\xff"
    frame = b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0) + b"\x02\x02\x44\x01\x00"
    return data + frame * frames + b";"


def near(colour, expected, tolerance=8) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected, strict=True))


def upload(data: bytes, name: str, content_type: str = "") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def refusal(file) -> list[str]:
    """Return the messages validate_image_upload refuses the file with; [] if it takes it."""
    try:
        validate_image_upload(file)
    except ValidationError as error:
        return error.messages
    return []


def post_picture(file, *, field="hero_image", article=None):
    """Upload a picture to a story through a model form with the admin form's picture field,
    which stores the clean copy."""
    article = article or make_article(hero_alt="A harbour at dawn")
    form_class = modelform_factory(
        Article, fields=[field, "hero_alt"], field_classes={field: PictureField}
    )
    form = form_class(data={"hero_alt": "A harbour at dawn"}, files={field: file}, instance=article)
    if form.is_valid():
        form.save()
    return form


def stored_bytes(field_file) -> bytes:
    with default_storage.open(field_file.name) as file:
        return file.read()


def stored_image(field_file) -> Image.Image:
    image = Image.open(io.BytesIO(stored_bytes(field_file)))
    image.load()
    return image


# --- Which files are pictures ----------------------------------------------------------


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP", "GIF"])
def test_each_allowed_format_is_stored_in_its_own_format_and_extension(image_format):
    extension = EXTENSIONS[image_format]
    file = upload(picture(image_format), f"harbour.{extension}", f"image/{image_format.lower()}")

    form = post_picture(file)

    assert form.errors == {}
    article = Article.objects.get()
    assert STORED_NAME.fullmatch(article.hero_image.name)
    assert article.hero_image.name.endswith(f".{extension}")
    assert stored_image(article.hero_image).format == image_format


def test_an_svg_named_png_is_refused():
    svg = b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'><rect/></svg>"

    assert refusal(upload(svg, "harbour.png", "image/png")) == [UNREADABLE]


def test_an_html_page_named_gif_is_refused():
    page = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"

    assert refusal(upload(page, "harbour.gif", "image/gif")) == [UNREADABLE]


@pytest.mark.parametrize(("image_format", "extension"), [("BMP", "bmp"), ("TIFF", "tif")])
def test_a_real_picture_in_another_format_is_refused(image_format, extension):
    assert refusal(upload(picture(image_format), f"harbour.{extension}")) == [UNREADABLE]


@pytest.mark.skipif(not features.check("avif"), reason="this Pillow cannot write AVIF")
def test_avif_is_refused_although_pillow_could_read_it():
    assert refusal(upload(picture("AVIF"), "harbour.avif", "image/avif")) == [UNREADABLE]


def test_a_truncated_picture_is_refused_once_fully_decoded():
    whole = picture("JPEG", size=(400, 300), colour=BLUE)

    assert refusal(upload(whole[: len(whole) // 2], "harbour.jpg", "image/jpeg")) == [UNREADABLE]


@pytest.mark.parametrize(
    ("image_format", "payload"),
    [
        ("GIF", b"<script>alert(document.domain)</script>"),
        ("PNG", b"<html><body onload=alert(1)>"),
        ("JPEG", b"<iframe src=https://evil.example>"),
        ("WEBP", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"),
    ],
)
def test_a_picture_with_web_page_code_appended_is_refused(image_format, payload):
    polyglot = picture(image_format) + payload
    name = f"harbour.{EXTENSIONS[image_format]}"

    assert refusal(upload(polyglot, name)) == [HIDDEN_MARKUP]


def test_a_jpeg_with_a_zip_archive_appended_is_refused():
    # A "GIFAR": a picture to the image checks, an archive (a Java applet) to a zip reader.
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("Exploit.class", b"\xca\xfe\xba\xbe")

    messages = refusal(upload(picture("JPEG") + archive.getvalue(), "harbour.jpg"))

    assert messages == [
        "This file has other files (a ZIP archive) hidden in it as well as the picture, so it "
        "is refused. Open the picture in an image editor, export it again and upload that."
    ]


def test_bytes_after_the_picture_are_not_stored():
    # 10,799 pixels wide makes the GIF begin "GIF87a/*", which a browser running it as a
    # script reads as the start of a comment; the payload after the picture closes it.
    payload = b"*/=alert(document.domain);//"
    gif = picture("GIF", size=(10799, 1)) + payload
    assert gif[6:8] == b"/*"

    form = post_picture(upload(gif, "harbour.gif", "image/gif"))

    assert form.errors == {}
    stored = stored_bytes(Article.objects.get().hero_image)
    assert b"alert" not in stored
    assert stored.endswith(b";")  # the GIF trailer, written by Pillow


def test_a_jpeg_named_png_is_refused_with_the_name_to_use():
    messages = refusal(upload(picture("JPEG"), "harbour.png", "image/png"))

    assert messages == [
        "The file name ends in .png, but the file is a JPEG picture. Rename it to end in .jpg "
        "and upload it again."
    ]


def test_a_png_sent_as_an_html_page_is_refused():
    messages = refusal(upload(picture("PNG"), "harbour.png", "text/html"))

    assert messages == [
        "The file was sent as text/html, but it is a PNG picture. Upload the picture file itself."
    ]


def test_a_picture_sent_without_a_content_type_is_accepted():
    assert refusal(upload(picture("PNG"), "harbour.png", "application/octet-stream")) == []


# --- Limits ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "bomb", [png_header_only(50_000, 50_000), gif_by_hand(screen=(50_000, 50_000))]
)
def test_a_decompression_bomb_is_refused_at_once_without_decoding(bomb):
    # Decoded, 50,000 × 50,000 pixels would take gigabytes and many seconds.
    started = time.perf_counter()

    messages = refusal(upload(bomb, "harbour.png" if bomb.startswith(b"\x89") else "h.gif"))

    assert messages == [TOO_MANY_PIXELS]
    assert time.perf_counter() - started < 0.5


def test_a_picture_just_over_the_pixel_limit_is_refused_from_its_header():
    # 40,000,001 pixels: under the size at which Pillow itself would refuse to open it.
    messages = refusal(upload(png_header_only(40_000_001, 1), "harbour.png", "image/png"))

    assert messages == [TOO_MANY_PIXELS]


def test_the_picture_field_explains_a_bomb_instead_of_calling_it_corrupted():
    bomb = upload(png_header_only(50_000, 50_000), "harbour.png", "image/png")

    form = post_picture(bomb)

    assert form.errors["hero_image"] == [TOO_MANY_PIXELS]


@pytest.mark.parametrize("image_format", ["GIF", "WEBP", "PNG"])
def test_an_animation_with_too_many_frames_is_refused(image_format):
    frames = animation(image_format, frames=MAX_IMAGE_FRAMES + 1)
    name = f"loop.{EXTENSIONS[image_format]}"

    assert refusal(upload(frames, name)) == [
        "This animation has 101 frames; the limit is 100. Shorten it and upload it again."
    ]


def test_an_animation_at_the_frame_limit_is_stored_whole():
    form = post_picture(upload(animation("GIF", frames=MAX_IMAGE_FRAMES), "loop.gif"))

    assert form.errors == {}
    assert stored_image(Article.objects.get().hero_image).n_frames == MAX_IMAGE_FRAMES


def test_a_gif_of_many_tiny_frames_is_counted_quickly():
    # Half a million frames in 7.5 MB: counted by skipping through them, never decoded.
    frames = gif_by_hand(frames=500_000)
    started = time.perf_counter()

    messages = refusal(upload(frames, "loop.gif"))

    assert messages == [
        "This animation has 500000 frames; the limit is 100. Shorten it and upload it again."
    ]
    assert time.perf_counter() - started < 3


def test_an_animation_with_too_many_pixels_in_all_its_frames_is_refused():
    # Each frame is under the 40 megapixel limit; the two together are not.
    frames = gif_by_hand(screen=(5000, 4500), frames=2)

    assert refusal(upload(frames, "loop.gif")) == [
        "This animation is too large: 2 frames of 5,000 × 4,500 pixels. All its frames "
        "together may have at most 40 megapixels; make it smaller or shorter and upload it "
        "again."
    ]


def test_admin_refuses_a_picture_over_the_byte_limit_next_to_the_field(editor_client, settings):
    settings.MAX_IMAGE_UPLOAD_BYTES = 100 * 1024
    noise = Image.frombytes("RGB", (200, 200), random.Random(6).randbytes(200 * 200 * 3))
    buffer = io.BytesIO()
    noise.save(buffer, "PNG")
    assert len(buffer.getvalue()) > settings.MAX_IMAGE_UPLOAD_BYTES

    response = editor_client.post(
        ADD_URL, full_story_post(hero_image=upload(buffer.getvalue(), "noise.png", "image/png"))
    )

    assert response.context["adminform"].form.errors["hero_image"] == [
        "The picture is too large; the limit is 100 KB."
    ]
    assert not Article.objects.exists()


# --- What is stored -------------------------------------------------------------------


def test_stored_jpeg_drops_exif_and_comments_but_keeps_its_colour_profile():
    exif = Image.Exif()
    exif[0x8825] = {2: (51.0, 30.0, 0.0)}  # GPSInfo: where the photographer stood
    exif[0x010F] = "Phone maker"
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    jpeg = picture("JPEG", exif=exif, comment=b"taken at home", icc_profile=profile)

    post_picture(upload(jpeg, "harbour.jpg", "image/jpeg"))

    stored = stored_image(Article.objects.get().hero_image)
    assert not stored.getexif()
    assert "comment" not in stored.info
    assert stored.info["icc_profile"] == profile


def test_stored_jpeg_keeps_the_originals_quality():
    original = Image.open(io.BytesIO(picture("JPEG", size=(320, 240), quality=93)))

    post_picture(upload(picture("JPEG", size=(320, 240), quality=93), "harbour.jpg"))

    # The same quantisation tables: recompressed no more coarsely than the camera did.
    assert stored_image(Article.objects.get().hero_image).quantization == original.quantization


def test_an_exif_rotated_jpeg_is_stored_upright_with_upright_dimensions():
    # Stored landscape with a blue top edge; orientation 6 means "turn 90° clockwise".
    image = Image.new("RGB", (80, 60), (255, 255, 255))
    image.paste(BLUE, (0, 0, 80, 10))
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, quality=95)

    post_picture(upload(buffer.getvalue(), "harbour.jpg", "image/jpeg"))

    article = Article.objects.get()
    stored = stored_image(article.hero_image)
    assert (article.hero_width, article.hero_height) == stored.size == (60, 80)
    assert stored.getpixel((55, 40))[2] > 200  # the blue edge is now on the right
    assert 0x0112 not in stored.getexif()


def test_stored_png_drops_text_chunks_but_keeps_transparency():
    text = PngImagePlugin.PngInfo()
    text.add_text("Author", "Someone's full name and home address")
    png = picture("PNG", mode="RGBA", colour=(10, 20, 30, 100), pnginfo=text)

    post_picture(upload(png, "harbour.png", "image/png"))

    stored = stored_image(Article.objects.get().hero_image)
    assert "Author" not in stored.info
    assert (stored.mode, stored.getpixel((5, 5))) == ("RGBA", (10, 20, 30, 100))


@pytest.mark.parametrize("image_format", ["GIF", "WEBP", "PNG"])
def test_stored_animation_keeps_its_frames_timing_and_loop(image_format):
    frames = animation(image_format, frames=4, size=(16, 16), loop=0)

    post_picture(upload(frames, f"loop.{EXTENSIONS[image_format]}"))

    stored = stored_image(Article.objects.get().hero_image)
    assert stored.n_frames == 4
    assert stored.info["loop"] == 0
    colours = [frame.convert("RGB").getpixel((8, 8)) for frame in ImageSequence.Iterator(stored)]
    assert near(colours[1], BLUE) and near(colours[2], ORANGE)
    assert stored.info["duration"] == 40


def test_a_camera_jpeg_with_extra_pictures_is_stored_as_its_first_picture():
    # Some cameras append a second picture (a stereo pair, a depth map): Pillow calls it MPO.
    first, second = Image.new("RGB", (60, 40), ORANGE), Image.new("RGB", (60, 40), BLUE)
    buffer = io.BytesIO()
    first.save(buffer, "MPO", save_all=True, append_images=[second])

    form = post_picture(upload(buffer.getvalue(), "camera.jpg", "image/jpeg"))

    assert form.errors == {}
    stored = stored_image(Article.objects.get().hero_image)
    assert (stored.format, getattr(stored, "n_frames", 1)) == ("JPEG", 1)
    assert near(stored.getpixel((30, 20)), ORANGE)


def test_a_cmyk_jpeg_is_stored_in_rgb():
    post_picture(upload(picture("JPEG", mode="CMYK", colour=(0, 0, 0, 0)), "print.jpg"))

    stored = stored_image(Article.objects.get().hero_image)
    assert (stored.mode, stored.getpixel((5, 5))) == ("RGB", (255, 255, 255))


def test_lossless_webp_stays_lossless():
    # Every pixel a different colour: any lossy step would change some of them.
    gradient = Image.frombytes("RGB", (64, 64), bytes(range(256)) * 48)
    buffer = io.BytesIO()
    gradient.save(buffer, "WEBP", lossless=True)

    post_picture(upload(buffer.getvalue(), "chart.webp", "image/webp"))

    assert stored_image(Article.objects.get().hero_image).tobytes() == gradient.tobytes()


def test_checking_a_picture_leaves_the_editors_file_as_it_is():
    # Only the form's picture field puts the clean copy in its place, where anyone can see.
    jpeg = picture("JPEG", comment=b"taken at home")
    article = Article(hero_alt="A harbour")
    article.hero_image = upload(jpeg, "harbour.jpg", "image/jpeg")

    validate_image_upload(article.hero_image)

    article.hero_image.file.seek(0)
    assert article.hero_image.file.read() == jpeg


def test_a_stored_picture_is_not_read_again_when_the_story_is_saved(settings):
    article = make_article(hero_image=upload(picture("PNG"), "harbour.png"), hero_alt="A harbour")
    settings.MAX_IMAGE_UPLOAD_BYTES = 10  # a rule made after the picture was uploaded

    article.full_clean()  # no error: an editor can still save the story


# --- Names ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "../../newsroom/settings.png",
        "shell.php.png",
        "invoice\u202egnp.php.png",  # right-to-left override: shows as "invoicephp.png"
        "ＣＯＮ.png",
        "<img src=x onerror=alert(1)>.png",
        "harbour.PNG",
    ],
)
def test_stored_name_keeps_nothing_of_the_editors_file_name(name):
    post_picture(upload(picture("PNG"), name, "image/png"))

    stored = Article.objects.get().hero_image.name
    assert STORED_NAME.fullmatch(stored)
    assert stored.endswith(".png")
    assert not {"php", "settings", "invoice", "img"} & set(re.split(r"[/.]", stored))


def test_sharing_image_gets_a_safe_name_from_its_detected_format():
    post_picture(upload(picture("WEBP"), "share.php.webp"), field="social_image")

    assert STORED_NAME.fullmatch(Article.objects.get().social_image.name)
    assert Article.objects.get().social_image.name.endswith(".webp")


def test_a_picture_saved_by_code_is_named_after_its_format():
    # The demo draws its own pictures and saves them with FieldFile.save(name, content).
    article = make_article()

    article.hero_image.save("drawn.jpeg", ContentFile(picture("JPEG")))

    assert STORED_NAME.fullmatch(article.hero_image.name)
    assert article.hero_image.name.endswith(".jpg")


# --- Serving --------------------------------------------------------------------------


@pytest.fixture
def media_served(settings):
    """Serve media as `make demo` does: with DEBUG on, newsroom/urls.py adds Django's media
    view through static(); made again here because each test has its own MEDIA_ROOT."""
    settings.DEBUG = True
    urls = ModuleType("media_urls")
    urls.urlpatterns = static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
    settings.ROOT_URLCONF = urls


@pytest.mark.parametrize("image_format", ["PNG", "GIF"])
def test_uploaded_picture_is_served_nosniff_as_its_image_type(client, media_served, image_format):
    name = f"page.html.{EXTENSIONS[image_format]}"
    post_picture(upload(picture(image_format), name, f"image/{image_format.lower()}"))

    response = client.get(Article.objects.get().hero_image.url)

    assert response.status_code == 200
    assert response["Content-Type"] == f"image/{image_format.lower()}"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert Image.open(io.BytesIO(b"".join(response.streaming_content))).format == image_format


# --- The admin ------------------------------------------------------------------------


def test_admin_shows_a_refused_picture_next_to_its_field_and_keeps_the_story(editor_client):
    polyglot = picture("GIF") + b"<script>alert(document.cookie)</script>"
    data = full_story_post(hero_image=upload(polyglot, "harbour.gif", "image/gif"))

    response = editor_client.post(ADD_URL, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["hero_image"] == [HIDDEN_MARKUP]
    html = response.content.decode()
    hero_row = html.split('class="form-row field-hero_image"')[1].split('class="form-row ')[0]
    assert 'id="id_hero_image_error"><li>This file has web page code' in hero_row
    assert 'value="Artists protest a video model"' in html
    assert "Protesters with placards" in html
    assert "Second part" in html
    assert not Article.objects.exists()


def test_admin_refuses_a_decompression_bomb_quickly_and_keeps_the_story(editor_client):
    bomb = upload(png_header_only(50_000, 50_000), "harbour.png", "image/png")
    started = time.perf_counter()

    response = editor_client.post(ADD_URL, full_story_post(hero_image=bomb))

    assert time.perf_counter() - started < 2
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["hero_image"] == [TOO_MANY_PIXELS]
    assert 'value="Artists protest a video model"' in response.content.decode()
    assert not Article.objects.exists()


def test_admin_refuses_too_many_frames_on_the_change_form_and_keeps_the_old_picture(
    editor_client,
):
    article = make_article(hero_image=upload(picture("PNG"), "harbour.png"), hero_alt="A harbour")
    before = (article.hero_image.name, article.headline)
    frames = upload(animation("GIF", frames=MAX_IMAGE_FRAMES + 1), "loop.gif", "image/gif")

    response = edit_post(editor_client, article, hero_image=frames, headline="New headline")

    assert response.context["adminform"].form.errors["hero_image"] == [
        "This animation has 101 frames; the limit is 100. Shorten it and upload it again."
    ]
    assert 'value="New headline"' in response.content.decode()
    article.refresh_from_db()
    assert (article.hero_image.name, article.headline) == before


def test_admin_stores_an_accepted_picture_under_a_safe_name(editor_client):
    data = full_story_post(hero_image=upload(picture("JPEG"), "shell.php.jpg", "image/jpeg"))

    response = editor_client.post(ADD_URL, data)

    assert response.status_code == 302
    article = Article.objects.get()
    assert STORED_NAME.fullmatch(article.hero_image.name)
    assert article.hero_image.name.endswith(".jpg")
    assert (article.hero_width, article.hero_height) == (60, 40)


def test_admin_stores_the_clean_copy_turned_upright(editor_client):
    image = Image.new("RGB", (80, 60), (255, 255, 255))
    exif = Image.Exif()
    exif[0x0112] = 6  # "turn 90° clockwise"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, comment=b"taken at home")
    data = full_story_post(hero_image=upload(buffer.getvalue(), "harbour.jpg", "image/jpeg"))

    response = editor_client.post(ADD_URL, data)

    assert response.status_code == 302
    article = Article.objects.get()
    stored = stored_image(article.hero_image)
    assert (article.hero_width, article.hero_height) == stored.size == (60, 80)
    assert not stored.getexif()
    assert "comment" not in stored.info


# --- Request size: one limit for nginx, the app and the form ---------------------------


def test_nginx_takes_every_request_the_app_takes_and_no_more():
    # nginx's default (1 MB) refused an ordinary 1.2 MB photo the app would have taken.
    config = (PROJECT / "bench" / "nginx.conf").read_text()
    (value,) = re.findall(r"^\s*client_max_body_size\s+(\d+)([km]?);", config, re.MULTILINE)
    number, unit = value
    assert int(number) * {"": 1, "k": 1024, "m": 1024 * 1024}[unit] == max_request_bytes()


def test_request_limit_counts_every_picture_of_the_story_form():
    pictures = [f for f in ArticleAdminForm.base_fields.values() if isinstance(f, PictureField)]
    assert len(pictures) == PICTURES_PER_FORM


def test_request_limit_is_the_story_form_with_its_pictures_at_their_limit(settings):
    settings.MAX_IMAGE_UPLOAD_BYTES = 10 * 1024 * 1024
    middleware = RequestSizeLimitMiddleware(lambda request: HttpResponse("the form"))
    largest = 2 * settings.MAX_IMAGE_UPLOAD_BYTES + FORM_FIELDS_BYTES
    assert largest > 2 * settings.MAX_IMAGE_UPLOAD_BYTES + settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    taken = middleware(RequestFactory().post(ADD_URL, CONTENT_LENGTH=str(largest)))
    refused = middleware(RequestFactory().post(ADD_URL, CONTENT_LENGTH=str(largest + 1)))

    assert taken.content == b"the form"
    assert refused.status_code == 413


def test_too_large_request_gets_a_short_page_that_says_the_limits(editor_client):
    response = editor_client.post(ADD_URL, {}, CONTENT_LENGTH=str(2 * 1024**3))

    assert response.status_code == 413
    assert visible_text(response.content.decode()) == (
        "This upload is too large Pictures may be at most 10 MB each, and everything sent at "
        "once at most 24 MB. Make the picture smaller and try again."
    )
    assert "Content-Security-Policy" in response  # the site's headers, as on any page
    assert not Article.objects.exists()


def test_too_large_upload_is_refused_before_its_body_is_sent(live_server, editor, client):
    # An editor's upload with everything the admin's add view needs to read the body: a
    # session, a CSRF token. Headers only: a server that read the body first would wait here.
    client.force_login(editor)
    token = "a" * 32
    address = urlsplit(live_server.url)
    with socket.create_connection((address.hostname, address.port), timeout=5) as connection:
        connection.sendall(
            f"POST {ADD_URL} HTTP/1.1\r\n"
            f"Host: {address.netloc}\r\n"
            f"Cookie: sessionid={client.cookies['sessionid'].value}; csrftoken={token}\r\n"
            f"X-CSRFToken: {token}\r\n"
            "Content-Type: multipart/form-data; boundary=x\r\n"
            f"Content-Length: {2 * 1024**3}\r\n\r\n".encode()
        )
        started = time.monotonic()
        answer = connection.recv(65536)
    assert answer.startswith(b"HTTP/1.1 413 "), answer[:100]
    assert time.monotonic() - started < 1
