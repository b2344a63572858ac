from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone

from articles.models import Article, CallToAction, Section, hashtag
from articles.validators import validate_link_url
from tests.factories import make_article, make_image_upload

pytestmark = pytest.mark.django_db


def test_slug_is_made_from_the_headline():
    article = Article.objects.create(headline="Artists Protest OpenAI’s Sora!")
    assert article.slug == "artists-protest-openais-sora"


def test_slug_is_unique_when_headlines_repeat():
    first = Article.objects.create(headline="Same words")
    second = Article.objects.create(headline="Same words")
    assert (first.slug, second.slug) == ("same-words", "same-words-2")


def test_an_edited_slug_is_kept():
    article = Article.objects.create(headline="A headline", slug="short")
    article.headline = "A new headline"
    article.save()
    assert article.slug == "short"


def test_rich_text_loses_scripts_and_event_handlers_on_save():
    article = make_article(sections=0)
    section = Section.objects.create(
        article=article,
        body='<p onclick="steal()">Hi <script>alert(1)</script><img src=x onerror=alert(1)></p>',
    )
    section.refresh_from_db()
    assert section.body == "<p>Hi </p>"


def test_rich_text_drops_javascript_links_but_keeps_safe_ones():
    article = make_article(sections=0)
    section = Section.objects.create(
        article=article,
        body='<p><a href="jAvAscript:alert(1)">bad</a> <a href="https://example.com">good</a></p>',
    )
    assert section.body == '<p><a>bad</a> <a href="https://example.com">good</a></p>'


def test_rich_text_keeps_the_formatting_editors_use():
    html = (
        "<p><strong>b</strong> <em>i</em></p><ul><li>one</li></ul><ol><li>two</li></ol>"
        "<blockquote><p>quote</p></blockquote>"
    )
    article = make_article(sections=0, closing=html)
    assert article.closing == html


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com/a?b=c",
        "http://example.com",
        "mailto:desk@example.com",
        "tel:+44 20 7946 0000",
    ],
)
def test_link_accepts_web_mail_and_phone_addresses(url):
    validate_link_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,hi",
        "ftp://example.com",
        "example.com",
        "mailto:nobody",
        "tel:call-me",
    ],
)
def test_link_refuses_other_schemes_and_malformed_addresses(url):
    with pytest.raises(ValidationError):
        validate_link_url(url)


def test_call_to_action_button_needs_label_and_link_together():
    cta = CallToAction(name="x", text="Talk to us", url="https://example.com")
    with pytest.raises(ValidationError):
        cta.full_clean()


def test_word_count_and_reading_time_are_derived_from_the_parts():
    article = make_article(sections=0, takeaways=0, headline="One two three", dek="")
    Section.objects.create(article=article, body="<p>" + "word " * 460 + "</p>")
    article.refresh_word_count()
    article.refresh_from_db()
    assert article.word_count == 463
    assert article.reading_minutes == 3


def test_section_anchor_is_unique_within_a_story():
    article = make_article(sections=0)
    first = Section.objects.create(article=article, heading="What happened")
    second = Section.objects.create(article=article, heading="What happened")
    assert (first.anchor, second.anchor) == ("what-happened", "what-happened-2")


def test_section_anchor_stays_when_the_heading_is_edited():
    article = make_article(sections=0)
    section = Section.objects.create(article=article, heading="What happend")
    section.heading = "What happened"
    section.save()
    assert section.anchor == "what-happend"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("AIRevolution", "#AIRevolution"),
        ("ethical ai", "#EthicalAi"),
        ("#creative-industries", "#CreativeIndustries"),
    ],
)
def test_tags_are_shown_as_camel_case_hashtags(name, expected):
    assert hashtag(name) == expected


def test_published_excludes_drafts_and_future_stories():
    visible = make_article()
    make_article(status=Article.Status.DRAFT)
    make_article(published_at=timezone.now() + timedelta(hours=1))
    assert list(Article.objects.published()) == [visible]


def test_database_refuses_a_published_story_without_a_publication_time():
    with pytest.raises(IntegrityError):
        Article.objects.create(headline="x", status=Article.Status.PUBLISHED, published_at=None)


def test_hero_image_needs_alt_text():
    article = make_article(hero_image=make_image_upload())
    with pytest.raises(ValidationError) as error:
        article.full_clean()
    assert "hero_alt" in error.value.message_dict


def test_hero_image_records_its_dimensions():
    article = make_article(hero_image=make_image_upload(size=(64, 48)), hero_alt="A test card")
    assert (article.hero_width, article.hero_height) == (64, 48)
