from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError
from django.utils import timezone

from articles.editing.validators import validate_link_url
from articles.models import Article, CallToAction, Section, Tag, hashtag
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


@pytest.mark.parametrize(
    "spelling", ["#EthicalAI", "ethicalai", "Ethical AI", "#ethical-ai", " ETHICAL_AI "]
)
def test_tag_spellings_map_to_one_tag(spelling):
    first = make_article(tags=[])
    first.set_hashtags(["EthicalAI"])
    second = make_article(tags=[])
    second.set_hashtags([spelling])
    assert list(second.tags.names()) == ["EthicalAI"]
    assert Tag.objects.count() == 1


def test_merging_tags_moves_their_stories_to_the_survivor():
    both = make_article(tags=["AI", "ArtificialIntelligence"])
    one = make_article(tags=["ArtificialIntelligence"])
    survivor = Tag.objects.get(name="AI")
    moved = survivor.absorb([Tag.objects.get(name="ArtificialIntelligence")])
    assert moved == 1
    assert list(both.tags.names()) == ["AI"]
    assert list(one.tags.names()) == ["AI"]
    assert not Tag.objects.filter(name="ArtificialIntelligence").exists()


def test_call_to_action_outside_its_dates_disappears_from_stories(client):
    article = make_article(ctas=1)
    cta = article.cta_placements.get().call_to_action
    cta.ends_at = timezone.now() - timedelta(minutes=1)
    cta.save()
    assert cta.text not in client.get(article.get_absolute_url()).content.decode()
    cta.ends_at, cta.starts_at = None, timezone.now() + timedelta(days=1)
    cta.save()
    assert cta.text not in client.get(article.get_absolute_url()).content.decode()


def test_call_to_action_link_carries_its_utm_parameters():
    cta = CallToAction(
        url="https://example.com/book?ref=news", utm_source="newsroom", utm_campaign="ai strategy"
    )
    assert (
        cta.link == "https://example.com/book?ref=news&utm_source=newsroom&utm_campaign=ai+strategy"
    )
    assert (
        CallToAction(url="mailto:desk@example.com", utm_source="x").link
        == "mailto:desk@example.com"
    )


def test_call_to_action_end_must_follow_its_start():
    cta = CallToAction(
        name="x", text="y", starts_at=timezone.now(), ends_at=timezone.now() - timedelta(days=1)
    )
    with pytest.raises(ValidationError) as error:
        cta.full_clean()
    assert "ends_at" in error.value.message_dict


def test_a_natural_key_dump_of_tagged_stories_loads_again(tmp_path):
    story = make_article(tags=["CitizenScience"])
    dump = tmp_path / "tags.json"
    call_command(
        "dumpdata", "articles.tag", "articles.taggedarticle", "--natural-foreign", output=dump
    )
    story.tags.clear()

    call_command("loaddata", dump, verbosity=0)

    assert list(story.tags.names()) == ["CitizenScience"]


def test_a_writer_sees_only_her_own_stories(writer, other_writer):
    mine = make_article(status=Article.Status.DRAFT, created_by=writer)
    make_article(status=Article.Status.DRAFT, created_by=other_writer)
    assert list(Article.objects.visible_to(writer)) == [mine]


def test_an_editor_sees_every_story(editor, writer, other_writer):
    make_article(status=Article.Status.DRAFT, created_by=writer)
    make_article(status=Article.Status.DRAFT, created_by=other_writer)
    assert Article.objects.visible_to(editor).count() == 2


def test_a_deactivated_account_sees_no_story(editor):
    make_article(created_by=editor)
    editor.is_active = False
    assert not Article.objects.visible_to(editor).exists()
