"""Autosave: an editor's unsaved story form, kept, offered back and restored (test client)."""

import pytest
from django.test import Client
from django.urls import reverse

from articles.editing import stories
from articles.models import Article, Autosave
from tests.editing.test_admin import change_url, edit_post, form_data
from tests.factories import make_article
from tests.pages import visible_text

pytestmark = pytest.mark.django_db

Status = Article.Status
ADD_URL = reverse("admin:articles_article_add")
ADD_AUTOSAVE_URL = reverse("admin:articles_article_autosave_add")


def autosave_url(article):
    return reverse("admin:articles_article_autosave", args=[article.pk])


def discard_url(article):
    return reverse("admin:articles_article_autosave_discard", args=[article.pk])


@pytest.fixture
def story(writer):
    article = make_article(dek="The dek as saved.", status=Status.DRAFT, created_by=writer)
    stories.finish_save(article, by=writer, summary="Created")
    return article


@pytest.fixture
def writer_client(client, writer):
    client.force_login(writer)
    return client


def autosave(client, article, **changes):
    """Post the change form, as the page's script does, with these fields typed."""
    data = form_data(client, article) | changes
    data.pop("_continue")
    return client.post(autosave_url(article), data)


def test_autosave_keeps_the_typed_text_as_the_users_own(writer_client, writer, story):
    response = autosave(writer_client, story, dek="Half a senten")
    assert response.status_code == 200
    assert "saved_at" in response.json()
    kept = Autosave.objects.get(article=story, user=writer)
    assert kept.data["dek"] == ["Half a senten"]
    assert kept.loaded_version == story.version


def test_autosave_changes_nothing_readers_or_the_workflow_see(writer_client, story):
    version, revisions = story.version, story.revisions.count()
    autosave(writer_client, story, dek="Half a senten")
    story.refresh_from_db()
    assert (story.dek, story.status, story.version) == ("The dek as saved.", Status.DRAFT, version)
    assert story.revisions.count() == revisions


def test_a_later_autosave_replaces_the_earlier_one(writer_client, writer, story):
    autosave(writer_client, story, dek="Half")
    autosave(writer_client, story, dek="Half a sentence")
    assert [a.data["dek"] for a in Autosave.objects.filter(user=writer)] == [["Half a sentence"]]


def test_autosave_takes_a_small_constant_number_of_queries(
    writer_client, story, django_assert_max_num_queries
):
    data = form_data(writer_client, story) | {"dek": "Typed"}
    writer_client.post(autosave_url(story), data)  # the second one updates in place
    with django_assert_max_num_queries(6):
        response = writer_client.post(autosave_url(story), data)
    assert response.status_code == 200


def test_autosave_keeps_no_buttons_or_tokens(writer_client, writer, story):
    data = form_data(writer_client, story) | {"csrfmiddlewaretoken": "x", "_save": "Save"}
    writer_client.post(autosave_url(story), data)
    kept = Autosave.objects.get(user=writer).data
    assert not {"_continue", "_save", "csrfmiddlewaretoken"} & set(kept)


def test_writer_cannot_autosave_another_writers_story(client, other_writer, story):
    client.force_login(other_writer)
    response = client.post(autosave_url(story), {"dek": "Not mine", "loaded_version": "1"})
    assert response.status_code == 403
    assert not Autosave.objects.exists()


def test_writer_cannot_autosave_a_story_sent_for_review(writer_client, story):
    Article.objects.filter(pk=story.pk).update(status=Status.IN_REVIEW)
    response = writer_client.post(autosave_url(story), {"dek": "Late", "loaded_version": "1"})
    assert response.status_code == 403
    assert response.json()["error"] == "You may not change this story."


def test_autosave_of_a_missing_story_is_404(writer_client):
    url = reverse("admin:articles_article_autosave", args=[999999])
    assert writer_client.post(url, {"loaded_version": "1"}).status_code == 404


def test_autosave_answers_only_post(writer_client, story):
    response = writer_client.get(autosave_url(story))
    assert response.status_code == 405
    assert response["Allow"] == "POST"


def test_autosave_without_the_version_the_form_was_opened_at_is_400(writer_client, story):
    response = writer_client.post(autosave_url(story), {"dek": "Typed"})
    assert response.status_code == 400
    assert not Autosave.objects.exists()


