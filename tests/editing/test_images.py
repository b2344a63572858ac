import io
from html.parser import HTMLParser
from unittest import mock

import pytest
from botocore.exceptions import EndpointConnectionError
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms import modelform_factory
from django.template.loader import render_to_string
from PIL import Image

from articles.editing import stories
from articles.editing.images import make_renditions
from articles.models import Article, Picture
from newsroom.tasks import failed_recently
from tests.factories import make_article, make_image_upload
from tests.worker import run_worker

pytestmark = pytest.mark.django_db

BLUE = (0, 0, 255)


def upload(image: Image.Image, *, name="picture.jpg", image_format="JPEG", **options):
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def article_with(hero_image, **fields):
    return make_article(hero_image=hero_image, hero_alt="A harbour at dawn", **fields)


def open_rendition(entry: dict) -> Image.Image:
    """Open a rendition by its URL, the way a browser would fetch it from MEDIA_URL."""
    name = entry["url"].removeprefix(default_storage.base_url)
    with default_storage.open(name) as file:
        image = Image.open(io.BytesIO(file.read()))
        image.load()
    return image


def near(colour, expected, tolerance=40):
    return all(abs(a - b) <= tolerance for a, b in zip(colour, expected, strict=True))


def test_renditions_are_made_at_each_width_up_to_the_original():
    article = article_with(make_image_upload(size=(1300, 900)))

    renditions = make_renditions(article)

    assert [entry["width"] for entry in renditions["webp"]] == [480, 800, 1200]
    assert [entry["width"] for entry in renditions["fallback"]] == [480, 800, 1200]


def test_an_original_narrower_than_every_width_gets_one_rendition_at_its_own_width():
    article = article_with(make_image_upload(size=(300, 200)))

    renditions = make_renditions(article)

    assert [entry["width"] for entry in renditions["webp"]] == [300]
    assert [entry["width"] for entry in renditions["fallback"]] == [300]


def test_webp_renditions_really_are_webp():
    article = article_with(make_image_upload(size=(1000, 600)))

    renditions = make_renditions(article)

    for entry in renditions["webp"]:
        image = open_rendition(entry)
        assert (image.format, image.size) == ("WEBP", (entry["width"], entry["height"]))


def test_a_jpeg_original_gets_jpeg_fallbacks():
    article = article_with(make_image_upload(name="p.jpg", size=(1000, 600), image_format="JPEG"))

    renditions = make_renditions(article)

    assert renditions["fallback_type"] == "image/jpeg"
    assert {open_rendition(entry).format for entry in renditions["fallback"]} == {"JPEG"}


def test_a_png_original_gets_png_fallbacks():
    article = article_with(make_image_upload(name="p.png", size=(1000, 600), image_format="PNG"))

    renditions = make_renditions(article)

    assert renditions["fallback_type"] == "image/png"
    assert {open_rendition(entry).format for entry in renditions["fallback"]} == {"PNG"}


def test_an_animated_gif_gets_jpeg_fallbacks_from_its_first_frame():
    frames = [Image.new("RGB", (600, 400), colour) for colour in (BLUE, (255, 0, 0))]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100)
    article = article_with(SimpleUploadedFile("p.gif", buffer.getvalue()))

    renditions = make_renditions(article)

    image = open_rendition(renditions["fallback"][0])
    assert image.format == "JPEG"
    assert near(image.getpixel((240, 160)), BLUE)


def test_renditions_keep_the_aspect_ratio():
    article = article_with(make_image_upload(size=(1700, 1133)))

    renditions = make_renditions(article)

    for entry in renditions["webp"] + renditions["fallback"]:
        width, height = open_rendition(entry).size
        assert abs(height - width * 1133 / 1700) <= 1


def test_renditions_carry_no_exif():
    image = Image.new("RGB", (600, 400), BLUE)
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"
    article = article_with(upload(image, exif=exif))

    renditions = make_renditions(article)

    assert not open_rendition(renditions["fallback"][0]).getexif()


def test_an_exif_rotated_jpeg_comes_out_upright():
    # Stored landscape with a blue top edge; orientation 6 says "turn 90° clockwise to view",
    # so readers should see a portrait picture with the blue edge on the right.
    image = Image.new("RGB", (800, 600), (255, 255, 255))
    image.paste(BLUE, (0, 0, 800, 100))
    exif = Image.Exif()
    exif[0x0112] = 6
    article = article_with(upload(image, exif=exif))

    renditions = make_renditions(article)

    upright = open_rendition(renditions["fallback"][0])
    assert (renditions["width"], renditions["height"]) == (600, 800)
    assert upright.size == (480, 640)
    assert near(upright.getpixel((470, 320)), BLUE)
    assert near(upright.getpixel((10, 320)), (255, 255, 255))


