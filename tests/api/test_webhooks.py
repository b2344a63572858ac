"""Webhooks, delivered to a real HTTP receiver on 127.0.0.1 (the `receiver` fixture) by the
real task worker (`manage.py run_worker`, run here until the queue is empty)."""

import hashlib
import hmac
import json
import time

import pytest
from django.db import transaction
from django.urls import reverse

from articles.api import tasks, webhooks
from articles.editing import stories
from articles.models import Article, Webhook, WebhookDelivery
from articles.moderation import workflow
from tests.factories import make_article
from tests.worker import run_worker

Event = Webhook.Event
Status = WebhookDelivery.Status

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def local_receivers(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    settings.WEBHOOK_RETRY_DELAYS = [0, 0]  # retry at once: the worker below runs them all


def hook_for(server, events=tuple(Event.values)):
    return Webhook.objects.create(name="Static site", url=server.url, events=list(events))


def test_publishing_posts_a_signed_event_that_verifies(receiver, editor):
    server = receiver()
    hook = hook_for(server)
    story = make_article(status=Article.Status.IN_REVIEW, published_at=None)
    workflow.take("publish", story, by=editor, note="Past the warnings")
    run_worker()
    ((headers, body),) = server.received
    assert json.loads(body)["event"] == "story.published"
    assert json.loads(body)["story"]["slug"] == story.slug
    assert webhooks.verify(hook.secret, body, headers["Newsroom-Signature"])


def test_the_signature_is_an_hmac_of_the_timestamp_and_body(receiver, editor):
    # Checked here without Newsroom's own code, as a receiver in another language would.
    server = receiver()
    hook = hook_for(server)
    workflow.take("unpublish", make_article(), by=editor, note="Pulled")
    run_worker()
    ((headers, body),) = server.received
    fields = dict(part.split("=", 1) for part in headers["Newsroom-Signature"].split(","))
    expected = hmac.new(hook.secret.encode(), f"{fields['t']}.".encode() + body, hashlib.sha256)
    assert fields["v1"] == expected.hexdigest()
    assert abs(int(fields["t"]) - time.time()) < 60


def test_a_signature_is_refused_with_another_body_secret_or_after_the_replay_window():
    body, now = b'{"event":"story.published"}', time.time()
    header = webhooks.sign("whsec_one", body, int(now))
    assert webhooks.verify("whsec_one", body, header, now=now)
    assert not webhooks.verify("whsec_one", body + b" ", header, now=now)
    assert not webhooks.verify("whsec_two", body, header, now=now)
    assert not webhooks.verify("whsec_one", body, header, now=now + webhooks.REPLAY_WINDOW + 1)


def test_each_event_reaches_only_the_hooks_that_want_it(receiver, chief):
    wants_deletions, wants_all = receiver(), receiver()
    hook_for(wants_deletions, events=[Event.DELETED])
    hook_for(wants_all)
    story = make_article()
    workflow.trash(story, by=chief)
    run_worker()
    assert [json.loads(body)["event"] for _, body in wants_deletions.received] == ["story.deleted"]
    assert len(wants_all.received) == 1


def test_saving_a_published_story_sends_updated(receiver):
    server = receiver()
    hook_for(server, events=[Event.UPDATED])
    story = make_article()
    story.headline = "A better headline"
    stories.save_story(story, by=None, summary="Fixed the headline")
    run_worker()
    ((_, body),) = server.received
    assert json.loads(body)["story"]["headline"] == "A better headline"


def test_saving_a_draft_sends_nothing(receiver):
    server = receiver()
    hook_for(server)
    stories.save_story(
        make_article(status=Article.Status.DRAFT, published_at=None), by=None, summary="Draft"
    )
    run_worker()
    assert server.received == []


def test_a_change_rolled_back_announces_nothing(receiver, editor):
    server = receiver()
    hook_for(server)
    story = make_article(status=Article.Status.IN_REVIEW, published_at=None)
    with pytest.raises(RuntimeError), transaction.atomic():
        workflow.take("publish", story, by=editor, note="Past the warnings")
        raise RuntimeError("the rest of the editor's change failed")
    run_worker()
    assert server.received == []
    assert not WebhookDelivery.objects.exists()


def test_a_failing_receiver_is_retried_and_each_attempt_logged(receiver, editor):
    server = receiver(statuses=[500, 503, 200])
    hook_for(server)
    workflow.take("unpublish", make_article(), by=editor, note="Pulled")
    run_worker()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.response_code) == (
        Status.DELIVERED,
        3,
        200,
    )
    assert [a.response_code for a in delivery.attempt_log.all()] == [500, 503, 200]
    assert len({body for _, body in server.received}) == 1  # the same body each time


def test_a_receiver_failing_past_the_last_retry_is_given_up(receiver, editor):
    server = receiver(statuses=[500])
    hook_for(server)
    workflow.take("unpublish", make_article(), by=editor, note="Pulled")
    run_worker()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (Status.FAILED, 3)
    assert delivery.error == "The receiver answered 500."


def test_a_retry_waits_for_its_delay(receiver, editor, settings):
    settings.WEBHOOK_RETRY_DELAYS = [3600]
    server = receiver(statuses=[500])
    hook_for(server)
    workflow.take("unpublish", make_article(), by=editor, note="Pulled")
    run_worker()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, len(server.received)) == (Status.RETRYING, 1)
    assert delivery.next_attempt_at is not None


def test_a_slow_receiver_does_not_slow_the_editors_publish(receiver, client, editor):
    server = receiver(delay=10)
    hook_for(server)
    story = make_article(status=Article.Status.IN_REVIEW, published_at=None)
    client.force_login(editor)
    started = time.monotonic()
    response = client.post(
        reverse("review:story", args=[story.pk]),
        {"decision": "publish", "seen": f"{story.status}:{story.version}", "note": "Go"},
    )
    publish_took = time.monotonic() - started
    assert response.status_code == 302
    assert Article.objects.get(pk=story.pk).status == Article.Status.PUBLISHED
    assert publish_took < 2
    run_worker()  # the worker, not the editor, waits for the receiver
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == Status.DELIVERED
    assert delivery.duration_ms >= 10_000


def test_a_private_address_is_refused_and_never_contacted(receiver, editor, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    server = receiver()
    hook_for(server)  # registered while allowed; refused when sent
    workflow.take("unpublish", make_article(), by=editor, note="Pulled")
    run_worker()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == Status.REFUSED
    assert "127.0.0.1" in delivery.error
    assert server.received == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://localhost/hook",
        "ftp://example.com/hook",
        "file:///etc/passwd",
    ],
)
def test_an_address_off_the_public_internet_is_unsafe(url, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    with pytest.raises(webhooks.UnsafeTarget):
        webhooks.check_target(url)


def test_a_delivered_event_is_not_sent_twice_when_its_task_runs_again(receiver, editor):
    server = receiver()
    hook_for(server)
    workflow.take("unpublish", make_article(), by=editor, note="Pulled")
    run_worker()
    tasks.deliver.enqueue(WebhookDelivery.objects.get().pk)
    run_worker()
    assert len(server.received) == 1
