"""The workflow's background work, run by the task worker (`manage.py run_worker`)."""

from django.tasks import task

from articles.moderation import workflow


@task
def publish_when_due(story_id: int) -> int:
    """Publish the scheduled stories whose time has come, and return how many.

    The workflow enqueues one for each story it schedules, to run at the story's time, so no
    cron job is needed. It publishes whatever is due, not only this story, and never twice:
    a task run late after an outage catches up, and one left behind by a rescheduled story
    finds nothing to do.
    """
    return len(workflow.publish_due())
