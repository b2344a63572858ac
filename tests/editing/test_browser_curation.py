"""An editor features a story in the admin, in Chromium, and the home page leads with it."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from articles.models import Pin
from tests.factories import make_article, make_user
from tests.test_browser import (  # noqa: F401  (autouse fixtures apply here too)
    fail_fast,
    log_in,
    no_content_security_policy_violations,
    nothing_sent_after_the_test,
    pytestmark,
    staff_screen_passes_axe,
)


def test_editor_features_a_story_and_the_home_page_leads_with_it(page, live_server, client):
    make_article(
        headline="Council budget explained", published_at=timezone.now() - timedelta(days=4)
    )
    make_article(headline="Newest news of the day")
    editor = make_user("edgar", groups=["Editor"])
    log_in(page, live_server, client, editor)

    page.goto(live_server.url + reverse("admin:articles_pin_add"))
    page.locator(".field-article .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill("budget")
    page.get_by_role("option", name="Council budget explained").click()
    expect(page.get_by_label("Page")).to_have_value("")  # the home page
    staff_screen_passes_axe(page, "#content")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("was added successfully")).to_be_visible()
    assert Pin.objects.get().created_by == editor

    page.context.clear_cookies()  # a reader now
    page.goto(live_server.url + reverse("articles:home"))
    lead = page.get_by_role("region", name="Lead story")
    expect(lead.get_by_role("heading")).to_have_text("Council budget explained")
    expect(lead.get_by_text("Featured", exact=True)).to_be_visible()


def test_home_page_with_a_featured_story_passes_axe(page, live_server):
    from axe_playwright_python.sync_playwright import Axe

    make_article(headline="Newest news of the day")
    Pin.objects.create(article=make_article(headline="Council budget explained"), position=0)
    Pin.objects.create(article=make_article(headline="A second pick"), position=1)

    page.goto(live_server.url + reverse("articles:home"))

    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def test_editor_reorders_the_picks_in_their_list(page, live_server, client):
    first = Pin.objects.create(article=make_article(headline="First pick"), position=0)
    second = Pin.objects.create(article=make_article(headline="Second pick"), position=1)
    log_in(page, live_server, client, make_user("edgar", groups=["Editor"]))

    page.goto(live_server.url + reverse("admin:articles_pin_changelist"))
    staff_screen_passes_axe(page, "#content")
    page.locator(f"input[name$='-position'][value='{second.position}']").fill("0")
    page.locator(f"input[name$='-position'][value='{first.position}']").fill("1")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("were changed successfully")).to_be_visible()

    page.context.clear_cookies()  # a reader now
    page.goto(live_server.url + reverse("articles:home"))
    lead = page.get_by_role("region", name="Lead story")
    expect(lead.get_by_role("heading")).to_have_text("Second pick")


def test_editor_pins_a_story_to_read_next_and_readers_see_it_first(page, live_server, client):
    story = make_article(headline="Heat wave grips the city", tags=["Heat"])
    make_article(headline="Another heat story", tags=["Heat"])
    make_article(
        headline="Council budget explained", published_at=timezone.now() - timedelta(days=40)
    )
    log_in(page, live_server, client, make_user("edgar", groups=["Editor"]))

    page.goto(live_server.url + reverse("admin:articles_article_change", args=[story.pk]))
    page.get_by_role("button", name="Add another pinned story to read next").click()
    page.locator("#read_next-0 .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill("budget")
    page.get_by_role("option", name="Council budget explained").click()
    staff_screen_passes_axe(page, "#content")
    page.get_by_role("button", name="Save and continue editing").first.click()
    expect(page.get_by_text("was changed successfully")).to_be_visible()

    page.context.clear_cookies()  # a reader now
    page.goto(live_server.url + story.get_absolute_url())
    read_next = page.get_by_role("complementary", name="Read next").get_by_role("link")
    expect(read_next.first).to_have_text("Council budget explained")
    expect(read_next.nth(1)).to_have_text("Another heat story")
