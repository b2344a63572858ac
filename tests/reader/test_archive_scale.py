"""A 5,000-story archive on PostgreSQL: the query counts and plans that keep the pages fast at
100,000 and 1,000,000 stories (bench/scale.py times those; this checks the shape, not the
time, so that CI sees a change that would only show at scale).
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from articles.models import Article, Author, Desk, Tag
from articles.operations.demo import DATELINES, generate_articles
from articles.reader import search
from tests.factories import make_user

ARCHIVE = 5000
GENERATED_TABLES = [
    "articles_article",
    "articles_desk",
    "articles_tag",
    "articles_author",
    "articles_calltoaction",
]
# The most queries each page may make, on the first view after a publication (the menu is
# read again then); none of them counts the archive.
PAGE_QUERIES = {
    "home": 4,  # the page, the picks, the bylines, the menu
    "home, page 50": 3,  # no picks after the first page
    "desk": 5,  # and the desk
    "tag": 4,  # the tag, the page, the bylines, the menu: picks are for home and desks
    "author": 4,
    "story": 10,  # the story, its 7 parts, "Read next", the menu
    "search": 6,  # 2 estimates (EXPLAIN), the ranked matches, the page, menu, desk filter
}

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="query plans are PostgreSQL's (DATABASE_URL)"
    ),
]


@pytest.fixture(scope="module")
def archive(django_db_setup, django_db_blocker):
    """The generated stories, committed once for the module and removed after it."""
    with django_db_blocker.unblock():
        generate_articles(ARCHIVE)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        yield
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(GENERATED_TABLES)} CASCADE")


def reader_pages() -> dict[str, str]:
    story = Article.objects.published().order_by("pk")[ARCHIVE // 2]
    return {
        "home": reverse("articles:home"),
        "home, page 50": reverse("articles:home") + "?page=50",
        "desk": Desk.objects.order_by("pk").first().get_absolute_url(),
        "tag": Tag.objects.order_by("pk").first().get_absolute_url(),
        "author": Author.objects.order_by("pk").first().get_absolute_url(),
        "story": story.get_absolute_url(),
        "search": reverse("articles:search") + "?q=braga",
    }


def captured(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return [query["sql"] for query in queries.captured_queries]


def plan_of(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}")
        return "\n".join(row[0] for row in cursor.fetchall())


def newest_matches_plan(word: str) -> str:
    with CaptureQueriesContext(connection) as queries:
        found = search.newest_matches(Article.objects.published(), word)
    assert found
    return plan_of(queries.captured_queries[-1]["sql"])


@pytest.mark.parametrize("page", PAGE_QUERIES)
def test_a_reader_page_keeps_its_queries_and_counts_nothing(archive, client, page):
    queries = captured(client, reader_pages()[page])
    assert len(queries) <= PAGE_QUERIES[page], "\n".join(queries)
    assert not [sql for sql in queries if "COUNT(" in sql.upper()]


def test_a_story_page_reads_its_stored_read_next_list(archive, client):
    queries = captured(client, reader_pages()["story"])
    assert [sql for sql in queries if "articles_readnext" in sql]
    assert not [sql for sql in queries if "articles_taggedarticle" in sql and "GROUP BY" in sql]


def test_search_for_a_word_in_30_percent_of_stories_reads_the_newest_first(archive):
    assert max(DATELINES.values()) == DATELINES["Lisbon"] == 30
    plan = newest_matches_plan("lisbon")
    assert "Index Scan Backward" in plan and "Bitmap" not in plan, plan


def test_search_for_a_word_in_1_percent_of_stories_reads_the_search_index(archive):
    assert DATELINES["Sintra"] == 1
    plan = newest_matches_plan("sintra")
    assert "Bitmap Index Scan on article_search_vector_idx" in plan, plan


def test_queries_are_not_compiled_to_machine_code():
    # At a million stories the planner's estimates pass jit_above_cost: compiling the tag
    # page's first query took longer than running it.
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)


def test_admin_story_list_and_search_count_at_most_once(archive, client):
    client.force_login(make_user("edgar", groups=["Editor"]))
    changelist = reverse("admin:articles_article_changelist")
    for url in [changelist, changelist + "?q=braga"]:
        counts = [sql for sql in captured(client, url) if "COUNT(" in sql.upper()]
        assert len(counts) <= 1, counts
