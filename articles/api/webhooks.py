"""Webhooks: tell other systems when a story is published, updated, unpublished or deleted.

The workflow and the one write path (articles/moderation/workflow.py, articles/editing/
stories.py) call `announce`. Once their transaction commits, each active webhook that wants
the event gets a WebhookDelivery row and a task (articles/api/tasks.py) that the worker
(`manage.py run_worker`) runs: the editor's request never waits for a receiver, and a
rolled-back change announces nothing.

Each delivery is a JSON POST signed like Stripe's: the header

    Newsroom-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the secret>

lets the receiver check that the body came from us and is recent (`verify`, below, is the
check, for receivers written in Python). A failed delivery is retried after each of
WEBHOOK_RETRY_DELAYS, then marked failed.
"""

import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import socket
import ssl
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, DeliveryAttempt, Webhook, WebhookDelivery

logger = logging.getLogger(__name__)
Event = Webhook.Event
Status = WebhookDelivery.Status
SIGNATURE_HEADER = "Newsroom-Signature"
# A receiver refuses a delivery signed longer ago than this: a replayed request is stale.
REPLAY_WINDOW = 300
USER_AGENT = "Newsroom-Webhooks/1"


class UnsafeTarget(ValueError):
    """The address is not an http(s) address on the public internet."""


def announce(article: Article, event: str) -> None:
    """Send `event` about the story to the webhooks that want it, once the change commits."""
    transaction.on_commit(partial(enqueue_deliveries, article.pk, event), robust=True)


def enqueue_deliveries(story_id: int, event: str) -> list[WebhookDelivery]:
    from articles.api import tasks  # tasks.py imports this module

    hooks = [hook for hook in Webhook.objects.filter(is_active=True) if event in hook.events]
    if not hooks:
        return []
    story = Article.objects.select_related("desk").filter(pk=story_id).first()
    if story is None:  # gone before the commit's callbacks ran
        return []
    payload = {"event": event, "created_at": timezone.now().isoformat(), "story": summary(story)}
    deliveries = []
    for hook in hooks:
        delivery = WebhookDelivery.objects.create(
            webhook=hook, event=event, story=story, payload={**payload, "id": str(uuid.uuid4())}
        )
        tasks.deliver.enqueue(delivery.pk)
        deliveries.append(delivery)
    return deliveries


def summary(story: Article) -> dict:
    """What a receiver needs to act: which story, where it is, and where its whole text is."""
    site = settings.SITE_URL
    return {
        "id": story.pk,
        "slug": story.slug,
        "headline": story.headline,
        "dek": story.dek,
        "desk": story.desk.slug if story.desk else None,
        "status": story.status,
        "url": f"{site}{story.get_absolute_url()}",
        "api_url": f"{site}{reverse('api:story-detail', args=[story.slug])}",
        "published_at": story.published_at and story.published_at.isoformat(),
        "updated_at": story.updated_at.isoformat(),
    }


