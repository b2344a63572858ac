"""What every background task may need: Django's tasks framework runs a task once, and a
task whose work can fail for a while (a mail server, a receiver) tries again itself."""

import logging
from datetime import timedelta

from django.utils import timezone

logger = logging.getLogger(__name__)


def retry_later(task, *args, attempt: int, delays: list[int]) -> bool:
    """Queue `task(*args, attempt=attempt + 1)` after the delay for this attempt; return
    False, queueing nothing, once every delay has been used."""
    if attempt > len(delays):
        return False
    run_after = timezone.now() + timedelta(seconds=delays[attempt - 1])
    task.using(run_after=run_after).enqueue(*args, attempt=attempt + 1)
    return True


def try_again_or_fail(task, *args, attempt: int, delays: list[int], error, what: str) -> str:
    """Queue the next try and log why, or re-raise the error once the tries are used up, so
    that the task fails and Chiefs see it."""
    if not retry_later(task, *args, attempt=attempt, delays=delays):
        raise error
    logger.warning("Could not %s (%s: %s); will try again.", what, type(error).__name__, error)
    return "retrying"


# What each task is, in the words of the people who see it fail.
TASK_LABELS = {
    "newsroom.mail.send_message": "Sending an email",
    "articles.moderation.tasks.publish_when_due": "Publishing scheduled stories",
    "articles.api.tasks.deliver": "Sending a webhook",
    "articles.editing.tasks.make_renditions": "Resizing a story's picture",
    "articles.editing.tasks.make_thumbnail": "Making a library picture's thumbnail",
    "articles.reader.tasks.refresh_indexes": "Updating search and read-next lists for a story",
}


def failed_recently(days: int = 7, limit: int = 10) -> list[dict]:
    """Background work that failed for good in the last `days`, newest first."""
    from django_tasks_db.models import DBTaskResult  # an app's models: after set-up

    failed = DBTaskResult.objects.filter(
        status="FAILED", finished_at__gte=timezone.now() - timedelta(days=days)
    ).order_by("-finished_at")[:limit]
    return [
        {
            "pk": result.pk,
            "label": TASK_LABELS.get(result.task_path, result.task_path),
            "finished_at": result.finished_at,
            # A traceback's last line is the exception and its message.
            "reason": (result.traceback.strip().splitlines() or [""])[-1],
        }
        for result in failed
    ]


def requeue_abandoned(started_before) -> int:
    """Put back in the queue the tasks marked running since before this time: a worker that
    was killed (not stopped: a stopped one finishes its task first) never finishes them.

    Each of our tasks is safe to run again: a webhook delivery or a scheduled publication
    that was done is not done twice. An email whose worker was killed after the mail server
    took it, and before the task was marked done, goes out twice: at least once, not lost.
    """
    from django_tasks_db.models import DBTaskResult  # an app's models: after set-up

    return DBTaskResult.objects.filter(status="RUNNING", started_at__lt=started_before).update(
        status="READY", started_at=None
    )
