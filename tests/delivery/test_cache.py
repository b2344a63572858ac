"""The reader-page cache, on local memory and on a real Redis."""

import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.checks import run_checks
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from articles.delivery import cache as page_cache
from articles.editing import stories
from articles.models import Article
from articles.moderation import workflow
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


def test_an_edit_shows_at_once(
    client, story, editor, page_cache_on, django_capture_on_commit_callbacks
):
    client.get(story.get_absolute_url())
    with django_capture_on_commit_callbacks(execute=True):
        story.headline = "A corrected headline"
        stories.save_story(story, by=editor, summary="Corrected")
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
    client, story, editor, page_cache_on, django_capture_on_commit_callbacks
):
    etag = client.get(story.get_absolute_url())["ETag"]
    with django_capture_on_commit_callbacks(execute=True):
        story.headline = "Changed"
        stories.save_story(story, by=editor, summary="Changed")
    assert client.get(story.get_absolute_url(), headers={"If-None-Match": etag}).status_code == 200


def test_cached_pages_expire_when_the_next_scheduled_story_goes_out(page_cache_on):
    now = timezone.now()
    make_article(status=Article.Status.SCHEDULED, published_at=now + timedelta(seconds=40))
    assert 1 <= page_cache.page_timeout(now) <= 40


def test_losing_the_generation_never_serves_an_old_page(client, story, page_cache_on):
    client.get(story.get_absolute_url())
    Article.objects.filter(pk=story.pk).update(headline="Changed behind the cache's back")
    if settings.PAGE_CACHE_GENERATION_FILE:
        settings.PAGE_CACHE_GENERATION_FILE.unlink()
    else:
        cache.delete(page_cache.GENERATION_KEY)
    assert "Changed behind" in client.get(story.get_absolute_url()).content.decode()


def test_review_and_admin_pages_are_never_cached_publicly(client, editor, page_cache_on):
    client.force_login(editor)
    for url in [reverse("review:index"), reverse("admin:articles_article_changelist")]:
        cache_control = client.get(url)["Cache-Control"]
        assert "no-store" in cache_control
        assert "public" not in cache_control


def test_a_page_made_while_a_change_went_out_is_never_served(story, page_cache_on):
    key = page_cache.page_key(RequestFactory().get(story.get_absolute_url()).environ)
    made_in = page_cache.generation()
    page_cache.start_generation()  # a change went out meanwhile
    page_cache.store_page(key, HttpResponse("the page as it was"), made_in)
    assert page_cache.stored_page(key, page_cache.generation()) is None


# --- Pages served through the WSGI application gunicorn runs (newsroom/wsgi.py) -------------


@pytest.fixture
def pages_made(monkeypatch):
    """The reader pages Django rendered and stored (each a cache miss). As in Django's test
    client, the request cycle's connection handling is kept away from the test's
    transaction."""
    made = []
    store_page = page_cache.store_page

    def store_and_count(key, response, page_generation):
        made.append(key)
        store_page(key, response, page_generation)

    monkeypatch.setattr(page_cache, "store_page", store_and_count)
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield made
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def served(path, **headers):
    """GET path from the WSGI application gunicorn runs: (status, headers, body)."""
    from newsroom.wsgi import application

    answer = {}

    def start_response(status, response_headers, exc_info=None):
        answer.update(status=int(status.split()[0]), headers=dict(response_headers))

    body = application(RequestFactory().get(path, headers=headers).environ, start_response)
    content = b"".join(body)
    if hasattr(body, "close"):
        body.close()
    return answer["status"], answer["headers"], content


def test_a_stored_page_is_served_again_without_rendering(story, page_cache_on, pages_made):
    made = served(story.get_absolute_url())
    again = served(story.get_absolute_url())
    assert len(pages_made) == 1  # the first visit only
    assert again[2] == made[2]


def test_a_stored_page_carries_every_header_django_gave_it(story, page_cache_on, pages_made):
    made_headers = served(story.get_absolute_url())[1]
    headers = served(story.get_absolute_url())[1]
    assert headers == made_headers
    assert {"Content-Security-Policy", "X-Content-Type-Options", "ETag"} <= set(headers)


def test_an_unpublished_story_is_not_answered_from_its_stored_page(
    story, editor, page_cache_on, pages_made, django_capture_on_commit_callbacks
):
    served(story.get_absolute_url())
    assert served(story.get_absolute_url())[0] == 200
    with django_capture_on_commit_callbacks(execute=True):
        workflow.take("unpublish", story, by=editor)
    assert served(story.get_absolute_url())[0] == 404


def test_a_visitor_with_a_session_is_not_answered_from_the_stored_page(
    story, page_cache_on, pages_made
):
    served(story.get_absolute_url())
    headers = served(story.get_absolute_url(), cookie=f"{settings.SESSION_COOKIE_NAME}=abc")[1]
    assert "private" in headers["Cache-Control"]  # made for this visitor, not the stored one