def test_social_image_is_1200_by_630():
    article = article_with(make_image_upload(size=(1000, 800)))

    renditions = make_renditions(article)

    social = open_rendition(renditions["social"])
    assert (social.format, social.size) == ("JPEG", (1200, 630))
    assert (renditions["social"]["width"], renditions["social"]["height"]) == (1200, 630)


def test_social_image_keeps_the_focal_point_in_view():
    # A tall white picture with a blue square in the bottom-left corner. A centred
    # crop would miss the square; one around the focal point must show it.
    image = Image.new("RGB", (1000, 2000), (255, 255, 255))
    image.paste(BLUE, (0, 1700, 300, 2000))
    article = article_with(upload(image), hero_focus_x=15, hero_focus_y=92)

    renditions = make_renditions(article)

    # The crop is the full width and 525px tall, pushed against the bottom edge
    # (rows 1475-2000), then scaled by 1200/1000: the square's centre (150, 1850) lands here.
    social = open_rendition(renditions["social"])
    assert near(social.getpixel((180, 450)), BLUE)
    assert near(social.getpixel((900, 100)), (255, 255, 255))


def test_a_chosen_sharing_image_is_used_for_the_social_crop():
    article = article_with(
        make_image_upload(size=(1000, 800)),
        social_image=upload(Image.new("RGB", (1400, 700), BLUE), name="share.jpg"),
    )

    renditions = make_renditions(article)

    assert near(open_rendition(renditions["social"]).getpixel((600, 315)), BLUE)


def test_renditions_are_remembered_on_the_article():
    article = article_with(make_image_upload(size=(900, 600)))

    renditions = make_renditions(article)

    article.refresh_from_db()
    assert article.hero_renditions == renditions
    assert renditions["src"] == renditions["fallback"][-1]["url"]


def test_an_unchanged_image_is_not_rendered_again():
    article = article_with(make_image_upload(size=(900, 600)))

    with mock.patch.object(Image, "open", wraps=Image.open) as opened:
        first = make_renditions(article)
        second = make_renditions(Article.objects.get(pk=article.pk))

    assert opened.call_count == 1
    assert second == first


def test_moving_the_focal_point_makes_a_new_social_image():
    article = article_with(make_image_upload(size=(1000, 2000)))
    before = make_renditions(article)

    article.hero_focus_y = 10
    after = make_renditions(article)

    assert after["social"]["url"] != before["social"]["url"]
    assert default_storage.exists(after["social"]["url"].removeprefix(default_storage.base_url))


def test_an_article_without_a_hero_image_gets_no_renditions():
    article = make_article()

    assert make_renditions(article) == {}
    article.refresh_from_db()
    assert article.hero_renditions == {}


def test_an_unreadable_hero_image_gives_no_renditions_instead_of_an_error():
    article = article_with(make_image_upload(size=(900, 600)))
    make_renditions(article)
    with default_storage.open(article.hero_image.name, "wb") as file:
        file.write(b"not a picture any more")

    assert make_renditions(article) == {}
    article.refresh_from_db()
    assert article.hero_renditions == {}


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = {}

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = dict(attrs)


def render_picture(renditions, **context) -> str:
    return render_to_string(
        "reader/includes/picture.html", {"renditions": renditions, "alt": "A harbour", **context}
    )


def picture_tags(renditions, **context) -> dict:
    """Return each tag the include renders with its attributes: {"img": {"src": ...}}."""
    parser = _Tags()
    parser.feed(render_picture(renditions, **context))
    return parser.tags


def test_a_save_does_not_wait_for_the_renditions():
    article = article_with(make_image_upload(size=(1000, 600)))
    with mock.patch("articles.editing.images._render") as render:
        stories.finish_save(article, by=None, summary="Saved")
    render.assert_not_called()  # the worker makes them, after the save answered


@pytest.mark.django_db(transaction=True)  # commits, as the worker does: on-commit steps run
def test_readers_see_the_picture_once_the_worker_made_its_renditions(client, page_cache_on):
    article = article_with(make_image_upload(size=(1000, 600)))
    stories.finish_save(article, by=None, summary="Saved")
    before = client.get(article.get_absolute_url()).content.decode()  # now in the page cache

    run_worker()

    after = client.get(article.get_absolute_url()).content.decode()
    article.refresh_from_db()
    assert article.hero_renditions["src"] not in before
    assert article.hero_renditions["src"] in after


