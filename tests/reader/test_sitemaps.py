from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from lxml import etree

from articles.models import Article, Tag
from tests.factories import make_article, make_author, make_desk

pytestmark = pytest.mark.django_db

# The sitemaps.org schemas, next to the project (a user's clone may not have them).
SCHEMAS = Path(__file__).resolve().parents[3] / "shared" / "tools"
SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
NEWS = f"{{{NEWS_NS}}}"
SECTIONS = ["articles", "desks", "tags", "authors"]


def read_xml(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    return etree.fromstring(response.content)


def locations(root) -> list[str]:
    return [loc.text for loc in root.iter(f"{SM}loc")]


def lastmods(root) -> dict[str, str]:
    return {url.findtext(f"{SM}loc"): url.findtext(f"{SM}lastmod") for url in root.iter(f"{SM}url")}


def assert_valid(root, schema_name):
    schema_path = SCHEMAS / schema_name
    if not schema_path.exists():
        pytest.skip(f"the sitemaps.org schema is not here ({schema_path})")
    schema = etree.XMLSchema(etree.parse(schema_path))
    assert schema.validate(root), schema.error_log


def absolute(obj) -> str:
    return f"http://testserver{obj.get_absolute_url()}"


def local_date(moment) -> str:
    return timezone.localtime(moment).date().isoformat()


@pytest.fixture
def stories():
    """A visible story and the kinds readers must not see, each with its own desk, tag, author."""
    kinds = {
        "visible": {},
        "draft": {"status": Article.Status.DRAFT},
        "scheduled": {
            "status": Article.Status.SCHEDULED,
            "published_at": timezone.now() + timedelta(hours=1),
        },
        "unpublished": {
            "status": Article.Status.UNPUBLISHED,
            "published_at": timezone.now() - timedelta(hours=1),
        },
        "trashed": {"deleted_at": timezone.now()},
    }
    return {
        kind: make_article(
            headline=f"{kind} story",
            desk=make_desk(name=f"{kind} desk"),
            authors=[make_author(name=f"{kind} author")],
            tags=[f"{kind}tag"],
            **fields,
        )
        for kind, fields in kinds.items()
    }


def test_index_lists_every_section_and_the_news_sitemap(client):
    root = read_xml(client, reverse("sitemap_index"))

    assert locations(root) == [
        "http://testserver/sitemap-articles.xml",
        "http://testserver/sitemap-desks.xml",
        "http://testserver/sitemap-tags.xml",
        "http://testserver/sitemap-authors.xml",
        "http://testserver/sitemap-news.xml",
    ]


def test_index_is_valid_against_the_schema(client, stories):
    root = read_xml(client, reverse("sitemap_index"))

    assert_valid(root, "siteindex.xsd")


@pytest.mark.parametrize("section", SECTIONS)
def test_section_is_valid_against_the_schema(client, stories, section):
    root = read_xml(client, reverse("sitemaps", kwargs={"section": section}))

    assert len(locations(root)) >= 1
    assert_valid(root, "sitemap.xsd")


def test_news_sitemap_is_valid_against_the_schema_without_its_extension(client, stories):
    root = read_xml(client, reverse("news_sitemap"))
    # The schema wants a schema for every foreign element, and Google's is not vendored.
    for news in root.findall(f".//{NEWS}news"):
        news.getparent().remove(news)

    assert_valid(root, "sitemap.xsd")


# Desks, tags and authors list their own pages; see the tests on which of them are listed.
@pytest.mark.parametrize("url", ["/sitemap-articles.xml", "/sitemap-news.xml"])
def test_unpublished_stories_are_in_no_sitemap(client, stories, url):
    hidden = [story for kind, story in stories.items() if kind != "visible"]

    listed = set(locations(read_xml(client, url)))

    assert absolute(stories["visible"]) in listed
    assert not listed & {absolute(story) for story in hidden}


def test_articles_lastmod_is_the_last_edit(client):
    article = make_article(published_at=timezone.now() - timedelta(days=5))
    edited = timezone.now() - timedelta(days=3)
    Article.objects.filter(pk=article.pk).update(updated_at=edited)

    root = read_xml(client, reverse("sitemaps", kwargs={"section": "articles"}))

    assert lastmods(root) == {absolute(article): local_date(edited)}


def test_tags_list_only_public_tags_with_published_stories(client, stories):
    Tag.objects.create(name="Planning", slug="planning", is_internal=True)
    make_article(tags=["Planning"])

    root = read_xml(client, reverse("sitemaps", kwargs={"section": "tags"}))

    assert locations(root) == [absolute(Tag.objects.get(name="visibletag"))]


def test_authors_list_only_authors_with_published_stories(client, stories):
    root = read_xml(client, reverse("sitemaps", kwargs={"section": "authors"}))

    assert locations(root) == [absolute(stories["visible"].authors.get())]


def test_desks_list_every_desk(client, stories):
    root = read_xml(client, reverse("sitemaps", kwargs={"section": "desks"}))

    assert len(locations(root)) == len(stories)


@pytest.mark.parametrize("section", ["desks", "tags", "authors"])
def test_lastmod_is_the_newest_published_story(client, section):
    desk, author = make_desk(), make_author()
    common = {"desk": desk, "authors": [author], "tags": ["Climate"]}
    newest = timezone.now() - timedelta(days=3)
    make_article(published_at=timezone.now() - timedelta(days=6), **common)
    make_article(published_at=newest, **common)
    make_article(status=Article.Status.DRAFT, **common)
    make_article(
        published_at=timezone.now() - timedelta(days=1), deleted_at=timezone.now(), **common
    )
    make_article(
        status=Article.Status.SCHEDULED,
        published_at=timezone.now() + timedelta(days=1),
        **common,
    )

    root = read_xml(client, reverse("sitemaps", kwargs={"section": section}))

    assert list(lastmods(root).values()) == [local_date(newest)]


@pytest.mark.parametrize("section", ["desks", "tags", "authors"])
def test_section_queries_do_not_grow_with_rows(client, django_assert_max_num_queries, section):
    for number in range(5):
        make_article(desk=make_desk(), authors=[make_author()], tags=[f"tag{number}"])

    with django_assert_max_num_queries(2):
        root = read_xml(client, reverse("sitemaps", kwargs={"section": section}))

    assert len(locations(root)) == 5


def test_news_sitemap_lists_only_the_last_two_days(client):
    recent = make_article(published_at=timezone.now() - timedelta(hours=47))
    make_article(published_at=timezone.now() - timedelta(hours=49))

    root = read_xml(client, reverse("news_sitemap"))

    assert locations(root) == [absolute(recent)]


def test_news_sitemap_describes_each_story(client):
    published_at = (timezone.now() - timedelta(hours=1)).replace(microsecond=0)
    make_article(headline='Cats & <dogs> "agree"', published_at=published_at)

    news = read_xml(client, reverse("news_sitemap")).find(f"{SM}url/{NEWS}news")

    assert news.findtext(f"{NEWS}publication/{NEWS}name") == settings.SITE_NAME
    assert news.findtext(f"{NEWS}publication/{NEWS}language") == "en"
    assert news.findtext(f"{NEWS}title") == 'Cats & <dogs> "agree"'
    assert news.findtext(f"{NEWS}publication_date") == timezone.localtime(published_at).isoformat()


def test_robots_txt_names_the_sitemaps(client):
    response = client.get("/robots.txt")

    assert response["Content-Type"].startswith("text/plain")
    assert f"Sitemap: {settings.SITE_URL}/sitemap.xml" in response.text.splitlines()
    assert f"Sitemap: {settings.SITE_URL}/sitemap-news.xml" in response.text.splitlines()


def test_robots_txt_keeps_crawlers_out_of_staff_pages(client):
    response = client.get("/robots.txt")

    lines = response.text.splitlines()
    assert lines[0] == "User-agent: *"
    assert {"Disallow: /admin/", "Disallow: /review/", "Disallow: /preview/"} <= set(lines)
