"""The reader-page cache, on local memory and on a real Redis."""

from datetime import timedelta

import pytest
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone

from articles import cache as page_cache
from articles import workflow
from articles.models import Article
from tests.factories import make_article

pytestmark = pytest.mark.django_db


@pytest.fixture
def story():
    return make_article(headline="A cached story")


def test_second_anonymous_visit_is_served_without_touching_the_database(
    client, story, page_cache_on, django_assert_num_queries
):
    client.get(story.get_absolute_url())
    with django_assert_num_queries(0):
        response = client.get(story.get_absolute_url())
    assert "A cached story" in response.content.decode()


def test_unpublishing_removes_the_story_at_once(
    client, story, editor, page_cache_on, django_capture_on_commit_callbacks
):
    assert client.get(story.get_absolute_url()).status_code == 200
    assert "A cached story" in client.get("/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.take("unpublish", story, by=editor)
    assert client.get(story.get_absolute_url()).status_code == 404
    assert "A cached story" not in client.get("/").content.decode()


def test_publishing_shows_the_story_at_once(
    client, editor, page_cache_on, django_capture_on_commit_callbacks
):
    draft = make_article(headline="Fresh news", status=Article.Status.APPROVED, published_at=None)
    assert "Fresh news" not in client.get("/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.take("publish", draft, by=editor)
    assert "Fresh news" in client.get("/").content.decode()


def test_an_edit_shows_at_once(client, story, page_cache_on, django_capture_on_commit_callbacks):
    client.get(story.get_absolute_url())
    with django_capture_on_commit_callbacks(execute=True):
        story.headline = "A corrected headline"
        story.save()
    assert "A corrected headline" in client.get(story.get_absolute_url()).content.decode()


def test_a_staff_preview_is_never_stored_for_readers(client, editor, page_cache_on):
    draft = make_article(status=Article.Status.DRAFT, published_at=None)
    client.force_login(editor)
    assert client.get(draft.get_absolute_url()).status_code == 200
    client.logout()
    client.cookies.clear()
    assert client.get(draft.get_absolute_url()).status_code == 404


def test_a_logged_in_visit_neither_reads_nor_fills_the_cache(
    client, story, editor, page_cache_on, django_assert_max_num_queries
):
    client.force_login(editor)
    client.get(story.get_absolute_url())
    client.get(story.get_absolute_url())
    # The second staff visit is rendered again (and shows staff their own page).
    with django_assert_max_num_queries(30) as queries:
        client.get(story.get_absolute_url())
    assert len(queries) > 0


def test_a_response_that_sets_a_cookie_is_not_stored():
    response = HttpResponse("hello")
    response.set_cookie("tracking", "1")
    assert not page_cache.is_storable(response)


def test_reader_pages_carry_shared_cache_headers_and_an_etag(client, story, page_cache_on):
    response = client.get(story.get_absolute_url())
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"public", "max-age=0", "s-maxage=1", "stale-while-revalidate=30"} <= cache_control
    assert response["ETag"].startswith('"')


def test_an_unchanged_page_answers_304(client, story, page_cache_on):
    etag = client.get(story.get_absolute_url())["ETag"]
    response = client.get(story.get_absolute_url(), headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.content == b""


def test_a_changed_page_answers_200_to_an_old_etag(
    client, story, page_cache_on, django_capture_on_commit_callbacks
):
    etag = client.get(story.get_absolute_url())["ETag"]
    with django_capture_on_commit_callbacks(execute=True):
        story.headline = "Changed"
        story.save()
    assert client.get(story.get_absolute_url(), headers={"If-None-Match": etag}).status_code == 200


def test_cached_pages_expire_when_the_next_scheduled_story_goes_out(page_cache_on):
    now = timezone.now()
    make_article(status=Article.Status.SCHEDULED, published_at=now + timedelta(seconds=40))
    assert 1 <= page_cache.page_timeout(now) <= 40


def test_losing_the_generation_never_serves_an_old_page(client, story, page_cache_on):
    from django.core.cache import cache

    client.get(story.get_absolute_url())
    Article.objects.filter(pk=story.pk).update(headline="Changed behind the cache's back")
    cache.delete(page_cache.GENERATION_KEY)
    assert "Changed behind" in client.get(story.get_absolute_url()).content.decode()


def test_desk_and_admin_pages_are_never_cached_publicly(client, editor, page_cache_on):
    client.force_login(editor)
    for url in [reverse("desk:index"), reverse("admin:articles_article_changelist")]:
        cache_control = client.get(url)["Cache-Control"]
        assert "no-store" in cache_control
        assert "public" not in cache_control
