"""The email that tells a story's writer what was decided in review."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, ArticleEvent

logger = logging.getLogger(__name__)


def notify_writer(article: Article, event: ArticleEvent, *, label: str, as_scheduled: bool) -> None:
    """Email the story's writer about a decision; a mail failure never undoes the decision.

    label names the decision ("Approve"); as_scheduled says the scheduler published the story.
    """
    writer = article.created_by
    if writer is None or not writer.email:
        return
    link = settings.SITE_URL + reverse("review:story", args=[article.pk])
    if as_scheduled:
        # Nobody chose anything just now: the time an editor set earlier came.
        label = "Published as scheduled"
        went_out = timezone.localtime(article.published_at)
        lines = [
            f"Your story “{article.headline}” went out at {went_out:%H:%M} on "
            f"{went_out:%d %b %Y} as scheduled. It is now published."
        ]
    else:
        lines = [
            f"{event.who} chose “{label}” for your story “{article.headline}”.",
            f"It is now {article.get_status_display().lower()}.",
        ]
    if article.status == Article.Status.SCHEDULED:
        lines.append(f"It goes out at {timezone.localtime(article.published_at):%d %b %Y %H:%M}.")
    if event.note:
        lines += ["", "Note:", event.note]
    lines += ["", f"Open its review page: {link}"]
    try:
        send_mail(
            # One line: a line break in a subject is a mail header injection, refused.
            f"[{settings.SITE_NAME}] {label}: {' '.join(article.headline.split())}",
            "\n".join(lines),
            None,
            [writer.email],
        )
    except Exception as error:
        # The decision is committed already; a message that cannot even be written (the
        # mail server's own failures are logged by newsroom/mail.py) must not undo it.
        logger.exception(
            "Could not email %s about story %s (%s: %s); the decision stands.",
            writer.email,
            article.pk,
            type(error).__name__,
            error,
        )
