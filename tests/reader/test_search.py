import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, Section
from articles.operations.demo import generate_articles
from articles.reader import search
from tests.factories import make_article, make_desk, refresh_after_edit
from tests.pages import visible_text

pytestmark = pytest.mark.django_db
SEARCH = reverse("articles:search")


def story(headline, *, dek="A dek.", body="Plain words.", **fields):
    article = make_article(headline=headline, dek=dek, sections=0, **fields)
    Section.objects.create(article=article, body=f"<p>{body}</p>")
    refresh_after_edit(article)
    return article


def result_headlines(client, **params):
    response = client.get(SEARCH, params)
    assert response.status_code == 200
    return [story.headline for story in response.context["results"]]


def test_headline_match_ranks_above_dek_above_body(client):
    story("Body story", body="The council approved the zeppelin port.")
    story("Dek story", dek="Plans for a zeppelin port.")
    story("Zeppelin headline story")
    assert result_headlines(client, q="zeppelin") == [
        "Zeppelin headline story",
        "Dek story",
        "Body story",
    ]


def test_equally_good_matches_are_listed_newest_first(client):
    for age in [3, 1, 2]:
        story(f"Zeppelin day {age}", published_at=timezone.now() - timedelta(days=age))
    assert result_headlines(client, q="zeppelin") == [
        "Zeppelin day 1",
        "Zeppelin day 2",
        "Zeppelin day 3",
    ]


def test_every_word_must_match(client):
    story("Harbour ferries go electric", body="Batteries charge in six minutes.")
    story("Harbour crane replaced", body="A new crane arrived.")
    assert result_headlines(client, q="harbour batteries") == ["Harbour ferries go electric"]


def test_snippet_marks_the_matching_words(client):
    story("A story", body="The lab opened with soldering stations and robots for teenagers.")
    html = client.get(SEARCH, {"q": "soldering"}).content.decode()
    assert "<mark>soldering</mark>" in html


def test_snippet_escapes_story_text(client):
    story("A story", body="Rates &lt; 5% while soldering &lt;script&gt;x()&lt;/script&gt;")
    html = client.get(SEARCH, {"q": "soldering"}).content.decode()
    assert "<script>x()" not in html


def test_search_stems_words(client):
    story("Artists protested the model")
    assert result_headlines(client, q="protesting") == ["Artists protested the model"]


def test_a_short_word_is_not_found_inside_longer_words(client):
    story("AI tools reach the newsroom")
    story("Council vote", body="The mayor said she voted against the plan, again.")
    assert result_headlines(client, q="AI") == ["AI tools reach the newsroom"]


def test_snippet_marks_whole_words_only(client):
    story("A story", body="The mayor said AI will not replace the clerks, again.")
    html = client.get(SEARCH, {"q": "ai"}).content.decode()
    assert "<mark>AI</mark>" in html
    assert "s<mark>" not in html
    assert "ag<mark>" not in html


def test_snippet_keeps_paragraphs_apart(client):
    article = make_article(headline="A story", sections=0)
    Section.objects.create(
        article=article, body="<p>Floods hit the region.</p><p>The trial opened on Monday.</p>"
    )
    refresh_after_edit(article)
    html = client.get(SEARCH, {"q": "trial"}).content.decode()
    assert "region. The" in html
    assert "region.The" not in html


def test_the_last_word_also_finds_longer_words_it_begins(client):
    story("Harbour ferries go electric")
    assert result_headlines(client, q="ferries electr") == ["Harbour ferries go electric"]


def test_an_edited_story_is_found_by_its_new_words_only(client):
    article = story("Harbour news", body="The zeppelin landed.")
    Section.objects.filter(article=article).update(body="<p>The airship landed.</p>")
    refresh_after_edit(article)
    assert result_headlines(client, q="zeppelin") == []
    assert result_headlines(client, q="airship") == ["Harbour news"]


def test_stories_are_found_as_they_were_after_a_restore(client, tmp_path, media_root):
    article = story("Harbour news", body="The zeppelin landed.")
    path = tmp_path / "newsroom.tar.gz"
    call_command("backup", str(path), stdout=io.StringIO())
    Section.objects.filter(article=article).update(body="<p>The airship landed.</p>")
    refresh_after_edit(article)

    call_command("restore", str(path), "--force", stdout=io.StringIO())

    assert result_headlines(client, q="zeppelin") == ["Harbour news"]
    assert result_headlines(client, q="airship") == []


