"""Editors' front-page picks as readers see them: the pinned stories lead, then the newest."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from articles.delivery import cache as page_cache
from articles.models import Article, Pin
from articles.reader.views import LISTING_PAGE_SIZE
from tests.factories import make_article, make_author, make_desk, make_user
from tests.pages import assert_in_order, visible_text

pytestmark = pytest.mark.django_db

HOME = reverse("articles:home")
# As tests/reader/test_views.py: stories, picks, bylines, desk menu (+1 for the desk itself).
LISTING_QUERY_BUDGET = 5


def page_html(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def lead_of(html: str) -> str:
    """The visible text of the home page's lead story."""
    section = re.search(r'<section aria-label="Lead story">(.*?)</section>', html, re.S)
    return visible_text(section.group(1)) if section else ""


@pytest.fixture
def older():
    return make_article(
        headline="An older story worth reading",
        published_at=timezone.now() - timedelta(days=3),
    )


@pytest.fixture
def newest():
    return make_article(headline="The newest story")


def test_home_leads_with_the_newest_story_when_nothing_is_pinned(client, older, newest):
    assert "The newest story" in lead_of(page_html(client, HOME))


def test_home_leads_with_the_pinned_story(client, older, newest):
    Pin.objects.create(article=older)

    assert "An older story worth reading" in lead_of(page_html(client, HOME))


def test_the_pinned_lead_is_labelled_featured_in_words(client, older, newest):
    Pin.objects.create(article=older)

    assert lead_of(page_html(client, HOME)).startswith("Featured")


def test_the_newest_lead_is_not_labelled_featured(client, older, newest):
    assert "Featured" not in visible_text(page_html(client, HOME))


def test_pinned_stories_lead_in_position_order(client, newest):
    second = make_article(headline="Second pick", published_at=timezone.now() - timedelta(days=2))
    first = make_article(headline="First pick", published_at=timezone.now() - timedelta(days=5))
    Pin.objects.create(article=second, position=2)
    Pin.objects.create(article=first, position=1)

    text = visible_text(page_html(client, HOME))

    assert_in_order(text, ["First pick", "Second pick", "The newest story"])


def test_a_pinned_story_is_not_repeated_among_the_newest(client, older, newest):
    Pin.objects.create(article=newest)

    assert visible_text(page_html(client, HOME)).count("The newest story") == 1


def test_a_pin_that_has_ended_no_longer_leads(client, older, newest):
    Pin.objects.create(article=older, ends_at=timezone.now() - timedelta(seconds=1))

    assert "The newest story" in lead_of(page_html(client, HOME))


def test_a_pinned_story_that_is_unpublished_never_shows(client, older, newest):
    Pin.objects.create(article=older)
    older.status = Article.Status.UNPUBLISHED
    older.save()

    assert "An older story worth reading" not in page_html(client, HOME)


def test_a_home_page_pin_does_not_lead_a_desk_page(client):
    desk = make_desk(name="Culture")
    older = make_article(
        headline="Old culture story", desk=desk, published_at=timezone.now() - timedelta(days=3)
    )
    make_article(headline="New culture story", desk=desk)
    Pin.objects.create(article=older)

    text = visible_text(page_html(client, desk.get_absolute_url()))

    assert_in_order(text, ["New culture story", "Old culture story"])


def test_desk_page_leads_with_its_own_pin(client):
    desk = make_desk(name="Culture")
    older = make_article(
        headline="Old culture story", desk=desk, published_at=timezone.now() - timedelta(days=3)
    )
    make_article(headline="New culture story", desk=desk)
    Pin.objects.create(article=older, desk=desk)

    text = visible_text(page_html(client, desk.get_absolute_url()))

    assert_in_order(text, ["Featured", "Old culture story", "New culture story"])


def test_a_pinned_story_beyond_the_first_page_leads_it(client, older):
    for _ in range(LISTING_PAGE_SIZE):
        make_article()
    Pin.objects.create(article=older)

    assert "An older story worth reading" in lead_of(page_html(client, HOME))


def test_later_pages_still_list_every_older_story(client, older):
    for number in range(LISTING_PAGE_SIZE + 2):
        make_article(headline=f"Filler {number:02}")
    Pin.objects.create(article=older)

    first = visible_text(page_html(client, HOME))
    second = visible_text(page_html(client, HOME + "?page=2"))

    missing = [
        f"Filler {n:02}"
        for n in range(LISTING_PAGE_SIZE + 2)
        if f"Filler {n:02}" not in first + second
    ]
    assert missing == []


def test_home_queries_do_not_grow_with_the_pins(client, django_assert_max_num_queries):
    desk = make_desk()
    for position in range(6):
        story = make_article(desk=desk, authors=[make_author(), make_author()], tags=["A"])
        Pin.objects.create(article=story, position=position)
        Pin.objects.create(article=story, desk=desk, position=position)
    for _ in range(LISTING_PAGE_SIZE):
        make_article(desk=desk)

    with django_assert_max_num_queries(LISTING_QUERY_BUDGET - 1):
        page_html(client, HOME)
    with django_assert_max_num_queries(LISTING_QUERY_BUDGET):
        page_html(client, desk.get_absolute_url())


def test_a_saved_pin_changes_the_cached_home_page_at_once(
    client, older, newest, page_cache_on, django_capture_on_commit_callbacks
):
    editor = make_user(groups=["Editor"])
    staff = Client()
    staff.force_login(editor)
    assert "The newest story" in lead_of(page_html(client, HOME))  # now cached

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            reverse("admin:articles_pin_add"),
            {"article": older.pk, "desk": "", "position": 0, "ends_at_0": "", "ends_at_1": ""},
        )
    assert response.status_code == 302

    assert "An older story worth reading" in lead_of(page_html(client, HOME))


def test_a_deleted_pin_changes_the_cached_home_page_at_once(
    client, older, newest, page_cache_on, django_capture_on_commit_callbacks
):
    pin = Pin.objects.create(article=older)
    staff = Client()
    staff.force_login(make_user(groups=["Editor"]))
    assert "An older story worth reading" in lead_of(page_html(client, HOME))  # now cached

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(reverse("admin:articles_pin_delete", args=[pin.pk]), {"post": "yes"})
    assert response.status_code == 302

    assert "The newest story" in lead_of(page_html(client, HOME))


def test_a_cached_page_lasts_only_until_a_pin_ends(page_cache_on):
    now = timezone.now()
    Pin.objects.create(article=make_article(), ends_at=now + timedelta(seconds=25))

    assert 1 <= page_cache.page_timeout(now) <= 25
