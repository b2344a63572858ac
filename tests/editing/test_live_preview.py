"""The edit page's live preview: the form as typed, drawn by the readers' templates, unsaved."""

import pytest
from django.urls import reverse

from articles.models import Article
from tests.factories import inline_rows, make_article, make_author, make_user
from tests.pages import assert_in_order, visible_text

pytestmark = pytest.mark.django_db


def preview_url(story=None):
    if story is None:
        return reverse("admin:articles_article_live_preview_new")
    return reverse("admin:articles_article_live_preview", args=[story.pk])


def typed_form(story=None, **fields):
    """The change form as an editor has typed it: a new headline and two sections."""
    return {
        "headline": "A headline typed a moment ago",
        "slug": "typed",
        "dek": "A dek typed too.",
        "closing": "<p>The closing words.</p>",
        **inline_rows(
            "sections",
            [
                {"heading": "", "body": "<p>The intro as typed.</p>", "position": 1},
                {"heading": "A new section", "body": "<p>Its text.</p>", "position": 2},
            ],
        ),
        **inline_rows("takeaways", [{"text": "A takeaway typed.", "position": 1}]),
        "loaded_version": str(story.version) if story else "0",
        **fields,
    }


@pytest.fixture
def story(writer):
    return make_article(headline="The saved headline", created_by=writer, sections=1)


def test_the_preview_shows_the_form_as_typed_on_the_readers_page(editor_client, story):
    response = editor_client.post(preview_url(story), typed_form(story))
    assert response.status_code == 200
    text = visible_text(response.content.decode())
    assert_in_order(
        text,
        [
            "A headline typed a moment ago",
            "The intro as typed.",
            "A new section",
            "A takeaway typed.",
            "The closing words.",
        ],
    )
    assert "The saved headline" not in text


def test_previewing_saves_nothing(editor_client, story):
    editor_client.post(preview_url(story), typed_form(story))
    story.refresh_from_db()
    assert story.headline == "The saved headline"
    assert story.sections.count() == 1
    assert story.revisions.count() == 0


def test_a_row_marked_for_deletion_is_not_in_the_preview(editor_client, story):
    form = typed_form(story)
    form["sections-1-DELETE"] = "on"
    text = visible_text(editor_client.post(preview_url(story), form).content.decode())
    assert "A new section" not in text


def test_a_part_the_form_does_not_send_is_previewed_as_saved(editor_client):
    story = make_article(authors=[make_author(name="Ana Ruiz")])
    form = typed_form(story)  # no byline rows: this user's form has none
    text = visible_text(editor_client.post(preview_url(story), form).content.decode())
    assert "Ana Ruiz" in text


def test_rich_text_in_the_preview_is_cleaned_as_a_save_would_clean_it(editor_client, story):
    form = typed_form(story)
    form["sections-0-body"] = "<p>Words<script>alert(1)</script></p>"
    content = editor_client.post(preview_url(story), form).content.decode()
    assert "Words" in content
    assert "<script>alert(1)" not in content


def test_a_writer_previews_a_story_not_yet_saved(writer, client):
    client.force_login(writer)
    response = client.post(preview_url(), typed_form())
    assert response.status_code == 200
    assert "A headline typed a moment ago" in visible_text(response.content.decode())
    assert not Article.objects.exists()


def test_a_writer_cannot_preview_another_writers_story(client, story):
    client.force_login(make_user("someone", groups=["Writer"]))
    assert client.post(preview_url(story), typed_form(story)).status_code == 403


def test_the_preview_is_never_cached_or_indexed(editor_client, story):
    response = editor_client.post(preview_url(story), typed_form(story))
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex"


def test_the_preview_takes_only_posts(editor_client, story):
    assert editor_client.get(preview_url(story)).status_code == 405


def test_a_desk_that_is_not_a_number_does_not_break_the_preview(editor_client, story):
    response = editor_client.post(preview_url(story), typed_form(story, desk="x"))
    assert response.status_code == 200
