"""Send email from the task worker, so that no request waits for the mail server.

A slow mail server would otherwise hold up every page that sends mail: an editor's decision,
and the password reset page, whose answer would then take seconds for a staff address and
no time for an unknown one, telling anyone who asks which addresses belong to staff.

The "default" mailer in settings.py is this backend: it writes each message into a task
(Django's tasks framework, settings.TASKS) and returns at once; the worker
(`manage.py run_worker`) sends it through the mailer named in its OPTIONS (the SMTP server).
The task is in the database, so mail queued by a process that exits at once (a command run
by cron) or by a worker that restarts is still sent. A message the server refuses or does
not take in time is tried again after each of MAIL_RETRY_DELAYS, then given up: the task
fails, and Chiefs see it in the review queues.
"""

import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.core.mail.backends.base import BaseEmailBackend
from django.tasks import task

from newsroom.tasks import retry_later

logger = logging.getLogger(__name__)


class TaskEmailBackend(BaseEmailBackend):
    """Queue each message as a task for the worker, which hands it to another mailer."""

    def __init__(self, *, mailer: str, **kwargs):
        super().__init__(**kwargs)
        self.mailer = mailer  # the MAILERS alias that really sends

    def send_messages(self, email_messages):
        # Written out first, so that a message that cannot be written (a line break in a
        # header) fails in the caller, as it would with the SMTP mailer itself.
        queued = [as_task_data(message) for message in email_messages]
        for message in queued:
            send_message.enqueue(self.mailer, message)
        return len(queued)


def as_task_data(message) -> dict:
    """The message as JSON for the task: Newsroom's mail is text, with an HTML part at most."""
    message.message()
    if message.attachments:
        raise ValueError("Attachments are not sent through the task queue.")
    return {
        "subject": message.subject,
        "body": message.body,
        "from_email": message.from_email,
        "to": list(message.to),
        "cc": list(message.cc),
        "bcc": list(message.bcc),
        "reply_to": list(message.reply_to),
        "headers": dict(message.extra_headers),
        "alternatives": [list(part) for part in getattr(message, "alternatives", [])],
    }


@task
def send_message(mailer: str, message: dict, attempt: int = 1) -> str:
    """Send one queued message; if the server fails, queue the next try or give up."""
    email = EmailMultiAlternatives(**{k: v for k, v in message.items() if k != "alternatives"})
    for content, mimetype in message["alternatives"]:
        email.attach_alternative(content, mimetype)
    try:
        mailers[mailer].send_messages([email])
    except (OSError, smtplib.SMTPException) as error:
        reason = f"{type(error).__name__}: {error}"
        recipients = ", ".join(email.recipients())
        delays = settings.MAIL_RETRY_DELAYS
        if retry_later(send_message, mailer, message, attempt=attempt, delays=delays):
            logger.warning("Could not email %s (%s); will try again.", recipients, reason)
            return "retrying"
        # One line with who was not told, why and about what; the task fails, for Chiefs.
        logger.error(
            "Could not email %s (%s); the message “%s” is given up after %d tries.",
            recipients, reason, email.subject, attempt,
        )  # fmt: skip
        raise
    return "sent"