def test_generated_stories_are_found(client):
    generate_articles(3)
    headline = Article.objects.latest("pk").headline
    assert headline in result_headlines(client, q=headline)


def test_drafts_embargoed_and_trashed_stories_are_never_found(client):
    story("Visible zeppelin")
    story("Draft zeppelin", status=Article.Status.DRAFT, published_at=None)
    story(
        "Embargoed zeppelin",
        status=Article.Status.SCHEDULED,
        published_at=timezone.now() + timedelta(hours=1),
    )
    story("Trashed zeppelin", deleted_at=timezone.now())
    assert result_headlines(client, q="zeppelin") == ["Visible zeppelin"]


def test_filters_by_desk_tag_and_date(client):
    science = make_desk(name="Science")
    story("Zeppelin science", desk=science, tags=["Air"])
    story("Zeppelin local", published_at=timezone.now() - timedelta(days=40))
    assert result_headlines(client, q="zeppelin", desk="science") == ["Zeppelin science"]
    assert result_headlines(client, q="zeppelin", tag="air") == ["Zeppelin science"]
    since = (timezone.localdate() - timedelta(days=7)).isoformat()
    assert result_headlines(client, q="zeppelin", published_after=since) == ["Zeppelin science"]


@pytest.mark.parametrize(
    "query",
    [
        "",
        '"unclosed quote',
        "zeppelin OR -port & | ! ( ) :* <->",
        "x" * 10_000,
        "zep\x00pelin\x07\x1b[31m",
        "' OR 1=1; DROP TABLE articles_article; --",
        "%_\\",
        "😀 zeppelin",
        'zeppelin"',
        "zeppelin*",
        "zeppelin AND NOT OR",
        "NEAR(zeppelin story, 2)",
        "-zeppelin +story",
        "headline:zeppelin",
        "^zeppelin",
        "_",
    ],
    ids=[
        "empty",
        "quote",
        "operators",
        "huge",
        "control",
        "sql",
        "wildcards",
        "emoji",
        "fts-quote",
        "fts-star",
        "fts-boolean",
        "fts-near",
        "fts-minus",
        "fts-column",
        "fts-caret",
        "underscore",
    ],
)
def test_any_query_gives_a_normal_page(client, query):
    story("Zeppelin story")
    response = client.get(SEARCH, {"q": query})
    assert response.status_code == 200
    assert "Search" in visible_text(response.content.decode())


@pytest.mark.parametrize(
    "params",
    [
        {"desk": "no-such-desk"},
        {"published_after": "not-a-date"},
        {"page": "abc"},
        {"page": "999"},
        {"tag": "x" * 500},
    ],
)
def test_odd_filters_and_pages_give_a_normal_page(client, params):
    story("Zeppelin story")
    assert client.get(SEARCH, {"q": "zeppelin", **params}).status_code == 200


def test_results_are_paginated(client):
    for number in range(13):
        story(f"Zeppelin {number}")
    first = client.get(SEARCH, {"q": "zeppelin"})
    second = client.get(SEARCH, {"q": "zeppelin", "page": 2})
    assert len(first.context["results"]) == 10
    assert len(second.context["results"]) == 3


def test_a_common_word_finds_the_newest_matches_and_says_there_are_more(client, monkeypatch):
    monkeypatch.setattr(search, "MAX_RESULTS", 3)
    for age in range(5):
        story(f"Zeppelin {age}", published_at=timezone.now() - timedelta(days=age))

    response = client.get(SEARCH, {"q": "zeppelin"})

    assert sorted(s.headline for s in response.context["results"]) == [
        "Zeppelin 0",
        "Zeppelin 1",
        "Zeppelin 2",
    ]
    assert "3+ stories found." in visible_text(response.content.decode())


def test_search_queries_do_not_grow_with_the_results(client, django_assert_max_num_queries):
    for number in range(15):
        story(f"Zeppelin {number}", tags=["A", "B"])
    # desks for the filter, the ranked matches, the page, and the desk menu when its cache
    # is cold; on SQLite one more for the page's snippets (PostgreSQL makes them with the
    # page), on PostgreSQL two EXPLAINs for how many stories match (search.newest_matching)
    with django_assert_max_num_queries(5 if connection.vendor == "sqlite" else 6):
        client.get(SEARCH, {"q": "zeppelin"})
