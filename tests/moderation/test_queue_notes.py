"""The review queues show a writer what an editor asked them to change, on the story's row."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from articles.moderation import workflow
from tests.factories import make_article, make_user
from tests.pages import visible_text

pytestmark = pytest.mark.django_db
Status = Article.Status
QUEUES = reverse("review:index")


def sent_back(*, writer, editor, notes, headline="A story sent back"):
    """A story the editor returned once per note, the writer resubmitting in between."""
    article = make_article(
        headline=headline, status=Status.IN_REVIEW, published_at=None, created_by=writer
    )
    start = timezone.now() - timedelta(hours=len(notes) * 2)
    for number, note in enumerate(notes):
        if number:
            workflow.take("submit", article, by=writer, now=start + timedelta(hours=number * 2))
        workflow.take(
            "request_changes",
            article,
            by=editor,
            note=note,
            now=start + timedelta(hours=number * 2 + 1),
        )
    return article


def queue_text(client, queue="changes") -> str:
    html = client.get(QUEUES).content.decode()
    section = re.search(rf'<section id="{queue}".*?</section>', html, re.S)
    return visible_text(section.group(0))


@pytest.fixture
def writer_client(client, writer):
    client.force_login(writer)
    return client


def test_writer_sees_the_editors_note_in_the_queue(writer_client, writer, editor):
    sent_back(writer=writer, editor=editor, notes=["Name the council's source."])

    assert "Name the council's source." in queue_text(writer_client)


def test_the_row_says_who_asked_for_the_changes(writer_client, writer, editor):
    sent_back(writer=writer, editor=editor, notes=["Name the council's source."])

    assert "Changes requested by edgar" in queue_text(writer_client)


def test_the_row_says_when_the_changes_were_asked_for(writer_client, writer, editor):
    sent_back(writer=writer, editor=editor, notes=["Name the council's source."])

    assert "1 hour ago" in queue_text(writer_client)


def test_only_the_newest_change_request_is_shown(writer_client, writer, editor):
    sent_back(writer=writer, editor=editor, notes=["First round: add a dek.", "Second round."])

    text = queue_text(writer_client)

    assert "Second round." in text
    assert "First round" not in text


def test_the_note_shows_in_the_writers_own_queue_too(writer_client, writer, editor):
    sent_back(writer=writer, editor=editor, notes=["Name the council's source."])

    assert "Name the council's source." in queue_text(writer_client, "mine")


def test_a_story_back_in_review_shows_no_old_note(writer_client, writer, editor):
    article = sent_back(writer=writer, editor=editor, notes=["Name the council's source."])
    workflow.take("submit", article, by=writer)

    assert "Name the council's source." not in writer_client.get(QUEUES).content.decode()


def test_a_note_with_markup_shows_as_text(writer_client, writer, editor):
    sent_back(writer=writer, editor=editor, notes=["Fix <script>alert(1)</script> this."])

    html = writer_client.get(QUEUES).content.decode()

    assert "<script>alert(1)</script>" not in html
    assert "Fix &lt;script&gt;" in html


def test_queue_queries_do_not_grow_with_the_stories_sent_back(client, editor):
    client.force_login(editor)
    writer = make_user(groups=["Writer"])
    sent_back(writer=writer, editor=editor, notes=["One."], headline="First")
    with CaptureQueriesContext(connection) as few:
        client.get(QUEUES)
    for number in range(5):
        sent_back(writer=writer, editor=editor, notes=["One.", "Two."], headline=f"More {number}")
    with CaptureQueriesContext(connection) as many:
        client.get(QUEUES)

    assert len(many) == len(few)
