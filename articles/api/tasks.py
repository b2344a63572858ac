"""Background work for integrations, on Django's tasks framework: `manage.py run_worker` runs
it (settings.TASKS)."""

from django.db import transaction
from django.tasks import task

from articles.api import webhooks
from articles.models import WebhookDelivery

Status = WebhookDelivery.Status


@task
def deliver(delivery_id: int) -> str:
    """Send one webhook delivery; if it fails, enqueue the next try for its time."""
    delivery = (
        WebhookDelivery.objects.select_related("webhook")
        .filter(pk=delivery_id, status__in=[Status.PENDING, Status.RETRYING])
        .first()
    )
    # Already delivered or given up (a task run twice sends nothing twice), or its webhook
    # was switched off since.
    if delivery is None or not delivery.webhook.is_active:
        return "skipped"
    outcome = webhooks.send(delivery)
    # The attempt's log line, the delivery's new state and its next try are kept together:
    # a worker stopped in between leaves no delivery waiting on a try that was never queued.
    with transaction.atomic():
        webhooks.record(delivery, outcome)
        if delivery.status == Status.RETRYING:
            deliver.using(run_after=delivery.next_attempt_at).enqueue(delivery_id)
    return delivery.status
