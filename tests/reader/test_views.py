from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles.editing.importers import import_story
from articles.editing.story_format import parse_story
from articles.models import Article
from articles.moderation import workflow
from articles.reader.views import LISTING_PAGE_SIZE
from tests.factories import make_article, make_author, make_desk
from tests.pages import assert_in_order, visible_text

pytestmark = pytest.mark.django_db

# The story with its desk, then one plain SELECT per part: sections, takeaways, credits,
# notices, hashtags, bylines and calls to action (articles/reader/story.py), then the
# stored "Read next" list.
ARTICLE_QUERY_BUDGET = 9
# The first view after a change also reads the desk menu.
ARTICLE_QUERY_BUDGET_COLD = 10
# page of stories, the editors' picks (first page of the home and desk pages), their bylines,
# desk menu (+1 for the desk, tag or author itself); never a COUNT of the listing
LISTING_QUERY_BUDGET = 5


def page_text(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return visible_text(response.content.decode())


def test_reference_story_shows_every_sentence_once_in_file_order(client, reference_story_text):
    article = import_story(parse_story(reference_story_text))
    workflow.take("publish", article, by=None)
    text = page_text(client, article.get_absolute_url())

    lines = [line.strip() for line in reference_story_text.splitlines() if line.strip()]
    story = parse_story(reference_story_text)
    headings = {section.heading for section in story.sections} | {lines[0], "Key Takeaways"}
    sentences = []
    for line in lines:
        if line.startswith("#"):
            continue  # hashtags are checked below, as links
        line = line.removeprefix("-> ")
        line = line.split(". ", 1)[1] if line[:1].isdigit() else line
        if line not in headings:
            sentences.append(line)
    for sentence in sentences:
        assert text.count(sentence) == 1, sentence
    assert_in_order(text, sentences)
    assert_in_order(text, [lines[0], *[s.heading for s in story.sections if s.heading]])
    assert_in_order(text, ["#AIRevolution", "#ArtistsProtest", "#EthicalAI", "#CreativeIndustries"])


def test_article_parts_appear_in_reading_order(client):
    article = make_article(headline="Order of parts", dek="The dek.")
    text = page_text(client, article.get_absolute_url())
    assert_in_order(
        text,
        [
            "Order of parts",
            "The dek.",
            "Paragraph 0",
            "In this story",
            "Heading 1",
            "Paragraph 1",
            "Key takeaways",
            "Takeaway 0.",
            "Takeaway 1.",
            "Original article and inspiration provided by Reporter 0",
            "Connect with one of our AI Strategists",
            "Book a call",
        ],
    )


def test_table_of_contents_links_to_each_heading(client):
    article = make_article(sections=3)
    html = client.get(article.get_absolute_url()).content.decode()
    for section in article.sections.exclude(heading=""):
        assert f'href="#{section.anchor}"' in html
        assert f'id="{section.anchor}"' in html


def test_hashtags_link_to_their_tag_pages(client):
    article = make_article(tags=["EthicalAI"])
    html = client.get(article.get_absolute_url()).content.decode()
    assert f'href="{reverse("articles:tag", args=["ethicalai"])}">#EthicalAI</a>' in html


def test_call_to_action_placed_after_takeaways_shows_there(client):
    article = make_article(ctas=1)
    article.cta_placements.update(placement="after_takeaways")
    article.closing = "<p>Closing words.</p>"
    article.save()
    text = page_text(client, article.get_absolute_url())
    assert_in_order(
        text, ["Takeaway 1.", "Connect with one of our AI Strategists", "Closing words."]
    )


def test_draft_is_404_for_readers(client):
    draft = make_article(status=Article.Status.DRAFT)
    response = client.get(draft.get_absolute_url())
    assert response.status_code == 404
    assert "We can’t find that page" in response.content.decode()


def test_story_scheduled_for_later_is_404_for_readers(client):
    later = make_article(published_at=timezone.now() + timedelta(hours=2))
    assert client.get(later.get_absolute_url()).status_code == 404


def test_editor_sees_a_draft_as_an_unmissable_preview(editor_client):
    draft = make_article(status=Article.Status.DRAFT)
    response = editor_client.get(draft.get_absolute_url())
    html = response.content.decode()
    assert "Preview — not published." in html
    assert '<meta name="robots" content="noindex">' in html
    assert "no-store" in response["Cache-Control"]


def test_drafts_and_future_stories_are_absent_from_every_listing(client):
    desk, author = make_desk(), make_author()
    hidden = [
        make_article(status=Article.Status.DRAFT, desk=desk, authors=[author], tags=["Hidden"]),
        make_article(
            published_at=timezone.now() + timedelta(days=1),
            desk=desk,
            authors=[author],
            tags=["Hidden"],
        ),
    ]
    make_article(desk=desk, authors=[author], tags=["Hidden"], headline="Visible story")
    for url in [
        reverse("articles:home"),
        desk.get_absolute_url(),
        author.get_absolute_url(),
        reverse("articles:tag", args=["hidden"]),
    ]:
        text = page_text(client, url)
        assert "Visible story" in text
        for article in hidden:
            assert article.headline not in text


def test_home_leads_with_the_newest_story(client):
    make_article(headline="Older story", published_at=timezone.now() - timedelta(days=1))
    make_article(headline="Newest story", published_at=timezone.now() - timedelta(minutes=1))
    html = client.get(reverse("articles:home")).content.decode()
    lead = html.split('aria-label="Lead story"')[1].split("</section>")[0]
    assert "Newest story" in lead
    assert "Older story" not in lead


def test_home_is_paginated(client):
    for _ in range(LISTING_PAGE_SIZE + 2):
        make_article()
    page_two = page_text(client, reverse("articles:home") + "?page=2")
    assert "Page 2" in page_two
    assert "Newer stories" in page_two and "Older stories →" not in page_two
    assert page_two.count("min read") == 2


@pytest.mark.parametrize("page", ["99", "abc", "-1"])
def test_a_page_number_that_does_not_exist_is_404(client, page):
    make_article()
    assert client.get(reverse("articles:home"), {"page": page}).status_code == 404


def test_unknown_desk_tag_and_author_are_404(client):
    for name in ["desk", "tag", "author"]:
        assert client.get(reverse(f"articles:{name}", args=["nope"])).status_code == 404


UNSEEN_STORIES = {
    "draft": {"status": Article.Status.DRAFT},
    "scheduled": {
        "status": Article.Status.SCHEDULED,
        "published_at": timezone.now() + timedelta(days=1),
    },
    "unpublished": {
        "status": Article.Status.UNPUBLISHED,
        "published_at": timezone.now() - timedelta(days=1),
    },
    "trashed": {"deleted_at": timezone.now()},
}


@pytest.mark.parametrize("kind", UNSEEN_STORIES)
def test_tag_only_unseen_stories_carry_is_404_like_an_unknown_one(client, kind):
    make_article(tags=["MergerTalks"], **UNSEEN_STORIES[kind])
    response = client.get(reverse("articles:tag", args=["mergertalks"]))
    assert response.status_code == 404


def test_author_page_lists_their_stories_with_their_bio(client):
    author = make_author(name="Ana Ruiz")
    author.bio = "Ana covers science."
    author.save()
    make_article(headline="Ana's story", authors=[author])
    make_article(headline="Someone else's story")
    text = page_text(client, author.get_absolute_url())
    assert "Ana covers science." in text
    assert "Ana's story" in text
    assert "Someone else's story" not in text


def queries_for(client, url):
    """Queries for one visit with every cache cold, so visits compare fairly."""
    from django.core.cache import cache

    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_article_page_queries_do_not_grow_with_its_parts(client, django_assert_max_num_queries):
    small = make_article(sections=1, takeaways=1, credits=1, ctas=1)
    big = make_article(
        sections=12,
        takeaways=8,
        credits=4,
        ctas=4,
        tags=[f"Tag{n}" for n in range(8)],
        authors=[make_author() for _ in range(4)],
        desk=make_desk(),
    )
    with django_assert_max_num_queries(ARTICLE_QUERY_BUDGET_COLD):
        client.get(big.get_absolute_url())
    with django_assert_max_num_queries(ARTICLE_QUERY_BUDGET):
        client.get(big.get_absolute_url())
    queries_for(client, small.get_absolute_url())  # the desk menu, read once
    assert queries_for(client, small.get_absolute_url()) == queries_for(
        client, big.get_absolute_url()
    )


def test_home_queries_do_not_grow_with_the_number_of_stories(client, django_assert_max_num_queries):
    make_article(authors=[make_author()])
    few = queries_for(client, reverse("articles:home"))
    desk = make_desk()
    for _ in range(LISTING_PAGE_SIZE * 2):
        make_article(desk=desk, authors=[make_author(), make_author()], tags=["A", "B"])
    with django_assert_max_num_queries(LISTING_QUERY_BUDGET):
        many = queries_for(client, reverse("articles:home"))
    assert few == many


@pytest.mark.parametrize("kind", ["desk", "tag", "author"])
def test_listing_queries_do_not_grow_with_the_number_of_stories(
    client, kind, django_assert_max_num_queries
):
    desk, author = make_desk(), make_author()
    for _ in range(LISTING_PAGE_SIZE + 3):
        make_article(desk=desk, authors=[author, make_author()], tags=["Topic"])
    url = {
        "desk": desk.get_absolute_url(),
        "tag": reverse("articles:tag", args=["topic"]),
        "author": author.get_absolute_url(),
    }[kind]
    with django_assert_max_num_queries(LISTING_QUERY_BUDGET):
        client.get(url)


def test_a_crash_shows_the_friendly_error_page_without_details(client, monkeypatch):
    def crash(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("articles.reader.views.HomeView.get_queryset", crash)
    client.raise_request_exception = False
    response = client.get(reverse("articles:home"))
    assert response.status_code == 500
    html = response.content.decode()
    assert "Something went wrong on our side" in html
    assert "secret internals" not in html


def test_times_are_machine_readable_to_the_second(client):
    article = make_article()
    html = client.get(article.get_absolute_url()).content.decode()
    expected = timezone.localtime(article.published_at).isoformat(timespec="seconds")
    assert f'<time datetime="{expected}">' in html


def test_intro_without_heading_is_not_an_unlabelled_section(client):
    article = make_article(sections=2)
    html = client.get(article.get_absolute_url()).content.decode()
    assert html.count('<section class="story-section"') == 1


def test_every_reader_page_links_the_site_feeds_and_listings_their_own(client):
    desk = make_desk(name="Science")
    article = make_article(desk=desk, tags=["Heat"])
    for url in [reverse("articles:home"), article.get_absolute_url(), reverse("articles:search")]:
        html = client.get(url).content.decode()
        rss = reverse("feed_rss")
        assert f'type="application/rss+xml" title="Newsroom (RSS)" href="{rss}"' in html
        assert (
            f'type="application/atom+xml" title="Newsroom (Atom)" href="{reverse("feed_atom")}"'
            in html
        )
    desk_page = client.get(desk.get_absolute_url()).content.decode()
    assert f'href="{reverse("desk_feed_rss", args=["science"])}"' in desk_page


def test_listing_counts_its_stories_once_not_on_every_page(client):
    for _ in range(LISTING_PAGE_SIZE + 2):
        make_article()
    client.get(reverse("articles:home"))
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("articles:home"), {"page": 2})
    assert not [q for q in queries if "COUNT(" in q["sql"].upper()]