def sign(secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def verify(secret: str, body: bytes, header: str, *, now: float | None = None) -> bool:
    """True if the header signs this body with this secret, within the replay window."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs((now or time.time()) - timestamp) > REPLAY_WINDOW:
        return False
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, fields.get("v1", ""))


def check_target(url: str) -> str:
    """Return the IP address to send to, or raise UnsafeTarget.

    The address is resolved once, here, and the request goes to that IP: a name that
    resolves to a public address when checked and a private one when used (DNS rebinding)
    still reaches only the public one.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeTarget("Only http:// and https:// addresses can receive webhooks.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        found = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError) as error:
        raise UnsafeTarget(f"{parts.hostname} cannot be found ({error}).") from None
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in found]
    if not settings.WEBHOOK_ALLOW_PRIVATE_TARGETS:
        for address in addresses:
            address = getattr(address, "ipv4_mapped", None) or address
            if not address.is_global:
                raise UnsafeTarget(
                    f"{parts.hostname} is {address}, a private, loopback, link-local or "
                    "reserved address: webhooks go to the public internet only."
                )
    return str(addresses[0])


def validate_target(url: str) -> None:
    """For the admin's form: the same check a delivery makes."""
    try:
        check_target(url)
    except UnsafeTarget as error:
        raise ValidationError(str(error), code="unsafe") from None


class PinnedHTTPConnection(http.client.HTTPConnection):
    """Connect to the IP check_target chose, while the request names the host."""

    def __init__(self, host, port, *, ip, **kwargs):
        super().__init__(host, port, **kwargs)
        self.ip = ip

    def connect(self):
        self.sock = socket.create_connection((self.ip, self.port), self.timeout)


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host, port, *, ip, **kwargs):
        super().__init__(host, port, context=ssl.create_default_context(), **kwargs)
        self.ip = ip

    def connect(self):
        sock = socket.create_connection((self.ip, self.port), self.timeout)
        # The certificate must be the host's, whatever IP it answered on.
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(url: str, body: bytes, headers: dict) -> int:
    """POST the body to the checked address without following redirects; return the status."""
    ip = check_target(url)
    parts = urlsplit(url)
    kind = PinnedHTTPSConnection if parts.scheme == "https" else PinnedHTTPConnection
    connection = kind(parts.hostname, parts.port, ip=ip, timeout=settings.WEBHOOK_TIMEOUT)
    try:
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        response.read(4096)  # enough to finish the exchange; the body is not kept
        return response.status
    finally:
        connection.close()


@dataclass
class Outcome:
    started_at: datetime
    duration_ms: int
    response_code: int | None
    error: str
    status: str  # DELIVERED, RETRYING or REFUSED


def send(delivery: WebhookDelivery) -> Outcome:
    """Send the delivery once, signed now; outside any transaction, as it may take seconds."""
    body = json.dumps(delivery.payload, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Newsroom-Event": delivery.event,
        "Newsroom-Delivery": delivery.payload["id"],
        SIGNATURE_HEADER: sign(delivery.webhook.secret, body, int(time.time())),
    }
    started, clock = timezone.now(), time.monotonic()
    code, error, status = None, "", Status.DELIVERED
    try:
        code = post(delivery.webhook.url, body, headers)
        if not 200 <= code < 300:
            error, status = f"The receiver answered {code}.", Status.RETRYING
    except UnsafeTarget as refused:
        error, status = str(refused), Status.REFUSED
    except (OSError, http.client.HTTPException) as failure:  # refused, reset, timed out, TLS
        error, status = f"{type(failure).__name__}: {failure}", Status.RETRYING
    duration = round((time.monotonic() - clock) * 1000)
    return Outcome(started, duration, code, error, status)


def record(delivery: WebhookDelivery, outcome: Outcome) -> None:
    """Log the attempt and move the delivery on: delivered, retried later, or given up."""
    DeliveryAttempt.objects.create(
        delivery=delivery,
        started_at=outcome.started_at,
        response_code=outcome.response_code,
        duration_ms=outcome.duration_ms,
        error=outcome.error,
    )
    delivery.attempts += 1
    delivery.response_code = outcome.response_code
    delivery.duration_ms, delivery.error = outcome.duration_ms, outcome.error
    delays = settings.WEBHOOK_RETRY_DELAYS
    delivery.status, delivery.next_attempt_at = outcome.status, None
    if outcome.status == Status.RETRYING:
        if delivery.attempts > len(delays):
            delivery.status = Status.FAILED
            logger.warning(
                "Webhook %s gave up on delivery %s after %s attempts: %s",
                delivery.webhook, delivery.pk, delivery.attempts, outcome.error,
            )  # fmt: skip
        else:
            wait = timedelta(seconds=delays[delivery.attempts - 1])
            delivery.next_attempt_at = timezone.now() + wait
    delivery.save()
