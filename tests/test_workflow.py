from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from articles import workflow
from articles.models import Article
from tests.factories import make_article

pytestmark = pytest.mark.django_db
Status = Article.Status


def test_editor_publishes_a_draft(editor):
    article = make_article(status=Status.DRAFT)
    now = timezone.now()
    workflow.publish(article, by=editor, now=now)
    article.refresh_from_db()
    assert (article.status, article.published_at) == (Status.PUBLISHED, now)


def test_writer_cannot_publish(writer):
    article = make_article(status=Status.DRAFT)
    with pytest.raises(PermissionDenied):
        workflow.publish(article, by=writer)
    article.refresh_from_db()
    assert article.status == Status.DRAFT


def test_republishing_keeps_the_first_publication_time(editor):
    first_time = timezone.now() - timedelta(days=3)
    article = make_article(published_at=first_time)
    workflow.unpublish(article, by=editor)
    workflow.publish(article, by=editor)
    article.refresh_from_db()
    assert article.published_at == first_time


def test_unpublished_story_leaves_the_reader_pages(editor, client):
    article = make_article()
    workflow.unpublish(article, by=editor)
    assert client.get(article.get_absolute_url()).status_code == 404


def test_publishing_a_published_story_is_an_invalid_transition(editor):
    with pytest.raises(workflow.InvalidTransition):
        workflow.publish(make_article(), by=editor)


def test_a_stale_copy_cannot_publish_again(editor):
    article = make_article(status=Status.DRAFT)
    stale_copy = Article.objects.get(pk=article.pk)
    workflow.publish(article, by=editor, now=timezone.now() - timedelta(hours=1))
    with pytest.raises(workflow.Conflict):
        workflow.publish(stale_copy, by=editor)
    stale_copy.refresh_from_db()
    assert stale_copy.published_at == article.published_at


@pytest.mark.parametrize(
    ("status", "expected"), [(Status.DRAFT, ["publish"]), (Status.PUBLISHED, ["unpublish"])]
)
def test_allowed_actions_offer_only_what_the_editor_may_do(editor, status, expected):
    assert workflow.allowed_actions(make_article(status=status), editor) == expected


def test_allowed_actions_offer_a_writer_nothing(writer):
    assert workflow.allowed_actions(make_article(status=Status.DRAFT), writer) == []
