"""One history per story: workflow events, saved revisions and admin log entries in one timeline.

The admin's History button, the edit page's short summary and the review page all read from here,
so a story's past is told one way wherever staff look at it.
"""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.template.loader import render_to_string

from articles.models import Article, ArticleEvent, Revision
from articles.moderation import workflow

# How many events the edit page and the review page show before "See the whole history".
RECENT_EVENTS = 3


@dataclass
class Entry:
    """One line of the timeline; exactly one of event, revision and log_entry is set."""

    when: datetime
    kind: str  # "event", "revision" or "log"
    who: str
    what: str
    note: str = ""
    event: ArticleEvent | None = None
    revision: Revision | None = None
    log_entry: LogEntry | None = None
    tiebreak: int = 0  # within one instant and kind, the later row first


def person(user) -> str:
    if user is None:
        return "System"
    return user.get_full_name() or user.get_username()


def timeline(article: Article) -> list[Entry]:
    """Everything that happened to the story, newest first: three queries, whatever its length.

    Revisions come without their snapshots, which hold the whole story and are not shown here.
    """
    events = article.events.select_related("actor")
    saved = article.revisions.select_related("created_by").defer("snapshot")
    logged = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Article), object_id=str(article.pk)
    ).select_related("user")
    entries = [
        Entry(
            e.created_at,
            "event",
            e.who,
            workflow.event_label(e),
            note=e.note,
            event=e,
            tiebreak=e.pk,
        )
        for e in events
    ]
    entries += [
        Entry(
            r.created_at,
            "revision",
            person(r.created_by),
            f"Version {r.version} saved" + (f": {r.summary}" if r.summary else ""),
            revision=r,
            tiebreak=r.version,
        )
        for r in saved
    ]
    entries += [
        Entry(
            entry.action_time,
            "log",
            person(entry.user),
            entry.get_change_message() or log_action(entry),
            log_entry=entry,
            tiebreak=entry.pk,
        )
        for entry in logged
    ]
    # A save writes a revision and a log entry in the same instant: the revision goes first,
    # then the admin's note of it.
    kind_order = {"event": 0, "log": 1, "revision": 2}
    return sorted(entries, key=lambda e: (e.when, kind_order[e.kind], e.tiebreak), reverse=True)


def log_action(entry: LogEntry) -> str:
    if entry.is_addition():
        return "Added in the admin"
    if entry.is_deletion():
        return "Deleted in the admin"
    return "Changed in the admin"


def recent_events(article: Article) -> list[tuple[ArticleEvent, str]]:
    """The newest workflow events with their labels, newest first."""
    events = article.events.select_related("actor").order_by("-created_at", "-pk")
    return [(event, workflow.event_label(event)) for event in events[:RECENT_EVENTS]]


def recent_history(article: Article) -> str:
    """The short summary the edit page and the review page show, linking to the whole history."""
    return render_to_string(
        "admin/articles/article/includes/recent_history.html",
        {"article": article, "recent": recent_events(article)},
    )
