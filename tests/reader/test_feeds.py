from datetime import UTC, datetime, timedelta
from html import unescape

import feedparser
import pytest
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, Tag
from tests.factories import make_article, make_author, make_desk

pytestmark = pytest.mark.django_db

SITE_FEEDS = [pytest.param("feed_rss", id="rss"), pytest.param("feed_atom", id="atom")]
# Every feed, with the arguments that point it at the stories the `stories` fixture makes.
ALL_FEEDS = [
    ("feed_rss", []),
    ("feed_atom", []),
    ("desk_feed_rss", ["science"]),
    ("desk_feed_atom", ["science"]),
    ("tag_feed_rss", ["climate"]),
    ("tag_feed_atom", ["climate"]),
    ("author_feed_rss", ["ana-ruiz"]),
    ("author_feed_atom", ["ana-ruiz"]),
]


def read_feed(client, url):
    response = client.get(url)
    assert response.status_code == 200
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0, feed.get("bozo_exception")
    return feed


def text_of(detail) -> str:
    """Return what a reader shows for a feed text: HTML is unescaped, plain text is not."""
    return unescape(detail.value) if detail.type == "text/html" else detail.value


def headlines(feed) -> list[str]:
    return [text_of(entry.title_detail) for entry in feed.entries]


def make_internal_tag(name):
    return Tag.objects.create(name=name, slug=name.lower(), is_internal=True)


@pytest.fixture
def stories():
    """One visible story and the kinds readers must not see, all in one desk, tag and byline."""
    desk, author = make_desk(name="Science"), make_author(name="Ana Ruiz")
    common = {"desk": desk, "authors": [author], "tags": ["Climate"]}
    make_article(headline="Visible story", **common)
    make_article(headline="Draft story", status=Article.Status.DRAFT, **common)
    make_article(
        headline="Scheduled story",
        status=Article.Status.SCHEDULED,
        published_at=timezone.now() + timedelta(hours=1),
        **common,
    )
    make_article(
        headline="Unpublished story",
        status=Article.Status.UNPUBLISHED,
        published_at=timezone.now() - timedelta(days=1),
        **common,
    )
    make_article(headline="Trashed story", deleted_at=timezone.now(), **common)


@pytest.mark.parametrize(("url_name", "version"), [("feed_rss", "rss20"), ("feed_atom", "atom10")])
def test_site_feed_parses_cleanly(client, url_name, version):
    make_article()

    feed = read_feed(client, reverse(url_name))

    assert feed.version == version
    assert feed.feed.title == "Newsroom"
    assert feed.feed.link == "http://testserver/"


@pytest.mark.parametrize("url_name", SITE_FEEDS)
def test_site_feed_lists_published_stories_newest_first(client, url_name):
    make_article(headline="Older", published_at=timezone.now() - timedelta(hours=2))
    make_article(headline="Newer", published_at=timezone.now() - timedelta(hours=1))

    feed = read_feed(client, reverse(url_name))

    assert headlines(feed) == ["Newer", "Older"]


@pytest.mark.parametrize("url_name", SITE_FEEDS)
def test_site_feed_holds_the_newest_twenty_stories(client, url_name):
    for hours in range(21):
        make_article(
            headline=f"Story {hours}", published_at=timezone.now() - timedelta(hours=hours)
        )

    feed = read_feed(client, reverse(url_name))

    assert len(feed.entries) == 20
    assert "Story 20" not in headlines(feed)


@pytest.mark.parametrize("url_name", SITE_FEEDS)
def test_story_links_to_its_page(client, url_name):
    article = make_article()

    feed = read_feed(client, reverse(url_name))

    assert feed.entries[0].link == f"http://testserver/stories/{article.slug}/"


@pytest.mark.parametrize("url_name", SITE_FEEDS)
def test_headline_with_markup_characters_reads_as_typed(client, url_name):
    make_article(headline='Cats & <dogs> "agree"')

    feed = read_feed(client, reverse(url_name))

    assert headlines(feed) == ['Cats & <dogs> "agree"']


