"""The page cache never keeps what was made for one person: a preview, a signed-in page,
a page that sets a cookie or shows someone's messages. And a story taken off the site is
never served from it again.

tests/conftest.py turns the page cache off for every test; `page_cache_on` turns it back
on here, on local memory and (when it answers) on a real Redis.
"""

from datetime import timedelta

import pytest
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.test import Client
from django.urls import include, path, reverse
from django.utils import timezone

from articles.delivery.cache import reader_page
from articles.editing import revisions
from articles.models import Article, PreviewLink
from articles.moderation.views import preview_link_url
from tests.factories import make_article

pytestmark = pytest.mark.django_db
Status = Article.Status


# Its own Redis database: cache.clear() empties a whole database.
@pytest.fixture
def story():
    return make_article(headline="The original headline")


def change_behind_the_caches_back(article, headline):
    """A change no signal reports: only a page rendered afresh can show it."""
    Article.objects.filter(pk=article.pk).update(headline=headline)


def text_of(response) -> str:
    return response.content.decode()


def cache_control(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part}


# --- Signed-in visits -----------------------------------------------------------------------


def test_a_signed_in_visit_is_not_stored_for_readers(client, story, editor, page_cache_on):
    staff = Client()
    staff.force_login(editor)
    assert "The original headline" in text_of(staff.get(story.get_absolute_url()))
    change_behind_the_caches_back(story, "Changed since the editor's visit")
    assert "Changed since the editor" in text_of(client.get(story.get_absolute_url()))


def test_a_signed_in_visit_is_not_served_from_the_cache(client, story, editor, page_cache_on):
    client.get(story.get_absolute_url())  # a reader's visit fills the cache
    change_behind_the_caches_back(story, "Changed since the reader's visit")
    client.force_login(editor)
    assert "Changed since the reader" in text_of(client.get(story.get_absolute_url()))


def test_a_signed_in_page_is_private_to_shared_caches(client, story, editor, page_cache_on):
    client.force_login(editor)
    for url in ["/", story.get_absolute_url(), "/feeds/rss/", "/sitemap.xml"]:
        response = client.get(url)
        assert "private" in cache_control(response), url
        assert "public" not in cache_control(response), url


@pytest.mark.parametrize(
    "status, published_at",
    [
        (Status.DRAFT, None),
        (Status.IN_REVIEW, None),
        (Status.SCHEDULED, timezone.now() + timedelta(days=1)),
        (Status.UNPUBLISHED, timezone.now() - timedelta(days=1)),
    ],
)
def test_a_staff_preview_is_never_stored(client, editor, page_cache_on, status, published_at):
    hidden = make_article(headline="Not for readers", status=status, published_at=published_at)
    client.force_login(editor)
    response = client.get(hidden.get_absolute_url())
    assert "Not for readers" in text_of(response)
    assert {"no-store", "private"} <= cache_control(response)
    client.logout()
    client.cookies.clear()
    assert client.get(hidden.get_absolute_url()).status_code == 404


# --- Previews --------------------------------------------------------------------------------


@pytest.fixture
def draft(writer):
    article = make_article(
        headline="A draft under review", status=Status.IN_REVIEW, created_by=writer
    )
    revisions.record(article, by=writer)
    return article


@pytest.fixture
def link(draft, editor):
    return PreviewLink.objects.create(
        article=draft,
        label="Our lawyer",
        created_by=editor,
        expires_at=timezone.now() + timedelta(days=3),
    )


