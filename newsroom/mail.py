"""Send email from a background thread, so that no request waits for the mail server.

A slow mail server would otherwise hold up every page that sends mail: an editor's decision,
and the password reset page, whose answer would then take seconds for a staff address and
no time for an unknown one, telling anyone who asks which addresses belong to staff.

The "default" mailer in settings.py is this backend: it queues each message and returns at
once. One thread per process sends the queue, in order, through the mailer named in its
OPTIONS (the SMTP server). A message that cannot be sent is logged with its recipients and
subject and is not retried, as before: the decision it reports stands. When the process
exits (a management command run by cron, a gunicorn worker restarting) it waits up to
EXIT_WAIT_SECONDS for the queue to empty, and logs what it could not send.
"""

import atexit
import logging
import queue
import threading

from django.core.mail import mailers
from django.core.mail.backends.base import BaseEmailBackend

logger = logging.getLogger(__name__)

# A message can take the SMTP timeout (5 s) to fail; a short queue goes out in this time.
EXIT_WAIT_SECONDS = 30

outbox: queue.Queue = queue.Queue()
sender: threading.Thread | None = None
sender_lock = threading.Lock()


class BackgroundEmailBackend(BaseEmailBackend):
    """Queue messages for the sending thread, which hands them to another mailer."""

    def __init__(self, *, mailer: str, **kwargs):
        super().__init__(**kwargs)
        self.mailer = mailer  # the MAILERS alias that really sends

    def send_messages(self, email_messages):
        for message in email_messages:
            # Built here, so a message that cannot be written (a line break in a header)
            # fails in the caller, as it would with the SMTP mailer itself.
            message.message()
        for message in email_messages:
            outbox.put((self.mailer, message))
        start_sender()
        return len(email_messages)


def start_sender() -> None:
    global sender
    with sender_lock:
        # Not alive after a fork either: the child starts its own.
        if sender is None or not sender.is_alive():
            if sender is None:
                atexit.register(send_before_exit)
            sender = threading.Thread(target=send_queued, name="mail-sender", daemon=True)
            sender.start()


def send_queued() -> None:
    while True:
        mailer, message = outbox.get()
        try:
            mailers[mailer].send_messages([message])
        except Exception as error:
            logger.error(
                "Could not email %s (%s: %s); the message “%s” is dropped.",
                ", ".join(message.recipients()),
                type(error).__name__,
                error,
                message.subject,
            )
        finally:
            outbox.task_done()


def wait_until_sent(timeout: float) -> bool:
    """Wait until every queued message has been sent or given up on; say whether it was."""
    waiter = threading.Thread(target=outbox.join, daemon=True)
    waiter.start()
    waiter.join(timeout)
    return not waiter.is_alive()


def send_before_exit() -> None:
    if not wait_until_sent(EXIT_WAIT_SECONDS):
        logger.error(
            "The process stopped after waiting %d seconds for the mail server; "
            "%d more email(s) were not sent.",
            EXIT_WAIT_SECONDS,
            outbox.qsize() + 1,  # the one being sent, and those waiting
        )