def test_autosave_with_too_many_fields_is_400(writer_client, story, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 50
    fields = {f"field-{n}": "x" for n in range(60)} | {"loaded_version": "1"}
    assert writer_client.post(autosave_url(story), fields).status_code == 400


def test_autosave_needs_a_signed_in_staff_user(client, story):
    response = client.post(autosave_url(story), {"dek": "Typed", "loaded_version": "1"})
    assert response.status_code == 302
    assert not Autosave.objects.exists()


def test_reopening_the_story_offers_the_unsaved_changes(writer_client, story):
    autosave(writer_client, story, dek="Half a senten")
    page = visible_text(writer_client.get(change_url(story)).content.decode())
    assert "You have unsaved changes from" in page
    assert "Restore them" in page


def test_another_users_unsaved_changes_are_not_offered(client, writer, editor, story):
    client.force_login(editor)
    autosave(client, story, dek="The editor's half sentence")
    client.force_login(writer)
    page = visible_text(client.get(change_url(story)).content.decode())
    assert "You have unsaved changes" not in page


def test_restore_shows_the_unsaved_text_and_saves_nothing(writer_client, story):
    autosave(writer_client, story, dek="Half a senten")
    response = writer_client.get(change_url(story) + "?restore=autosave")
    assert response.status_code == 200
    assert response.context["adminform"].form["dek"].value() == "Half a senten"
    assert "nothing is saved until you save" in visible_text(response.content.decode())
    story.refresh_from_db()
    assert story.dek == "The dek as saved."


def test_restore_brings_back_a_section_that_was_never_saved(writer_client, story):
    data = form_data(writer_client, story)
    data.pop("_continue")
    data |= {
        "sections-TOTAL_FORMS": "3",
        "sections-2-heading": "A new part",
        "sections-2-body": "<p>Typed but never saved.</p>",
        "sections-2-position": "2",
    }
    writer_client.post(autosave_url(story), data)
    response = writer_client.get(change_url(story) + "?restore=autosave")
    sections = next(
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == "sections"
    )
    assert sections.forms[2]["body"].value() == "<p>Typed but never saved.</p>"
    assert story.sections.count() == 2


def test_restore_of_another_users_changes_is_refused(client, writer, editor, story):
    client.force_login(editor)
    autosave(client, story, dek="The editor's half sentence")
    client.force_login(writer)
    response = client.get(change_url(story) + "?restore=autosave", follow=True)
    assert response.context["adminform"].form["dek"].value() == "The dek as saved."
    assert "no unsaved changes to restore" in visible_text(response.content.decode())


def test_saving_the_restored_form_saves_the_text_and_drops_the_copy(writer_client, story):
    autosave(writer_client, story, dek="A whole sentence at last.")
    restored = writer_client.get(change_url(story) + "?restore=autosave")
    data = {
        name: value
        for name, value in restored.context["adminform"].form.data.lists()
        if name != "dek"
    } | {"dek": "A whole sentence at last.", "_continue": "1"}
    response = writer_client.post(change_url(story), data)
    assert response.status_code == 302
    story.refresh_from_db()
    assert story.dek == "A whole sentence at last."
    assert not Autosave.objects.exists()


def test_restoring_after_someone_elses_save_keeps_their_change(client, writer, editor, story):
    client.force_login(writer)
    autosave(client, story, headline="The writer's headline")
    editor_client = Client()
    editor_client.force_login(editor)
    edit_post(editor_client, story, dek="The editor's dek.")

    client.force_login(writer)
    page = visible_text(client.get(change_url(story)).content.decode())
    assert "You have unsaved changes from" in page  # their save does not hide mine
    restored = client.get(change_url(story) + "?restore=autosave")
    data = dict(restored.context["adminform"].form.data.lists()) | {"_continue": "1"}
    assert client.post(change_url(story), data).status_code == 302
    story.refresh_from_db()
    assert (story.headline, story.dek) == ("The writer's headline", "The editor's dek.")


def test_a_save_deletes_only_that_users_unsaved_changes(client, writer, editor, story):
    client.force_login(editor)
    autosave(client, story, dek="The editor's half sentence")
    client.force_login(writer)
    autosave(client, story, dek="The writer's half sentence")
    stories.save_story(story, by=writer, summary="Saved")
    assert [a.user for a in Autosave.objects.all()] == [editor]


def test_changes_older_than_the_users_own_save_are_not_offered(writer_client, writer, story):
    stories.finish_save(story, by=writer, summary="Saved")
    saved_at = story.revisions.first().created_at
    # An autosave that crossed that save on the network and arrived after it.
    Autosave.objects.create(
        article=story, user=writer, data={"dek": ["Before the save"]}, saved_at=saved_at
    )
    page = visible_text(writer_client.get(change_url(story)).content.decode())
    assert "You have unsaved changes" not in page


def test_discard_deletes_the_users_unsaved_changes(writer_client, story):
    autosave(writer_client, story, dek="Half a senten")
    response = writer_client.post(discard_url(story))
    assert response.json() == {"discarded": True}
    assert not Autosave.objects.exists()
    page = visible_text(writer_client.get(change_url(story)).content.decode())
    assert "You have unsaved changes" not in page


def test_discard_leaves_other_users_changes_alone(client, writer, editor, story):
    client.force_login(editor)
    autosave(client, story, dek="The editor's half sentence")
    client.force_login(writer)
    client.post(discard_url(story))
    assert Autosave.objects.get().user == editor


def test_discard_answers_only_post(writer_client, story):
    autosave(writer_client, story, dek="Half a senten")
    assert writer_client.get(discard_url(story)).status_code == 405
    assert Autosave.objects.exists()


def new_story_form(**fields):
    """The add form as its script posts it, before the story exists."""
    data = {"headline": "", "slug": "", "dek": "", "loaded_version": ""} | fields
    for prefix in ["bylines", "sections", "takeaways", "credits", "cta_placements"]:
        data |= {f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"}
    return data


def test_a_story_not_yet_made_is_kept_offered_and_restored(writer_client, writer):
    response = writer_client.post(ADD_AUTOSAVE_URL, new_story_form(headline="A new stor"))
    assert response.status_code == 200
    assert Autosave.objects.get(article=None, user=writer).data["headline"] == ["A new stor"]
    page = visible_text(writer_client.get(ADD_URL).content.decode())
    assert "You have unsaved changes from" in page
    restored = writer_client.get(ADD_URL + "?restore=autosave")
    assert restored.context["adminform"].form["headline"].value() == "A new stor"
    assert not Article.objects.exists()


def test_making_the_story_deletes_the_unsaved_new_story(writer_client, writer):
    writer_client.post(ADD_AUTOSAVE_URL, new_story_form(headline="A new stor"))
    stories.save_story(Article(headline="A new story"), by=writer, summary="Created")
    assert not Autosave.objects.exists()


def test_user_without_add_permission_cannot_keep_a_new_story(client, writer):
    writer.groups.clear()
    client.force_login(writer)
    assert client.post(ADD_AUTOSAVE_URL, new_story_form(headline="x")).status_code == 403
