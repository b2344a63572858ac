"""Search over published stories.

On PostgreSQL: full-text search with English stemming, weighted headline (A) > dek and
takeaways (B) > body (C), ranked, with highlighted snippets. On SQLite: the same, from an
FTS5 index (migration 0006) with Porter stemming and bm25 ranking. Both match whole words
and take any text a reader types: websearch syntax on PostgreSQL tolerates stray quotes and
operators; on SQLite each word is quoted, so nothing a reader types is FTS5 syntax.
"""

import json
import re

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVector
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import BooleanField, F, FloatField, Func
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Left
from django.utils.html import escape
from django.utils.safestring import mark_safe

CONFIG = "english"
MAX_WORDS = 10
# Finding and ranking a match reads the story's whole search document, and a common word
# matches thousands: only the newest this many matches are ranked (and counted as "100+"),
# ten pages of results. For a word in 15% of 100,000 stories, 200 took 9 ms and 100 take 5.
MAX_RESULTS = 100
# A story read newest-first and a match fetched through the search index cost about the
# same (each reads the story's search document), so a word is read newest-first once
# matches² > MAX_RESULTS × stories: from 10% of 10,000 stories, 3.2% of 100,000, 1% of a
# million (measured in bench/README.md, "Search").
NEWEST_FIRST_FACTOR = MAX_RESULTS
SNIPPET_WORDS = 35
SNIPPET_TEXT = 2500
# Private-use characters mark the matches until the snippet is escaped and they become <mark>.
MARK_START, MARK_END = "\ue000", "\ue001"

DOCUMENT = (
    SearchVector("headline", weight="A", config=CONFIG)
    + SearchVector("dek", "takeaways_text", weight="B", config=CONFIG)
    + SearchVector("body_text", weight="C", config=CONFIG)
)

# SQLite's FTS5 index: a copy of each story's text, under the story's id as its rowid.
FTS_TABLE = "articles_article_fts"
# bm25 weights of its columns (headline, dek, takeaways, body), as PostgreSQL's A, B, B, C.
FTS_WEIGHTS = "1.0, 0.4, 0.4, 0.2"
# The last word also finds words it begins ("electr": "electric"), once it is long enough
# not to find half the dictionary ("ai" would find "aid" and "air").
MIN_PREFIX = 4


def best_matches(stories, text: str) -> list[int]:
    """Return the ids of the newest MAX_RESULTS matches, best match first (newest first
    among equals). Counting and paging them is free: a page then reads only its own stories
    (stories_shown)."""
    if connection.vendor != "postgresql":
        newest_ids = newest(found(stories, text))  # a subquery: one query in all
        return list(
            word_match(stories.filter(pk__in=newest_ids), text).values_list("pk", flat=True)
        )
    # Ranked by the query that finds them, so that no other query reads them all again.
    rank = SearchRank(F("search_vector"), postgresql_query(text))
    ranked = newest_matching(stories, text).annotate(rank=rank).values_list("pk", "rank")
    # sorted() is stable: equal ranks stay newest first.
    return [pk for pk, _ in sorted(ranked[:MAX_RESULTS], key=lambda row: -row[1])]


def stories_shown(stories, ids: list[int], text: str) -> list:
    """Return the stories of these ids in the same order, each with a .snippet: a passage
    around the matches, the matches marked."""
    page = stories.filter(pk__in=ids).order_by()  # ordered below, as the ids are
    if connection.vendor == "postgresql":
        page = page.annotate(marked_snippet=postgresql_snippet(text))
    by_id = {story.pk: story for story in page}
    shown = [by_id[pk] for pk in ids if pk in by_id]
    add_snippets(shown, text)
    return shown


def found(stories, text: str):
    """Return the stories that match, unranked."""
    if connection.vendor == "postgresql":
        # The stored, GIN-indexed search_vector is DOCUMENT, computed when the story is saved.
        return stories.filter(search_vector=postgresql_query(text))
    query = fts_query(text)
    if not query:
        return stories.none()
    # The reader's words are a parameter; the rest is constants.
    matches = RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", (query,))  # nosec
    return stories.filter(pk__in=matches)


def newest_matches(stories, text: str) -> list[int]:
    """Return the ids of the newest MAX_RESULTS stories that match, newest first."""
    if connection.vendor != "postgresql":
        return list(newest(found(stories, text)))
    return list(newest_matching(stories, text).values_list("pk", flat=True)[:MAX_RESULTS])


