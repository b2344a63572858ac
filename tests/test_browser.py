"""Whole journeys in a real browser: Playwright driving Debian's Chromium."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from articles.models import Article
from tests.conftest import CHROMIUM
from tests.factories import make_article, make_author, make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM,
        reason="Chromium not found: browser tests skipped (apt-get install -y chromium)",
    ),
]


@pytest.fixture(autouse=True)
def fail_fast(page):
    # Everything here is on loopback: a missing element is a bug, not a slow network.
    page.set_default_timeout(10_000)


@pytest.fixture
def story(transactional_db):
    article = make_article(
        headline="A story in a real browser",
        takeaways=3,
        ctas=1,
        authors=[make_author(name="Ana Ruiz")],
        tags=["EthicalAI"],
    )
    return article


def test_reader_sees_the_takeaways_box_and_the_call_to_action(page, live_server, story):
    page.goto(live_server.url + story.get_absolute_url())
    takeaways = page.get_by_role("complementary", name="Key takeaways")
    expect(takeaways).to_be_visible()
    expect(takeaways.get_by_role("listitem")).to_have_count(3)
    button = page.get_by_role("link", name="Book a call")
    expect(button).to_be_visible()
    expect(button).to_have_attribute("href", "https://example.com/call")


def test_reader_follows_the_table_of_contents_and_a_hashtag(page, live_server, story):
    page.goto(live_server.url + story.get_absolute_url())
    page.get_by_role("navigation", name="In this story").get_by_role("link").first.click()
    expect(page).to_have_url(re.compile("#heading-1$"))
    page.get_by_role("link", name="#EthicalAI").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("#EthicalAI")
    expect(page.get_by_role("link", name="A story in a real browser")).to_be_visible()


def test_phone_reader_can_read_without_sideways_scrolling(page, live_server, story):
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(live_server.url + story.get_absolute_url())
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_editor_writes_and_publishes_a_story_in_the_admin(page, live_server, transactional_db):
    make_user("chief", superuser=True)
    make_author(name="Ana Ruiz")
    page.goto(live_server.url + reverse("admin:login"))
    page.get_by_label("Username").fill("chief")
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_role("button", name="Log in").click()

    page.goto(live_server.url + reverse("admin:articles_article_add"))
    page.get_by_label("Headline").press_sequentially("Editors test the new CMS")
    expect(page.get_by_label("Slug")).to_have_value("editors-test-the-new-cms")
    page.locator("#bylines-0 .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill("Ana")
    page.get_by_role("option", name="Ana Ruiz").click()
    tag_box = page.get_by_role("group", name="The story").get_by_role("searchbox")
    tag_box.fill("EthicalAI,")
    page.get_by_role("button", name="Add another Section").click()
    page.locator("#id_sections-0-heading").fill("What changed")
    editor = page.locator("#sections-0 .ProseMirror")
    editor.click()
    editor.type("The desk moved to a sectioned format.")
    page.get_by_role("button", name="Save and continue editing").first.click()
    expect(page.get_by_text("was added successfully")).to_be_visible()

    article = Article.objects.get()
    assert [b.author.name for b in article.bylines.all()] == ["Ana Ruiz"]
    assert list(article.tags.names()) == ["EthicalAI"]
    assert article.sections.get().body == "<p>The desk moved to a sectioned format.</p>"
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("is now published")).to_be_visible()
    page.goto(live_server.url + article.get_absolute_url())
    expect(page.get_by_role("heading", name="What changed")).to_be_visible()
