"""A Chief issues an API key in the admin, in Chromium, an integration reads with it, and the
Chief revokes it."""

from django.urls import reverse
from playwright.sync_api import expect

from tests.factories import make_article, make_user
from tests.test_browser import (  # noqa: F401  (autouse fixtures apply here too)
    fail_fast,
    log_in,
    no_content_security_policy_violations,
    nothing_sent_after_the_test,
    pytestmark,
    staff_screen_passes_axe,
)


def test_chief_issues_a_key_an_integration_reads_with_it_and_the_chief_revokes_it(
    page, live_server, client
):
    make_article(headline="Ferries go electric")
    log_in(page, live_server, client, make_user("charlotte", groups=["Chief"]))

    page.goto(live_server.url + reverse("admin:articles_apikey_add"))
    page.get_by_label("Name").fill("Mobile app")
    staff_screen_passes_axe(page, "#content")
    page.get_by_role("button", name="Save", exact=True).click()
    secret = page.get_by_label("Key for Mobile app").input_value()
    staff_screen_passes_axe(page, "#content")

    stories = live_server.url + reverse("api:story-list")
    answer = page.request.get(stories, headers={"Authorization": f"Key {secret}"})
    assert answer.status == 200
    assert answer.json()["results"][0]["headline"] == "Ferries go electric"

    page.get_by_role("link", name="Back to the API keys").click()
    page.get_by_role("checkbox", name="Select this object for an action - Mobile app").check()
    page.get_by_role("combobox", name="Action").select_option(label="Revoke the selected keys")
    page.get_by_role("button", name="Run").click()
    expect(page.get_by_text("1 key revoked")).to_be_visible()
    assert page.request.get(stories, headers={"Authorization": f"Key {secret}"}).status == 401
