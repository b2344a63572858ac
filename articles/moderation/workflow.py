"""The editorial workflow: the one place that decides who may move a story where.

Views, admin actions and management commands call these functions; nothing else writes
Article.status or Article.published_at. Each action checks the user's permission, checks
the transition table, runs the quality gate where one applies, writes with a conditional
update (so two editors cannot both move the same story), records an event, and emails
the story's writer once the transaction commits.

`by=None` means a system actor, named by `actor_name` ("Importer", "Scheduler") in the
history; every request-driven caller passes the signed-in user. The quality gate runs for
both: no publication goes around it.
"""

from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.text import Truncator

from articles.api import webhooks
from articles.delivery import cache as page_cache
from articles.models import EDIT_ANY, Article, ArticleEvent, SchedulerRun, Webhook
from articles.moderation.emails import notify_writer
from articles.moderation.quality import check_quality
from articles.reader import related

Status = Article.Status

PUBLISH = "articles.publish_article"
# The system actor publish_due() acts as, in the history and in mails.
SCHEDULER = "Scheduler"
# Writers may change their own stories only while these are the story's status.
WRITER_EDITABLE = (Status.DRAFT, Status.CHANGES_REQUESTED)


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: tuple
    target: str
    # None: the story's owner (or anyone who may edit any story) may take it.
    permission: str | None
    needs_note: bool = False
    needs_time: bool = False
    gated: bool = False
    notifies: bool = True


TRANSITIONS = {
    t.action: t
    for t in [
        Transition(
            "submit",
            "Submit for review",
            (Status.DRAFT, Status.CHANGES_REQUESTED),
            Status.IN_REVIEW,
            None,
            gated=True,
            notifies=False,
        ),
        Transition(
            "withdraw",
            "Withdraw from review",
            (Status.IN_REVIEW,),
            Status.DRAFT,
            None,
            notifies=False,
        ),
        Transition(
            "request_changes",
            "Request changes",
            (Status.IN_REVIEW, Status.APPROVED, Status.SCHEDULED),
            Status.CHANGES_REQUESTED,
            PUBLISH,
            needs_note=True,
        ),
        Transition("approve", "Approve", (Status.IN_REVIEW,), Status.APPROVED, PUBLISH),
        Transition(
            "schedule",
            "Schedule",
            (Status.IN_REVIEW, Status.APPROVED),
            Status.SCHEDULED,
            PUBLISH,
            needs_time=True,
            gated=True,
        ),
        Transition("unschedule", "Unschedule", (Status.SCHEDULED,), Status.APPROVED, PUBLISH),
        Transition(
            "publish",
            "Publish now",
            (Status.DRAFT, Status.IN_REVIEW, Status.APPROVED, Status.SCHEDULED, Status.UNPUBLISHED),
            Status.PUBLISHED,
            PUBLISH,
            gated=True,
        ),
        Transition("unpublish", "Unpublish", (Status.PUBLISHED,), Status.UNPUBLISHED, PUBLISH),
        Transition("archive", "Archive", (Status.UNPUBLISHED,), Status.ARCHIVED, PUBLISH),
        Transition(
            "reopen",
            "Reopen as a draft",
            (Status.UNPUBLISHED, Status.ARCHIVED),
            Status.DRAFT,
            PUBLISH,
            notifies=False,
        ),
    ]
}


OTHER_EVENTS = {
    "comment": "Comment",
    "trash": "Moved to the trash",
    "restore": "Restored from the trash",
}


def event_label(event) -> str:
    """Describe a history line: “Approve (In review → Approved)”."""
    if event.action in TRANSITIONS:
        before, after = Status(event.from_status).label, Status(event.to_status).label
        return f"{TRANSITIONS[event.action].label} ({before} → {after})"
    return OTHER_EVENTS.get(event.action, event.action)


class WorkflowError(Exception):
    """The action cannot be taken; the message says why, for the user."""


class InvalidTransition(WorkflowError):
    """The action does not apply to the story's current status."""


class Conflict(InvalidTransition):
    """Someone else changed the story's status first."""


class NoteRequired(WorkflowError):
    pass


class BadScheduleTime(WorkflowError):
    pass


class QualityGateFailed(WorkflowError):
    def __init__(self, report):
        self.report = report
        problems = report.errors or report.warnings
        super().__init__("Not yet: " + " ".join(problems))


def is_owner(user, article: Article) -> bool:
    return article.created_by_id is not None and article.created_by_id == user.pk


def can_view(user, article: Article) -> bool:
    """Staff see what they may act on: editors every story, writers their own.

    Article.objects.visible_to(user) is the same rule for many stories."""
    return user.is_active and (user.has_perm(EDIT_ANY) or is_owner(user, article))


