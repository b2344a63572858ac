import json
import os
import re

import lxml.html
import pytest
from django.contrib.staticfiles import finders
from django.core.checks import run_checks
from django.templatetags.static import static
from django.urls import reverse
from PIL import Image

from articles.editing.images import make_renditions
from articles.models import Notice
from tests.factories import make_article, make_author, make_desk, make_image_upload
from tests.pages import visible_text

pytestmark = pytest.mark.django_db


def json_ld(html):
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return [json.loads(block) for block in blocks]


def graph_item(html, kind):
    for block in json_ld(html):
        for item in block.get("@graph", [block]):
            if item["@type"] == kind:
                return item
    raise AssertionError(f"no {kind} in the page")


@pytest.fixture
def story():
    article = make_article(
        headline="Artists protest a video model",
        dek="A protest over access.",
        desk=make_desk(name="Technology"),
        authors=[make_author(name="Ana Ruiz"), make_author(name="Bo Chen")],
        tags=["EthicalAI", "Art"],
    )
    credit = article.credits.get()
    credit.url = "https://example.com/original"
    credit.organisation = "The Ledger"
    credit.save()
    Notice.objects.create(article=article, kind="correction", text="The date was wrong.")
    return article


def test_news_article_structured_data_has_every_field(client, story):
    html = client.get(story.get_absolute_url()).content.decode()
    data = graph_item(html, "NewsArticle")
    assert data["headline"] == "Artists protest a video model"
    assert data["description"] == "A protest over access."
    assert data["datePublished"] and data["dateModified"]
    assert [a["name"] for a in data["author"]] == ["Ana Ruiz", "Bo Chen"]
    assert all(a["@type"] == "Person" for a in data["author"])
    assert data["publisher"]["name"] == "Newsroom"
    assert data["publisher"]["logo"]["url"].endswith(".png")
    assert data["keywords"] == ["EthicalAI", "Art"]
    assert data["articleSection"] == "Technology"
    assert data["isBasedOn"][0]["url"] == "https://example.com/original"
    assert data["correction"][0] == {
        "@type": "CorrectionComment",
        "text": "Correction: The date was wrong.",
        "datePublished": data["correction"][0]["datePublished"],
    }


def meta_tags(html) -> dict[str, str]:
    document = lxml.html.document_fromstring(html)
    return {
        meta.get("property") or meta.get("name"): meta.get("content")
        for meta in document.iter("meta")
    }


def test_story_without_a_picture_is_shared_with_the_sites_own_image(client):
    article = make_article()
    html = client.get(article.get_absolute_url()).content.decode()
    meta = meta_tags(html)
    default = f"http://testserver{static('img/share-default.png')}"
    assert meta["og:image"] == meta["twitter:image"] == default
    assert meta["og:image:alt"] == "The Newsroom logo"
    assert meta["twitter:card"] == "summary_large_image"
    assert graph_item(html, "NewsArticle")["image"] == [default]


def test_default_sharing_image_can_be_an_address_elsewhere(client, settings):
    settings.DEFAULT_SHARE_IMAGE = "https://cdn.example.com/share.png"
    article = make_article()
    html = client.get(article.get_absolute_url()).content.decode()
    assert meta_tags(html)["og:image"] == "https://cdn.example.com/share.png"
    assert graph_item(html, "NewsArticle")["image"] == ["https://cdn.example.com/share.png"]


def test_story_with_a_picture_is_shared_as_a_large_card_of_it(client):
    article = make_article(hero_image=make_image_upload(size=(1600, 900)), hero_alt="A street")
    make_renditions(article)
    article.refresh_from_db()
    html = client.get(article.get_absolute_url()).content.decode()
    meta = meta_tags(html)
    social = f"http://testserver{article.hero_renditions['social']['url']}"
    assert meta["og:image"] == meta["twitter:image"] == social
    assert meta["og:image:alt"] == "A street"
    assert meta["twitter:card"] == "summary_large_image"
    assert graph_item(html, "NewsArticle")["image"] == [social]


