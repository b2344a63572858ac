"""The story page's "Read next" list: stored when stories change, read in one query."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import Article, ReadNext
from articles.moderation import workflow
from articles.reader import related
from tests.factories import make_article, make_desk

pytestmark = pytest.mark.django_db


def read_next_of(client, story) -> list[str]:
    response = client.get(story.get_absolute_url())
    assert response.status_code == 200
    return [item.headline for item in response.context["related"]]


def hours_ago(hours):
    return timezone.now() - timedelta(hours=hours)


def stored_list(story) -> list[int]:
    return list(
        ReadNext.objects.filter(story=story)
        .order_by("-pinned", "position")
        .values_list("related_id", flat=True)
    )


def test_a_new_story_sharing_a_tag_joins_the_list_of_the_stories_before_it(client):
    story = make_article(headline="Heat wave", tags=["Heat"])
    assert read_next_of(client, story) == []
    draft = make_article(headline="Cooling centres open", tags=["Heat"], status="draft")
    assert read_next_of(client, story) == []  # not until readers can see it

    workflow.take("publish", draft, by=None)

    assert read_next_of(client, story) == ["Cooling centres open"]


def test_a_publication_sharing_nothing_leaves_other_lists_as_they_are(client):
    story = make_article(headline="Heat wave", tags=["Heat"], desk=make_desk(name="Weather"))
    make_article(headline="Cooling centres open", tags=["Heat"])
    before = stored_list(story)

    make_article(headline="Budget vote", tags=["Budget"], desk=make_desk(name="Politics"))

    assert stored_list(story) == before


def test_a_story_taken_down_leaves_the_list_and_a_spare_takes_its_place(client, editor):
    story = make_article(headline="Heat wave", tags=["Heat"], published_at=hours_ago(9))
    for number in range(4):
        make_article(
            headline=f"Heat story {number}", tags=["Heat"], published_at=hours_ago(8 - number)
        )
    newest = Article.objects.get(headline="Heat story 3")
    assert read_next_of(client, story) == ["Heat story 3", "Heat story 2", "Heat story 1"]

    workflow.take("unpublish", newest, by=editor, note="Wrong figures.")

    assert read_next_of(client, story) == ["Heat story 2", "Heat story 1", "Heat story 0"]


def test_editors_pins_lead_the_list_and_survive_its_next_working_out(client):
    story = make_article(headline="Heat wave", tags=["Heat"], published_at=hours_ago(3))
    make_article(headline="Cooling centres open", tags=["Heat"], published_at=hours_ago(2))
    archive = make_article(headline="The 1976 heat wave", published_at=hours_ago(24 * 900))
    ReadNext.objects.create(story=story, related=archive, position=0)

    make_article(
        headline="Night temperatures break records", tags=["Heat"], published_at=hours_ago(1)
    )

    assert read_next_of(client, story) == [
        "The 1976 heat wave",
        "Night temperatures break records",
        "Cooling centres open",
    ]


def test_working_out_a_list_costs_the_same_queries_with_a_larger_archive():
    desk = make_desk(name="Weather")
    story = make_article(tags=["Heat", "City"], desk=desk)
    make_article(tags=["Heat"], desk=desk)

    def queries_to_work_out():
        with CaptureQueriesContext(connection) as queries:
            related.story_changed(story)
        return len(queries)

    few = queries_to_work_out()
    for number in range(related.CANDIDATES + 10):
        make_article(tags=["Heat", "City"] if number % 2 else ["Heat"], desk=desk)
    assert queries_to_work_out() == few