def test_every_staff_preview_says_no_store(client, editor, draft, page_cache_on):
    client.force_login(editor)
    for url in [
        reverse("review:preview", args=[draft.pk]),
        reverse("review:story", args=[draft.pk]),
        reverse("admin:articles_article_revision_preview", args=[draft.pk, 1]),
        reverse("admin:articles_article_change", args=[draft.pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in cache_control(response), url
        assert "public" not in cache_control(response), url


def test_a_shared_preview_says_private_and_no_store(client, link, page_cache_on):
    response = client.get(preview_link_url(link))
    assert "A draft under review" in text_of(response)
    assert {"no-store", "private"} <= cache_control(response)
    assert not response.has_header("ETag")


def test_every_visit_of_a_shared_preview_reaches_the_server(client, link, page_cache_on):
    for _ in range(3):
        Client().get(preview_link_url(link))
    assert link.visits.count() == 3


def test_a_revoked_preview_link_stops_working_at_once(client, editor, link, page_cache_on):
    url = preview_link_url(link)
    assert client.get(url).status_code == 200
    staff = Client()
    staff.force_login(editor)
    staff.post(reverse("review:revoke_link", args=[link.article_id, link.pk]))
    assert client.get(url).status_code == 404
    assert Client().get(url).status_code == 404


def test_an_expired_preview_link_stops_working(client, link, page_cache_on):
    url = preview_link_url(link)
    assert client.get(url).status_code == 200
    PreviewLink.objects.filter(pk=link.pk).update(expires_at=timezone.now())
    assert client.get(url).status_code == 404


def test_a_preview_link_of_a_trashed_story_stops_working(client, chief, link, page_cache_on):
    url = preview_link_url(link)
    assert client.get(url).status_code == 200
    staff = Client()
    staff.force_login(chief)
    staff.post(reverse("admin:articles_article_delete", args=[link.article_id]), {"post": "yes"})
    assert client.get(url).status_code == 404


# --- Responses that set a cookie or show someone's messages ----------------------------------


def test_a_reviewers_thank_you_message_is_never_shown_to_other_readers(
    client, link, story, page_cache_on
):
    Client().get("/")  # the home page is in the cache before the reviewer comes
    reviewer = Client()
    reviewer.post(preview_link_url(link), {"name": "Ana", "comment": "Paragraph two is wrong."})
    # Instead of following the redirect, the reviewer opens the home page.
    home = reviewer.get("/")
    assert "the editors have your comment" in text_of(home)  # her message, not the cached page
    assert "private" in cache_control(home)
    assert "the editors have your comment" not in text_of(client.get("/"))
    assert "the editors have your comment" not in text_of(Client().get("/"))


def csrf_form_page(request):
    return HttpResponse(f'<form method="post"><input name="csrf" value="{get_token(request)}">')


def session_page(request):
    request.session["seen"] = True
    return HttpResponse("Welcome, new visitor.")


def cookie_page(request):
    response = HttpResponse("Counted.")
    response.set_cookie("visitor", "42")
    return response


# Reader pages that touch visitor state, behind the page cache: Django's middleware sets
# their cookies only after reader_page has returned.
urlpatterns = [
    path("probe/csrf/", reader_page(csrf_form_page)),
    path("probe/session/", reader_page(session_page)),
    path("probe/cookie/", reader_page(cookie_page)),
    path("", include("newsroom.urls")),
]
with_probe_pages = pytest.mark.urls(__name__)


@with_probe_pages
def test_a_page_holding_a_csrf_token_is_not_stored(page_cache_on):
    first, second = Client(), Client()
    first_page = text_of(first.get("/probe/csrf/"))
    second_response = second.get("/probe/csrf/")
    assert "csrftoken" in second_response.cookies  # the view ran again for the second visitor
    assert text_of(second_response) != first_page


@with_probe_pages
def test_a_page_that_starts_a_session_is_not_stored(page_cache_on):
    Client().get("/probe/session/")
    assert "sessionid" in Client().get("/probe/session/").cookies


@with_probe_pages
def test_a_page_that_sets_a_cookie_is_not_stored(page_cache_on):
    Client().get("/probe/cookie/")
    assert Client().get("/probe/cookie/").cookies["visitor"].value == "42"


def test_reader_pages_set_no_cookie(client, story, page_cache_on):
    for url in ["/", story.get_absolute_url(), "/search/?q=headline", "/feeds/rss/"]:
        assert not client.get(url).cookies, url


# --- Taking a story off the site -------------------------------------------------------------


def visit_everywhere(client, article) -> dict:
    return {
        "page": client.get(article.get_absolute_url()).status_code,
        "home": article.headline in text_of(client.get("/")),
        "feed": article.headline in text_of(client.get("/feeds/rss/")),
        "sitemap": article.slug in text_of(client.get("/sitemap-articles.xml")),
    }


GONE = {"page": 404, "home": False, "feed": False, "sitemap": False}
THERE = {"page": 200, "home": True, "feed": True, "sitemap": True}


def test_unpublishing_on_the_review_page_removes_the_story_at_once(
    client, editor, story, page_cache_on, django_capture_on_commit_callbacks
):
    assert visit_everywhere(client, story) == THERE
    staff = Client()
    staff.force_login(editor)
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(
            reverse("review:story", args=[story.pk]),
            {"decision": "unpublish", "seen": f"published:{story.version}", "note": ""},
        )
    story.refresh_from_db()
    assert story.status == Status.UNPUBLISHED
    assert visit_everywhere(client, story) == GONE


def test_unpublishing_from_the_admin_removes_the_story_at_once(
    client, editor, story, page_cache_on, django_capture_on_commit_callbacks
):
    assert visit_everywhere(client, story) == THERE
    admin = Client()
    admin.force_login(editor)
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(reverse("admin:articles_article_transition", args=[story.pk, "unpublish"]))
    assert visit_everywhere(client, story) == GONE


def test_trashing_removes_the_story_at_once(
    client, chief, story, page_cache_on, django_capture_on_commit_callbacks
):
    assert visit_everywhere(client, story) == THERE
    admin = Client()
    admin.force_login(chief)
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(reverse("admin:articles_article_delete", args=[story.pk]), {"post": "yes"})
    assert visit_everywhere(client, story) == GONE


def test_sending_a_due_scheduled_story_back_removes_it_at_once(
    client, editor, page_cache_on, django_capture_on_commit_callbacks
):
    # Scheduled for a minute ago: readers see it before the scheduler has run.
    due = make_article(
        headline="Went out on schedule",
        status=Status.SCHEDULED,
        published_at=timezone.now() - timedelta(minutes=1),
    )
    assert visit_everywhere(client, due) == THERE
    staff = Client()
    staff.force_login(editor)
    with django_capture_on_commit_callbacks(execute=True):
        staff.post(
            reverse("review:story", args=[due.pk]),
            {"decision": "request_changes", "seen": f"scheduled:{due.version}", "note": "Wait."},
        )
    assert visit_everywhere(client, due) == GONE


def test_an_old_etag_of_an_unpublished_story_gets_a_404_not_a_304(
    client, editor, story, page_cache_on, django_capture_on_commit_callbacks
):
    from articles.moderation import workflow

    etag = client.get(story.get_absolute_url())["ETag"]
    with django_capture_on_commit_callbacks(execute=True):
        workflow.take("unpublish", story, by=editor)
    response = client.get(story.get_absolute_url(), headers={"If-None-Match": etag})
    assert response.status_code == 404


# --- One cached page per address, scheme and host --------------------------------------------


def test_a_page_cached_for_one_host_is_not_served_for_another(client, story, page_cache_on):
    client.get("/", headers={"Host": "localhost"})
    other = text_of(client.get("/", headers={"Host": "127.0.0.1"}))
    assert "http://127.0.0.1/" in other
    assert "http://localhost/" not in other


def test_a_page_cached_over_http_is_not_served_over_https(client, story, page_cache_on):
    client.get("/")
    secure = text_of(client.get("/", secure=True))
    assert "https://testserver/" in secure
    assert "http://testserver/" not in secure


def test_made_up_parameters_do_not_fill_the_cache(client, story, page_cache_on):
    client.get("/", {"x": "1"})
    story.headline = "A changed headline"
    Article.objects.filter(pk=story.pk).update(headline=story.headline)  # no new generation

    assert "A changed headline" in text_of(client.get("/", {"x": "1"}))


def test_a_head_request_never_stores_an_empty_page(client, story, page_cache_on):
    client.head(story.get_absolute_url())
    assert "The original headline" in text_of(client.get(story.get_absolute_url()))