@pytest.mark.parametrize("url_name", SITE_FEEDS)
def test_story_guid_survives_a_slug_change(client, settings, url_name):
    settings.SITE_URL = "https://news.example.com"
    article = make_article()
    before = read_feed(client, reverse(url_name)).entries[0].id

    article.slug = "a-new-slug"
    article.save()
    entry = read_feed(client, reverse(url_name)).entries[0]

    assert entry.link.endswith("/stories/a-new-slug/")
    assert entry.id == before == f"tag:news.example.com,2026:story:{article.pk}"


def test_rss_guid_is_not_a_permalink(client):
    make_article()

    feed = read_feed(client, reverse("feed_rss"))

    assert feed.entries[0].guidislink is False


@pytest.mark.parametrize("url_name", SITE_FEEDS)
def test_story_date_is_its_publication_time(client, url_name):
    published_at = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    make_article(published_at=published_at)

    feed = read_feed(client, reverse(url_name))

    assert datetime(*feed.entries[0].published_parsed[:6], tzinfo=UTC) == published_at


def test_atom_entry_updated_is_the_last_edit(client):
    article = make_article(published_at=datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC))
    Article.objects.filter(pk=article.pk).update(
        updated_at=datetime(2026, 3, 5, 8, 0, 0, tzinfo=UTC)
    )

    feed = read_feed(client, reverse("feed_atom"))

    assert feed.entries[0].updated_parsed[:6] == (2026, 3, 5, 8, 0, 0)


@pytest.mark.parametrize("url_name", SITE_FEEDS)
def test_story_author_is_the_byline(client, url_name):
    make_article(authors=[make_author(name="Ana Ruiz"), make_author(name="Ben Okafor")])

    feed = read_feed(client, reverse(url_name))

    assert feed.entries[0].author == "Ana Ruiz, Ben Okafor"


@pytest.mark.parametrize("url_name", SITE_FEEDS)
def test_story_categories_are_its_hashtags_and_desk(client, url_name):
    make_article(tags=["EthicalAI", "Climate"], desk=make_desk(name="Science"))

    feed = read_feed(client, reverse(url_name))

    assert [tag.term for tag in feed.entries[0].tags] == ["EthicalAI", "Climate", "Science"]


@pytest.mark.parametrize("url_name", SITE_FEEDS)
def test_internal_tags_are_not_categories(client, url_name):
    make_internal_tag("Planning")
    make_article(tags=["Planning", "Climate"])

    feed = read_feed(client, reverse(url_name))

    assert [tag.term for tag in feed.entries[0].tags] == ["Climate"]


@pytest.mark.parametrize(("url_name", "args"), ALL_FEEDS)
def test_unpublished_stories_are_in_no_feed(client, stories, url_name, args):
    feed = read_feed(client, reverse(url_name, args=args))

    assert headlines(feed) == ["Visible story"]


@pytest.mark.parametrize("url_name", ["tag_feed_rss", "tag_feed_atom"])
def test_internal_tag_feed_is_404(client, url_name):
    make_internal_tag("Planning")
    make_article(tags=["Planning"])

    response = client.get(reverse(url_name, args=["planning"]))

    assert response.status_code == 404


@pytest.mark.parametrize("url_name", ["tag_feed_rss", "tag_feed_atom"])
def test_feed_of_a_tag_only_unseen_stories_carry_is_404(client, url_name):
    make_article(tags=["MergerTalks"], status=Article.Status.DRAFT)
    make_article(tags=["MergerTalks"], deleted_at=timezone.now())

    response = client.get(reverse(url_name, args=["mergertalks"]))

    assert response.status_code == 404


@pytest.mark.parametrize(
    "url_name",
    [
        "desk_feed_rss",
        "desk_feed_atom",
        "tag_feed_rss",
        "tag_feed_atom",
        "author_feed_rss",
        "author_feed_atom",
    ],
)
def test_feed_of_unknown_desk_tag_or_author_is_404(client, url_name):
    response = client.get(reverse(url_name, args=["nobody-knows"]))

    assert response.status_code == 404


