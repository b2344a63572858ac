import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models.fields.files import FieldFile
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles.editing import revisions
from articles.editing.story_format import parse_story
from articles.models import Article
from articles.reader import search
from tests.conftest import DEMO_STORIES
from tests.factories import (
    inline_rows,
    make_article,
    make_author,
    make_cta,
    make_desk,
    make_image_upload,
    refresh_after_edit,
)
from tests.pages import visible_text

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:articles_article_add")
CHANGELIST_URL = reverse("admin:articles_article_changelist")
IMPORT_URL = reverse("admin:articles_article_import")
INLINES = ["bylines", "sections", "takeaways", "credits", "cta_placements", "read_next"]


def full_story_post(**overrides):
    """The POST the admin's add form sends for a story with every part filled in."""
    author_one, author_two = make_author(name="Ana Ruiz"), make_author(name="Bo Chen")
    cta = make_cta(button_label="Book a consultation", url="https://example.com/strategy")
    data = {
        "headline": "Artists protest a video model",
        "slug": "artists-protest",
        "dek": "A protest over access to an AI model.",
        "desk": make_desk(name="Technology").pk,
        "tags": ["AIRevolution", "#EthicalAI", "ethicalai"],
        "hero_image": make_image_upload(),
        "hero_alt": "Protesters with placards",
        "hero_caption": "Outside the lab.",
        "hero_credit": "Photo: Newsroom",
        "closing": "<p>Only by working together.</p>",
        "priority": "2",
        "hero_focus_x": "50",
        "hero_focus_y": "50",
        "_save": "Save",
        **inline_rows(
            "bylines",
            [{"author": author_two.pk, "position": 1}, {"author": author_one.pk, "position": 2}],
        ),
        **inline_rows(
            "sections",
            [
                {"heading": "", "body": "<p>The intro.</p>", "position": 1},
                {
                    "heading": "Second part",
                    "body": "<p>More <strong>detail</strong>.</p>",
                    "position": 3,
                },
                {
                    "heading": "First part",
                    "body": "<p>Detail.<script>x()</script></p>",
                    "position": 2,
                },
            ],
        ),
        **inline_rows(
            "takeaways", [{"text": "One.", "position": 1}, {"text": "Two.", "position": 2}]
        ),
        **inline_rows(
            "credits",
            [
                {
                    "role": "Original article and inspiration provided by",
                    "name": "Nitasha Tiku",
                    "organisation": "",
                    "url": "https://example.com/original",
                    "position": 1,
                }
            ],
        ),
        **inline_rows(
            "cta_placements",
            [{"call_to_action": cta.pk, "placement": "after_takeaways", "position": 1}],
        ),
        **inline_rows("read_next", []),
    }
    return data | overrides


def test_editor_creates_a_story_with_every_part_through_the_admin(editor_client):
    response = editor_client.post(ADD_URL, full_story_post())
    assert response.status_code == 302, response.context["adminform"].form.errors
    article = Article.objects.get()
    assert article.status == Article.Status.DRAFT
    assert [b.author.name for b in article.bylines.all()] == ["Bo Chen", "Ana Ruiz"]
    assert [s.heading for s in article.sections.all()] == ["", "First part", "Second part"]
    assert article.sections.get(heading="First part").body == "<p>Detail.</p>"
    assert [t.text for t in article.takeaways.all()] == ["One.", "Two."]
    assert article.credits.get().url == "https://example.com/original"
    assert article.cta_placements.get().placement == "after_takeaways"
    assert sorted(article.tags.names()) == ["AIRevolution", "EthicalAI"]
    assert article.word_count > 0
    assert article.hero_width == 40


def test_admin_refuses_a_javascript_link_in_a_credit(editor_client):
    data = full_story_post()
    data["credits-0-url"] = "javascript:alert(1)"
    response = editor_client.post(ADD_URL, data)
    assert response.status_code == 200
    assert "Enter a web address" in response.content.decode()
    assert not Article.objects.exists()


def test_admin_refuses_a_picture_without_alt_text(editor_client):
    response = editor_client.post(ADD_URL, full_story_post(hero_alt=""))
    assert "Describe the picture" in response.content.decode()
    assert not Article.objects.exists()


