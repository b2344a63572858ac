"""The story writing screen in Chromium: its size, its accessibility, keyboard and drag journeys."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from articles.editing.importers import import_story
from articles.editing.story_format import parse_story
from articles.models import Article
from articles.moderation import workflow
from tests.factories import make_article, make_author, make_user
from tests.test_browser import (  # noqa: F401 (fixtures)
    fail_fast,
    log_in,
    no_content_security_policy_violations,
    nothing_sent_after_the_test,
    pytestmark,
    staff_screen_passes_axe,
)

Status = Article.Status


def change_url(live_server, article):
    return live_server.url + reverse("admin:articles_article_change", args=[article.pk])


@pytest.fixture
def seed_story(reference_story_text):
    return import_story(parse_story(reference_story_text))


def press_until(page, key, is_there, limit=150):
    """Press a key (Tab, Shift+Tab) until the focused element passes the test; fail if never."""
    for _ in range(limit):
        page.keyboard.press(key)
        if page.evaluate(is_there):
            return
    raise AssertionError(f"{key} never reached the element ({is_there})")


def focus_named(name):
    """A test (JavaScript) that the focused element is called this, by its label or its text."""
    return (
        "(() => { const e = document.activeElement;"
        " const name = (e.getAttribute('aria-label') || e.value || e.textContent || '').trim();"
        f" return name.startsWith({name!r}); }})()"
    )


def focus_id(element_id):
    return f"document.activeElement.id === {element_id!r}"


def test_seed_story_fits_in_2500_pixels_with_the_secondary_panels_closed(
    page, live_server, client, seed_story
):
    log_in(page, live_server, client, make_user("edgar", groups=["Editor"]))
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(change_url(live_server, seed_story))
    expect(page.get_by_label("Headline")).to_have_value(seed_story.headline)
    assert page.evaluate("document.documentElement.scrollHeight") <= 2500


def test_seed_story_writing_screen_passes_axe(page, live_server, client, seed_story):
    log_in(page, live_server, client, make_user("edgar", groups=["Editor"]))
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(change_url(live_server, seed_story))
    expect(page.get_by_role("heading", name="Before review")).to_be_visible()
    staff_screen_passes_axe(page, "body")


def test_story_list_shows_every_column_at_1280_pixels(page, live_server, client):
    authors = [make_author(name="Priya Natarajan"), make_author(name="Tom Reyes")]
    for number in range(3):
        make_article(
            headline=f"Open-Source Community Weather Model Outperforms Forecasts, part {number}",
            authors=authors,
            assignee=make_user(f"assignee{number}"),
        )
    log_in(page, live_server, client, make_user("charlotte", groups=["Chief"]))
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(live_server.url + reverse("admin:articles_article_changelist"))
    expect(page.get_by_role("columnheader", name="Updated")).to_be_visible()
    clipped = page.evaluate(
        "(() => { const r = document.querySelector('#changelist .results');"
        " return r.scrollWidth - r.clientWidth; })()"
    )
    assert clipped <= 0


def test_writer_writes_orders_and_submits_a_story_with_the_keyboard_alone(
    page, live_server, client
):
    writer = make_user("wanda", groups=["Writer"])
    log_in(page, live_server, client, writer)
    page.goto(live_server.url + reverse("admin:articles_article_add"))
    expect(page.get_by_label("Headline")).to_be_focused()
    page.keyboard.type("Ferries go electric")
    for number, heading in enumerate(["What changed", "Why now"]):
        press_until(page, "Tab", focus_named("Add another Section"))
        page.keyboard.press("Enter")
        press_until(page, "Shift+Tab", focus_id(f"id_sections-{number}-heading"))
        page.keyboard.type(heading)
        page.keyboard.press("Tab")
        page.keyboard.type(f"The text under “{heading}”.")
    press_until(page, "Shift+Tab", focus_named("Move up: Section 2"))
    page.keyboard.press("Enter")
    expect(page.locator("#story-editor-announcer")).to_have_text("Section 2 moved to position 1.")
    press_until(page, "Tab", focus_named("Save and continue editing"))
    page.keyboard.press("Enter")
    expect(page.get_by_text("was added successfully")).to_be_visible()
    press_until(page, "Tab", focus_named("Submit for review"))
    page.keyboard.press("Enter")
    expect(page.get_by_text("is now in review")).to_be_visible()

    article = Article.objects.get()
    assert article.status == Status.IN_REVIEW
    assert [s.heading for s in article.sections.all()] == ["Why now", "What changed"]


def test_new_section_dragged_above_the_first_is_saved_first(page, live_server, client):
    editor = make_user("edgar", groups=["Editor"])
    article = make_article(status=Status.DRAFT, published_at=None, sections=1)
    log_in(page, live_server, client, editor)
    page.goto(change_url(live_server, article))
    page.get_by_role("button", name="Add another Section").click()
    page.locator("#id_sections-1-heading").fill("Dragged to the top")
    page.locator("#sections-1 [contenteditable='true']").click()
    page.keyboard.type("Written before the first save.")
    page.locator("#sections-1 .story-row__grip").drag_to(
        page.locator("#sections-0 .story-row__grip")
    )
    expect(page.locator(".story-row:not(.empty-form) input[name$='-heading']").first).to_have_value(
        "Dragged to the top"
    )
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.get_by_text("was changed successfully")).to_be_visible()
    assert article.sections.first().heading == "Dragged to the top"
    assert article.sections.count() == 2


def test_writer_reads_the_change_request_and_resubmits_with_a_note(page, live_server, client):
    writer = make_user("wanda", groups=["Writer"])
    editor = make_user("edgar", groups=["Editor"])
    article = make_article(status=Status.IN_REVIEW, published_at=None, created_by=writer)
    workflow.take("request_changes", article, by=editor, note="Name the funder in the intro.")
    log_in(page, live_server, client, writer)
    page.goto(change_url(live_server, article))
    request = page.get_by_role("region", name="Changes requested", exact=True)
    expect(request).to_contain_text("Name the funder in the intro.")
    expect(request).to_contain_text("edgar asked for changes")
    page.get_by_label("What I changed").fill("The Ferrand Trust is named in the intro.")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.get_by_text("is now in review")).to_be_visible()
    page.locator("summary").filter(has_text="History").click()
    expect(page.locator(".story-history")).to_contain_text(
        "The Ferrand Trust is named in the intro."
    )
    assert article.events.last().note == "The Ferrand Trust is named in the intro."


def test_section_added_here_is_saved_where_it_was_added(page, live_server, client):
    article = make_article(status=Status.DRAFT, published_at=None, sections=2)
    first, second = article.sections.all()
    log_in(page, live_server, client, make_user("edgar", groups=["Editor"]))
    page.goto(change_url(live_server, article))
    page.get_by_role("button", name="Add a section after Section 1").click()
    expect(page.locator("#story-editor-announcer")).to_have_text("New section added at position 2.")
    page.keyboard.type("In between")
    page.keyboard.press("Tab")
    page.keyboard.type("Added between the two.")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.get_by_text("was changed successfully")).to_be_visible()
    headings = list(article.sections.values_list("heading", flat=True))
    assert headings == [first.heading, "In between", second.heading]


def test_story_text_fields_are_spellchecked(page, live_server, client):
    article = make_article(status=Status.DRAFT, published_at=None)
    log_in(page, live_server, client, make_user("edgar", groups=["Editor"]))
    page.goto(change_url(live_server, article))
    expect(page.locator("#sections-0 [contenteditable='true']")).to_be_visible()
    unchecked = page.evaluate(
        "[...document.querySelectorAll('.story-editor__main :is(textarea, [contenteditable=true],"
        " input[type=text])')].filter(e => !e.spellcheck).map(e => e.id || e.className)"
    )
    assert unchecked == []


def test_side_panel_sits_below_the_story_on_a_narrow_screen(page, live_server, client):
    article = make_article(status=Status.DRAFT, published_at=None)
    log_in(page, live_server, client, make_user("edgar", groups=["Editor"]))
    page.set_viewport_size({"width": 800, "height": 800})
    page.goto(change_url(live_server, article))
    story = page.locator(".story-editor__main").bounding_box()
    panel = page.get_by_role("complementary", name="About this story").bounding_box()
    assert panel["y"] >= story["y"] + story["height"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 800


def test_writers_queue_with_a_change_request_passes_axe(page, live_server, client):
    writer, editor = make_user("wendy", groups=["Writer"]), make_user("edgar", groups=["Editor"])
    story = make_article(
        headline="A story sent back",
        status=Article.Status.IN_REVIEW,
        published_at=None,
        created_by=writer,
    )
    workflow.take("request_changes", story, by=editor, note="Name the second source.")
    log_in(page, live_server, client, writer)
    page.goto(live_server.url + reverse("review:index"))
    expect(page.get_by_text("Name the second source.").first).to_be_visible()
    staff_screen_passes_axe(page, "body")


def test_a_rows_error_moves_with_the_row(page, live_server, client):
    ana, ben = make_author(name="Ana Ruiz"), make_author(name="Ben Okafor")
    article = make_article(status=Status.DRAFT, published_at=None, authors=[ana, ben])
    log_in(page, live_server, client, make_user("edgar", groups=["Editor"]))
    page.goto(change_url(live_server, article))
    page.locator("#bylines-1 .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill("Ana")
    page.get_by_role("option", name="Ana Ruiz").click()
    page.get_by_role("button", name="Save and continue editing").click()
    error = page.locator("#bylines-group .row-form-errors")
    expect(error).to_contain_text("This author already has a byline on this story.")

    page.get_by_role("button", name="Move up: Byline 2").click()
    first_two = page.locator("#bylines-group tbody > tr")
    expect(first_two.nth(0)).to_have_class("row-form-errors")
    expect(first_two.nth(1)).to_have_id("bylines-1")


GOOGLE_DOCS_CLIPBOARD = (
    '<meta charset="utf-8"><b style="font-weight:normal;" id="docs-internal-guid-1a2b">'
    '<h1 dir="ltr"><span style="font-size:20pt">Council votes</span></h1>'
    '<p dir="ltr" style="line-height:1.38"><span style="font-size:11pt;font-family:Arial">'
    'Residents <span style="font-style:italic">welcomed</span> it.</span></p>'
    "<table><tr><td>Votes</td><td>7</td></tr></table></b>"
)


WORD_CLIPBOARD = (
    '<html xmlns:o="urn:schemas-microsoft-com:office:office"><head><style>'
    "p.MsoNormal { margin: 0cm; font-family: Calibri }</style></head><body>"
    '<p class="MsoNormal"><b>Residents</b> <span style="font-style:italic">welcomed</span>'
    ' it.<o:p></o:p></p><h2 class="MsoHeading2">Votes 7</h2></body></html>'
)


def paste_into_the_first_section(page, clipboard_html):
    body = page.locator("#sections-0 [contenteditable='true']")
    body.click()
    page.keyboard.press("Control+A")
    body.evaluate(
        """(editor, html) => {
            const clipboard = new DataTransfer();
            clipboard.setData("text/html", html);
            clipboard.setData("text/plain", editor.textContent);
            editor.dispatchEvent(new ClipboardEvent("paste", { clipboardData: clipboard }));
        }""",
        clipboard_html,
    )
    expect(body).to_contain_text("welcomed")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.get_by_text("was changed successfully")).to_be_visible()


def test_text_pasted_from_word_keeps_its_words_and_loses_its_styling(page, live_server, client):
    article = make_article(status=Status.DRAFT, published_at=None, sections=1)
    log_in(page, live_server, client, make_user("edgar", groups=["Editor"]))
    page.goto(change_url(live_server, article))
    paste_into_the_first_section(page, WORD_CLIPBOARD)

    assert article.sections.get().body == (
        "<p><strong>Residents</strong> <em>welcomed</em> it.</p><h3>Votes 7</h3>"
    )


def test_text_pasted_from_google_docs_keeps_its_words_and_loses_its_styling(
    page, live_server, client
):
    article = make_article(status=Status.DRAFT, published_at=None, sections=1)
    log_in(page, live_server, client, make_user("edgar", groups=["Editor"]))
    page.goto(change_url(live_server, article))
    paste_into_the_first_section(page, GOOGLE_DOCS_CLIPBOARD)

    saved = article.sections.get().body
    assert "<h3>Council votes</h3>" in saved  # a document's title becomes a subheading
    assert "<p>Residents <em>welcomed</em> it.</p>" in saved  # not bold, still in italics
    assert "Votes 7" in saved  # a table's cells stay apart as words
    for leftover in ("style=", "<span", "<table", "<h1", "docs-internal"):
        assert leftover not in saved


def test_a_missing_space_after_a_full_stop_does_not_make_a_link(page, live_server, client):
    article = make_article(status=Status.DRAFT, published_at=None, sections=1)
    log_in(page, live_server, client, make_user("edgar", groups=["Editor"]))
    page.goto(change_url(live_server, article))
    page.locator("#sections-0 [contenteditable='true']").click()
    page.keyboard.press("Control+End")
    page.keyboard.type(" The council met to vote.Read the minutes online. ")
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.get_by_text("was changed successfully")).to_be_visible()

    body = article.sections.get().body
    assert "vote.Read the minutes" in body
    assert "<a " not in body


def test_a_phone_gets_the_story_fields_at_its_full_width(page, live_server, client):
    article = make_article(status=Status.DRAFT, published_at=None)
    log_in(page, live_server, client, make_user("edgar", groups=["Editor"]))
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(change_url(live_server, article))
    for field in ("#id_headline", "#id_sections-1-heading", "#sections-1 [contenteditable='true']"):
        box = page.locator(field).bounding_box()
        assert box["width"] >= 300, field
        assert box["x"] + box["width"] <= 390, field
    save_bar = page.locator("#article_form .submit-row").bounding_box()
    assert save_bar["height"] <= 100
