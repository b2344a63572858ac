"""The story writing screen in the admin: side panel, folded panels, change requests, rows."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, ArticleEvent
from tests.factories import inline_rows, make_article, make_image_upload
from tests.pages import visible_text

pytestmark = pytest.mark.django_db

Status = Article.Status


def change_url(article):
    return reverse("admin:articles_article_change", args=[article.pk])


def transition_url(article, action):
    return reverse("admin:articles_article_transition", args=[article.pk, action])


def folded(html, name):
    """Whether the panel with this title starts closed (a <details> without open)."""
    return re.search(rf"<details><summary>\s*<h2[^>]*>{re.escape(name)}</h2>", html) is not None


@pytest.fixture
def draft_of(writer):
    return make_article(status=Status.DRAFT, published_at=None, created_by=writer)


def request_changes(article, *, by, note, when=None):
    ArticleEvent.objects.create(
        article=article,
        actor=by,
        action="request_changes",
        from_status=Status.IN_REVIEW,
        to_status=Status.CHANGES_REQUESTED,
        note=note,
        created_at=when or timezone.now(),
    )
    Article.objects.filter(pk=article.pk).update(status=Status.CHANGES_REQUESTED)


def test_writer_sees_the_open_change_request_with_its_note(client, writer, editor, draft_of):
    request_changes(draft_of, by=editor, note="Name the lab's funder in the intro.")
    client.force_login(writer)
    text = visible_text(client.get(change_url(draft_of)).content.decode())
    assert "Changes requested" in text
    assert "Name the lab's funder in the intro." in text
    assert f"{editor.get_username()} asked for changes" in text


def test_only_the_newest_change_request_is_shown(client, writer, editor, draft_of):
    request_changes(
        draft_of, by=editor, note="An old request.", when=timezone.now() - timedelta(days=2)
    )
    request_changes(draft_of, by=editor, note="The newest request.")
    client.force_login(writer)
    text = visible_text(client.get(change_url(draft_of)).content.decode())
    assert "The newest request." in text
    assert "An old request." not in text.split("The story")[0]


def test_a_resubmitted_story_shows_no_change_request(client, writer, editor, draft_of):
    request_changes(draft_of, by=editor, note="Name the lab's funder in the intro.")
    Article.objects.filter(pk=draft_of.pk).update(status=Status.IN_REVIEW)
    client.force_login(editor)
    text = visible_text(client.get(change_url(draft_of)).content.decode())
    assert "asked for changes" not in text


def test_submit_records_what_the_writer_changed(client, writer, editor, draft_of):
    request_changes(draft_of, by=editor, note="Name the lab's funder in the intro.")
    client.force_login(writer)
    response = client.post(
        transition_url(draft_of, "submit"), {"note": "Named the Ferrand Trust in the intro."}
    )
    assert response.status_code == 302
    draft_of.refresh_from_db()
    assert draft_of.status == Status.IN_REVIEW
    submitted = draft_of.events.get(action="submit")
    assert submitted.note == "Named the Ferrand Trust in the intro."


def test_side_panel_offers_a_note_with_the_submit_button(client, writer, draft_of):
    client.force_login(writer)
    html = client.get(change_url(draft_of)).content.decode()
    assert 'name="note" form="workflow-submit"' in html
    assert 'form="workflow-submit"' in html.split("Submit for review")[0]


def test_workflow_buttons_moved_from_the_object_tools_to_the_side_panel(editor_client):
    draft = make_article(status=Status.DRAFT, published_at=None)
    html = editor_client.get(change_url(draft)).content.decode()
    tools = html.split('class="object-tools"')[1].split("</ul>")[0]
    assert "Publish now" not in tools
    side = html.split('aria-label="About this story"')[1]
    assert "Publish now" in side


def test_checklist_lists_what_the_story_still_lacks(editor_client):
    article = make_article(status=Status.DRAFT, published_at=None, takeaways=0, dek="")
    text = visible_text(editor_client.get(change_url(article)).content.decode())
    assert "There are no key takeaways." in text
    assert "There is no dek" in text


def test_checklist_says_when_nothing_is_missing(editor_client):
    article = make_article(status=Status.DRAFT, published_at=None)
    text = visible_text(editor_client.get(change_url(article)).content.decode())
    assert "Nothing missing." in text


def test_checklist_is_checked_again_on_each_load(editor_client):
    article = make_article(status=Status.DRAFT, published_at=None, takeaways=0)
    assert "no key takeaways" in editor_client.get(change_url(article)).content.decode()
    article.takeaways.create(text="Added since.", position=1)
    assert "no key takeaways" not in editor_client.get(change_url(article)).content.decode()


def test_side_panel_links_to_review_history_and_preview(editor_client):
    article = make_article(status=Status.DRAFT, published_at=None)
    html = editor_client.get(change_url(article)).content.decode()
    side = html.split('aria-label="About this story"')[1]
    assert reverse("review:story", args=[article.pk]) in side
    assert reverse("admin:articles_article_history", args=[article.pk]) in side
    assert article.get_absolute_url() in side


@pytest.mark.parametrize(
    "panel",
    ["Search engines and sharing", "Assignment", "Publication details", "History"],
)
def test_secondary_panels_start_closed(editor_client, panel):
    article = make_article(status=Status.DRAFT, published_at=None)
    assert folded(editor_client.get(change_url(article)).content.decode(), panel)


def test_notice_panel_starts_closed_on_a_published_story(editor_client):
    article = make_article()
    assert folded(editor_client.get(change_url(article)).content.decode(), "Notice to readers")


def test_a_notice_refused_for_its_missing_text_opens_its_panel(editor_client):
    from tests.editing.test_admin import edit_post

    article = make_article()
    response = edit_post(editor_client, article, notice_kind="correction", notice_text="")
    html = response.content.decode()
    assert "needs both its kind and its text" in html
    assert not folded(html, "Notice to readers")


def test_a_web_address_taken_opens_the_search_engines_panel(editor_client):
    from tests.editing.test_admin import edit_post

    make_article(slug="taken")
    article = make_article()
    html = edit_post(editor_client, article, slug="taken").content.decode()
    assert "Article with this Slug already exists." in html
    assert not folded(html, "Search engines and sharing")


def test_section_anchor_is_folded_away_in_each_row(editor_client):
    article = make_article(status=Status.DRAFT, published_at=None, sections=2)
    html = editor_client.get(change_url(article)).content.decode()
    folded_rows = re.findall(
        r'<details><summary>\s*<h4 id="sections-(\d+)-1-heading"[^>]*>Anchor</h4>', html
    )
    assert {"0", "1"} <= set(folded_rows)


def test_hero_image_shows_as_a_thumbnail_with_its_alt_text(editor_client):
    article = make_article(status=Status.DRAFT, published_at=None, hero_alt="A harbour ferry")
    article.hero_image.save("ferry.png", make_image_upload())
    html = editor_client.get(change_url(article)).content.decode()
    assert re.search(r'<img class="story-thumb" src="[^"]+" alt="A harbour ferry">', html)


def test_a_new_section_that_was_only_moved_is_not_saved(editor_client):
    from tests.editing.test_admin import form_data

    article = make_article(status=Status.DRAFT, published_at=None, sections=1)
    data = form_data(editor_client, article)
    data |= {
        "sections-TOTAL_FORMS": "2",
        # An "Add another" row the writer dragged and left empty: only its position is set.
        "sections-1-position": "2",
        "sections-1-heading": "",
        "sections-1-body": "",
    }
    response = editor_client.post(change_url(article), data)
    assert response.status_code == 302
    assert article.sections.count() == 1


def test_rows_take_the_order_their_positions_give(editor_client):
    from tests.editing.test_admin import form_data

    article = make_article(status=Status.DRAFT, published_at=None, sections=1)
    first = article.sections.get()
    data = form_data(editor_client, article) | inline_rows(
        "sections",
        [
            {"id": first.pk, "article": article.pk, "heading": first.heading, "position": 2},
            {"heading": "Now first", "body": "<p>Added before saving.</p>", "position": 1},
        ],
        initial=1,
    )
    data["sections-0-body"] = first.body
    assert editor_client.post(change_url(article), data).status_code == 302
    assert article.sections.first().heading == "Now first"


def test_writer_sees_who_else_is_writing_in_the_side_panel(client, writer, chief, draft_of):
    chief_client = type(client)()
    chief_client.force_login(chief)
    chief_client.get(change_url(draft_of))
    client.force_login(writer)
    html = client.get(change_url(draft_of)).content.decode()
    side = html.split('aria-label="About this story"')[1]
    assert f"{chief.get_username()}</strong> also opened this story" in side


def test_a_note_with_a_nul_character_is_kept_without_it(client, writer, draft_of):
    client.force_login(writer)
    client.post(transition_url(draft_of, "submit"), {"note": "Fixed\x00 it."})
    assert draft_of.events.get(action="submit").note == "Fixed it."


def test_a_writer_cannot_take_the_gate_past_errors_with_a_note(client, writer):
    empty = make_article(status=Status.DRAFT, published_at=None, sections=0, created_by=writer)
    client.force_login(writer)
    client.post(transition_url(empty, "submit"), {"note": "Please take it anyway."})
    empty.refresh_from_db()
    assert empty.status == Status.DRAFT
    assert not empty.events.filter(action="submit").exists()


def test_the_edit_page_queries_do_not_grow_with_the_story(
    editor_client, django_assert_max_num_queries
):
    short = make_article(sections=2, takeaways=1, credits=1, ctas=1)
    with CaptureQueriesContext(connection) as few:
        editor_client.get(change_url(short))
    long = make_article(sections=30, takeaways=8, credits=4, ctas=3)
    with django_assert_max_num_queries(len(few)):
        response = editor_client.get(change_url(long))
    assert response.status_code == 200


def section_row(html, row_id):
    """The markup of one section row of the edit page, "0" for the first, "empty" for the new."""
    start = html.index(f'id="sections-{row_id}"')
    return html[start : html.index("data-story-insert", start)]


def test_each_section_row_labels_its_heading_body_and_anchor(editor_client):
    article = make_article(status=Status.DRAFT, published_at=None, sections=2)
    row = section_row(editor_client.get(change_url(article)).content.decode(), "1")
    for name, label in [("heading", "Heading"), ("body", "Body"), ("anchor", "Anchor")]:
        assert f'<label for="id_sections-1-{name}">{label}:</label>' in row


def test_a_section_heading_says_how_to_write_the_intro(editor_client):
    article = make_article(status=Status.DRAFT, published_at=None, sections=1)
    row = section_row(editor_client.get(change_url(article)).content.decode(), "0")
    help_text = re.search(
        r'<div class="help" id="id_sections-0-heading_helptext"><div>(.*?)</div>', row
    )
    assert help_text.group(1).startswith("Leave empty for the intro")
    assert 'aria-describedby="id_sections-0-heading_helptext"' in row


def test_a_section_position_is_hidden_and_has_no_label(editor_client):
    article = make_article(status=Status.DRAFT, published_at=None, sections=1)
    row = section_row(editor_client.get(change_url(article)).content.decode(), "0")
    assert re.search(
        r'<input type="hidden" name="sections-0-position" value="\d+" class="_reorder_"', row
    )
    assert 'for="id_sections-0-position"' not in row


def test_a_saved_section_can_be_deleted_and_a_new_one_cannot(editor_client):
    article = make_article(status=Status.DRAFT, published_at=None, sections=1)
    html = editor_client.get(change_url(article)).content.decode()
    assert '<label class="vCheckboxLabel inline" for="id_sections-0-DELETE">Delete</label>' in (
        section_row(html, "0")
    )
    assert "DELETE" not in section_row(html, "empty")


def test_a_new_section_row_has_the_fields_of_a_saved_one(editor_client):
    article = make_article(status=Status.DRAFT, published_at=None, sections=1)
    row = section_row(editor_client.get(change_url(article)).content.decode(), "empty")
    for name in ["heading", "body", "position", "anchor"]:
        assert f'name="sections-__prefix__-{name}"' in row
    assert ">Anchor</h4>" in row


def test_every_section_body_opens_the_editor_with_the_librarys_settings(editor_client):
    from django.contrib.admin.widgets import AdminTextareaWidget

    from articles.models import Section

    library = Section._meta.get_field("body").formfield(widget=AdminTextareaWidget).widget
    attribute = f"data-django-prose-editor-{library.preset}"
    expected = library.get_context("body", "", {})["widget"]["attrs"][attribute]
    article = make_article(status=Status.DRAFT, published_at=None, sections=3)
    html = editor_client.get(change_url(article)).content.decode()
    settings = re.findall(rf'<textarea name="sections-[^"]+-body"[^>]* {attribute}="([^"]*)"', html)
    assert len(settings) == 4  # three sections and the new row "Add section" copies
    assert {unescape(each) for each in settings} == {expected}


def test_a_refused_anchor_shows_its_error_in_its_row(editor_client):
    from tests.editing.test_admin import form_data

    article = make_article(status=Status.DRAFT, published_at=None, sections=1)
    data = form_data(editor_client, article) | {"sections-0-anchor": "not an anchor!"}
    html = editor_client.post(change_url(article), data).content.decode()
    row = section_row(html, "0")
    anchor = row[row.index('class="form-row field-anchor"') :]
    assert re.match(r'class="form-row field-anchor">\s*<div class="flex-container errors">', anchor)
    assert "Enter a valid “slug”" in anchor


@pytest.mark.parametrize("body", ["<p>Rates &amp; rents</p>", "", None])
def test_a_section_body_is_drawn_as_the_editors_own_widget_draws_it(body):
    from django.contrib.admin.widgets import AdminTextareaWidget

    from articles.editing.admin_inlines import SectionBodyEditor
    from articles.models import Section

    library = Section._meta.get_field("body").formfield(widget=AdminTextareaWidget).widget
    drawn = SectionBodyEditor(attrs=library.attrs, config=library.config, preset=library.preset)
    attrs = {"id": "id_sections-0-body"}
    assert drawn.render("sections-0-body", body, attrs) == library.render(
        "sections-0-body", body, attrs
    )


def test_a_writer_sees_the_sections_of_a_submitted_story_without_fields_to_change(client, writer):
    submitted = make_article(status=Status.IN_REVIEW, published_at=None, created_by=writer)
    heading = submitted.sections.exclude(heading="").first().heading
    client.force_login(writer)
    html = client.get(change_url(submitted)).content.decode()
    row = html[html.index('id="sections-group"') :]
    assert 'name="sections-0-heading"' not in row
    assert f'<div class="readonly">{heading}</div>' in row