def test_admin_refuses_a_file_that_is_not_a_picture(editor_client):
    fake = SimpleUploadedFile("photo.png", b"<html><script>x()</script></html>", "image/png")
    response = editor_client.post(ADD_URL, full_story_post(hero_image=fake))
    assert response.status_code == 200
    assert "Upload a valid image" in response.content.decode()
    assert not Article.objects.exists()


def test_changelist_queries_do_not_grow_with_the_stories(
    editor_client, django_assert_max_num_queries
):
    make_article(authors=[make_author()])
    with CaptureQueriesContext(connection) as few:
        editor_client.get(CHANGELIST_URL)
    desk = make_desk()
    for _ in range(30):
        make_article(desk=desk, authors=[make_author(), make_author()], tags=["A"])
    with django_assert_max_num_queries(len(few)):
        response = editor_client.get(CHANGELIST_URL)
    assert response.status_code == 200


def test_changelist_search_finds_words_in_the_body(editor_client):
    make_article(headline="Findable")
    make_article(headline="Other")
    story = Article.objects.get(headline="Findable")
    section = story.sections.first()
    section.body = "<p>zeppelin</p>"
    section.save()
    refresh_after_edit(story)  # as the admin and the worker do after a save
    response = editor_client.get(CHANGELIST_URL, {"q": "zeppelin"})
    assert list(response.context["cl"].result_list) == [story]


def test_changelist_search_of_a_common_word_lists_the_newest_matches(editor_client, monkeypatch):
    monkeypatch.setattr(search, "MAX_RESULTS", 2)
    for number in range(3):
        make_article(headline=f"Zeppelin {number}")  # number 0 is the newest

    response = editor_client.get(CHANGELIST_URL, {"q": "zeppelin"})

    listed = [story.headline for story in response.context["cl"].result_list]
    assert sorted(listed) == ["Zeppelin 0", "Zeppelin 1"]
    assert "The newest 2 matching stories are listed" in visible_text(response.content.decode())


def test_change_page_queries_do_not_grow_with_the_inlines(editor_client):
    small = make_article(sections=1, takeaways=1, credits=1, ctas=1, authors=[make_author()])
    big = make_article(
        sections=10, takeaways=8, credits=4, ctas=4, authors=[make_author() for _ in range(3)]
    )
    counts = []
    for article in (small, big):
        with CaptureQueriesContext(connection) as queries:
            editor_client.get(reverse("admin:articles_article_change", args=[article.pk]))
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_change_page_offers_publish_to_an_editor(editor_client):
    draft = make_article(status=Article.Status.DRAFT)
    html = editor_client.get(
        reverse("admin:articles_article_change", args=[draft.pk])
    ).content.decode()
    assert reverse("admin:articles_article_transition", args=[draft.pk, "publish"]) in html


def test_change_page_hides_publish_from_a_writer(client, writer):
    client.force_login(writer)
    draft = make_article(status=Article.Status.DRAFT)
    html = client.get(reverse("admin:articles_article_change", args=[draft.pk])).content.decode()
    assert "/transition/" not in html


def test_editor_publishes_from_the_change_page(editor_client):
    draft = make_article(status=Article.Status.DRAFT)
    url = reverse("admin:articles_article_transition", args=[draft.pk, "publish"])
    response = editor_client.post(url)
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.is_published


def test_writer_crafting_a_publish_request_gets_403(client, writer):
    client.force_login(writer)
    draft = make_article(status=Article.Status.DRAFT)
    response = client.post(reverse("admin:articles_article_transition", args=[draft.pk, "publish"]))
    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.status == Article.Status.DRAFT


def test_publish_by_get_changes_nothing(editor_client):
    draft = make_article(status=Article.Status.DRAFT)
    response = editor_client.get(
        reverse("admin:articles_article_transition", args=[draft.pk, "publish"])
    )
    assert response.status_code == 405
    draft.refresh_from_db()
    assert draft.status == Article.Status.DRAFT


def upload(client, content, name="story.txt"):
    return client.post(IMPORT_URL, {"file": SimpleUploadedFile(name, content, "text/plain")})


