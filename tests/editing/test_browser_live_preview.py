"""The live preview in a real browser: the readers' page beside the form, as the editor types."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.factories import make_article, make_user
from tests.test_browser import (  # noqa: F401 (fixtures)
    fail_fast,
    log_in,
    no_content_security_policy_violations,
    nothing_sent_after_the_test,
    pytestmark,
    staff_screen_passes_axe,
)


@pytest.fixture
def story():
    return make_article(headline="Ferries go electric", sections=2)


def open_preview(page, live_server, client, story):
    log_in(page, live_server, client, make_user("edna", groups=["Editor"]))
    page.goto(live_server.url + reverse("admin:articles_article_change", args=[story.pk]))
    page.get_by_role("button", name="Live preview").click()
    return page.frame_locator("#live-preview iframe")


def test_the_preview_follows_what_the_editor_types(page, live_server, client, story):
    preview = open_preview(page, live_server, client, story)
    expect(preview.get_by_role("heading", level=1)).to_have_text("Ferries go electric")
    page.get_by_label("Headline").fill("Ferries go electric by spring")
    expect(preview.get_by_role("heading", level=1)).to_have_text("Ferries go electric by spring")
    expect(page.get_by_role("status").filter(has_text="Preview up to date")).to_be_visible()
    staff_screen_passes_axe(page, "#live-preview")
    story.refresh_from_db()
    assert story.headline == "Ferries go electric"  # nothing saved


def test_the_preview_switches_to_a_phone_width(page, live_server, client, story):
    open_preview(page, live_server, client, story)
    page.get_by_role("button", name="Phone").click()
    expect(page.get_by_role("button", name="Phone")).to_have_attribute("aria-pressed", "true")
    frame = page.locator("#live-preview iframe")
    assert frame.bounding_box()["width"] == pytest.approx(390, abs=2)
