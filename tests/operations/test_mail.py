"""Email goes out from the task worker: no page waits for the mail server, what cannot be
sent is tried again, and what is given up is logged and left failed for Chiefs to see.

The mail server here is a real one on loopback, just slow: it accepts a connection, says
nothing for a while (as a busy or distant server does), then speaks SMTP.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from articles.models import Article
from tests.factories import make_article
from tests.smtp import SMTPServer
from tests.worker import run_worker

pytestmark = pytest.mark.django_db(transaction=True)
PROJECT = Path(__file__).resolve().parents[2]
RESET = reverse("admin_password_reset")


def production_mailers(port: int, timeout: float = 5) -> dict:
    """settings.MAILERS as production has it with SMTP_HOST set, pointed at this port."""
    code = "import json, newsroom.settings as s; print(json.dumps(s.MAILERS))"
    environment = {
        "PATH": os.environ["PATH"],
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(port),
        "SMTP_TLS": "0",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT, env=environment, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    mailers = json.loads(result.stdout)
    mailers["smtp"]["OPTIONS"]["timeout"] = timeout
    return mailers


@pytest.fixture
def slow_smtp(settings):
    server = SMTPServer(delay=2)
    settings.MAILERS = production_mailers(server.port)
    yield server
    server.close()


def timed_post(client, url, data) -> tuple[float, object]:
    start = time.monotonic()
    response = client.post(url, data)
    return time.monotonic() - start, response


def test_password_reset_answers_at_once_for_known_and_unknown_addresses(client, editor, slow_smtp):
    known_seconds, known = timed_post(client, RESET, {"email": editor.email})
    unknown_seconds, unknown = timed_post(client, RESET, {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 302
    assert known_seconds < 1, known_seconds  # the mail server takes 2 s to answer
    assert unknown_seconds < 1, unknown_seconds


def test_password_reset_link_arrives_when_the_slow_mail_server_answers(client, editor, slow_smtp):
    client.post(RESET, {"email": editor.email})
    assert slow_smtp.received == []  # queued, not sent by the request
    run_worker()
    ((recipients, text),) = slow_smtp.received
    assert recipients == [editor.email]
    assert "/admin/password-reset/" in text


def test_review_decision_answers_at_once_and_the_writer_is_emailed_later(editor, writer, slow_smtp):
    story = make_article(status=Article.Status.IN_REVIEW, published_at=None, created_by=writer)
    client = Client()
    client.force_login(editor)
    seconds, response = timed_post(
        client,
        reverse("review:story", args=[story.pk]),
        {"decision": "approve", "seen": f"{story.status}:{story.version}"},
    )
    assert response.status_code == 302
    assert seconds < 1, seconds
    run_worker()
    ((recipients, text),) = slow_smtp.received
    assert recipients == [writer.email]
    assert story.headline in text


def test_mail_the_server_does_not_take_is_tried_again_later(client, editor, settings, caplog):
    silent = SMTPServer(delay=60)  # accepts, then says nothing
    settings.MAILERS = production_mailers(silent.port, timeout=1)
    settings.MAIL_RETRY_DELAYS = [3600]
    client.post(RESET, {"email": editor.email})
    run_worker()
    silent.close()
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.args_kwargs["kwargs"] == {"attempt": 2}
    assert (retry.run_after - retry.enqueued_at).total_seconds() > 3500
    (record,) = [r for r in caplog.records if r.name == "newsroom.mail"]
    assert record.getMessage().startswith(f"Could not email {editor.email} (")
    assert record.getMessage().endswith("will try again.")


def test_mail_given_up_is_logged_with_its_recipient_and_left_failed(
    client, editor, settings, caplog
):
    silent = SMTPServer(delay=60)
    settings.MAILERS = production_mailers(silent.port, timeout=1)
    settings.MAIL_RETRY_DELAYS = [0]
    seconds, response = timed_post(client, RESET, {"email": editor.email})
    assert response.status_code == 302
    assert seconds < 1, seconds
    run_worker()  # the first try, then the retry it queued for now
    silent.close()
    assert DBTaskResult.objects.filter(status="FAILED").count() == 1
    given_up = [r for r in caplog.records if r.name == "newsroom.mail" and r.levelname == "ERROR"]
    message = given_up[0].getMessage()
    assert message.startswith(f"Could not email {editor.email} (SMTPServerDisconnected: ")
    assert "timed out" in message
    assert "Password reset on Newsroom" in message
    assert message.endswith("given up after 2 tries.")


def test_mail_queued_by_a_command_that_exits_is_sent_by_the_worker(tmp_path):
    # A cron job (publish_scheduled) queues mail and exits at once; the mail still goes out.
    server = SMTPServer(delay=1)
    environment = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "newsroom.settings",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(server.port),
        "SMTP_TLS": "0",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    code = (
        "import django; django.setup(); "
        "from django.core.mail import send_mail; "
        "send_mail('Scheduled', 'It went out.', None, ['writer@example.com'])"
    )
    for command in (
        ["manage.py", "migrate", "-v0"],
        ["-c", code],
        ["manage.py", "run_worker", "--batch"],
    ):
        result = subprocess.run(
            [sys.executable, *command], cwd=PROJECT, env=environment, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stderr
    server.close()
    ((recipients, text),) = server.received
    assert recipients == ["writer@example.com"]
    assert "It went out." in text