@pytest.mark.parametrize("url_name", ["desk_feed_rss", "desk_feed_atom"])
def test_desk_feed_lists_only_the_desks_stories(client, url_name):
    science = make_desk(name="Science")
    make_article(headline="In science", desk=science)
    make_article(headline="In sport", desk=make_desk(name="Sport"))
    make_article(headline="In no desk")

    feed = read_feed(client, reverse(url_name, args=[science.slug]))

    assert feed.feed.title == "Newsroom: Science"
    assert feed.feed.link == "http://testserver/desks/science/"
    assert headlines(feed) == ["In science"]


@pytest.mark.parametrize("url_name", ["tag_feed_rss", "tag_feed_atom"])
def test_tag_feed_lists_only_the_tags_stories(client, url_name):
    make_article(headline="Tagged", tags=["EthicalAI"])
    make_article(headline="Tagged otherwise", tags=["Climate"])
    tag = Tag.objects.get(name="EthicalAI")

    feed = read_feed(client, reverse(url_name, args=[tag.slug]))

    assert feed.feed.title == "Newsroom: #EthicalAI"
    assert feed.feed.link == f"http://testserver/tags/{tag.slug}/"
    assert headlines(feed) == ["Tagged"]


@pytest.mark.parametrize("url_name", ["author_feed_rss", "author_feed_atom"])
def test_author_feed_lists_only_the_authors_stories(client, url_name):
    ana = make_author(name="Ana Ruiz")
    make_article(headline="By Ana", authors=[ana])
    make_article(headline="By Ana and Ben", authors=[make_author(name="Ben Okafor"), ana])
    make_article(headline="By someone else")

    feed = read_feed(client, reverse(url_name, args=[ana.slug]))

    assert feed.feed.title == "Newsroom: stories by Ana Ruiz"
    assert feed.feed.link == "http://testserver/authors/ana-ruiz/"
    assert sorted(headlines(feed)) == ["By Ana", "By Ana and Ben"]


@pytest.mark.parametrize("url_name", SITE_FEEDS)
def test_story_is_summarised_by_its_dek_by_default(client, url_name):
    make_article(dek="Artists & engineers <disagree>.")

    entry = read_feed(client, reverse(url_name)).entries[0]

    assert text_of(entry.summary_detail) == "Artists & engineers <disagree>."


@pytest.mark.parametrize("url_name", SITE_FEEDS)
def test_full_text_setting_puts_the_whole_story_in_the_feed(client, settings, url_name):
    settings.FEEDS_FULL_TEXT = True
    article = make_article(sections=2, takeaways=2, closing="<p>The last word.</p>")
    intro, second = article.sections.all()

    summary = read_feed(client, reverse(url_name)).entries[0].summary

    assert summary == (
        f"{intro.body}<h2>Heading 1</h2>{second.body}"
        "<h2>Key takeaways</h2><ol><li>Takeaway 0.</li><li>Takeaway 1.</li></ol>"
        "<p>The last word.</p>"
    )


def test_site_feed_queries_do_not_grow_with_stories(
    client, settings, django_assert_max_num_queries
):
    # Full text prefetches the most: stories, bylines with authors, tags, sections, takeaways.
    settings.FEEDS_FULL_TEXT = True
    desk = make_desk()
    for _ in range(6):
        make_article(
            desk=desk, tags=["Climate", "EthicalAI"], authors=[make_author(), make_author()]
        )

    with django_assert_max_num_queries(5):
        feed = read_feed(client, reverse("feed_rss"))

    assert len(feed.entries) == 6


@pytest.mark.parametrize(("url_name", "args"), ALL_FEEDS)
def test_feed_links_to_itself(client, stories, url_name, args):
    url = reverse(url_name, args=args)

    feed = read_feed(client, url)

    assert [link.href for link in feed.feed.links if link.rel == "self"] == [
        f"http://testserver{url}"
    ]