def test_import_shows_what_was_parsed_before_saving(editor_client):
    response = upload(editor_client, DEMO_STORIES[0].read_bytes())
    html = response.content.decode()
    takeaways = len(parse_story(DEMO_STORIES[0].read_text()).takeaways)
    assert f"Key takeaways ({takeaways})" in html
    assert "Save as draft" in html
    assert not Article.objects.exists()


def test_import_confirmation_saves_a_draft_and_opens_it(editor_client):
    preview = upload(editor_client, DEMO_STORIES[0].read_bytes())
    text = preview.context["confirm_form"].initial["text"]
    response = editor_client.post(IMPORT_URL, {"text": text, "confirm": "Save as draft"})
    article = Article.objects.get()
    assert response.url == reverse("admin:articles_article_change", args=[article.pk])
    assert article.status == Article.Status.DRAFT
    assert article.takeaways.count() == len(parse_story(text).takeaways)


def test_import_of_a_bad_file_explains_the_problem(editor_client):
    response = upload(editor_client, b"Only a headline\n")
    assert "only a headline" in response.content.decode()
    assert not Article.objects.exists()


def test_import_of_a_story_whose_address_is_taken_is_refused(editor_client):
    upload_text = DEMO_STORIES[0].read_bytes()
    preview = upload(editor_client, upload_text)
    editor_client.post(
        IMPORT_URL, {"text": preview.context["confirm_form"].initial["text"], "confirm": "1"}
    )
    response = upload(editor_client, upload_text)
    assert "exists already" in response.content.decode()
    assert Article.objects.count() == 1


def test_call_to_action_page_lists_the_stories_using_it(editor_client):
    article = make_article(headline="Uses the block", ctas=1)
    cta = article.cta_placements.get().call_to_action
    response = editor_client.get(reverse("admin:articles_calltoaction_change", args=[cta.pk]))
    assert "Uses the block" in response.content.decode()


def test_author_autocomplete_finds_authors_by_name(editor_client):
    make_author(name="Nitasha Tiku")
    response = editor_client.get(
        reverse("admin:autocomplete"),
        {"term": "nita", "app_label": "articles", "model_name": "byline", "field_name": "author"},
    )
    assert [r["text"] for r in response.json()["results"]] == ["Nitasha Tiku"]


def tag_suggestions(client, term=""):
    response = client.get(reverse("admin:articles_article_tag_suggestions"), {"term": term})
    assert response.status_code == 200
    return [result["text"] for result in response.json()["results"]]


@pytest.fixture
def tags_in_every_state(writer, other_writer):
    draft = {"status": Article.Status.DRAFT, "published_at": None}
    make_article(tags=["Climate"], created_by=other_writer)
    make_article(tags=["CityHeat"], created_by=writer, **draft)
    make_article(tags=["CityMerger"], created_by=other_writer, **draft)


def test_tag_suggestions_show_a_writer_published_and_her_own_tags(
    client, writer, tags_in_every_state
):
    client.force_login(writer)
    assert tag_suggestions(client, "c") == ["CityHeat", "Climate"]


def test_tag_suggestions_show_an_editor_every_tag(editor_client, tags_in_every_state):
    assert tag_suggestions(editor_client, "c") == ["CityHeat", "CityMerger", "Climate"]


# --- The workflow in the admin ---------------------------------------------------------

Status = Article.Status


def change_url(article):
    return reverse("admin:articles_article_change", args=[article.pk])


def edit_post(client, article, **changes):
    """POST the article's own change form back, as the browser would, with some changes."""
    return client.post(change_url(article), form_data(client, article) | changes)


def form_data(client, article):
    """The article's change form as a browser would POST it unchanged."""
    response = client.get(change_url(article))
    data = {}
    form = response.context["adminform"].form
    for name in form.fields:
        value = form[name].value()
        if value is None or isinstance(value, FieldFile):
            continue  # a browser sends no file when the file input is left alone
        data[name] = [getattr(v, "name", v) for v in value] if isinstance(value, list) else value
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        data |= {
            f"{formset.prefix}-TOTAL_FORMS": str(len(formset.forms)),
            f"{formset.prefix}-INITIAL_FORMS": str(formset.initial_form_count()),
        }
        for subform in formset.forms:
            for name in subform.fields:
                value = subform[name].value()
                if value is not None:
                    data[subform.add_prefix(name)] = value
    return data | {"_continue": "1"}


