"""Whatever a reader or a staff member types into an address: search words, page numbers,
filters and ids of any size and shape give a normal page or a 4xx, never a 500, and never
become database lookups that the page does not offer."""

from urllib.parse import quote, quote_from_bytes

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from articles.editing import revisions
from articles.models import Article, Notice, PreviewLink, Tag
from tests.factories import make_article, make_author, make_cta, make_desk

pytestmark = pytest.mark.django_db
Status = Article.Status
SEARCH = reverse("articles:search")
CHANGELIST = reverse("admin:articles_article_changelist")
NOT_A_CRASH = {200, 400, 404}
many_examples = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# What readers and attackers type: long, binary, broken encodings, SQL and tsquery syntax.
HOSTILE_TEXT = [
    "",
    " ",
    "a" * 10_000,
    "word " * 2_000,
    "\x00",
    "before\x00after",
    "\x01\x02\x1f\x7f",
    "\ufffd\ufeff\u202e",
    "a & | ! :* ( )",
    "!!!((( &&& |||",
    "'; DROP TABLE articles_article; --",
    '" OR 1=1 --',
    "%",
    "_",
    "\\",
    "<script>alert(1)</script>",
    "-",
    '"',
    "🙂" * 500,
]
# Percent-encodings that are not UTF-8 at all: lone bytes, a lone surrogate, overlong forms.
RAW_ENCODINGS = ["%ff%fe", "%ed%a0%80", "%c0%af", "%80", "%", "%zz", "%00", "a%00b", "%e2%82"]
PAGE_NUMBERS = [
    "-1",
    "0",
    "1e309",
    "99999999999999999999",
    "9" * 5_000,
    "last",
    "",
    "1.5",
    "0x10",
    "\x00",
    "١",
    "²",
    " 1",
]


@pytest.fixture
def reader():
    """An anonymous visitor whose requests answer like a server's: a crash is a 500."""
    return Client(raise_request_exception=False)


@pytest.fixture
def newsroom(writer, other_writer):
    """Published, draft and trashed stories, so that a leak would show."""
    desk = make_desk(name="Science")
    tag = Tag.objects.create(name="Climate", slug="climate")
    author = make_author(name="Ana Ruiz")
    published = make_article(
        headline="Published climate story", desk=desk, tags=["Climate"], authors=[author]
    )
    draft = make_article(
        headline="Draft climate story",
        status=Status.DRAFT,
        published_at=None,
        desk=desk,
        tags=["Climate"],
        authors=[author],
        created_by=other_writer,
    )
    trashed = make_article(headline="Trashed climate story", desk=desk, tags=["Climate"])
    Article.objects.filter(pk=trashed.pk).update(deleted_at=published.published_at)
    return {"desk": desk, "tag": tag, "author": author, "published": published, "draft": draft}


def reader_urls(newsroom):
    return [
        reverse("articles:home"),
        SEARCH,
        newsroom["desk"].get_absolute_url(),
        newsroom["tag"].get_absolute_url(),
        newsroom["author"].get_absolute_url(),
        newsroom["published"].get_absolute_url(),
    ]


def headlines(response) -> list[str]:
    return [story.headline for story in response.context["results"]]


# --- Search words --------------------------------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE_TEXT)
def test_hostile_search_text_gives_a_normal_search_page(reader, newsroom, text):
    response = reader.get(SEARCH, {"q": text})
    assert response.status_code == 200
    assert "Draft climate story" not in response.content.decode()


@pytest.mark.parametrize("raw", RAW_ENCODINGS)
def test_search_text_that_is_not_utf8_gives_a_normal_search_page(reader, newsroom, raw):
    response = reader.get(f"{SEARCH}?q={raw}")
    assert response.status_code == 200


@many_examples
@given(text=st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=300))
def test_no_search_text_ever_finds_a_draft_or_a_trashed_story(newsroom, text):
    response = Client(raise_request_exception=False).get(SEARCH, {"q": f"climate {text}"})
    assert response.status_code == 200
    assert set(headlines(response)) <= {"Published climate story"}


@many_examples
@given(raw=st.binary(max_size=200))
def test_any_bytes_as_search_text_give_a_normal_search_page(newsroom, raw):
    url = f"{SEARCH}?q={quote_from_bytes(raw)}&page={quote_from_bytes(raw[:20])}"
    assert Client(raise_request_exception=False).get(url).status_code == 200


