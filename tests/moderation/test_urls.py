"""The review queues moved from /desk/ to /review/: old bookmarks and emails still arrive."""

import pytest
from django.urls import reverse

from articles.models import Article
from tests.factories import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def story():
    return make_article(status=Article.Status.IN_REVIEW, published_at=None)


def test_old_queues_address_moves_permanently_to_the_review_queues(client):
    response = client.get("/desk/")
    assert response.status_code == 301
    assert response["Location"] == reverse("review:index")


def test_old_story_address_moves_permanently_to_its_review_page(client, story):
    response = client.get(f"/desk/{story.pk}/")
    assert response.status_code == 301
    assert response["Location"] == reverse("review:story", args=[story.pk])


def test_old_preview_address_moves_permanently_to_the_new_preview(client, story):
    response = client.get(f"/desk/{story.pk}/preview/")
    assert response.status_code == 301
    assert response["Location"] == reverse("review:preview", args=[story.pk])


def test_old_address_keeps_its_query_string(client):
    response = client.get("/desk/?queue=waiting")
    assert response.status_code == 301
    assert response["Location"] == reverse("review:index") + "?queue=waiting"


def test_old_address_leads_a_signed_in_editor_to_the_review_queues(client, editor):
    client.force_login(editor)
    response = client.get("/desk/", follow=True)
    assert response.redirect_chain == [(reverse("review:index"), 301)]
    assert response.status_code == 200


def test_login_page_does_not_carry_an_old_address_as_next(client):
    # Nameless on purpose: a login follows next= only to a named page of this site.
    page = client.get(reverse("admin:login"), {"next": "/desk/nope"}).content.decode()
    assert "/desk/nope" not in page