def can_edit(user, article: Article) -> bool:
    """Whether the user may change the story's content: editors any story, writers their own
    while it is theirs to work on (before it is submitted, or sent back to them)."""
    if not user.is_active or article.deleted_at is not None:
        return False
    if user.has_perm(EDIT_ANY):
        return True
    return (
        user.has_perm("articles.change_article")
        and is_owner(user, article)
        and article.status in WRITER_EDITABLE
    )


def can_curate(user) -> bool:
    """Whether the user may choose what leads the home and desk pages: those who may publish."""
    return user.is_active and user.has_perm(PUBLISH)


def may(user, article: Article, transition: Transition) -> bool:
    if not user.is_active or article.deleted_at is not None:
        return False
    if transition.permission is None:
        return user.has_perm(EDIT_ANY) or (
            user.has_perm("articles.change_article") and is_owner(user, article)
        )
    return user.has_perm(transition.permission)


def allowed_actions(article: Article, user) -> list[Transition]:
    """Return the transitions this user may take on this story now, for drawing buttons."""
    return [
        t for t in TRANSITIONS.values() if article.status in t.sources and may(user, article, t)
    ]


def take(
    action: str,
    article: Article,
    *,
    by,
    note: str = "",
    when=None,
    now=None,
    actor_name: str = "",
) -> Article:
    """Move the story by one transition, or raise WorkflowError / PermissionDenied.

    With by=None, actor_name names the system actor (the importer) for the history.
    """
    try:
        transition = TRANSITIONS[action]
    except KeyError:
        raise InvalidTransition(f"There is no action called “{action}”.") from None
    if by is not None and not may(by, article, transition):
        raise PermissionDenied(f"You may not {transition.label.lower()} this story.")
    if article.status not in transition.sources:
        raise InvalidTransition(
            f"“{transition.label}” does not apply to a story that is "
            f"{article.get_status_display().lower()}."
        )
    note = note.strip()
    if transition.needs_note and not note:
        raise NoteRequired("Say what needs to change: the writer reads this note.")
    now = now or timezone.now()
    changes = publication_change(article, transition, when=when, now=now)
    if transition.gated:
        note = pass_quality_gate(article, transition, by=by, note=note)
    return _move(
        article, transition, by=by, note=note, changes=changes, now=now, actor_name=actor_name
    )


def publication_change(article: Article, transition: Transition, *, when, now) -> dict:
    """Return the change the transition makes to the story's publication time, if any."""
    if transition.needs_time:
        if when is None or when <= now:
            raise BadScheduleTime("Choose a publication time in the future.")
        return {"published_at": when}
    if transition.target == Status.PUBLISHED:
        # A story keeps its first publication time; a scheduled one goes out now.
        first_time = article.published_at
        if article.status == Status.SCHEDULED or first_time is None or first_time > now:
            first_time = now
        return {"published_at": first_time}
    if transition.action == "unschedule":
        return {"published_at": None}
    return {}


def pass_quality_gate(article: Article, transition: Transition, *, by, note: str) -> str:
    """Raise QualityGateFailed where the gate stops the story; return the event's note."""
    report = check_quality(article)
    overridable = transition.action != "submit" and not report.errors
    # A person says why they go past the warnings; a system actor cannot, so its
    # publication records them alone.
    if report.errors or (report.warnings and overridable and not note and by is not None):
        raise QualityGateFailed(report)
    if report.warnings and overridable:
        note = f"{note}\n(Past the warnings: {' '.join(report.warnings)})".strip()
    return note


