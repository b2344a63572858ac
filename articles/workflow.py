"""Who may move a story from which status to which: the one place that changes Article.status.

Admin actions, views and management commands call these functions; nothing else writes
`status` or `published_at`. The editorial workflow (review, scheduling, …) grows here.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from articles.models import Article

Status = Article.Status

PUBLISH_PERMISSION = "articles.publish_article"

# (current status, action) -> (new status, permission the user needs)
TRANSITIONS = {
    (Status.DRAFT, "publish"): (Status.PUBLISHED, PUBLISH_PERMISSION),
    (Status.PUBLISHED, "unpublish"): (Status.DRAFT, PUBLISH_PERMISSION),
}

ACTION_LABELS = {"publish": "Publish", "unpublish": "Unpublish"}


class InvalidTransition(Exception):
    """The action does not apply to the story's current status."""


class Conflict(InvalidTransition):
    """Someone else changed the story's status first."""


# by=None means the operator at the shell (management commands, cron jobs); every
# request-driven caller passes the signed-in user, whose permissions are checked.


def allowed_actions(article: Article, user) -> list[str]:
    """Return the actions this user may take on this story now, for drawing buttons."""
    return [
        action
        for (status, action), (_, permission) in TRANSITIONS.items()
        if status == article.status and user.has_perm(permission)
    ]


@transaction.atomic
def _transition(article: Article, action: str, *, by, changes: dict) -> Article:
    try:
        new_status, permission = TRANSITIONS[(article.status, action)]
    except KeyError:
        raise InvalidTransition(
            f"A {article.get_status_display().lower()} story cannot be {action}ed."
        ) from None
    if by is not None and not by.has_perm(permission):
        raise PermissionDenied(f"You may not {action} stories.")
    # Conditional update: if the status moved since the story was read, nothing changes.
    updated = Article.objects.filter(pk=article.pk, status=article.status).update(
        status=new_status, **changes
    )
    if not updated:
        raise Conflict("Someone else changed this story's status; reload and try again.")
    article.refresh_from_db(fields=["status", "published_at", "updated_at"])
    return article


def publish(article: Article, *, by, now=None) -> Article:
    """Make a draft visible to readers; a story keeps its first publication time."""
    now = now or timezone.now()
    return _transition(
        article,
        "publish",
        by=by,
        changes={"published_at": article.published_at or now, "updated_at": now},
    )


def unpublish(article: Article, *, by, now=None) -> Article:
    """Take a story away from readers at once; it goes back to draft."""
    return _transition(article, "unpublish", by=by, changes={"updated_at": now or timezone.now()})


ACTIONS = {"publish": publish, "unpublish": unpublish}
