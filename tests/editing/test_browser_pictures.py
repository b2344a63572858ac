"""An editor adds a picture to the library in Chromium, finds it in the grid and sets its
focal point by clicking on the picture and with the arrow keys."""

import io
import re

from django.urls import reverse
from PIL import Image
from playwright.sync_api import expect

from articles.models import Picture
from tests.factories import make_user
from tests.test_browser import (  # noqa: F401  (autouse fixtures apply here too)
    fail_fast,
    log_in,
    no_content_security_policy_violations,
    nothing_sent_after_the_test,
    pytestmark,
    staff_screen_passes_axe,
)


def png_file(tmp_path, size=(800, 500)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 90, 160)).save(buffer, "PNG")
    path = tmp_path / "harbour.png"
    path.write_bytes(buffer.getvalue())
    return path


def test_editor_uploads_a_picture_and_sets_its_focal_point(page, live_server, client, tmp_path):
    log_in(page, live_server, client, make_user("edgar", groups=["Editor"]))

    page.goto(live_server.url + reverse("admin:articles_picture_add"))
    page.get_by_label("Picture file").set_input_files(png_file(tmp_path))
    page.get_by_label("Alt text").fill("Fishing boats in the harbour at dawn")
    page.get_by_label("Photo credit").fill("Photo: Ana Ruiz")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_text("was added successfully")).to_be_visible()
    card = (
        page.get_by_role("list", name="Pictures")
        .get_by_role("listitem")
        .filter(has_text="Fishing boats in the harbour at dawn")
    )
    expect(card).to_contain_text("Not used yet")
    staff_screen_passes_axe(page, "body")

    card.get_by_role("link", name="Fishing boats in the harbour at dawn").click()
    picture = page.get_by_role("button", name="Set the focal point on: Fishing boats")
    expect(picture).to_be_visible()
    staff_screen_passes_axe(page, "body")
    box = picture.bounding_box()
    picture.click(position={"x": box["width"] * 0.9, "y": box["height"] * 0.5})
    expect(page.get_by_label("focal point across (%)")).to_have_value(re.compile(r"^(89|90|91)$"))
    picture.press("ArrowUp")
    picture.press("Shift+ArrowUp")
    expect(page.get_by_label("focal point down (%)")).to_have_value(re.compile(r"^(38|39|40)$"))
    expect(page.get_by_text(re.compile(r"Focal point: \d+% across, \d+% down"))).to_be_visible()
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_text("was changed successfully")).to_be_visible()
    saved = Picture.objects.get()
    assert 89 <= saved.focus_x <= 91
    assert 38 <= saved.focus_y <= 40


def test_editor_gives_a_story_its_hero_picture_from_the_library(page, live_server, client):
    from tests.editing.test_pictures import make_picture
    from tests.factories import make_article

    picture = make_picture(alt="Fishing boats in the harbour at dawn", credit="Photo: Ana Ruiz")
    make_picture(alt="A crowded council chamber")
    story = make_article(headline="The harbour reopens")
    log_in(page, live_server, client, make_user("edna", groups=["Editor"]))
    page.goto(live_server.url + reverse("admin:articles_article_change", args=[story.pk]))
    page.get_by_role("button", name="Choose from the library").click()
    dialog = page.get_by_role("dialog", name="Choose a picture")
    dialog.get_by_label("Search alt text, captions and credits").fill("harbour")
    expect(dialog.get_by_role("button", name=re.compile("council"))).to_have_count(0)
    dialog.get_by_role("button", name=re.compile("Fishing boats")).click()
    expect(page.get_by_text("Chosen: Fishing boats in the harbour at dawn")).to_be_visible()
    page.get_by_role("button", name="Save and continue editing").first.click()
    expect(page.get_by_text("was changed successfully")).to_be_visible()

    story.refresh_from_db()
    assert story.hero_image.name == picture.image.name
    assert (story.hero_alt, story.hero_credit) == (picture.alt, "Photo: Ana Ruiz")