# --- Page numbers ----------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGE_NUMBERS)
def test_any_page_number_on_search_shows_a_page_of_results(reader, newsroom, page):
    response = reader.get(SEARCH, {"q": "climate", "page": page})
    assert response.status_code == 200
    assert headlines(response) == ["Published climate story"]


@pytest.mark.parametrize("page", PAGE_NUMBERS)
def test_any_page_number_on_a_listing_is_a_page_or_a_404(reader, newsroom, page):
    for url in reader_urls(newsroom):
        assert reader.get(url, {"page": page}).status_code in NOT_A_CRASH, url


def test_two_page_numbers_at_once_are_a_page_or_a_404(reader, newsroom):
    for url in reader_urls(newsroom):
        assert reader.get(f"{url}?page=1&page=2&page=x").status_code in NOT_A_CRASH, url


# --- Filters ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "filters",
    [
        {"desk": "\x00"},
        {"desk": "x" * 10_000},
        {"desk": ["science", "other"]},
        {"tag": "\x00"},
        {"tag": "t" * 10_000},
        {"tag": "../../etc/passwd"},
        {"published_after": "99999-01-01"},
        {"published_after": "2024-02-30"},
        {"published_after": "\x00"},
        {"published_before": "0000-00-00"},
        {"published_before": "9" * 5_000},
        {"published_after": "2030-01-01", "published_before": "2000-01-01"},
    ],
    ids=lambda filters: str(list(filters))[:40],
)
def test_odd_search_filters_give_a_normal_search_page(reader, newsroom, filters):
    response = reader.get(SEARCH, {"q": "climate", **filters})
    assert response.status_code == 200
    assert "Draft climate story" not in headlines(response)


@pytest.mark.parametrize(
    "params",
    [
        "status=draft",
        "status__in=draft,published",
        "deleted_at__isnull=False",
        "created_by__password__startswith=a",
        "headline__regex=(",
        "desk__name__regex=.*",
        "o=-created_at",
        "trash=yes",
        "preview=1",
    ],
)
def test_reader_pages_ignore_parameters_they_do_not_offer(reader, newsroom, params):
    for url in reader_urls(newsroom):
        plain = reader.get(url, {"q": "climate"} if url == SEARCH else {})
        tampered = reader.get(f"{url}?{params}" + ("&q=climate" if url == SEARCH else ""))
        assert tampered.status_code == plain.status_code == 200, url
        html = tampered.content.decode()
        assert "Draft climate story" not in html
        assert "Trashed climate story" not in html


@many_examples
@given(
    params=st.dictionaries(
        st.sampled_from(["q", "page", "desk", "tag", "published_after", "published_before", "x"]),
        st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=60),
        max_size=4,
    ),
    which=st.integers(min_value=0, max_value=5),
)
def test_any_parameters_on_any_reader_page_give_a_page_or_a_404(newsroom, params, which):
    url = reader_urls(newsroom)[which]
    response = Client(raise_request_exception=False).get(url, params)
    assert response.status_code in NOT_A_CRASH
    assert "Draft climate story" not in response.content.decode()


# --- Addresses -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/stories/" + "s" * 5_000 + "/",
        "/stories/%ff%fe/",
        "/desks/%c0%af/",
        "/authors/" + "a" * 5_000 + "/",
        "/tags/" + "t" * 5_000 + "/",
        "/tags/%ff%fe/",
        "/tags/..%2F..%2F/",
        "/feeds/tags/" + "t" * 5_000 + "/rss/",
        "/feeds/desks/%ff/atom/",
        "/preview/%00/",
        "/preview/" + "x" * 5_000 + "/",
        "/preview/eyJsaW5rIjoxLCJhcnRpY2xlIjoxfQ:forged:signature/",
        "/sitemap-%00.xml",
        "/sitemap-stories.xml?p=%00",
        "/sitemap-stories.xml?p=99999999999999999999",
        "/sitemap-stories.xml?p=-1",
        "/sitemap-nothing.xml",
    ],
    ids=lambda url: url[:40],
)
def test_odd_reader_addresses_are_a_page_or_a_404(reader, newsroom, url):
    assert reader.get(url).status_code in NOT_A_CRASH