def newest_matching(stories, text: str):
    """Return the matches newest first, written as the faster of two plans (PostgreSQL).

    There are two ways to find the newest, each fast where the other is slow. Reading stories
    newest first until enough match reads about MAX_RESULTS / (share of stories matching)
    of them, each a whole search document; reading every match from the search index
    reads each match once. PostgreSQL's own choice between them follows its cost settings
    more than the word: a word in 17% of 100,000 stories took 15 ms one way and 58 ms the
    other. So the planner's estimate of how many stories match picks the way, and each way
    is written so that it leaves the planner one plan (tests/reader/test_archive_scale.py).
    """
    query = postgresql_query(text)
    matches = estimated_rows(stories.filter(search_vector=query))
    if matches * matches > NEWEST_FIRST_FACTOR * estimated_rows(stories):
        # A function call, unlike the @@ operator, cannot use the search index: the date
        # index is read backwards and each story tested, until enough match.
        tested = Func(
            F("search_vector"), query, function="ts_match_vq", output_field=BooleanField()
        )
        return stories.filter(tested).order_by("-published_at")
    # Ordered by an expression the date index cannot give, so that PostgreSQL reads the
    # matches from the search index, then sorts them (published stories all have a date).
    return stories.filter(search_vector=query).order_by(
        Coalesce("published_at", "created_at").desc()
    )


def newest(matches):
    return matches.order_by("-published_at").values_list("pk", flat=True)[:MAX_RESULTS]


def estimated_rows(stories) -> float:
    """How many rows PostgreSQL expects the query to return, from its statistics."""
    plan = json.loads(stories.values("pk").explain(format="json"))
    return plan[0]["Plan"]["Plan Rows"]


def postgresql_query(text: str):
    return SearchQuery(text, search_type="websearch", config=CONFIG)


def postgresql_snippet(text: str) -> SearchHeadline:
    return SearchHeadline(
        # The passage is looked for in the first SNIPPET_TEXT characters: making it reads
        # the text word by word, 0.6 ms a story for the whole of a long one.
        Left("body_text", SNIPPET_TEXT),
        postgresql_query(text),
        config=CONFIG,
        start_sel=MARK_START,
        stop_sel=MARK_END,
        max_words=SNIPPET_WORDS,
        min_words=15,
    )


def words_of(text: str) -> list[str]:
    return re.findall(r"\w+", text)[:MAX_WORDS]


def fts_query(text: str) -> str:
    """Return the FTS5 query for a reader's words: each one is quoted, so an AND, NEAR( or
    column name they type is a word to find; a story must have all of them."""
    words = words_of(text)
    # \w+ holds no double quote, so a word cannot end its quotes early.
    phrases = [f'"{word}"' for word in words]
    if words and len(words[-1]) >= MIN_PREFIX:
        # The whole word as well as the beginning, so that it ranks first.
        phrases[-1] = f"({phrases[-1]} OR {phrases[-1]}*)"
    return " AND ".join(phrases)


def word_match(stories, text: str):
    query = fts_query(text)
    if not query:
        return stories.none()
    # Every match is ranked in one pass (a MATERIALIZED CTE, SQLite 3.35+) and each
    # candidate looks its rank up: asked about one story at a time, FTS5 would read the
    # words' whole index again for each of them, ten times slower for a common word.
    # bm25 is better the lower it is; negated, it sorts as PostgreSQL's rank does.
    rank = RawSQL(  # nosec B611: constants, and the query as a parameter
        f"WITH ranked AS MATERIALIZED (SELECT rowid, -bm25({FTS_TABLE}, {FTS_WEIGHTS}) AS rank "
        f"FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s) "  # nosec B608
        'SELECT rank FROM ranked WHERE rowid = "articles_article"."id"',
        (query,),
        output_field=FloatField(),
    )
    return stories.annotate(rank=rank).order_by("-rank", "-published_at")


def index_on_sqlite(articles) -> None:
    """Replace what the FTS5 index holds for these articles with their stored text."""
    try:
        ids, params = articles.values("pk").query.sql_with_params()
    except EmptyResultSet:  # pk__in=[]: nothing to index
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {FTS_TABLE} WHERE rowid IN ({ids})", params)  # nosec B608
        cursor.execute(
            f"INSERT INTO {FTS_TABLE} (rowid, headline, dek, takeaways, body) "  # nosec B608
            "SELECT id, headline, dek, takeaways_text, body_text FROM articles_article "
            f"WHERE id IN ({ids})",
            params,
        )


def add_snippets(stories, text: str) -> None:
    """Give each story of a page of results a passage around the matches, matches marked."""
    if connection.vendor == "sqlite" and stories:
        # One query for the page: as a column of the results, SQLite would make a snippet
        # for every story it ranks, not only for the ten it shows.
        ids = [story.pk for story in stories]
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT rowid, snippet({FTS_TABLE}, 3, %s, %s, '…', {SNIPPET_WORDS}) "
                f"FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s "  # nosec B608
                f"AND rowid IN ({', '.join(['%s'] * len(ids))})",
                [MARK_START, MARK_END, fts_query(text), *ids],
            )
            marked = dict(cursor.fetchall())
        for story in stories:
            story.marked_snippet = marked.get(story.pk, "")
    for story in stories:
        # Escaped first; only the <mark> tags are markup.
        html = escape(story.marked_snippet or "")
        html = html.replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")
        story.snippet = mark_safe(html)  # nosec B308 B703
