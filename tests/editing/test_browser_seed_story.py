"""The reference story, written from scratch on the writing screen in Chromium: every part,
a subheading, a library picture and a link to another story, a new section moved before the
first save, the live preview, and Ctrl+S."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from articles.editing.story_format import parse_story
from articles.models import Article
from tests.editing.test_pictures import make_picture
from tests.factories import make_article, make_cta, make_user
from tests.test_browser import (  # noqa: F401 (fixtures)
    fail_fast,
    log_in,
    no_content_security_policy_violations,
    nothing_sent_after_the_test,
    pytestmark,
)

SUBHEADING = "What the artists asked for"


@pytest.fixture
def seed(reference_story_text):
    return parse_story(reference_story_text)


def write_paragraphs(page, body, paragraphs):
    body.click()
    for number, paragraph in enumerate(paragraphs):
        if number:
            page.keyboard.press("Enter")
        page.keyboard.insert_text(paragraph)


def add_section(page, number, section):
    page.get_by_role("button", name="Add another Section").click()
    page.locator(f"#id_sections-{number}-heading").fill(section.heading)
    write_paragraphs(
        page, page.locator(f"#sections-{number} [contenteditable='true']"), section.paragraphs
    )


def test_editor_writes_the_seed_story_from_scratch(page, live_server, client, seed):
    picture = make_picture(alt="Artists with placards outside a studio", caption="The protest")
    earlier = make_article(headline="Illustrators sue over training data")
    make_cta(text=seed.calls_to_action[0].text, organisation="Opahl Technologies")
    log_in(page, live_server, client, make_user("edna", groups=["Editor"]))
    page.goto(live_server.url + reverse("admin:articles_article_add"))
    page.get_by_label("Headline").fill(seed.headline)

    intro, concerns, response, future = seed.sections
    # Written out of order, then put right with "Move up" before the story is ever saved.
    for number, section in enumerate([intro, concerns, future, response]):
        add_section(page, number, section)
    # Out of the text first: its toolbar floats over the row's buttons while the writer types.
    page.locator("#id_sections-3-heading").click()
    page.get_by_role("button", name="Move up: Section 4").click()
    expect(page.locator("#story-editor-announcer")).to_have_text("Section 4 moved to position 3.")

    # A subheading typed the way writers type one, and a picture from the library.
    concerns_body = page.locator("#sections-1 [contenteditable='true']")
    concerns_body.click()
    page.keyboard.press("Control+End")
    page.keyboard.press("Enter")
    page.keyboard.type(f"### {SUBHEADING}")
    page.keyboard.press("Enter")
    page.locator("#sections-1").get_by_role("button", name="Picture").click()
    chooser = page.get_by_role("dialog", name="Insert a picture from the library")
    chooser.get_by_label("Search the library").fill("placards")
    chooser.get_by_role("button", name="Artists with placards").click()
    expect(chooser.get_by_label("Alt text (what the picture shows)")).to_have_value(picture.alt)
    chooser.get_by_role("button", name="Insert picture").click()

    # A link to an earlier story, found by its headline.
    response_body = page.locator("#sections-3 [contenteditable='true']")
    response_body.click()
    page.keyboard.press("Control+End")
    page.keyboard.insert_text(" Earlier: ")
    page.locator("#sections-3").get_by_role("button", name="Link to a story").click()
    finder = page.get_by_role("dialog", name="Link to a story")
    finder.get_by_label("Find a story by headline").fill("Illustrators")
    finder.get_by_role("button", name=earlier.headline).click()

    for number, takeaway in enumerate(seed.takeaways):
        page.get_by_role("button", name="Add another Takeaway").click()
        page.locator(f"#id_takeaways-{number}-text").fill(takeaway)
    write_paragraphs(page, page.locator(".field-closing [contenteditable='true']"), seed.closing)
    tags = page.get_by_role("group", name="Desk and tags").get_by_role("searchbox")
    tags.fill(",".join(seed.tags) + ",")
    page.get_by_role("button", name="Add another Credit").click()
    page.locator("#id_credits-0-role").fill(seed.credits[0].role)
    page.locator("#id_credits-0-name").fill(seed.credits[0].name)
    page.get_by_role("button", name="Add another Call to action").click()
    page.locator("#cta_placements-0 .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill("Opahl")
    page.get_by_role("option", name="Opahl").first.click()

    page.get_by_role("button", name="Live preview").click()
    preview = page.frame_locator("#live-preview iframe")
    expect(preview.get_by_role("heading", level=1)).to_have_text(seed.headline)
    expect(preview.get_by_role("heading", name=SUBHEADING, level=3)).to_be_visible()
    expect(preview.get_by_role("img", name=picture.alt)).to_be_visible()
    expect(preview.get_by_role("link", name=earlier.headline)).to_be_visible()

    page.keyboard.press("Control+s")
    expect(page.get_by_text("was added successfully")).to_be_visible()

    story = Article.objects.exclude(pk=earlier.pk).get()
    assert story.headline == seed.headline
    assert [s.heading for s in story.sections.all()] == [s.heading for s in seed.sections]
    assert list(story.takeaways.values_list("text", flat=True)) == seed.takeaways
    assert sorted(story.tags.names()) == sorted(seed.tags)
    assert story.credits.get().name == "Nitasha Tiku"
    assert story.cta_placements.get().call_to_action.text == seed.calls_to_action[0].text
    concerns_html = story.sections.get(heading=concerns.heading).body
    assert f"<h3>{SUBHEADING}</h3>" in concerns_html
    assert f'alt="{picture.alt}"' in concerns_html and picture.image.url in concerns_html
    response_html = story.sections.get(heading=response.heading).body
    assert f'href="{earlier.get_absolute_url()}"' in response_html