def test_a_conditional_request_is_answered_304(story, page_cache_on, pages_made):
    etag = served(story.get_absolute_url())[1]["ETag"]
    status, _, body = served(story.get_absolute_url(), if_none_match=etag)
    assert (status, body) == (304, b"")


def test_without_redis_a_change_made_in_another_process_is_seen_at_once(
    client, story, settings, tmp_path
):
    """Each process keeps pages in its own memory; the generation file tells them all."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.PAGE_CACHE_GENERATION_FILE = tmp_path / "page-cache-generation"
    settings.PAGE_CACHE_SECONDS = 300
    client.get(story.get_absolute_url())
    Article.objects.filter(pk=story.pk).update(headline="Corrected in another process")
    environment = {
        **os.environ,
        "PAGE_CACHE_GENERATION_FILE": str(tmp_path / "page-cache-generation"),
    }
    environment.pop("REDIS_URL", None)
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from articles.delivery import cache; cache.start_generation()",
        ],
        cwd=settings.BASE_DIR,
        env=environment,
        check=True,
    )
    assert "Corrected in another process" in client.get(story.get_absolute_url()).content.decode()


def test_a_generation_file_that_cannot_be_written_fails_the_deploy_check(settings, tmp_path):
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("")
    settings.PAGE_CACHE_GENERATION_FILE = not_a_folder / "page-cache-generation"
    errors = run_checks(include_deployment_checks=True)
    assert "newsroom.E001" in [error.id for error in errors]


def test_a_header_django_ignores_does_not_store_another_copy(story, page_cache_on, pages_made):
    served(story.get_absolute_url())
    served(story.get_absolute_url(), x_forwarded_host="elsewhere.example")
    assert len(pages_made) == 1


def test_the_proxys_scheme_header_keeps_one_copy_per_scheme(
    story, settings, page_cache_on, pages_made
):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    secure = served(story.get_absolute_url(), x_forwarded_proto="https")
    served(story.get_absolute_url(), x_forwarded_proto="made-up")
    served(story.get_absolute_url(), x_forwarded_proto="another")  # http as well: kept
    assert len(pages_made) == 2
    assert served(story.get_absolute_url(), x_forwarded_proto="https") == secure


def test_reader_pages_are_public_with_the_page_cache_off(client, story):
    response = client.get(story.get_absolute_url())
    assert "public" in response["Cache-Control"]
    assert response["ETag"]


def test_nginx_keeps_a_page_at_most_until_the_current_second_ends(
    story, page_cache_on, pages_made, monkeypatch
):
    monkeypatch.setattr(page_cache.time, "time", lambda: 1_800_000_000.75)
    made = served(story.get_absolute_url())[1]
    again = served(story.get_absolute_url())[1]
    assert made["X-Accel-Expires"] == again["X-Accel-Expires"] == "@1800000000"


def test_the_front_cache_expiry_is_not_stored_with_the_page(
    story, page_cache_on, pages_made, monkeypatch
):
    served(story.get_absolute_url())
    next_second = int(time.time()) + 1
    monkeypatch.setattr(page_cache.time, "time", lambda: next_second + 0.5)
    assert served(story.get_absolute_url())[1]["X-Accel-Expires"] == f"@{next_second}"
    assert len(pages_made) == 1  # answered from the stored page


def test_nginx_keeps_the_404_of_a_story_not_out_yet_only_until_the_second_ends(
    page_cache_on, pages_made, monkeypatch
):
    # Without it nginx keeps the 404 up to 2 s, and a publication reaches readers that late.
    story = make_article(status=Article.Status.APPROVED, published_at=None)
    monkeypatch.setattr(page_cache.time, "time", lambda: 1_800_000_000.75)
    status, headers, _ = served(story.get_absolute_url())
    assert status == 404
    assert headers["X-Accel-Expires"] == "@1800000000"


def test_a_cache_hit_runs_no_project_code_but_the_page_cache(story, page_cache_on, pages_made):
    """What a newcomer reads to follow a stored page out: the page cache, and with REDIS_URL
    the project's Redis backend (newsroom/cache_backends.py)."""
    modules = [str(settings.BASE_DIR / "articles"), str(settings.BASE_DIR / "newsroom")]
    ran = set()

    def note(frame, event, arg):
        path = frame.f_code.co_filename
        if event == "call" and path.startswith(tuple(modules)):
            ran.add(os.path.relpath(path, settings.BASE_DIR))

    url = story.get_absolute_url()
    served(url)
    sys.setprofile(note)
    try:
        served(url)
    finally:
        sys.setprofile(None)

    assert "articles/delivery/cache.py" in ran
    assert ran <= {"articles/delivery/cache.py", "newsroom/cache_backends.py"}
