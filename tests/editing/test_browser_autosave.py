"""Autosave in a real browser (Chromium): typing survives a closed tab and a failed save."""

import time
from pathlib import Path

import pytest
from django.http import QueryDict
from django.urls import reverse
from playwright.sync_api import expect

from articles.editing import revisions
from articles.editing.autosave import keep_autosave
from articles.models import Article, Autosave
from tests.factories import make_article, make_author, make_user
from tests.test_browser import (  # noqa: F401 (autouse fixtures)
    fail_fast,
    log_in,
    no_content_security_policy_violations,
    nothing_sent_after_the_test,
    pytestmark,
    staff_screen_passes_axe,
)

# The rich-text editor of the first section (its toolbar is a .ProseMirror too).
INTRO = "#sections-0 [contenteditable=true]"
SITE_503_PAGE = (Path(__file__).resolve().parents[2] / "templates" / "503.html").read_text()


@pytest.fixture
def writer():
    return make_user("wendy", groups=["Writer"])


@pytest.fixture
def story(writer):
    article = make_article(
        headline="A story typed in a hurry",
        dek="The dek as saved.",
        status=Article.Status.DRAFT,
        published_at=None,
        authors=[make_author(name="Ana Ruiz")],
        created_by=writer,
    )
    revisions.record(article, by=writer, summary="Created")
    return article


def change_url(live_server, story):
    return live_server.url + reverse("admin:articles_article_change", args=[story.pk])


def save(page):
    page.get_by_role("button", name="Save and continue editing").first.click()


def wait_until_kept(writer, dek):
    """Wait for the autosave that has the whole of the typing (the script's interval)."""
    for _ in range(50):
        kept = Autosave.objects.filter(user=writer).first()
        if kept and kept.data.get("dek") == [dek]:
            return
        time.sleep(0.1)
    raise AssertionError(f"no autosave with the dek {dek!r}")


def test_writer_gets_back_what_she_typed_before_closing_the_tab(
    page, live_server, client, settings, story, writer
):
    settings.AUTOSAVE_SECONDS = 1
    log_in(page, live_server, client, writer)
    page.goto(change_url(live_server, story))
    intro = page.locator(INTRO)
    intro.click()
    page.keyboard.press("End")
    intro.type(" The council voted to")
    page.get_by_label("Dek").fill("Half a senten")
    expect(page.get_by_role("status").filter(has_text="Saved as draft copy")).to_be_visible()
    wait_until_kept(writer, "Half a senten")
    page.close()

    page = page.context.new_page()
    page.goto(change_url(live_server, story))
    expect(page.get_by_text("You have unsaved changes from")).to_be_visible()
    staff_screen_passes_axe(page, "#autosave")
    page.get_by_role("link", name="Restore them").click()
    expect(page.get_by_text("nothing is saved until you save")).to_be_visible()
    expect(page.get_by_label("Dek")).to_have_value("Half a senten")
    expect(page.locator(INTRO)).to_contain_text("The council voted to")
    story.refresh_from_db()
    assert story.dek == "The dek as saved."

    save(page)
    expect(page.get_by_text("was changed successfully")).to_be_visible()
    story.refresh_from_db()
    assert story.dek == "Half a senten"
    assert "The council voted to" in story.sections.order_by("position").first().body
    assert not Autosave.objects.exists()


def save_while_the_database_is_down(page, url):
    """Save the story at url and get the site's 503 page, as when the database is away."""

    def database_down(route):
        if route.request.method == "POST":
            route.fulfill(status=503, body=SITE_503_PAGE, content_type="text/html; charset=utf-8")
        else:
            route.continue_()

    def the_story(address):
        return address == url

    page.route(the_story, database_down)
    save(page)
    expect(page.get_by_role("heading", name="We’re back in a moment")).to_be_visible()
    page.unroute(the_story)


