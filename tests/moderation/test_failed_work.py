"""Background work given up for good shows on the review queues, to Chiefs only."""

import re
import socket

import pytest
from django.core.mail import send_mail
from django.urls import reverse

from tests.operations.test_mail import production_mailers
from tests.pages import visible_text
from tests.worker import run_worker

pytestmark = pytest.mark.django_db(transaction=True)
QUEUES = reverse("review:index")


@pytest.fixture
def failed_email(settings):
    """An email given up on: its mail server refuses every connection."""
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.MAILERS = production_mailers(port, timeout=1)
    settings.MAIL_RETRY_DELAYS = []
    send_mail("Scheduled", "It went out.", None, ["writer@example.com"])
    run_worker()


def queues_text(client, user) -> str:
    client.force_login(user)
    return visible_text(client.get(QUEUES).content.decode())


def test_a_chief_sees_what_failed_and_why(client, chief, failed_email):
    text = queues_text(client, chief)
    assert "Background work that failed" in text
    assert "Sending an email" in text
    assert "ConnectionRefusedError" in text


def test_the_failure_links_to_its_traceback(client, chief, failed_email):
    client.force_login(chief)
    page = client.get(QUEUES).content.decode()
    (task_page,) = re.findall(
        r'href="(/admin/django_tasks_database/dbtaskresult/[^"]+/change/)"', page
    )
    details = client.get(task_page)
    assert details.status_code == 200
    assert "ConnectionRefusedError" in details.content.decode()


def test_an_editor_does_not_see_it(client, editor, failed_email):
    assert "Background work that failed" not in queues_text(client, editor)


def test_nothing_shows_when_nothing_failed(client, chief):
    assert "Background work that failed" not in queues_text(client, chief)
