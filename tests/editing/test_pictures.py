"""The picture library: upload once with alt text and a focal point, find it, reuse it."""

import io
import re
from unittest import mock

import pytest
from django import forms
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse, reverse_lazy
from PIL import Image

from articles.editing.picture_chooser import PictureChooserWidget, use_picture_as_hero
from articles.models import Picture
from tests.factories import make_article, make_user, picture_form
from tests.pages import visible_text
from tests.worker import run_worker

pytestmark = pytest.mark.django_db

ADD = reverse_lazy("admin:articles_picture_add")
GRID = reverse_lazy("admin:articles_picture_changelist")
CHOOSE = reverse_lazy("admin:articles_picture_choose")
STORED_NAME = re.compile(r"stories/\d{4}/\d{2}/[0-9a-f]{32}\.png")


def png(size=(800, 500), colour=(200, 80, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, "PNG")
    return buffer.getvalue()


def upload(name="harbour.png", data=None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data or png(), content_type="image/png")


def make_picture(*, alt="Fishing boats in the harbour at dawn", **fields) -> Picture:
    picture = Picture(image=upload(), alt=alt, **fields)
    picture.save()
    return picture


def errors_of(response) -> str:
    assert response.status_code == 200  # the form again, with its errors
    return " ".join(str(error) for error in response.context["adminform"].form.errors.values())


@pytest.mark.django_db(transaction=True)  # commits, as the worker does: on-commit steps run
def test_editor_uploads_a_picture_and_the_worker_makes_its_small_thumbnail(editor_client, editor):
    response = editor_client.post(ADD, picture_form())

    assert response.status_code == 302
    picture = Picture.objects.get()
    assert STORED_NAME.fullmatch(picture.image.name)
    assert (picture.width, picture.height, picture.uploaded_by) == (800, 500, editor)
    assert picture.thumbnail_url == picture.image.url  # the grid shows the original meanwhile
    run_worker()
    picture.refresh_from_db()
    with default_storage.open(picture.thumbnail) as file, Image.open(file) as thumbnail:
        assert (thumbnail.format, thumbnail.size) == ("WEBP", (320, 200))


def test_writer_may_add_pictures_to_the_library(client, writer):
    client.force_login(writer)

    client.post(ADD, picture_form())

    assert Picture.objects.get().uploaded_by == writer


def test_picture_without_alt_text_is_refused(editor_client):
    response = editor_client.post(ADD, picture_form(alt=""))

    assert "This field is required." in errors_of(response)
    assert not Picture.objects.exists()


def test_file_that_is_not_a_picture_is_refused_with_a_form_error(editor_client):
    response = editor_client.post(
        ADD, picture_form(image=upload("notes.png", b"just some text, not a picture"))
    )

    assert "Upload a valid image" in errors_of(response)
    assert not Picture.objects.exists()


@pytest.mark.parametrize(("field", "value"), [("focus_x", "101"), ("focus_y", "-1")])
def test_focal_point_outside_the_picture_is_refused(editor_client, field, value):
    response = editor_client.post(ADD, picture_form(**{field: value}))

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not Picture.objects.exists()


def test_editor_moves_the_focal_point_of_a_picture(editor_client):
    picture = make_picture()
    change = reverse("admin:articles_picture_change", args=[picture.pk])

    editor_client.post(change, picture_form(image="", focus_x="80", focus_y="25"))

    picture.refresh_from_db()
    assert (picture.focus_x, picture.focus_y) == (80, 25)


@pytest.mark.parametrize(
    "fields",
    [{"alt": "A heron on the riverbank"}, {"alt": "Birds", "caption": "The heron came back"}],
    ids=["alt", "caption"],
)
def test_library_search_finds_pictures_by_their_words(editor_client, fields):
    make_picture(**fields)
    make_picture(alt="Council chamber, empty")

    text = visible_text(editor_client.get(GRID, {"q": "heron"}).text)

    assert fields["alt"] in text
    assert "Council chamber" not in text


def test_library_search_finds_pictures_by_credit():
    make_picture(alt="A heron", credit="Photo: Ana Ruiz")
    make_picture(alt="A bridge", credit="Photo: Jo Lee")

    assert [p.alt for p in Picture.objects.search("ruiz")] == ["A heron"]


def test_grid_tells_how_many_stories_use_each_picture(editor_client):
    picture = make_picture(alt="The harbour")
    for _ in range(3):
        story = make_article()
        use_picture_as_hero(story, picture)
        story.save()

    text = visible_text(editor_client.get(GRID).text)

    assert "The harbour Used in 3 stories" in text


def test_usage_counts_stories_whose_hero_is_the_picture():
    used = make_picture(alt="Used")
    make_picture(alt="Unused")
    story = make_article()
    use_picture_as_hero(story, used)
    story.save()
    make_article(hero_image=upload(), hero_alt="Its own picture")

    counts = dict(Picture.objects.with_story_count().values_list("alt", "story_count"))

    assert counts == {"Used": 1, "Unused": 0}
    assert list(used.stories()) == [story]


def test_grid_does_not_open_pillow(editor_client):
    make_picture()

    with mock.patch("PIL.Image.open", side_effect=AssertionError("Pillow opened")):
        response = editor_client.get(GRID)

    assert response.status_code == 200


def test_picture_page_links_the_stories_that_use_it(editor_client):
    picture = make_picture()
    story = make_article(headline="Boats return to the harbour")
    use_picture_as_hero(story, picture)
    story.save()

    response = editor_client.get(reverse("admin:articles_picture_change", args=[picture.pk]))

    assert "Used in 1 story" in visible_text(response.text)
    change_story = reverse("admin:articles_article_change", args=[story.pk])
    assert f'<a href="{change_story}">Boats return to the harbour</a>' in response.text


def test_writer_is_not_shown_the_headlines_of_other_writers_stories(client, writer, other_writer):
    picture = make_picture()
    story = make_article(headline="A draft of someone else", created_by=other_writer)
    use_picture_as_hero(story, picture)
    story.save()
    client.force_login(writer)

    response = client.get(reverse("admin:articles_picture_change", args=[picture.pk]))

    text = visible_text(response.text)
    assert "1 story by other writers" in text
    assert "A draft of someone else" not in text


def test_picture_a_story_uses_cannot_be_deleted(editor_client):
    picture = make_picture()
    story = make_article()
    use_picture_as_hero(story, picture)
    story.save()

    response = editor_client.post(
        reverse("admin:articles_picture_delete", args=[picture.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert Picture.objects.exists()


def test_chooser_answers_staff_with_the_pictures(editor_client):
    picture = make_picture(alt="A heron", caption="On the river", credit="Photo: Ana Ruiz")

    results = editor_client.get(CHOOSE).json()["results"]

    assert results == [
        {
            "id": picture.pk,
            "thumbnail": picture.thumbnail_url,
            "alt": "A heron",
            "caption": "On the river",
            "credit": "Photo: Ana Ruiz",
            "focus_x": 50,
            "focus_y": 50,
            "image": picture.image.name,
            "url": picture.image.url,
            "width": 800,
            "height": 500,
            "story_count": 0,
        }
    ]


def test_chooser_searches_the_library(editor_client):
    make_picture(alt="A heron")
    make_picture(alt="A bridge", caption="The heron's bridge")
    make_picture(alt="Council chamber")

    results = editor_client.get(CHOOSE, {"q": "heron"}).json()["results"]

    assert sorted(entry["alt"] for entry in results) == ["A bridge", "A heron"]


def test_chooser_sends_visitors_to_the_login_page(client):
    make_picture()

    response = client.get(CHOOSE)

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_chooser_refuses_staff_who_write_no_stories(client):
    client.force_login(make_user("visitor"))

    assert client.get(CHOOSE).status_code == 403


def test_use_picture_as_hero_copies_the_file_and_its_words():
    picture = make_picture(
        alt="A heron", caption="On the river", credit="Photo: Ana Ruiz", focus_x=30, focus_y=70
    )
    story = make_article()

    use_picture_as_hero(story, picture)
    story.save()

    story.refresh_from_db()
    assert story.hero_image.name == picture.image.name
    assert (story.hero_width, story.hero_height) == (800, 500)
    assert (story.hero_alt, story.hero_caption, story.hero_credit) == (
        "A heron",
        "On the river",
        "Photo: Ana Ruiz",
    )
    assert (story.hero_focus_x, story.hero_focus_y) == (30, 70)


class HeroChoiceForm(forms.Form):
    hero_picture = forms.ModelChoiceField(
        Picture.objects.all(), required=False, widget=PictureChooserWidget
    )


def test_chooser_widget_offers_the_library_with_nothing_chosen():
    html = str(HeroChoiceForm()["hero_picture"])

    assert "Choose from the library" in html
    assert f'data-choose-url="{CHOOSE}"' in html
    assert 'type="hidden" name="hero_picture"' in html


def test_chooser_widget_shows_the_chosen_picture():
    picture = make_picture(alt="A heron")

    html = str(HeroChoiceForm(initial={"hero_picture": picture.pk})["hero_picture"])

    assert f'value="{picture.pk}"' in html
    assert "Chosen: A heron" in html


def test_chooser_widget_choice_is_a_library_picture():
    form = HeroChoiceForm({"hero_picture": "999"})

    assert not form.is_valid()
    assert "hero_picture" in form.errors


def section_figure(picture) -> str:
    return f'<figure class="figure"><img src="{picture.image.url}" alt="{picture.alt}"></figure>'


def test_usage_counts_stories_that_show_the_picture_in_a_section():
    used = make_picture(alt="Used")
    make_picture(alt="Unused")
    story = make_article(sections=1)
    story.sections.update(body="<p>Before.</p>" + section_figure(used))
    hero_too = make_article(sections=1)
    use_picture_as_hero(hero_too, used)
    hero_too.save()
    hero_too.sections.update(body=section_figure(used))  # one story, however often it shows

    counts = dict(Picture.objects.with_story_count().values_list("alt", "story_count"))

    assert counts == {"Used": 2, "Unused": 0}
    assert set(used.stories()) == {story, hero_too}


def test_picture_shown_in_a_section_cannot_be_deleted(editor_client):
    picture = make_picture()
    story = make_article(sections=1)
    story.sections.update(body=section_figure(picture))
    response = editor_client.get(reverse("admin:articles_picture_delete", args=[picture.pk]))
    assert response.status_code == 403


UPLOAD = reverse_lazy("admin:articles_picture_upload")


@pytest.mark.django_db(transaction=True)  # commits, as the worker does: on-commit steps run
def test_writer_uploads_a_picture_from_the_section_chooser(client, writer):
    client.force_login(writer)
    response = client.post(UPLOAD, {"image": upload(), "alt": "The old pier", "caption": "Pier"})
    assert response.status_code == 201
    picture = Picture.objects.get()
    assert response.json()["url"] == picture.image.url
    run_worker()
    picture.refresh_from_db()
    assert (picture.alt, picture.uploaded_by, bool(picture.thumbnail)) == (
        "The old pier",
        writer,
        True,
    )


def test_chooser_upload_without_alt_text_answers_with_the_form_error(editor_client):
    response = editor_client.post(UPLOAD, {"image": upload(), "alt": ""})
    assert response.status_code == 400
    assert "alt" in response.json()["errors"]
    assert not Picture.objects.exists()


def test_chooser_upload_is_refused_to_staff_who_write_no_stories(client):
    client.force_login(make_user("sam"))  # staff, in no role
    response = client.post(UPLOAD, {"image": upload(), "alt": "Pier"})
    assert response.status_code == 403
    assert not Picture.objects.exists()
