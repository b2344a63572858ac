"""Editors pin stories at the top of a story's "Read next" list, in the admin."""

import pytest

from articles.models import ReadNext
from tests.editing.test_admin import change_url, form_data
from tests.factories import inline_rows, make_article, make_user

pytestmark = pytest.mark.django_db


def pins_post(client, story, pins):
    return client.post(
        change_url(story),
        form_data(client, story)
        | inline_rows("read_next", [{"related": pk, "position": n} for n, pk in enumerate(pins)]),
    )


def test_an_editor_pins_a_story_in_the_admin(editor_client):
    story = make_article(headline="Heat wave", tags=["Heat"])
    archive = make_article(headline="The 1976 heat wave")
    assert pins_post(editor_client, story, [archive.pk]).status_code == 302
    assert ReadNext.objects.get(story=story, pinned=True).related == archive


def test_the_same_story_pinned_twice_is_a_form_error(editor_client):
    story = make_article(headline="Heat wave")
    archive = make_article(headline="The 1976 heat wave")
    response = pins_post(editor_client, story, [archive.pk, archive.pk])
    assert response.status_code == 200
    assert "Each story can be pinned once." in response.content.decode()
    assert not ReadNext.objects.filter(pinned=True).exists()


def test_a_story_pinned_after_itself_is_a_form_error(editor_client):
    story = make_article(headline="Heat wave")
    response = pins_post(editor_client, story, [story.pk])
    assert response.status_code == 200
    assert "A story cannot be read next after itself." in response.content.decode()


def test_writers_have_no_pins_to_set(client):
    writer = make_user("wanda", groups=["Writer"])
    story = make_article(headline="Heat wave", created_by=writer, status="draft")
    client.force_login(writer)
    response = client.get(change_url(story))
    assert response.status_code == 200
    assert "read_next-TOTAL_FORMS" not in response.content.decode()
