"""Whole journeys in a real browser: Playwright driving Debian's Chromium."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from articles.models import Article, CallToAction
from tests.conftest import CHROMIUM
from tests.factories import make_article, make_author, make_desk, make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not CHROMIUM,
        reason="Chromium not found: browser tests skipped (apt-get install -y chromium)",
    ),
]


@pytest.fixture(autouse=True)
def fail_fast(page):
    # Everything here is on loopback: a missing element is a bug, not a slow network.
    page.set_default_timeout(10_000)


@pytest.fixture(autouse=True)
def nothing_sent_after_the_test(page):
    """Closing the page makes it send what it sends on leaving (the autosave's beacon). On
    SQLite the live server shares the test's database connection, so a request landing while
    the test's rows are flushed can undo the flush and leave them to the next test: the page
    leaves, with every request refused, before the flush."""
    yield
    page.context.route("**/*", lambda route: route.abort())
    for open_page in page.context.pages:  # a test may have closed its first page for another
        open_page.goto("about:blank")


@pytest.fixture(autouse=True)
def no_content_security_policy_violations(page):
    """Every journey here runs under the site's enforced CSP: anything it blocks (an inline
    script or style, a foreign asset) is a broken page for a real user too."""
    blocked = []
    page.on(
        "console",
        lambda message: (
            blocked.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield
    assert blocked == []


@pytest.fixture
def story():
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


def log_in(page, live_server, client, user):
    """Sign the browser in as this user, the way the login form would leave it."""
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def test_editor_writes_a_story_with_every_part_in_the_admin(page, live_server, client):
    log_in(page, live_server, client, make_user("chief", superuser=True))
    make_author(name="Ana Ruiz")
    page.goto(live_server.url + reverse("admin:articles_article_add"))
    page.get_by_label("Headline").press_sequentially("Editors test the new CMS")
    expect(page.get_by_label("Slug")).to_have_value("editors-test-the-new-cms")
    page.get_by_label("Dek").fill("What changed on the desk this week.")
    page.get_by_role("button", name="Add another Byline").click()  # no empty row to start
    page.locator("#bylines-0 .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill("Ana")
    page.get_by_role("option", name="Ana Ruiz").click()
    tag_box = page.get_by_role("group", name="Desk and tags").get_by_role("searchbox")
    tag_box.fill("EthicalAI,")
    page.get_by_role("button", name="Add another Section").click()
    page.locator("#id_sections-0-heading").fill("What changed")
    editor = page.locator("#sections-0 [contenteditable='true']")
    editor.click()
    editor.type("The desk moved to a sectioned format.")
    page.get_by_role("button", name="Add another Takeaway").click()
    page.locator("#id_takeaways-0-text").fill("Stories now have sections.")
    page.get_by_role("button", name="Save and continue editing").first.click()
    expect(page.get_by_text("was added successfully")).to_be_visible()

    article = Article.objects.get()
    assert [b.author.name for b in article.bylines.all()] == ["Ana Ruiz"]
    assert list(article.tags.names()) == ["EthicalAI"]
    assert article.sections.get().body == "<p>The desk moved to a sectioned format.</p>"
    assert article.takeaways.get().text == "Stories now have sections."
    assert article.revisions.count() == 1


def test_editor_requests_changes_on_the_review_page(page, live_server, client, mailoutbox):
    writer = make_user("wendy", groups=["Writer"])
    editor = make_user("edgar", groups=["Editor"])
    article = make_article(
        headline="A story waiting for review",
        status=Article.Status.IN_REVIEW,
        published_at=None,
        created_by=writer,
    )
    log_in(page, live_server, client, editor)
    page.goto(live_server.url + reverse("review:index"))
    page.get_by_role("link", name="A story waiting for review").first.click()
    frame = page.frame_locator("iframe")
    expect(frame.get_by_role("heading", level=1)).to_have_text("A story waiting for review")
    expect(frame.get_by_text("Preview — not published.")).to_be_visible()

    page.get_by_label("Request changes").check()
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_text("Say what needs to change")).to_be_visible()

    page.get_by_label("Request changes").check()
    page.get_by_label("Note").fill("Please check the grant figure.")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_text("is now changes requested")).to_be_visible()
    expect(page.get_by_text("Please check the grant figure.")).to_be_visible()
    article.refresh_from_db()
    assert article.status == Article.Status.CHANGES_REQUESTED
    assert [m.to for m in mailoutbox] == [[writer.email]]

    page.get_by_role("link", name="History", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "History of “A story waiting for review”"
    )
    expect(page.get_by_role("row").filter(has_text="Request changes")).to_contain_text(
        "Please check the grant figure."
    )


@pytest.mark.parametrize("page_name", ["home", "story", "tag", "search"])
def test_reader_pages_have_no_accessibility_violations(page, live_server, story, page_name):
    from axe_playwright_python.sync_playwright import Axe

    url = {
        "home": reverse("articles:home"),
        "story": story.get_absolute_url(),
        "tag": reverse("articles:tag", args=["ethicalai"]),
        "search": reverse("articles:search") + "?q=story",
    }[page_name]
    page.goto(live_server.url + url)
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def test_reader_searches_narrows_to_a_desk_and_reads_the_next_page(page, live_server):
    sport, city = make_desk(name="Sport"), make_desk(name="City")
    for number in range(12):
        make_article(headline=f"Regatta result {number}", desk=sport)
    make_article(headline="Regatta closes the river", desk=city)

    page.goto(live_server.url + reverse("articles:home"))
    page.get_by_role("searchbox", name="Search stories").fill("regatta")
    page.get_by_role("searchbox", name="Search stories").press("Enter")
    expect(page.get_by_role("status")).to_have_text("13 stories found.")

    filters = page.get_by_role("search", name="Search with filters")
    filters.get_by_label("Desk").select_option(label="Sport")
    filters.get_by_role("button", name="Search").click()
    expect(page.get_by_role("status")).to_have_text("12 stories found.")
    page.get_by_role("link", name="More results →").click()
    results = page.locator(".search-results h2")
    expect(results).to_have_count(2)
    expect(results.filter(has_text="river")).to_have_count(0)


def test_keyboard_user_can_skip_to_the_content(page, live_server, story):
    page.goto(live_server.url + story.get_absolute_url())
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to the content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile("#main$"))


def test_outside_reviewer_comments_through_a_preview_link(page, live_server, client):
    # The comment form failed for every real reviewer (a CSRF 403 on `Origin: null`) while
    # the test client, which sends no Origin, passed.
    article = make_article(
        headline="A story for our lawyer", status=Article.Status.IN_REVIEW, published_at=None
    )
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    log_in(page, live_server, client, make_user("edgar", groups=["Editor"]))
    page.goto(live_server.url + reverse("review:story", args=[article.pk]))
    page.get_by_label("For whom").fill("Our lawyer")
    page.get_by_role("button", name="Create a preview link").click()
    page.get_by_role("button", name="Copy the address for Our lawyer").click()
    expect(page.get_by_text("Copied the address for Our lawyer.")).to_be_visible()
    address = page.evaluate("navigator.clipboard.readText()")
    assert address == page.get_by_label("Address of the preview link for Our lawyer").input_value()

    page.context.clear_cookies()  # the reviewer is not logged in
    page.goto(address)
    expect(page.get_by_role("heading", level=1)).to_have_text("A story for our lawyer")
    page.get_by_label("Your name").fill("Dana Price")
    page.get_by_role("textbox", name="Comment").fill("Paragraph 3 needs a source.")
    page.get_by_role("button", name="Send the comment").click()
    expect(page.get_by_text("Thank you: the editors have your comment.")).to_be_visible()

    log_in(page, live_server, client, make_user("edna", groups=["Editor"]))
    page.goto(live_server.url + reverse("review:story", args=[article.pk]))
    history = page.get_by_role("region", name="History")
    expect(history).to_contain_text("Dana Price (preview link for Our lawyer)")
    expect(history).to_contain_text("Paragraph 3 needs a source.")


def test_copy_button_selects_the_address_where_the_clipboard_api_is_missing(
    page, live_server, client
):
    # Served over plain HTTP on a LAN address, a page has no navigator.clipboard.
    editor = make_user("edgar", groups=["Editor"])
    article = make_article(status=Article.Status.IN_REVIEW, published_at=None)
    article.preview_links.create(
        label="Our lawyer", created_by=editor, expires_at=timezone.now() + timedelta(days=2)
    )
    page.add_init_script("Object.defineProperty(navigator, 'clipboard', {value: undefined})")
    log_in(page, live_server, client, editor)
    page.goto(live_server.url + reverse("review:story", args=[article.pk]))
    page.get_by_role("button", name="Copy the address for Our lawyer").click()
    expect(page.locator("#copy-status")).not_to_be_empty()
    address = page.get_by_label("Address of the preview link for Our lawyer")
    expect(address).to_be_focused()
    assert address.evaluate("field => field.selectionEnd - field.selectionStart") == len(
        address.input_value()
    )


def staff_screen_passes_axe(page, selector):
    """axe on the part of a staff screen this project draws (the admin's own frame aside)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, context=selector)
    assert results.violations_count == 0, results.generate_report()


def test_editor_signs_in_and_lands_on_the_page_the_link_named(page, live_server):
    editor = make_user("edgar", groups=["Editor"])
    editor.set_password("a long demo password")
    editor.save()
    page.goto(live_server.url + reverse("admin:login") + "?next=" + reverse("review:index"))
    page.get_by_label("Username").fill("edgar")
    page.get_by_label("Password").fill("a long demo password")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(live_server.url + reverse("review:index"))


def test_chief_moves_a_story_to_the_trash_and_is_told_so(page, live_server, client):
    article = make_article(headline="A story to retire")
    log_in(page, live_server, client, make_user("charlotte", groups=["Chief"]))
    page.goto(live_server.url + reverse("admin:articles_article_delete", args=[article.pk]))
    expect(page.get_by_role("heading", level=1)).to_have_text("Move this story to the trash?")
    staff_screen_passes_axe(page, "#content")
    page.get_by_role("button", name="Yes, move it to the trash").click()
    article.refresh_from_db()
    assert article.deleted_at is not None


def test_editor_is_told_at_once_that_a_vague_button_label_will_not_do(page, live_server, client):
    log_in(page, live_server, client, make_user("edgar", groups=["Editor"]))
    page.goto(live_server.url + reverse("admin:articles_calltoaction_add"))
    page.get_by_label("Internal name").fill("Strategists — consultation")
    page.get_by_label("Text").fill("Connect with one of our AI Strategists today.")
    page.get_by_label("Button label").fill("Click here")
    page.get_by_label("Link").fill("https://example.com/book")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".errorlist")).to_contain_text("Say what happens when readers press it")
    assert not CallToAction.objects.exists()


def test_review_page_with_its_preview_links_passes_axe(page, live_server, client):
    editor = make_user("edgar", groups=["Editor"])
    article = make_article(status=Article.Status.IN_REVIEW, published_at=None)
    article.preview_links.create(
        label="Our lawyer", created_by=editor, expires_at=timezone.now() + timedelta(days=2)
    )
    log_in(page, live_server, client, editor)
    page.goto(live_server.url + reverse("review:story", args=[article.pk]))
    expect(page.get_by_role("button", name="Copy the address for Our lawyer")).to_be_visible()
    staff_screen_passes_axe(page, "body")
