"""A library picture and a link to another story, put into a section in Chromium."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from playwright.sync_api import expect

from articles.models import Picture
from tests.factories import make_article, make_user
from tests.test_browser import (  # noqa: F401 (fixtures)
    fail_fast,
    log_in,
    no_content_security_policy_violations,
    nothing_sent_after_the_test,
    pytestmark,
    staff_screen_passes_axe,
)


def library_picture(alt: str, name="harbour.png") -> Picture:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 400), (40, 90, 160)).save(buffer, "PNG")
    picture = Picture(
        image=SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png"),
        alt=alt,
        caption="From the library",
    )
    picture.save()
    return picture


def section_editor(page, index=0):
    return page.locator(f"#sections-{index} [contenteditable='true']")


def open_story(page, live_server, client, story):
    log_in(page, live_server, client, make_user("edgar", groups=["Editor"]))
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(live_server.url + reverse("admin:articles_article_change", args=[story.pk]))
    section_editor(page).click()  # the toolbar shows for the text being written


def test_editor_puts_a_library_picture_and_a_story_link_into_a_section(page, live_server, client):
    story = make_article(headline="Council approves the harbour plan")
    ferry = make_article(headline="Harbour ferry returns after twenty years")
    picture = library_picture("Fishing boats moored in the harbour at dawn")
    open_story(page, live_server, client, story)

    body = section_editor(page)
    page.keyboard.press("Control+End")
    page.keyboard.press("Enter")
    page.locator("#sections-0").get_by_role("button", name="Picture").click()
    chooser = page.get_by_role("dialog", name="Insert a picture from the library")
    chooser.get_by_label("Search the library").fill("boats")
    chooser.get_by_role("button", name="Fishing boats moored").click()
    expect(chooser.get_by_label("Alt text (what the picture shows)")).to_have_value(picture.alt)
    chooser.get_by_label("Caption (optional)").fill("The harbour at dawn, before the vote.")
    chooser.get_by_role("button", name="Insert picture").click()
    expect(chooser).to_be_hidden()
    expect(body.locator("figure img")).to_have_attribute("alt", picture.alt)

    page.keyboard.type("Read about the ferry")
    page.keyboard.press("Control+Shift+ArrowLeft")  # select "ferry"
    page.locator("#sections-0").get_by_role("button", name="Link to a story").click()
    links = page.get_by_role("dialog", name="Link to a story")
    links.get_by_label("Find a story by headline").fill("ferry")
    links.get_by_role("button", name="Harbour ferry returns").click()
    expect(body.get_by_role("link", name="ferry")).to_be_visible()

    page.get_by_role("button", name="Save and continue editing").first.click()
    expect(page.get_by_text("was changed successfully")).to_be_visible()

    page.goto(live_server.url + story.get_absolute_url())
    figure = page.locator(".story figure")
    expect(figure.get_by_role("img", name=picture.alt)).to_be_visible()
    expect(figure.locator("figcaption")).to_have_text("The harbour at dawn, before the vote.")
    expect(page.locator(".story").get_by_role("link", name="ferry", exact=True)).to_have_attribute(
        "href", ferry.get_absolute_url()
    )


def test_edit_page_with_the_picture_chooser_open_passes_axe(page, live_server, client):
    story = make_article(headline="Council approves the harbour plan")
    library_picture("Fishing boats moored in the harbour at dawn")
    open_story(page, live_server, client, story)
    page.locator("#sections-0").get_by_role("button", name="Picture").click()
    chooser = page.get_by_role("dialog", name="Insert a picture from the library")
    expect(chooser.get_by_role("button", name="Fishing boats moored")).to_be_visible()
    chooser.get_by_text("Upload a new picture").click()
    staff_screen_passes_axe(page, "body")


def test_edit_page_with_the_story_link_chooser_open_passes_axe(page, live_server, client):
    story = make_article(headline="Council approves the harbour plan")
    make_article(headline="Harbour ferry returns after twenty years")
    open_story(page, live_server, client, story)
    page.locator("#sections-0").get_by_role("button", name="Link to a story").click()
    links = page.get_by_role("dialog", name="Link to a story")
    expect(links.get_by_role("button", name="Harbour ferry returns")).to_be_visible()
    staff_screen_passes_axe(page, "body")


def test_editor_uploads_a_picture_in_place_and_it_joins_the_library(
    page, live_server, client, tmp_path
):
    story = make_article(headline="Council approves the harbour plan")
    open_story(page, live_server, client, story)
    file = tmp_path / "pier.png"
    Image.new("RGB", (300, 200), (90, 140, 60)).save(file, "PNG")

    page.locator("#sections-0").get_by_role("button", name="Picture").click()
    chooser = page.get_by_role("dialog", name="Insert a picture from the library")
    chooser.get_by_text("Upload a new picture").click()
    chooser.get_by_label("Picture file").set_input_files(str(file))
    chooser.get_by_label("Alt text of the new picture").fill("The old pier in the rain")
    chooser.get_by_role("button", name="Upload to the library").click()
    expect(chooser.get_by_label("Alt text (what the picture shows)")).to_have_value(
        "The old pier in the rain"
    )
    chooser.get_by_role("button", name="Insert picture").click()
    expect(section_editor(page).locator("figure img")).to_have_attribute(
        "alt", "The old pier in the rain"
    )
    assert Picture.objects.get().alt == "The old pier in the rain"


def test_reader_page_with_a_section_picture_passes_axe_and_keeps_its_layout(page, live_server):
    from axe_playwright_python.sync_playwright import Axe

    picture = library_picture("Fishing boats moored in the harbour at dawn")
    story = make_article(headline="Council approves the harbour plan", sections=1)
    section = story.sections.get()
    section.body = (
        f'<p>Before.</p><figure class="figure"><img src="{picture.image.url}" '
        f'alt="{picture.alt}" width="640" height="400"><figcaption>At dawn.</figcaption></figure>'
    )
    section.save()
    page.set_viewport_size({"width": 390, "height": 800})
    page.goto(live_server.url + story.get_absolute_url())
    image = page.get_by_role("img", name=picture.alt)
    expect(image).to_be_visible()
    # Never wider than the phone's column, and drawn at the picture's own proportions.
    box = image.bounding_box()
    assert box["width"] <= 390
    assert abs(box["height"] - box["width"] * 400 / 640) < 2
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
