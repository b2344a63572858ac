"""The task worker picks up what a killed worker left running, and only that."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from articles.moderation import tasks

pytestmark = pytest.mark.django_db(transaction=True)


def left_running(minutes_ago: int) -> DBTaskResult:
    """A task a worker claimed, then died without finishing."""
    task = DBTaskResult.objects.get(pk=tasks.publish_when_due.enqueue(1).id)
    task.claim("killed-worker")
    DBTaskResult.objects.filter(pk=task.pk).update(
        started_at=timezone.now() - timedelta(minutes=minutes_ago)
    )
    return task


def run_worker() -> str:
    stderr = io.StringIO()
    call_command("run_worker", "--batch", stderr=stderr)
    return stderr.getvalue()


def test_a_task_left_running_by_a_killed_worker_is_run_again():
    task = left_running(minutes_ago=20)
    said = run_worker()
    task.refresh_from_db()
    assert task.status == "SUCCESSFUL"
    assert "Requeued 1 task(s)" in said


def test_a_task_another_worker_is_running_now_is_left_to_it():
    task = left_running(minutes_ago=1)
    assert run_worker() == ""
    task.refresh_from_db()
    assert task.status == "RUNNING"
