"""A Chief registers a webhook in the admin, in Chromium; a story is published, the worker
delivers it to a real receiver, and the Chief reads the delivery log."""

import json

from django.urls import reverse
from playwright.sync_api import expect

from articles.models import Webhook, WebhookDelivery
from articles.moderation import workflow
from tests.factories import make_article, make_user
from tests.test_browser import (  # noqa: F401  (autouse fixtures apply here too)
    fail_fast,
    log_in,
    no_content_security_policy_violations,
    nothing_sent_after_the_test,
    pytestmark,
    staff_screen_passes_axe,
)
from tests.worker import run_worker


def test_chief_registers_a_webhook_and_reads_its_delivery_log(
    page,
    live_server,
    client,
    receiver,
    settings,
):
    server = receiver()
    log_in(page, live_server, client, make_user("charlotte", groups=["Chief"]))

    # An address on the newsroom's own network is refused, with the reason.
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = False
    page.goto(live_server.url + reverse("admin:articles_webhook_add"))
    page.get_by_label("Name").fill("Static site")
    page.get_by_label("Address").fill(server.url)
    page.get_by_label("A story is published").check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("webhooks go to the public internet only")).to_be_visible()
    staff_screen_passes_axe(page, "#content")

    # Allowed on this machine (as WEBHOOK_ALLOW_PRIVATE_TARGETS=1 allows it), it saves.
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("was added successfully")).to_be_visible()
    page.locator("#result_list").get_by_role("link", name="Static site").click()
    secret = page.locator(".field-secret .readonly").inner_text()
    assert secret.startswith("whsec_")
    staff_screen_passes_axe(page, "#content")

    story = make_article(headline="Ferries go electric", status="in_review", published_at=None)
    workflow.take("publish", story, by=make_user("edgar", groups=["Editor"]), note="Go")
    run_worker()
    ((_, body),) = server.received
    assert json.loads(body)["story"]["headline"] == "Ferries go electric"

    page.get_by_role("link", name="Its delivery log").click()
    expect(page.get_by_role("cell", name="Delivered")).to_be_visible()
    staff_screen_passes_axe(page, "#content")
    page.locator("#result_list tbody th a").first.click()  # the delivery, with its attempts
    expect(page.get_by_text("story.published").first).to_be_visible()
    staff_screen_passes_axe(page, "#content")


def test_the_api_key_list_passes_axe(page, live_server, client):
    log_in(page, live_server, client, make_user("charlotte", groups=["Chief"]))
    page.goto(live_server.url + reverse("admin:articles_apikey_changelist"))
    staff_screen_passes_axe(page, "#content")


def test_chief_sends_a_failed_delivery_again_from_the_log(
    page, live_server, client, receiver, settings
):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    settings.WEBHOOK_RETRY_DELAYS = [3600]  # the next try would be in an hour
    server = receiver(statuses=[500, 200])
    Webhook.objects.create(name="Static site", url=server.url, events=["story.published"])
    story = make_article(headline="Ferries go electric", status="in_review", published_at=None)
    workflow.take("publish", story, by=make_user("edgar", groups=["Editor"]), note="Go")
    run_worker()
    log_in(page, live_server, client, make_user("charlotte", groups=["Chief"]))

    page.goto(live_server.url + reverse("admin:articles_webhookdelivery_changelist"))
    page.get_by_role("checkbox", name="Select this object for an action").first.check()
    page.get_by_role("combobox", name="Action").select_option(
        label="Send the selected deliveries again now"
    )
    page.get_by_role("button", name="Run").click()
    expect(page.get_by_text("1 delivery queued to be sent again")).to_be_visible()
    staff_screen_passes_axe(page, "#content")
    run_worker()
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.DELIVERED
    assert len(server.received) == 2