def test_story_without_a_byline_is_authored_by_the_newsroom(client):
    article = make_article(authors=[])
    html = client.get(article.get_absolute_url()).content.decode()
    [author] = graph_item(html, "NewsArticle")["author"]
    assert author["@type"] == "NewsMediaOrganization"
    assert author["name"] == "Newsroom"
    assert author["url"] == "http://testserver/"


def test_shipped_sharing_image_is_the_size_social_networks_ask_for_and_small():
    path = finders.find("img/share-default.png")
    with Image.open(path) as image:
        assert image.size == (1200, 630)
    assert os.path.getsize(path) < 60_000


def test_a_default_sharing_image_that_is_no_static_file_fails_the_checks(settings):
    settings.DEFAULT_SHARE_IMAGE = "img/no-such-picture.png"
    errors = run_checks()
    assert "newsroom.E002" in [error.id for error in errors]


def test_breadcrumbs_lead_from_home_through_the_desk(client, story):
    html = client.get(story.get_absolute_url()).content.decode()
    trail = graph_item(html, "BreadcrumbList")["itemListElement"]
    assert [item["name"] for item in trail] == ["Newsroom", "Technology", story.headline]


def test_structured_data_cannot_be_broken_out_of(client):
    article = make_article(headline="</script><script>alert(1)</script>")
    html = client.get(article.get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in html
    assert graph_item(html, "NewsArticle")["headline"] == "</script><script>alert(1)</script>"


def test_home_declares_the_site_and_its_search(client):
    html = client.get(reverse("articles:home")).content.decode()
    site = graph_item(html, "WebSite")
    target = site["potentialAction"]["target"]["urlTemplate"]
    assert target.endswith("/search/?q={search_term_string}")


def test_open_graph_and_twitter_tags_fall_back_to_headline_and_dek(client, story):
    html = client.get(story.get_absolute_url()).content.decode()
    assert '<meta property="og:title" content="Artists protest a video model">' in html
    assert '<meta property="og:description" content="A protest over access.">' in html
    assert '<meta name="twitter:title" content="Artists protest a video model">' in html
    assert '<meta property="article:tag" content="EthicalAI">' in html


def test_seo_fields_override_the_fallbacks(client, story):
    story.seo_title = "Short title for search"
    story.seo_description = "Written for the results page."
    story.save()
    html = client.get(story.get_absolute_url()).content.decode()
    assert "<title>Short title for search — Newsroom</title>" in html
    assert '<meta name="description" content="Written for the results page.">' in html


def test_canonical_is_the_story_unless_it_credits_an_original(client, story):
    html = client.get(story.get_absolute_url()).content.decode()
    assert f'<link rel="canonical" href="http://testserver{story.get_absolute_url()}">' in html
    story.canonical_is_original = True
    story.save()
    html = client.get(story.get_absolute_url()).content.decode()
    assert '<link rel="canonical" href="https://example.com/original">' in html


def test_internal_tags_never_reach_readers(client):
    article = make_article(tags=["PublicTag", "PlanningOnly"])
    tag = article.tags.get(name="PlanningOnly")
    tag.is_internal = True
    tag.save()
    html = client.get(article.get_absolute_url()).content.decode()
    assert "#PlanningOnly" not in html
    assert "PlanningOnly" not in str(graph_item(html, "NewsArticle")["keywords"])
    assert client.get(reverse("articles:tag", args=[tag.slug])).status_code == 404


def test_related_stories_prefer_shared_tags_then_the_desk(client):
    desk = make_desk(name="Science")
    article = make_article(headline="Main", desk=desk, tags=["Heat", "City"])
    make_article(headline="Shares two tags", tags=["Heat", "City"])
    make_article(headline="Shares one tag", tags=["Heat"])
    make_article(headline="Same desk only", desk=desk)
    make_article(headline="Unrelated")
    response = client.get(article.get_absolute_url())
    assert [s.headline for s in response.context["related"]] == [
        "Shares two tags",
        "Shares one tag",
        "Same desk only",
    ]


def test_tag_page_shows_its_description(client):
    article = make_article(tags=["Heat"])
    tag = article.tags.get()
    tag.description = "Cities are getting hotter."
    tag.save()
    assert "Cities are getting hotter." in visible_text(
        client.get(tag.get_absolute_url()).content.decode()
    )