@transaction.atomic
def _move(article, transition, *, by, note, changes, now, actor_name=""):
    # Conditional update: if the status moved since the story was read, nothing changes.
    moved = Article.objects.filter(
        pk=article.pk, status=article.status, deleted_at__isnull=True
    ).update(status=transition.target, **changes)
    if not moved:
        raise Conflict("Someone else changed this story's status first; reload and try again.")
    event = ArticleEvent.objects.create(
        article=article,
        actor=by,
        actor_name=actor_name,
        action=transition.action,
        from_status=article.status,
        to_status=transition.target,
        note=note,
        created_at=now,
    )
    was_published = article.status == Status.PUBLISHED
    was_visible = article.is_published  # a scheduled story is from its time on
    article.refresh_from_db(fields=["status", "published_at"])
    # The read-next lists it may now be in, or must leave, change with the step that makes
    # readers see it or no longer see it, before the page cache's new generation below. (A
    # step changes no text: the search entry is as the last save left it.)
    related.story_changed(article)
    # Readers see a change when the story was or is visible, or when the step sets or clears
    # a time at which it will be (cached pages expire by it: page_timeout). Only then: every
    # cached page drawn again for a submission or an approval slowed the site for nothing,
    # and delayed the publication that followed it behind the nodes' queue (the cluster
    # scenario: up to 2.35 s).
    if (
        was_visible
        or article.is_published
        or Status.SCHEDULED in (event.from_status, event.to_status)
    ):
        page_cache.pages_changed()
    if transition.target == Status.SCHEDULED:
        transaction.on_commit(
            partial(queue_publication, article.pk, article.published_at), robust=True
        )
    if transition.target == Status.PUBLISHED:
        webhooks.announce(article, Webhook.Event.PUBLISHED)
    elif was_published:
        webhooks.announce(article, Webhook.Event.UNPUBLISHED)
    if transition.notifies:
        as_scheduled = by is None and actor_name == SCHEDULER
        transaction.on_commit(
            lambda: notify_writer(
                article, event, label=transition.label, as_scheduled=as_scheduled
            ),
            robust=True,
        )
    return article


def queue_publication(story_id: int, when) -> None:
    """Have the task worker publish the story at its time (articles/moderation/tasks.py)."""
    from articles.moderation import tasks  # tasks.py imports this module

    tasks.publish_when_due.using(run_after=when).enqueue(story_id)


def publish_due(now=None) -> list[Article]:
    """Finalise scheduled stories whose time has come; safe to run every minute, and late.

    Readers already see such a story (Article.objects.published() allows for it); this
    records the status change and tells the writer, exactly once per story.
    """
    now = now or timezone.now()
    finalised = []
    due = Article.objects.filter(
        status=Status.SCHEDULED, published_at__lte=now, deleted_at__isnull=True
    )
    for article in due:
        try:
            _move(
                article,
                TRANSITIONS["publish"],
                by=None,
                note=f"Scheduled for {timezone.localtime(article.published_at):%d %b %Y %H:%M}.",
                changes={},
                now=now,
                actor_name=SCHEDULER,
            )
        except Conflict:
            continue  # another run or an editor got there first
        finalised.append(article)
    SchedulerRun.objects.create(finished_at=now, published=len(finalised))
    return finalised


def overdue_scheduled(now=None, grace_minutes=2):
    """Scheduled stories past their time that the scheduler has not finalised."""
    now = now or timezone.now()
    return Article.objects.filter(
        status=Status.SCHEDULED,
        published_at__lte=now - timedelta(minutes=grace_minutes),
        deleted_at__isnull=True,
    )


def open_change_requests(articles) -> dict[int, ArticleEvent]:
    """The newest change request (its note, who asked, when) of each of these stories that
    is waiting for changes, by story id: what the writer is to fix. One query for all."""
    waiting = [article.pk for article in articles if article.status == Status.CHANGES_REQUESTED]
    events = ArticleEvent.objects.filter(
        article__in=waiting, to_status=Status.CHANGES_REQUESTED
    ).select_related("actor")
    # Later requests replace earlier ones.
    return {event.article_id: event for event in events.order_by("created_at", "pk")}


def comment(article: Article, *, by=None, name: str = "", text: str) -> ArticleEvent:
    """Add a note to the story's history without changing its status."""
    return ArticleEvent.objects.create(
        article=article,
        actor=by,
        actor_name=Truncator(name).chars(ArticleEvent._meta.get_field("actor_name").max_length),
        action="comment",
        note=text.strip(),
    )


@transaction.atomic
def trash(article: Article, *, by, now=None) -> None:
    """Move a story to the trash: off every reader page at once, restorable by a chief."""
    if not by.has_perm("articles.delete_article"):
        raise PermissionDenied("You may not delete stories.")
    Article.objects.filter(pk=article.pk).update(deleted_at=now or timezone.now())
    ArticleEvent.objects.create(article=article, actor=by, action="trash")
    page_cache.pages_changed()
    if article.is_published:
        webhooks.announce(article, Webhook.Event.DELETED)


@transaction.atomic
def restore_from_trash(article: Article, *, by) -> None:
    if not by.has_perm("articles.restore_article"):
        raise PermissionDenied("You may not restore stories.")
    Article.objects.filter(pk=article.pk).update(deleted_at=None)
    article.deleted_at = None
    ArticleEvent.objects.create(article=article, actor=by, action="restore")
    page_cache.pages_changed()
    if article.is_published:  # back on the site: to a receiver, published again
        webhooks.announce(article, Webhook.Event.PUBLISHED)