def test_writer_sees_only_own_stories_in_the_admin(client, writer, other_writer):
    make_article(headline="Mine", status=Status.DRAFT, published_at=None, created_by=writer)
    make_article(headline="Theirs", status=Status.DRAFT, published_at=None, created_by=other_writer)
    client.force_login(writer)
    result = client.get(CHANGELIST_URL).context["cl"].result_list
    assert [a.headline for a in result] == ["Mine"]


def test_writer_opening_another_writers_story_gets_403(client, writer, other_writer):
    theirs = make_article(status=Status.DRAFT, published_at=None, created_by=other_writer)
    client.force_login(writer)
    assert client.get(change_url(theirs)).status_code == 403
    assert client.post(change_url(theirs), {"headline": "Hijacked"}).status_code == 403
    theirs.refresh_from_db()
    assert theirs.headline != "Hijacked"


def test_writer_sees_own_story_in_review_read_only(client, writer):
    article = make_article(status=Status.IN_REVIEW, published_at=None, created_by=writer)
    client.force_login(writer)
    response = client.get(change_url(article))
    assert response.status_code == 200
    assert 'name="_save"' not in response.content.decode()
    assert client.post(change_url(article), {"headline": "Changed"}).status_code == 403


def test_writer_cannot_edit_a_published_story(client, writer):
    article = make_article(created_by=writer)
    client.force_login(writer)
    assert client.post(change_url(article), {"headline": "Changed"}).status_code == 403


def test_writer_cannot_set_status_assignment_or_publication_time(client, writer, editor):
    article = make_article(status=Status.DRAFT, published_at=None, created_by=writer)
    client.force_login(writer)
    response = edit_post(
        client,
        article,
        headline="Edited by the writer",
        status="published",
        published_at="2020-01-01 00:00",
        assignee=str(editor.pk),
        priority="4",
        created_by=str(editor.pk),
    )
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.headline == "Edited by the writer"
    assert (article.status, article.published_at, article.assignee, article.priority) == (
        Status.DRAFT,
        None,
        None,
        Article.Priority.NORMAL,
    )
    assert article.created_by == writer


def test_new_story_belongs_to_its_writer(client, writer):
    client.force_login(writer)
    client.post(ADD_URL, full_story_post())
    assert Article.objects.get().created_by == writer


def test_editor_assigns_a_story_with_a_due_time(editor_client, editor):
    article = make_article(status=Status.IN_REVIEW, published_at=None)
    edit_post(
        editor_client,
        article,
        assignee=str(editor.pk),
        due_at_0="2030-01-01",
        due_at_1="09:00",
        priority="3",
    )
    article.refresh_from_db()
    assert (article.assignee, article.priority) == (editor, Article.Priority.HIGH)


def test_writer_submits_from_the_change_page(client, writer):
    article = make_article(status=Status.DRAFT, published_at=None, created_by=writer)
    client.force_login(writer)
    html = client.get(change_url(article)).content.decode()
    assert "Submit for review" in html
    assert "Publish now" not in html
    client.post(reverse("admin:articles_article_transition", args=[article.pk, "submit"]))
    article.refresh_from_db()
    assert article.status == Status.IN_REVIEW


def test_a_correction_notice_is_shown_to_readers(client, editor_client):
    article = make_article()
    edit_post(
        editor_client,
        article,
        notice_kind="correction",
        notice_text="An earlier version misstated the grant's size.",
    )
    text = visible_text(client.get(article.get_absolute_url()).content.decode())
    assert "Correction" in text
    assert "An earlier version misstated the grant's size." in text


def test_a_notice_needs_its_text(editor_client):
    article = make_article()
    response = edit_post(editor_client, article, notice_kind="correction", notice_text="")
    assert "needs both its kind and its text" in response.content.decode()
    assert not article.notices.exists()


