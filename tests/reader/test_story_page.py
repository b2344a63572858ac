"""The story page is drawn from the story's parts (articles/reader/story.py): readers see every
change at once, whatever row it was made in."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from articles.models import Notice, Tag
from articles.moderation import workflow
from tests.factories import make_article, make_author, make_cta, make_desk

pytestmark = pytest.mark.django_db


@pytest.fixture
def story():
    story = make_article(desk=make_desk(name="Culture"), tags=["Sora"], authors=[make_author()])
    return story


def page_of(client, story) -> str:
    response = client.get(story.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def test_an_edited_section_shows_at_once(client, story):
    page_of(client, story)
    section = story.sections.last()
    section.body = "<p>A corrected paragraph.</p>"
    section.save()

    assert "A corrected paragraph." in page_of(client, story)


def test_a_deleted_takeaway_disappears_at_once(client, story):
    page_of(client, story)
    takeaway = story.takeaways.first()
    takeaway.delete()

    assert takeaway.text not in page_of(client, story)


def test_a_changed_headline_shows_at_once(client, story):
    page_of(client, story)
    story.headline = "A better headline"
    story.save()

    page = page_of(client, story)
    assert "<title>A better headline" in page
    assert '<h1 class="story__headline">A better headline</h1>' in page


@pytest.mark.parametrize(
    ("rename", "new_text"),
    [
        (lambda story: story.desk, "Arts and Culture"),
        (lambda story: story.bylines.get().author, "Renamed Reporter"),
        (lambda story: Tag.objects.get(name="Sora"), "SoraVideo"),
        (lambda story: story.cta_placements.get().call_to_action, "Talk to our strategists"),
    ],
    ids=["desk", "author", "tag", "call to action"],
)
def test_renaming_a_shared_row_changes_every_page_showing_it(client, story, rename, new_text):
    page_of(client, story)
    row = rename(story)
    if hasattr(row, "text"):
        row.text = new_text
    else:
        row.name = new_text
    row.save()

    assert new_text in page_of(client, story)


def test_merged_tags_show_the_surviving_name(client, story):
    page_of(client, story)
    survivor = Tag.objects.create(name="OpenAISora")

    survivor.absorb(Tag.objects.filter(name="Sora"))

    assert "#OpenAISora" in page_of(client, story)


def test_a_tag_added_to_a_story_shows_at_once(client, story):
    page_of(client, story)
    story.tags.add("Artists")

    assert "#Artists" in page_of(client, story)


def test_a_notice_shows_at_once(client, story):
    page_of(client, story)
    Notice.objects.create(article=story, kind=Notice.Kind.CORRECTION, text="We misnamed a studio.")

    assert "We misnamed a studio." in page_of(client, story)


def test_a_call_to_action_appears_when_its_campaign_starts(client, story):
    starts_at = timezone.now() + timedelta(hours=1)
    campaign = make_cta(text="Our launch week offer", starts_at=starts_at)
    story.cta_placements.create(call_to_action=campaign, position=5)
    assert "Our launch week offer" not in page_of(client, story)

    with mock.patch("django.utils.timezone.now", return_value=starts_at + timedelta(seconds=1)):
        assert "Our launch week offer" in page_of(client, story)


def test_unpublishing_takes_the_story_away_at_once(client, story, chief):
    page_of(client, story)

    workflow.take("unpublish", story, by=chief, note="Legal asked us to.")

    assert client.get(story.get_absolute_url()).status_code == 404


def test_the_page_is_rendered_for_the_address_it_is_read_at(client, story):
    page_of(client, story)

    page = client.get(story.get_absolute_url(), HTTP_HOST="localhost").content.decode()

    assert 'href="http://localhost/stories/' in page


def test_no_template_comment_or_tag_reaches_the_page(client, story):
    page = page_of(client, story)
    assert "{#" not in page
    assert "{%" not in page