@pytest.mark.parametrize(
    "url", ["/tags/%00/", "/tags/a%00b/", "/feeds/tags/%00/rss/", "/feeds/tags/%00/atom/"]
)
def test_a_nul_byte_in_a_tag_address_is_a_404(reader, newsroom, url):
    assert reader.get(url).status_code in NOT_A_CRASH


@many_examples
@given(token=st.text(alphabet=st.characters(exclude_categories=["Cs"], exclude_characters="/\x00")))
def test_any_preview_token_but_a_real_one_is_a_404(newsroom, token):
    url = f"/preview/{quote(token, safe='')}/"
    response = Client(raise_request_exception=False).get(url)
    assert response.status_code == 404
    assert PreviewLink.objects.count() == 0


# --- Staff lists: only the filters they offer ------------------------------------------------


@pytest.fixture
def chief_client(chief):
    client = Client(raise_request_exception=False)
    client.force_login(chief)
    return client


@pytest.fixture
def writer_client(writer):
    client = Client(raise_request_exception=False)
    client.force_login(writer)
    return client


@pytest.mark.parametrize(
    "params",
    [
        # Across relations: the classic ways to read other tables through a filter.
        "created_by__password__startswith=a",
        "assignee__password__startswith=p",
        "created_by__username__regex=.*",
        "desk__name__regex=.*",
        "tags__name__startswith=c",
        "authors__user__password__startswith=a",
        "bylines__author__user__email__contains=@",
        # Fields of the story itself that no filter offers.
        "headline__regex=(",
        "headline__regex=(a+)+$",
        "body_text__icontains=secret",
        "created_by__exact=1",
        "deleted_at__isnull=False",
        "search_vector__isnull=False",
        "status__regex=.*",
        # Values no filter link sends.
        "status__exact=%00",
        "desk__id__exact=%00",
        "published_at__year=99999999999999999999",
        "published_at__year=9999",
        "published_at__year=2024&published_at__month=99999999999999999999",
        "published_at__year=2024&published_at__month=1&published_at__day=-1",
        "published_at__year=%d9%a3",
        "published_at__hour=1",
    ],
)
def test_article_list_refuses_filters_it_does_not_offer(chief_client, newsroom, params):
    response = chief_client.get(f"{CHANGELIST}?{params}")
    assert response.status_code == 400
    assert "climate story" not in response.content.decode()


@pytest.mark.parametrize(
    "changelist, least_links",
    [
        # status, desk, tag, author and trash, each with several choices
        ("admin:articles_article_changelist", 15),
        ("admin:articles_tag_changelist", 3),
        ("admin:articles_notice_changelist", 5),
        ("admin:auth_user_changelist", 10),
    ],
)
def test_every_filter_link_a_staff_list_offers_still_works(
    chief_client, newsroom, changelist, least_links
):
    Notice.objects.create(article=newsroom["published"], kind="update", text="Updated.")
    url = reverse(changelist)
    trash = {"trash": "yes"} if changelist == "admin:articles_article_changelist" else {}
    response = chief_client.get(url, trash)
    links = [
        choice["query_string"]
        for spec in response.context["cl"].filter_specs
        for choice in spec.choices(response.context["cl"])
    ]
    assert len(links) >= least_links
    for link in links:
        assert chief_client.get(url + link).status_code == 200, link
        assert chief_client.get(f"{url}{link}&_facets=True").status_code == 200, link


def test_date_links_of_the_article_list_still_work(chief_client, newsroom):
    year = newsroom["published"].published_at.year
    month = newsroom["published"].published_at.month
    for params in [
        {"published_at__year": year},
        {"published_at__year": year, "published_at__month": month},
        {"published_at__year": year, "published_at__month": month, "published_at__day": 1},
    ]:
        response = chief_client.get(CHANGELIST, params)
        assert response.status_code == 200, params


