"""Front-page picks in the admin: editors choose what leads a page, through the quality gate."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, Pin
from tests.factories import make_article, make_desk

pytestmark = pytest.mark.django_db

ADD = reverse("admin:articles_pin_add")


def pick_form(article, *, desk=None, position=0, ends_at=None):
    """The pick's admin form as it POSTs."""
    return {
        "article": article.pk,
        "desk": desk.pk if desk else "",
        "position": position,
        "ends_at_0": ends_at.strftime("%Y-%m-%d") if ends_at else "",
        "ends_at_1": ends_at.strftime("%H:%M:%S") if ends_at else "",
        "_save": "Save",
    }


def errors_of(response) -> str:
    assert response.status_code == 200  # the form again, with its errors
    return " ".join(str(error) for error in response.context["adminform"].form.errors.values())


def test_editor_features_a_published_story_on_the_home_page(editor_client, editor):
    story = make_article(headline="The budget vote")

    response = editor_client.post(ADD, pick_form(story))

    assert response.status_code == 302
    pin = Pin.objects.get()
    assert (pin.article, pin.desk, pin.created_by) == (story, None, editor)


def test_editor_features_a_story_on_its_desk_page(editor_client):
    desk = make_desk(name="Culture")
    story = make_article(desk=desk)

    editor_client.post(ADD, pick_form(story, desk=desk))

    assert Pin.objects.get().desk == desk


def test_writer_cannot_feature_a_story(client, writer):
    client.force_login(writer)

    response = client.post(ADD, pick_form(make_article()))

    assert response.status_code == 403
    assert not Pin.objects.exists()


def test_writer_does_not_see_the_front_page_picks(client, writer):
    client.force_login(writer)

    assert client.get(reverse("admin:articles_pin_changelist")).status_code == 403


def test_unpublished_story_is_refused_with_the_reason(editor_client):
    draft = make_article(status=Article.Status.DRAFT, published_at=None)

    response = editor_client.post(ADD, pick_form(draft))

    assert "This story is not published" in errors_of(response)
    assert not Pin.objects.exists()


def test_story_that_fails_the_quality_gate_is_refused_with_the_rule(editor_client):
    story = make_article()
    story.credits.update(name="")

    response = editor_client.post(ADD, pick_form(story))

    assert "needs a name" in errors_of(response)
    assert not Pin.objects.exists()


def test_second_pick_of_one_story_on_one_page_is_refused(editor_client):
    story = make_article()
    Pin.objects.create(article=story)

    response = editor_client.post(ADD, pick_form(story, position=3))

    assert "already featured on the home page" in errors_of(response)
    assert Pin.objects.count() == 1


def test_one_story_may_lead_the_home_page_and_its_desk(editor_client):
    desk = make_desk()
    story = make_article(desk=desk)
    Pin.objects.create(article=story)

    editor_client.post(ADD, pick_form(story, desk=desk))

    assert Pin.objects.count() == 2


def test_a_story_from_another_desk_is_refused_on_a_desk_page(editor_client):
    story = make_article(desk=make_desk(name="Sport"))

    response = editor_client.post(ADD, pick_form(story, desk=make_desk(name="Culture")))

    assert "not on the Culture desk" in errors_of(response)


def test_an_end_in_the_past_is_refused(editor_client):
    story = make_article()

    response = editor_client.post(
        ADD, pick_form(story, ends_at=timezone.now() - timedelta(hours=1))
    )

    assert "The end must be in the future" in errors_of(response)
    assert not Pin.objects.exists()


def test_the_feature_link_fills_in_the_story(editor_client):
    story = make_article(headline="The budget vote")

    response = editor_client.get(ADD, {"article": story.pk})

    assert "selected>The budget vote</option>" in response.content.decode()


def test_a_mangled_feature_link_still_opens_the_form(editor_client):
    assert editor_client.get(ADD, {"article": "1'; DROP"}).status_code == 200


def test_story_chooser_offers_only_published_stories(editor_client):
    make_article(headline="Budget vote published")
    make_article(headline="Budget vote draft", status=Article.Status.DRAFT, published_at=None)

    response = editor_client.get(
        reverse("admin:articles_pin_story_autocomplete"),
        {"term": "budget", "app_label": "articles", "model_name": "pin", "field_name": "article"},
    )

    assert [row["text"] for row in response.json()["results"]] == ["Budget vote published"]


def test_editor_reorders_picks_from_the_list(editor_client):
    first, second = (
        Pin.objects.create(article=make_article()),
        Pin.objects.create(article=make_article(), position=1),
    )
    data = {
        "form-TOTAL_FORMS": "2",
        "form-INITIAL_FORMS": "2",
        "form-0-id": first.pk,
        "form-0-position": "5",
        "form-0-ends_at_0": "",
        "form-0-ends_at_1": "",
        "form-1-id": second.pk,
        "form-1-position": "1",
        "form-1-ends_at_0": "",
        "form-1-ends_at_1": "",
        "_save": "Save",
    }

    response = editor_client.post(reverse("admin:articles_pin_changelist"), data)

    assert response.status_code == 302
    first.refresh_from_db()
    assert first.position == 5


def test_list_says_which_picks_are_showing(editor_client):
    Pin.objects.create(article=make_article(headline="Still up"))
    Pin.objects.create(
        article=make_article(headline="Gone"), ends_at=timezone.now() - timedelta(minutes=1)
    )
    unpublished = make_article(headline="Pulled")
    Pin.objects.create(article=unpublished)
    unpublished.status = Article.Status.UNPUBLISHED
    unpublished.save()

    page = editor_client.get(reverse("admin:articles_pin_changelist")).content.decode()

    assert "Showing" in page
    assert "Ended" in page
    assert "Hidden: the story is not published" in page


def test_editors_find_the_picks_on_the_admin_home_as_front_page_picks(editor_client):
    page = editor_client.get(reverse("admin:index")).content.decode()

    assert "Front-page picks" in page


def test_writer_gets_no_suggestions_from_the_story_chooser(client, writer):
    client.force_login(writer)
    make_article(headline="Budget vote published")

    response = client.get(
        reverse("admin:articles_pin_story_autocomplete"),
        {"term": "budget", "app_label": "articles", "model_name": "pin", "field_name": "article"},
    )

    assert response.status_code == 403
