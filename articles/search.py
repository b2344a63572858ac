"""Search over published stories.

On PostgreSQL: full-text search with English stemming, weighted headline (A) > dek and
takeaways (B) > body (C), ranked, with highlighted snippets. On SQLite: every word must
appear somewhere; stories rank by where the words are found. Both take any text a reader
types: websearch syntax on PostgreSQL tolerates stray quotes and operators.
"""

import re

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.utils.html import escape
from django.utils.safestring import mark_safe

CONFIG = "english"
MAX_WORDS = 10
# Ranking reads the search document of every story it ranks, and a common word matches
# thousands: only the newest this many matches are ranked (and counted as "200+").
MAX_RESULTS = 200
SNIPPET_CHARS = 220
# Private-use characters mark the matches until the snippet is escaped and they become <mark>.
MARK_START, MARK_END = "\ue000", "\ue001"

DOCUMENT = (
    SearchVector("headline", weight="A", config=CONFIG)
    + SearchVector("dek", "takeaways_text", weight="B", config=CONFIG)
    + SearchVector("body_text", weight="C", config=CONFIG)
)


def matching(stories, text: str):
    """Return the newest MAX_RESULTS stories that match, best first."""
    if connection.vendor == "postgresql":
        return full_text(stories, text)
    return word_match(stories, text)


def newest(matches):
    return matches.order_by("-published_at").values("pk")[:MAX_RESULTS]


def full_text(stories, text: str):
    # The stored, GIN-indexed search_vector is DOCUMENT, computed when the story is saved.
    query = SearchQuery(text, search_type="websearch", config=CONFIG)
    return (
        stories.filter(pk__in=newest(stories.filter(search_vector=query)))
        .annotate(
            rank=SearchRank(F("search_vector"), query),
            marked_snippet=SearchHeadline(
                "body_text",
                query,
                config=CONFIG,
                start_sel=MARK_START,
                stop_sel=MARK_END,
                max_words=35,
                min_words=15,
            ),
        )
        .order_by("-rank", "-published_at")
    )


def words_of(text: str) -> list[str]:
    return re.findall(r"\w+", text)[:MAX_WORDS]


def word_match(stories, text: str):
    words = words_of(text)
    if not words:
        return stories.none()
    score = Value(0)
    for word in words:
        stories = stories.filter(
            Q(headline__icontains=word)
            | Q(dek__icontains=word)
            | Q(takeaways_text__icontains=word)
            | Q(body_text__icontains=word)
        )
        score = score + Case(
            When(headline__icontains=word, then=Value(4)),
            When(Q(dek__icontains=word) | Q(takeaways_text__icontains=word), then=Value(2)),
            default=Value(1),
            output_field=IntegerField(),
        )
    matches = stories.filter(pk__in=newest(stories))
    return matches.annotate(rank=score).order_by("-rank", "-published_at")


def snippet(story, text: str) -> str:
    """A short passage of the story around the matches, with the matches marked."""
    marked = getattr(story, "marked_snippet", None)
    if marked is None:
        marked = mark_words(excerpt(story.body_text, words_of(text)), words_of(text))
    html = escape(marked).replace(MARK_START, "<mark>").replace(MARK_END, "</mark>")
    # Escaped above; only the <mark> tags are markup.
    return mark_safe(html)  # nosec B308 B703


def excerpt(body: str, words: list[str]) -> str:
    positions = [m.start() for w in words if (m := re.search(re.escape(w), body, re.I))]
    start = max(0, min(positions, default=0) - SNIPPET_CHARS // 3)
    passage = body[start : start + SNIPPET_CHARS]
    return ("…" if start else "") + passage + ("…" if start + SNIPPET_CHARS < len(body) else "")


def mark_words(passage: str, words: list[str]) -> str:
    if not words:
        return passage
    pattern = re.compile("|".join(re.escape(w) for w in words), re.I)
    return pattern.sub(lambda m: f"{MARK_START}{m.group(0)}{MARK_END}", passage)
