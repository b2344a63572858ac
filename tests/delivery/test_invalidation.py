"""The one invalidation rule (articles/delivery/cache.py): every way staff change what readers
see ends with a new page generation, so a cached page never outlives the change. Each test
fills the page cache, changes something the way staff do, and reads the page again."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from articles.delivery import cache as page_cache
from articles.editing import revisions, stories
from articles.models import Notice, Tag
from tests.factories import call_to_action_form, make_article, make_author, make_cta, make_desk

pytestmark = pytest.mark.django_db


@pytest.fixture
def story(writer):
    story = make_article(
        headline="A cached story",
        desk=make_desk(name="Culture"),
        tags=["Sora"],
        authors=[make_author(name="Ada Reporter")],
        ctas=1,
    )
    story.created_by = writer
    story.save()
    return story


@pytest.fixture
def chief_client(chief):
    client = Client()
    client.force_login(chief)
    return client


@pytest.fixture
def changes(django_capture_on_commit_callbacks):
    """Run what staff do, then what runs once its transaction commits."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def page_of(client, story) -> str:
    response = client.get(story.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def admin_change(client, model_name, pk, data):
    url = reverse(f"admin:articles_{model_name}_change", args=[pk])
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]


def test_a_story_saved_through_the_write_path_shows_at_once(
    client, story, chief, page_cache_on, changes
):
    page_of(client, story)
    with changes():
        story.headline = "A corrected headline"
        stories.save_story(story, by=chief, summary="Corrected")

    assert "A corrected headline" in page_of(client, story)


def test_a_restored_version_shows_at_once(client, story, chief, page_cache_on, changes):
    first = revisions.record(story, by=chief, summary="First")
    story.headline = "A later headline"
    stories.save_story(story, by=chief, summary="Later")
    assert "A later headline" in page_of(client, story)

    with changes():
        revisions.revert(first, by=chief)

    assert "A cached story" in page_of(client, story)


def test_a_renamed_desk_shows_at_once(client, chief_client, story, page_cache_on, changes):
    page_of(client, story)
    with changes():
        admin_change(
            chief_client,
            "desk",
            story.desk.pk,
            {"name": "Arts and Culture", "slug": "culture", "description": ""},
        )

    assert "Arts and Culture" in page_of(client, story)


def test_a_renamed_author_shows_at_once(client, chief_client, story, page_cache_on, changes):
    author = story.bylines.get().author
    page_of(client, story)
    with changes():
        admin_change(
            chief_client,
            "author",
            author.pk,
            {"name": "Ada Renamed", "slug": author.slug, "job_title": "", "bio": "", "user": ""},
        )

    assert "Ada Renamed" in page_of(client, story)


def test_a_renamed_tag_shows_at_once(client, chief_client, story, page_cache_on, changes):
    tag = Tag.objects.get(name="Sora")
    page_of(client, story)
    with changes():
        admin_change(
            chief_client, "tag", tag.pk, {"name": "SoraVideo", "slug": tag.slug, "description": ""}
        )

    assert "#SoraVideo" in page_of(client, story)


def test_merged_tags_show_the_surviving_name(client, chief_client, story, page_cache_on, changes):
    make_article(tags=["OpenAISora"])
    make_article(tags=["OpenAISora"])  # the most used, so it survives
    survivor = Tag.objects.get(name="OpenAISora")
    page_of(client, story)
    with changes():
        chief_client.post(
            reverse("admin:articles_tag_changelist"),
            {
                "action": "merge_tags",
                "_selected_action": [survivor.pk, Tag.objects.get(name="Sora").pk],
            },
        )

    assert "#OpenAISora" in page_of(client, story)


def test_a_reworded_call_to_action_shows_at_once(
    client, chief_client, story, page_cache_on, changes
):
    cta = story.cta_placements.get().call_to_action
    page_of(client, story)
    with changes():
        admin_change(
            chief_client,
            "calltoaction",
            cta.pk,
            call_to_action_form(name=cta.name, text="Talk to our strategists", button_label=""),
        )

    assert "Talk to our strategists" in page_of(client, story)


def test_a_correction_shows_at_once(client, chief_client, story, page_cache_on, changes):
    page_of(client, story)
    with changes():
        response = chief_client.post(
            reverse("admin:articles_notice_add"),
            {"article": story.pk, "kind": Notice.Kind.CORRECTION, "text": "We misnamed a studio."},
        )
        assert response.status_code == 302

    assert "We misnamed a studio." in page_of(client, story)


def test_a_cached_page_lasts_only_until_a_call_to_action_starts(page_cache_on):
    now = timezone.now()
    make_cta(starts_at=now + timedelta(seconds=30))

    assert 1 <= page_cache.page_timeout(now) <= 30


def test_a_cached_page_lasts_only_until_a_call_to_action_ends(page_cache_on):
    now = timezone.now()
    make_cta(ends_at=now + timedelta(seconds=20))

    assert 1 <= page_cache.page_timeout(now) <= 20