def test_text_of_a_save_that_failed_is_offered_back_from_the_browser(
    page, live_server, client, settings, story, writer
):
    settings.AUTOSAVE_SECONDS = 600  # the server never hears of it: only the browser has it
    url = change_url(live_server, story)
    log_in(page, live_server, client, writer)
    page.goto(url)
    page.get_by_label("Dek").fill("Typed while the database was down.")
    save_while_the_database_is_down(page, url)

    page.goto(url)
    expect(page.get_by_text("This browser kept changes from")).to_be_visible()
    page.get_by_role("button", name="Restore them").click()
    expect(page.get_by_text("nothing is saved until you save")).to_be_visible()
    expect(page.get_by_label("Dek")).to_have_value("Typed while the database was down.")
    save(page)
    expect(page.get_by_text("was changed successfully")).to_be_visible()
    story.refresh_from_db()
    assert story.dek == "Typed while the database was down."
    expect(page.get_by_text("This browser kept changes from")).to_be_hidden()


def test_leaving_the_page_sends_what_was_typed_since_the_last_autosave(
    page, live_server, client, settings, story, writer
):
    settings.AUTOSAVE_SECONDS = 600
    log_in(page, live_server, client, writer)
    page.goto(change_url(live_server, story))
    page.get_by_label("Dek").fill("Typed just before leaving")
    page.goto(live_server.url + reverse("admin:articles_article_changelist"))
    wait_until_kept(writer, "Typed just before leaving")


def test_ctrl_s_saves_the_story_and_stays_on_it(page, live_server, client, story, writer):
    url = change_url(live_server, story)
    log_in(page, live_server, client, writer)
    page.goto(url)
    page.get_by_label("Dek").fill("Saved from the keyboard.")
    page.keyboard.press("Control+s")
    expect(page.get_by_text("was changed successfully")).to_be_visible()
    expect(page).to_have_url(url)
    story.refresh_from_db()
    assert story.dek == "Saved from the keyboard."


def test_writer_discards_the_unsaved_changes_offered_to_her(
    page, live_server, client, story, writer
):
    keep_autosave(
        article=story, user=writer, data=QueryDict(f"dek=Never+mind&loaded_version={story.version}")
    )
    log_in(page, live_server, client, writer)
    page.goto(change_url(live_server, story))
    expect(page.get_by_text("You have unsaved changes from")).to_be_visible()
    page.get_by_role("button", name="Discard").first.click()
    expect(page.get_by_text("You have unsaved changes from")).to_be_hidden()
    for _ in range(50):  # the discard is posted in the background
        if not Autosave.objects.exists():
            break
        time.sleep(0.1)
    assert not Autosave.objects.exists()
    page.reload()
    expect(page.get_by_text("You have unsaved changes from")).to_have_count(0)


def kept_in_browser(page):
    return page.evaluate(
        "Object.keys(localStorage).filter(key => key.startsWith('newsroom:autosave:'))"
    )


def test_signing_out_offers_to_forget_writing_the_server_never_got(
    page, live_server, client, settings, story, writer
):
    settings.AUTOSAVE_SECONDS = 600  # the server never hears of it: only the browser has it
    url = change_url(live_server, story)
    log_in(page, live_server, client, writer)
    page.goto(url)
    page.get_by_label("Dek").fill("Typed on the library's computer.")
    save_while_the_database_is_down(page, url)
    page.goto(live_server.url + reverse("admin:index"))

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("never reached the server (one story)")).to_be_visible()
    staff_screen_passes_axe(page, "#content")
    assert len(kept_in_browser(page)) == 1
    page.get_by_role("button", name="Forget it on this computer").click()
    expect(page.get_by_text("this browser keeps none of your writing")).to_be_visible()
    assert kept_in_browser(page) == []


def test_signing_out_forgets_the_copies_the_server_has(
    page, live_server, client, settings, story, writer
):
    settings.AUTOSAVE_SECONDS = 1
    log_in(page, live_server, client, writer)
    page.goto(change_url(live_server, story))
    page.get_by_label("Dek").fill("Kept on the server as well.")
    expect(page.get_by_role("status").filter(has_text="Saved as draft copy")).to_be_visible()
    assert len(kept_in_browser(page)) == 1

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    # The page's script runs once the page is read: wait for it to have forgotten the copy.
    # Polled from here: wait_for_function() polls with eval(), which the page's CSP refuses.
    for _ in range(100):
        if not kept_in_browser(page):
            break
        page.wait_for_timeout(50)
    assert kept_in_browser(page) == []
    expect(page.get_by_text("never reached the server")).to_be_hidden()
