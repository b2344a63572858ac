"""One history per story: the admin's History page merges decisions, saved versions and the
admin's change log; the edit page and the review page show the latest decisions and link to it."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles.editing import revisions
from articles.models import Article
from articles.moderation import workflow
from tests.factories import make_article
from tests.pages import assert_in_order, visible_text

pytestmark = pytest.mark.django_db
Status = Article.Status


def history_url(article):
    return reverse("admin:articles_article_history", args=[article.pk])


def at(minutes_ago):
    return timezone.now() - timedelta(minutes=minutes_ago)


def log_change(article, user, message, when):
    LogEntry.objects.log_actions(user.pk, [article], CHANGE, change_message=message)
    LogEntry.objects.filter(change_message=message).update(action_time=when)


@pytest.fixture
def story(writer, editor):
    """A story with one of each kind of history line, an hour apart, oldest first."""
    article = make_article(
        headline="A story with a past", status=Status.DRAFT, published_at=None, created_by=writer
    )
    revisions.record(article, by=writer, summary="First draft")
    article.revisions.update(created_at=at(240))
    workflow.take("submit", article, by=writer, note="Ready for a look.")
    workflow.take("request_changes", article, by=editor, note="Name the second source.")
    article.events.filter(action="submit").update(created_at=at(180))
    article.events.filter(action="request_changes").update(created_at=at(120))
    log_change(article, editor, "Changed the dek by hand.", at(60))
    second = revisions.record(article, by=writer, summary="Second source named")
    article.revisions.filter(pk=second.pk).update(created_at=at(30))
    return article


@pytest.fixture
def writer_client(client, writer):
    client.force_login(writer)
    return client


def page_text(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return visible_text(response.content.decode())


def test_history_merges_every_kind_newest_first(editor_client, story):
    assert_in_order(
        page_text(editor_client, history_url(story)),
        [
            "Version 2 saved: Second source named",
            "Changed the dek by hand.",
            "Request changes (In review → Changes requested)",
            "Submit for review (Draft → In review)",
            "Version 1 saved: First draft",
        ],
    )


def test_history_shows_the_notes_of_decisions(editor_client, story):
    text = page_text(editor_client, history_url(story))
    assert "Name the second source." in text
    assert "Ready for a look." in text


def test_history_names_who_did_each_thing(editor_client, story):
    rows = editor_client.get(history_url(story)).context["page"].object_list
    assert [entry.who for entry in rows] == ["wendy", "edgar", "edgar", "wendy", "wendy"]


def test_history_links_each_version_to_view_compare_restore_and_preview(editor_client, story):
    html = editor_client.get(history_url(story)).content.decode()
    version_1 = reverse("admin:articles_article_revision", args=[story.pk, 1])
    version_2 = reverse("admin:articles_article_revision", args=[story.pk, 2])
    assert f'href="{version_1}"' in html
    assert f'href="{version_2}?against=1"' in html
    assert f'href="{version_1}#restore"' in html
    assert reverse("admin:articles_article_revision_preview", args=[story.pk, 1]) in html


def test_the_current_version_offers_no_compare_or_restore(editor_client, story):
    html = editor_client.get(history_url(story)).content.decode()
    version_2 = reverse("admin:articles_article_revision", args=[story.pk, 2])
    assert f'href="{version_2}#restore"' not in html
    assert "?against=2" not in html


def test_writer_who_may_not_edit_sees_no_restore_link(writer_client, story):
    workflow.take("submit", story, by=story.created_by)  # now in review: not hers to change
    html = writer_client.get(history_url(story)).content.decode()
    assert "#restore" not in html
    assert "Version 1 saved" in visible_text(html)


def test_writer_sees_her_own_storys_history(writer_client, story):
    assert writer_client.get(history_url(story)).status_code == 200


def test_another_writer_is_refused_the_history(client, other_writer, story):
    client.force_login(other_writer)
    assert client.get(history_url(story)).status_code == 403


def test_a_story_address_that_is_not_a_number_is_404(editor_client):
    url = reverse("admin:articles_article_history", args=["not-a-story"])
    assert editor_client.get(url).status_code == 404


def test_long_history_is_paginated(editor_client, editor):
    article = make_article(status=Status.DRAFT, published_at=None)
    for number in range(60):
        workflow.comment(article, by=editor, text=f"Comment {number}")
    first = page_text(editor_client, history_url(article))
    second = page_text(editor_client, history_url(article) + "?p=2")
    assert "Comment 59" in first and "Comment 9" not in first
    assert "Comment 9" in second and "Comment 59" not in second
    assert "60 entries" in first


def test_a_page_number_that_is_not_one_shows_the_first_page(editor_client, story):
    assert "Version 2 saved" in page_text(editor_client, history_url(story) + "?p=abc")


def test_history_queries_do_not_grow_with_its_length(
    editor_client, editor, django_assert_max_num_queries
):
    short = make_article(status=Status.DRAFT, published_at=None)
    workflow.comment(short, by=editor, text="One comment.")
    revisions.record(short, by=editor)
    with CaptureQueriesContext(connection) as short_queries:
        editor_client.get(history_url(short))
    long = make_article(status=Status.DRAFT, published_at=None)
    for number in range(30):
        workflow.comment(long, by=editor, text=f"Comment {number}")
        revisions.record(long, by=editor)
        log_change(long, editor, f"Change {number}", timezone.now())
    with django_assert_max_num_queries(len(short_queries)):
        editor_client.get(history_url(long))


def test_history_breadcrumbs_lead_back_to_the_story(editor_client, story):
    html = editor_client.get(history_url(story)).content.decode()
    crumbs = visible_text(html.split('class="breadcrumbs"')[1].split("</ol>")[0])
    assert crumbs == "> Home Newsroom Articles A story with a past History"
    assert reverse("admin:articles_article_change", args=[story.pk]) in html
    assert reverse("review:story", args=[story.pk]) in html


def test_edit_page_shows_the_last_three_decisions_and_links_to_the_history(editor_client, story):
    workflow.take("submit", story, by=story.created_by, note="Third note.")
    workflow.comment(story, by=story.created_by, text="Fourth note.")
    html = editor_client.get(reverse("admin:articles_article_change", args=[story.pk])).content
    folded = visible_text(html.decode().split('class="story-history"')[1].split("</ol>")[0])
    assert_in_order(folded, ["Fourth note.", "Third note.", "Name the second source."])
    assert "Ready for a look." not in folded
    assert f'href="{history_url(story)}"' in html.decode()


def test_review_page_links_to_the_same_history(editor_client, story):
    html = editor_client.get(reverse("review:story", args=[story.pk])).content.decode()
    assert f'href="{history_url(story)}"' in html
    assert "Name the second source." in visible_text(html)


def test_review_page_queries_do_not_grow_with_the_history(
    editor_client, editor, django_assert_max_num_queries
):
    short = make_article(status=Status.IN_REVIEW, published_at=None)
    workflow.comment(short, by=editor, text="One comment.")
    with CaptureQueriesContext(connection) as short_queries:
        editor_client.get(reverse("review:story", args=[short.pk]))
    long = make_article(status=Status.IN_REVIEW, published_at=None)
    for number in range(30):
        workflow.comment(long, by=editor, text=f"Comment {number}")
    with django_assert_max_num_queries(len(short_queries)):
        editor_client.get(reverse("review:story", args=[long.pk]))
