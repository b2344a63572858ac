"""Authors, desks, tags and calls to action, as readers may know them; and the schema."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from articles.models import ApiKey, ArticleCallToAction, Tag
from tests.factories import make_article, make_author, make_cta, make_desk

pytestmark = pytest.mark.django_db


def names(response, key="name") -> list[str]:
    assert response.status_code == 200, response.content
    return [item[key] for item in response.json()["results"]]


def test_authors_are_those_with_a_published_story(client):
    make_article(authors=[make_author(name="Ana Lima")])
    make_article(status="draft", authors=[make_author(name="Secret Hire")])
    assert names(client.get(reverse("api:author-list"))) == ["Ana Lima"]


def test_an_author_of_drafts_only_is_a_404(client):
    make_article(status="draft", authors=[make_author(name="Secret Hire")])
    assert client.get(reverse("api:author-detail", args=["secret-hire"])).status_code == 404


def test_desks_are_listed_by_name(client):
    make_desk(name="Sport")
    make_desk(name="City")
    assert names(client.get(reverse("api:desk-list"))) == ["City", "Sport"]


def test_tags_are_those_readers_see(client):
    make_article(tags=["Climate", "Budget planning"])
    make_article(status="draft", tags=["Merger"])
    Tag.objects.filter(name="Budget planning").update(is_internal=True)
    assert names(client.get(reverse("api:tag-list"))) == ["Climate"]


def test_a_preview_key_lists_every_tag(client):
    make_article(tags=["Climate", "Budget planning"])
    Tag.objects.filter(name="Budget planning").update(is_internal=True)
    _, secret = ApiKey.issue(name="Preview", scope=ApiKey.Scope.PREVIEW)
    assert names(client.get(reverse("api:tag-list"), {"key": secret})) == [
        "Budget planning",
        "Climate",
    ]


def test_calls_to_action_in_use_are_those_showing_on_a_published_story(client):
    story, draft = make_article(ctas=0), make_article(status="draft", ctas=0)
    for cta, on in [
        (make_cta(text="Showing"), story),
        (make_cta(text="Ended", ends_at=timezone.now() - timedelta(days=1)), story),
        (make_cta(text="On a draft only"), draft),
    ]:
        ArticleCallToAction.objects.create(article=on, call_to_action=cta)
    make_cta(text="Placed nowhere")
    assert names(client.get(reverse("api:call-to-action-list")), key="text") == ["Showing"]


def test_the_schema_is_openapi_3_1_and_valid(client):
    response = client.get(reverse("api:schema"), {"format": "json"})
    document = response.json()
    assert document["openapi"] == "3.1.0"
    assert "/api/v1/stories/{slug}/" in document["paths"]
    validate_schema(SchemaGenerator().get_schema(request=None, public=True))
