"""Scheduled stories are published by the task worker at their time: no cron job needed,
nothing early, and each once, however late the worker runs."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from articles.models import Article, ArticleEvent
from articles.moderation import workflow
from tests.factories import make_article
from tests.worker import run_worker

pytestmark = pytest.mark.django_db(transaction=True)
Status = Article.Status


def approved_story(writer):
    return make_article(status=Status.APPROVED, published_at=None, created_by=writer)


def schedule(story, editor, seconds: float):
    when = timezone.now() + timedelta(seconds=seconds)
    workflow.take("schedule", story, by=editor, when=when)
    return when


def wait_until(moment):
    time.sleep(max(0.0, (moment - timezone.now()).total_seconds()) + 0.1)


def status_of(story):
    return Article.objects.get(pk=story.pk).status


def test_scheduling_queues_the_publication_for_the_storys_time(editor, writer):
    when = schedule(approved_story(writer), editor, 3600)
    (task,) = DBTaskResult.objects.filter(task_path="articles.moderation.tasks.publish_when_due")
    assert task.run_after == when


def test_the_worker_publishes_at_the_storys_time_and_not_before(editor, writer, mailoutbox):
    story = approved_story(writer)
    when = schedule(story, editor, 1.5)
    mailoutbox.clear()
    run_worker()
    assert status_of(story) == Status.SCHEDULED
    wait_until(when)
    run_worker()
    assert status_of(story) == Status.PUBLISHED
    assert [message.to for message in mailoutbox] == [[writer.email]]


def test_after_an_outage_each_due_story_is_published_once(editor, writer, mailoutbox):
    first, second = approved_story(writer), approved_story(writer)
    schedule(first, editor, 1)
    when = schedule(second, editor, 1)
    mailoutbox.clear()
    wait_until(when)  # the worker is down past both times, then catches up
    run_worker()
    assert (status_of(first), status_of(second)) == (Status.PUBLISHED, Status.PUBLISHED)
    assert ArticleEvent.objects.filter(action="publish").count() == 2
    assert len(mailoutbox) == 2


def test_a_story_rescheduled_later_is_not_published_at_its_old_time(editor, writer):
    story = approved_story(writer)
    old_time = schedule(story, editor, 1)
    workflow.take("unschedule", Article.objects.get(pk=story.pk), by=editor)
    schedule(Article.objects.get(pk=story.pk), editor, 3600)
    wait_until(old_time)
    run_worker()
    assert status_of(story) == Status.SCHEDULED
