"""Webhooks: addresses Chiefs register to be told when a story is published, updated,
unpublished or deleted, and the log of every delivery to them (articles/api/webhooks.py)."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone


def new_signing_secret() -> str:
    return f"whsec_{secrets.token_hex(24)}"


class Webhook(models.Model):
    class Event(models.TextChoices):
        PUBLISHED = "story.published", "A story is published"
        UPDATED = "story.updated", "A published story is saved"
        UNPUBLISHED = "story.unpublished", "A story is unpublished"
        DELETED = "story.deleted", "A published story is moved to the trash"

    name = models.CharField(
        max_length=100, help_text="Who receives it, e.g. “Static site rebuild” or “Newsletter”."
    )
    url = models.URLField(
        "address",
        max_length=500,
        help_text="An http(s) address on the internet; Newsroom POSTs each event to it as JSON.",
    )
    events = models.JSONField(default=list, help_text="The events this address is sent.")
    secret = models.CharField(
        "signing secret",
        max_length=60,
        default=new_signing_secret,
        editable=False,
        help_text="The receiver checks each delivery's Newsroom-Signature header with it.",
    )
    is_active = models.BooleanField(
        "active", default=True, help_text="Untick to stop sending without losing the log."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self):
        return self.name


class WebhookDelivery(models.Model):
    """One event sent to one webhook, with its attempts: the same body is sent each time."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        DELIVERED = "delivered", "Delivered"
        RETRYING = "retrying", "Failed; will retry"
        FAILED = "failed", "Failed; given up"
        REFUSED = "refused", "Refused: not a public address"

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40, choices=Webhook.Event)
    # The story the event is about; the payload keeps what it was when the event happened.
    story = models.ForeignKey(
        "articles.Article", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    payload = models.JSONField()
    status = models.CharField(max_length=20, choices=Status, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField("duration (ms)", null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    next_attempt_at = models.DateTimeField("next attempt", null=True, blank=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"{self.event} to {self.webhook}"


class DeliveryAttempt(models.Model):
    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    started_at = models.DateTimeField(default=timezone.now)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField("duration (ms)", null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["started_at", "pk"]

    def __str__(self):
        return f"{self.response_code or self.error[:40]} at {self.started_at:%H:%M:%S}"