def test_draft_offers_no_notice_to_readers(editor_client):
    article = make_article(status=Status.DRAFT, published_at=None)
    assert "notice_kind" not in editor_client.get(change_url(article)).content.decode()


def stale_form(client, user, article):
    """The change form as `user` opened it now, to be posted after someone else saved."""
    client.force_login(user)
    return form_data(client, article)


def intro(article):
    return article.sections.order_by("position").first()


def test_stale_save_merges_their_dek_with_my_intro(client, editor, chief):
    article = make_article(dek="The old dek.", status=Status.DRAFT, published_at=None)
    revisions.record(article, by=chief, summary="Created")
    mine = stale_form(client, editor, article)  # the editor opens the story…
    chief_client = Client()
    chief_client.force_login(chief)
    edit_post(chief_client, article, dek="The chief's dek.")  # …the chief saves first

    response = client.post(
        change_url(article), mine | {"sections-0-body": "<p>The editor's intro.</p>"}
    )
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.dek == "The chief's dek."
    assert intro(article).body == "<p>The editor's intro.</p>"
    assert article.revisions.first().snapshot["dek"] == "The chief's dek."
    message = visible_text(client.get(response.url).content.decode())
    assert "Merged with charlotte's changes saved at" in message
    assert ": Dek." in message


def test_an_untouched_stale_form_reverts_nothing_they_saved(client, editor, chief):
    article = make_article(
        tags=["Alpha", "Beta"], desk=make_desk(), status=Status.DRAFT, published_at=None
    )
    revisions.record(article, by=chief, summary="Created")
    mine = stale_form(client, editor, article)
    chief_client = Client()
    chief_client.force_login(chief)
    response = edit_post(
        chief_client,
        article,
        dek="The chief's dek.",
        desk=make_desk().pk,
        tags=["Beta", "Gamma"],
        closing="<p>The chief's <strong>ending</strong>.</p>",
        hero_focus_x="20",
        seo_title="The chief's title",
        canonical_is_original="on",
        assignee=editor.pk,
        due_at_0="2031-05-04",
        due_at_1="10:30:00",
        priority="4",
        **{
            "sections-1-body": "<p>The chief's second section.</p>",
            "takeaways-0-text": "The chief's takeaway.",
            "bylines-0-author": make_author(name="Bo Chen").pk,
            "credits-0-organisation": "The Chief's Paper",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    theirs = revisions.snapshot(Article.objects.get(pk=article.pk))
    assert (theirs["tags"], theirs["priority"]) == (["Beta", "Gamma"], 4)
    assert theirs["due_at"] == "2031-05-04T10:30:00+00:00"

    response = client.post(change_url(article), mine)
    assert response.status_code == 302
    assert revisions.snapshot(Article.objects.get(pk=article.pk)) == theirs


def test_stale_save_keeps_parts_added_and_deleted_on_either_side(client, editor, chief):
    article = make_article(takeaways=2, credits=2, status=Status.DRAFT, published_at=None)
    revisions.record(article, by=chief, summary="Created")
    mine = stale_form(client, editor, article)
    chief_client = Client()
    chief_client.force_login(chief)
    new_takeaway = {"text": "The chief's third.", "position": "2", "article": str(article.pk)}
    chief_client.post(
        change_url(article),
        form_data(chief_client, article)
        | {"takeaways-TOTAL_FORMS": "3"}
        | {f"takeaways-2-{name}": value for name, value in new_takeaway.items()},
    )
    assert article.takeaways.count() == 3

    response = client.post(change_url(article), mine | {"credits-1-DELETE": "on"})
    assert response.status_code == 302
    assert [t.text for t in article.takeaways.all()] == [
        "Takeaway 0.",
        "Takeaway 1.",
        "The chief's third.",
    ]
    assert [c.name for c in article.credits.all()] == ["Reporter 0"]


def test_both_changing_the_dek_shows_both_and_saves_the_choice(client, editor, chief):
    article = make_article(dek="The old dek.", status=Status.DRAFT, published_at=None)
    revisions.record(article, by=chief, summary="Created")
    mine = stale_form(client, editor, article)
    chief_client = Client()
    chief_client.force_login(chief)
    edit_post(chief_client, article, dek="The chief's dek.", headline="The chief's headline")

    mine |= {"dek": "The editor's dek."}
    response = client.post(change_url(article), mine)
    html = visible_text(response.content.decode())
    assert response.status_code == 200
    assert "You both changed: Dek" in html
    assert "The chief's dek." in html and "The editor's dek." in html
    # The form shown again holds the merge: the chief's headline, the editor's dek.
    form = response.context["adminform"].form
    assert form["headline"].value() == "The chief's headline"
    assert form["dek"].value() == "The editor's dek."
    article.refresh_from_db()
    assert article.dek == "The chief's dek."  # nothing saved before the choice

    chosen = mine | {"theirs_version": str(article.version), "choose-dek": "mine"}
    response = client.post(change_url(article), chosen)
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.dek == "The editor's dek."
    assert article.headline == "The chief's headline"


def test_a_conflict_is_not_saved_until_the_editor_chooses(client, editor, chief):
    article = make_article(dek="The old dek.", status=Status.DRAFT, published_at=None)
    revisions.record(article, by=chief, summary="Created")
    mine = stale_form(client, editor, article) | {"dek": "The editor's dek."}
    chief_client = Client()
    chief_client.force_login(chief)
    edit_post(chief_client, article, dek="The chief's dek.")
    shown = client.post(change_url(article), mine).context["adminform"].form

    # Saving the form as it was shown again, without a choice, still changes nothing.
    article.refresh_from_db()
    again = {"loaded_version": shown["loaded_version"].value(), "theirs_version": article.version}
    response = client.post(change_url(article), mine | again)
    assert response.status_code == 200
    article.refresh_from_db()
    assert article.dek == "The chief's dek."


def test_a_save_without_the_forms_version_is_refused(editor_client):
    article = make_article(headline="Newer headline", status=Status.DRAFT, published_at=None)
    data = form_data(editor_client, article)
    del data["loaded_version"]
    response = editor_client.post(change_url(article), data | {"headline": "Hand-made"})
    assert response.status_code == 200
    assert "does not say which version" in response.content.decode()
    article.refresh_from_db()
    assert article.headline == "Newer headline"


def test_a_save_with_a_version_that_is_not_a_number_is_refused(editor_client):
    article = make_article(headline="Newer headline", status=Status.DRAFT, published_at=None)
    data = form_data(editor_client, article) | {"loaded_version": "latest"}
    response = editor_client.post(change_url(article), data | {"headline": "Hand-made"})
    assert "does not say which version" in response.content.decode()
    article.refresh_from_db()
    assert article.headline == "Newer headline"


def test_a_merged_save_costs_a_few_queries_more_whatever_the_parts(client, editor, chief):
    def extra_queries(sections):
        article = make_article(sections=sections, status=Status.DRAFT, published_at=None)
        revisions.record(article, by=chief, summary="Created")
        fresh = stale_form(client, editor, article) | {"headline": "A save"}
        with CaptureQueriesContext(connection) as save:
            assert client.post(change_url(article), fresh).status_code == 302
        mine = stale_form(client, editor, article) | {"dek": "The editor's dek"}
        revisions.record(article, by=chief, summary="Someone else saved")
        with CaptureQueriesContext(connection) as merged_save:
            assert client.post(change_url(article), mine).status_code == 302
        return len(merged_save) - len(save)

    assert extra_queries(2) == extra_queries(12) <= 10


def test_change_page_shows_who_else_has_the_story_open(client, editor, chief):
    article = make_article()
    other = Client()
    other.force_login(chief)
    other.get(change_url(article))
    client.force_login(editor)
    html = client.get(change_url(article)).content.decode()
    assert "charlotte</strong> also opened this story" in html


def test_every_admin_save_keeps_a_revision(editor_client):
    article = make_article(status=Status.DRAFT, published_at=None)
    edit_post(editor_client, article, headline="First")
    edit_post(editor_client, article, headline="Second")
    assert list(article.revisions.values_list("snapshot__headline", flat=True)) == [
        "Second",
        "First",
    ]


def test_chief_deletes_to_the_trash_and_restores(client, chief):
    article = make_article(headline="Deleted by mistake")
    client.force_login(chief)
    client.post(reverse("admin:articles_article_delete", args=[article.pk]), {"post": "yes"})
    article.refresh_from_db()
    assert article.deleted_at is not None
    assert article not in client.get(CHANGELIST_URL).context["cl"].result_list
    assert article in client.get(CHANGELIST_URL, {"trash": "yes"}).context["cl"].result_list
    client.post(
        CHANGELIST_URL + "?trash=yes",
        {"action": "restore_selected", "_selected_action": [article.pk]},
    )
    article.refresh_from_db()
    assert article.deleted_at is None


def test_editor_cannot_delete(editor_client):
    article = make_article()
    response = editor_client.post(
        reverse("admin:articles_article_delete", args=[article.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    article.refresh_from_db()
    assert article.deleted_at is None


def test_writer_saves_a_first_draft_without_a_byline(client, writer):
    client.force_login(writer)
    response = client.post(ADD_URL, full_story_post(**inline_rows("bylines", [])))
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert not Article.objects.get().bylines.exists()


def test_chief_is_told_a_deleted_story_goes_to_the_trash(client, chief):
    article = make_article(headline="Deleted by mistake")
    client.force_login(chief)
    text = visible_text(
        client.get(reverse("admin:articles_article_delete", args=[article.pk])).content.decode()
    )
    assert "“Deleted by mistake” goes to the trash" in text
    assert "restore it from the story list's “In the trash” filter" in text
    assert "deleted:" not in text and "Are you sure you want to delete" not in text


def test_chief_is_told_selected_stories_go_to_the_trash(client, chief):
    stories = [make_article(headline="First to go"), make_article(headline="Second to go")]
    client.force_login(chief)
    response = client.post(
        CHANGELIST_URL,
        {"action": "delete_selected", "_selected_action": [story.pk for story in stories]},
    )
    text = visible_text(response.content.decode())
    assert "These stories go to the trash" in text
    assert "First to go" in text and "Second to go" in text
    assert "will be deleted" not in text


def test_call_to_action_autocomplete_shows_the_name_and_organisation(editor_client):
    make_cta(name="Consultation", organisation="Opahl Technologies")
    make_cta(name="Consultation at Newsroom Labs", organisation="Newsroom Labs")
    response = editor_client.get(
        reverse("admin:autocomplete"),
        {
            "term": "consult",
            "app_label": "articles",
            "model_name": "articlecalltoaction",
            "field_name": "call_to_action",
        },
    )
    assert sorted(r["text"] for r in response.json()["results"]) == [
        "Consultation at Newsroom Labs",
        "Consultation — Opahl Technologies",
    ]


def test_story_list_offers_to_move_selected_stories_to_the_trash(client, chief):
    make_article()
    client.force_login(chief)
    text = visible_text(client.get(CHANGELIST_URL).content.decode())
    assert "Move selected stories to the trash" in text
    assert "Delete selected" not in text


def test_call_to_action_library_lists_blocks_by_name(editor_client):
    for name in ["Newsletter", "Consultation", "Webinar"]:
        make_cta(name=name)
    response = editor_client.get(reverse("admin:articles_calltoaction_changelist"))
    assert [cta.name for cta in response.context["cl"].result_list] == [
        "Consultation",
        "Newsletter",
        "Webinar",
    ]


def test_story_list_offers_every_year_from_the_first_story_to_the_last(editor_client):
    make_article(published_at=timezone.now().replace(year=2023, month=6))
    make_article(published_at=timezone.now().replace(year=2025, month=3))
    with CaptureQueriesContext(connection) as queries:
        response = editor_client.get(CHANGELIST_URL)
    years = re.findall(r"\?published_at__year=(\d+)", response.content.decode())
    assert years == ["2023", "2024", "2025"]
    # The years come from the first and last dates, not a DISTINCT over every story.
    assert not [q["sql"] for q in queries.captured_queries if "DISTINCT" in q["sql"]]