@pytest.mark.django_db(transaction=True)  # commits, as the worker does: on-commit steps run
def test_renditions_the_storage_refuses_are_tried_again_then_shown_to_chiefs(settings, caplog):
    settings.PICTURE_RETRY_DELAYS = [0]
    article = article_with(make_image_upload(size=(1000, 600)))
    stories.finish_save(article, by=None, summary="Saved")
    out_of_reach = EndpointConnectionError(endpoint_url="https://bucket.example.com")

    with mock.patch("articles.editing.images._store", side_effect=out_of_reach):
        run_worker()  # the first try, then the retry it queued for now

    (failed,) = failed_recently()
    assert failed["label"] == "Resizing a story's picture"
    assert "EndpointConnectionError" in failed["reason"]
    (retried,) = [r.getMessage() for r in caplog.records if "will try again" in r.getMessage()]
    assert retried.startswith(f"Could not make the renditions of story {article.pk} (")


def test_picture_offers_webp_and_fallback_sources_with_the_original_size():
    renditions = make_renditions(article_with(make_image_upload(size=(1000, 600))))

    tags = picture_tags(renditions, sizes="(min-width: 50rem) 40rem, 100vw", eager=True)

    assert tags["source"] == {
        "type": "image/webp",
        "srcset": renditions["webp_srcset"],
        "sizes": "(min-width: 50rem) 40rem, 100vw",
    }
    assert tags["img"]["srcset"] == renditions["fallback_srcset"]
    assert tags["img"]["src"] == renditions["src"]
    assert (tags["img"]["width"], tags["img"]["height"]) == ("1000", "600")
    assert tags["img"]["fetchpriority"] == "high"
    assert renditions["webp_srcset"].endswith("480w, " + renditions["webp"][1]["url"] + " 800w")


def test_picture_below_the_fold_loads_lazily():
    renditions = make_renditions(article_with(make_image_upload(size=(1000, 600))))

    tags = picture_tags(renditions)

    assert tags["img"]["loading"] == "lazy"
    assert tags["img"]["sizes"] == "100vw"
    assert "fetchpriority" not in tags["img"]


def test_picture_renders_nothing_without_renditions():
    assert render_picture({}).strip() == ""


def test_hero_image_that_is_not_a_picture_is_refused():
    article = make_article(hero_alt="A harbour")
    article.hero_image = SimpleUploadedFile(
        "harbour.png", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>"
    )

    with pytest.raises(ValidationError) as error:
        article.full_clean()

    assert error.value.message_dict["hero_image"] == [
        "This file is not a picture we can read. Upload a JPEG, PNG, WebP or GIF."
    ]


def test_hero_image_over_the_size_limit_is_refused(settings):
    settings.MAX_IMAGE_UPLOAD_BYTES = 1024 * 1024
    article = make_article(hero_alt="A harbour")
    article.hero_image = SimpleUploadedFile("harbour.png", b"0" * (1024 * 1024 + 1))

    with pytest.raises(ValidationError) as error:
        article.full_clean()

    assert error.value.message_dict["hero_image"] == [
        "The picture is too large; the limit is 1 MB."
    ]


def test_hero_image_with_too_many_pixels_is_refused():
    # 48 megapixels of a one-bit picture: a few kilobytes on disk, 40 MB+ once decoded.
    article = make_article(hero_alt="A harbour")
    article.hero_image = upload(Image.new("1", (8000, 6000)), name="huge.png", image_format="PNG")

    with pytest.raises(ValidationError) as error:
        article.full_clean()

    assert error.value.message_dict["hero_image"] == [
        "The picture has too many pixels; keep it under 40 megapixels."
    ]


def test_decompression_bomb_hero_image_is_refused_by_the_upload_form():
    # 20000×20000 claims 400 megapixels in a 48 kB file. Pillow will not even open it, and
    # Django reads an image's size as soon as it is assigned to the model (hero_width), so
    # a bomb can only be stopped before that: by the form's image field, as in the admin.
    form_class = modelform_factory(Article, fields=["hero_image", "hero_alt"])
    bomb = upload(Image.new("1", (20000, 20000)), name="bomb.png", image_format="PNG")

    form = form_class(data={"hero_alt": "A harbour"}, files={"hero_image": bomb})

    assert not form.is_valid()
    assert "hero_image" in form.errors


def test_a_hero_picture_uploaded_on_the_story_joins_the_library(admin_user):
    article = article_with(upload(Image.new("RGB", (900, 600), "navy")), hero_caption="Dawn")

    stories.finish_save(article, by=admin_user, summary="Saved in the admin")

    picture = Picture.objects.get()
    assert picture.image.name == article.hero_image.name
    assert (picture.alt, picture.caption) == ("A harbour at dawn", "Dawn")
    assert default_storage.exists(picture.thumbnail)


def test_a_hero_picture_from_the_library_is_not_added_twice(admin_user):
    article = article_with(upload(Image.new("RGB", (900, 600), "navy")))
    stories.finish_save(article, by=admin_user, summary="Saved in the admin")

    stories.finish_save(article, by=admin_user, summary="Saved again")

    assert Picture.objects.count() == 1
