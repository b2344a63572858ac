"""Two people edit one story in the admin at once, each in their own browser (Chromium)."""

import pytest
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from articles.editing import revisions
from articles.models import Article
from tests.conftest import CHROMIUM
from tests.factories import make_article, make_author, make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not CHROMIUM,
        reason="Chromium not found: browser tests skipped (apt-get install -y chromium)",
    ),
]


@pytest.fixture
def story():
    article = make_article(
        headline="Two editors, one story",
        dek="The dek as it was.",
        status=Article.Status.DRAFT,
        published_at=None,
        authors=[make_author(name="Ana Ruiz")],
    )
    revisions.record(article, summary="Created")
    return article


@pytest.fixture
def open_as(browser, live_server, story):
    """Open the story's change page in a browser of its own, signed in as a new user.

    Each browser runs under the site's enforced CSP: anything it blocks fails the test.
    """
    contexts, blocked = [], []

    def open_page(username, groups):
        client = Client()
        client.force_login(make_user(username, groups=groups))
        context = browser.new_context()
        contexts.append(context)
        cookie = client.cookies["sessionid"].value
        context.add_cookies([{"name": "sessionid", "value": cookie, "url": live_server.url}])
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.on(
            "console",
            lambda message: (
                blocked.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )
        page.goto(live_server.url + reverse("admin:articles_article_change", args=[story.pk]))
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert blocked == []


def save(page):
    page.get_by_role("button", name="Save and continue editing").first.click()


def test_stale_save_merges_the_chiefs_dek_with_the_editors_intro(open_as, story):
    chief = open_as("charlotte", ["Chief"])
    editor = open_as("edgar", ["Editor"])

    chief.get_by_label("Dek").fill("The chief's new dek.")
    save(chief)
    expect(chief.get_by_text("was changed successfully")).to_be_visible()

    intro = editor.locator("#sections-0 [contenteditable='true']")
    intro.click()
    editor.keyboard.press("Control+A")
    intro.type("The editor's new intro.")
    save(editor)
    expect(editor.get_by_text("Merged with charlotte's changes saved at")).to_be_visible()
    expect(editor.get_by_label("Dek")).to_have_value("The chief's new dek.")

    story.refresh_from_db()
    assert story.dek == "The chief's new dek."
    assert story.sections.first().body == "<p>The editor's new intro.</p>"
    assert story.revisions.count() == 3


def test_both_changing_the_dek_shows_both_and_saves_the_editors_choice(open_as, story):
    chief = open_as("charlotte", ["Chief"])
    editor = open_as("edgar", ["Editor"])

    chief.get_by_label("Dek").fill("The chief's dek.")
    save(chief)
    expect(chief.get_by_text("was changed successfully")).to_be_visible()

    editor.get_by_label("Dek").fill("The editor's dek.")
    editor.get_by_label("Headline").fill("The editor's headline")
    save(editor)
    conflicts = editor.get_by_role("region", name="both changed these")
    expect(conflicts).to_be_visible()
    expect(conflicts.get_by_role("row", name="Dek")).to_contain_text("The chief's dek.")
    expect(conflicts.get_by_role("row", name="Dek")).to_contain_text("The editor's dek.")
    story.refresh_from_db()
    assert story.dek == "The chief's dek."  # nothing is saved before the choice

    conflicts.get_by_label("Keep charlotte's").check()
    save(editor)
    expect(editor.get_by_text("Merged with charlotte's changes saved at")).to_be_visible()
    story.refresh_from_db()
    assert story.dek == "The chief's dek."
    assert story.headline == "The editor's headline"


def test_the_choice_between_both_versions_has_no_accessibility_violations(open_as, story):
    from axe_playwright_python.sync_playwright import Axe

    chief = open_as("charlotte", ["Chief"])
    editor = open_as("edgar", ["Editor"])
    chief.get_by_label("Dek").fill("The chief's dek.")
    save(chief)
    editor.get_by_label("Dek").fill("The editor's dek.")
    save(editor)
    expect(editor.get_by_role("region", name="both changed these")).to_be_visible()
    results = Axe().run(editor, context=".story-conflicts")
    assert results.violations_count == 0, results.generate_report()