@pytest.mark.parametrize(
    "model, params",
    [
        ("tag", "name__regex=("),
        ("tag", "tagged_articles__content_object__headline__startswith=D"),
        ("tag", "is_internal__exact=%00"),
        ("author", "user__password__startswith=a"),
        ("author", "bio__regex=("),
        ("desk", "articles__headline__startswith=D"),
        ("calltoaction", "url__regex=("),
        ("notice", "created_by__password__startswith=a"),
        ("notice", "article__headline__startswith=D"),
        ("previewlink", "created_by__password__startswith=a"),
    ],
)
def test_every_staff_list_refuses_filters_it_does_not_offer(chief_client, newsroom, model, params):
    make_cta()
    Notice.objects.create(article=newsroom["published"], kind="update", text="Updated.")
    url = reverse(f"admin:articles_{model}_changelist")
    assert chief_client.get(url).status_code == 200
    assert chief_client.get(f"{url}?{params}").status_code == 400


@pytest.mark.parametrize(
    "params", ["password__startswith=pbkdf2", "password__regex=^a", "email__regex=("]
)
def test_staff_list_never_filters_by_password_or_regex(chief_client, newsroom, params):
    url = reverse("admin:auth_user_changelist")
    assert chief_client.get(url, {"is_staff__exact": "1"}).status_code == 200
    assert chief_client.get(f"{url}?{params}").status_code == 400


def test_writer_cannot_filter_the_list_by_another_writers_login(writer_client, other_writer):
    response = writer_client.get(CHANGELIST, {"created_by__id__exact": other_writer.pk})
    assert response.status_code == 400


@pytest.mark.parametrize("text", HOSTILE_TEXT)
def test_hostile_admin_search_is_a_list_or_an_error_flag(chief_client, newsroom, text):
    response = chief_client.get(CHANGELIST, {"q": text})
    # A term the admin's own search form refuses (a NUL byte) comes back as "?e=1".
    assert response.status_code in {200, 302}
    if response.status_code == 302:
        assert response.url.endswith("?e=1")


@pytest.mark.parametrize("text", HOSTILE_TEXT)
def test_hostile_autocomplete_terms_give_a_list(writer_client, newsroom, text):
    response = writer_client.get(
        reverse("admin:autocomplete"),
        {"term": text, "app_label": "articles", "model_name": "byline", "field_name": "author"},
    )
    assert response.status_code == 200
    assert set(response.json()) == {"results", "pagination"}


@pytest.mark.parametrize("text", HOSTILE_TEXT)
def test_hostile_tag_suggestion_terms_give_a_list(writer_client, newsroom, text):
    response = writer_client.get(reverse("admin:articles_article_tag_suggestions"), {"term": text})
    assert response.status_code == 200
    assert set(response.json()) == {"results"}


@pytest.mark.parametrize("page", PAGE_NUMBERS)
def test_any_page_number_on_a_staff_list_is_a_page_or_an_error_flag(chief_client, page):
    make_article()
    response = chief_client.get(CHANGELIST, {"p": page})
    assert response.status_code in {200, 302}


@pytest.mark.parametrize("against", ["²", "١", "-1", "99999999999999999999", "\x00", "x", ""])
def test_any_revision_to_compare_against_gives_the_diff_page(chief_client, chief, against):
    article = make_article(status=Status.DRAFT, published_at=None)
    revisions.record(article, by=chief)
    url = reverse("admin:articles_article_revision", args=[article.pk, 1])
    assert chief_client.get(url, {"against": against}).status_code == 200


@pytest.mark.parametrize(
    "object_id", ["%00", "abc", "-1", "99999999999999999999999", "1%20OR%201=1", "%ff%fe"]
)
def test_odd_object_ids_in_staff_addresses_are_never_a_crash(chief_client, object_id):
    make_article()
    for url in [
        f"/admin/articles/article/{object_id}/change/",
        f"/admin/articles/article/{object_id}/history/",
        f"/admin/articles/article/{object_id}/delete/",
        f"/admin/articles/tag/{object_id}/change/",
        f"/admin/auth/user/{object_id}/password/",
    ]:
        # The admin sends an unknown id back to its index with a message.
        assert chief_client.get(url).status_code in {302, 400, 404}, url
    for url in [
        "/review/99999999999999999999999/",
        "/review/99999999999999999999999/preview/",
        "/admin/articles/article/99999999999999999999999/revisions/",
        "/admin/articles/article/1/revisions/99999999999999999999999/",
    ]:
        assert chief_client.get(url).status_code == 404, url
