"""Run by tests/operations/test_replicas.py in a process of its own, whose settings name a
real primary (DATABASE_URL) and its streaming replica (DATABASE_REPLICA_URLS). Prints, as
JSON, what readers and an editor were answered and what the log said.

    python tests/operations/replica_journey.py lagging|down
"""

import json
import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

from articles.models import Article, Desk  # noqa: E402
from newsroom import replicas  # noqa: E402
from tests.factories import make_article, make_user  # noqa: E402


class Remember(logging.Handler):
    def __init__(self):
        super().__init__()
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def replica_has(model, **lookup) -> bool:
    return model.objects.using("replica1").filter(**lookup).exists()


def wait_for_replica(model, **lookup) -> None:
    deadline = time.monotonic() + 10
    while not replica_has(model, **lookup):
        assert time.monotonic() < deadline, "the replica did not catch up in 10 s"
        time.sleep(0.05)


def answer(client, story) -> int:
    return client.get(story.get_absolute_url()).status_code


def lagging(reader, editor_client) -> dict:
    """The replica falls behind: readers see the replica's past, then the primary; the
    editor who published sees the primary all along."""
    seen = {}
    first = make_article(headline="First")
    wait_for_replica(Article, pk=first.pk)
    seen["reader, a story the replica has"] = answer(reader, first)
    # A fresh change replayed just now, then the replica stops replaying.
    Desk.objects.create(name="Fresh", slug="fresh")
    wait_for_replica(Desk, slug="fresh")
    with connections["replica1"].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_pause()")
    time.sleep(replicas.CHECK_SECONDS)  # the next request checks the replica again
    second = make_article(headline="Second")
    seen["reader, just after a publication"] = answer(reader, second)
    seen["editor, just after a publication"] = answer(editor_client, second)
    started = time.monotonic()
    while answer(reader, second) != 200 and time.monotonic() - started < 30:
        time.sleep(0.2)
    seen["seconds until readers see it from the primary"] = round(time.monotonic() - started, 1)
    with connections["replica1"].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_resume()")
    wait_for_replica(Article, pk=second.pk)
    time.sleep(replicas.CHECK_SECONDS)
    seen["reader, after the replica caught up"] = answer(reader, second)
    return seen


def down(reader, editor_client) -> dict:
    """The replica is stopped: readers are answered from the primary."""
    story = Article.objects.get(headline="First")
    started = time.monotonic()
    status = answer(reader, story)
    seen = {"reader, replica stopped": status, "seconds": round(time.monotonic() - started, 1)}
    seen["reader, again"] = answer(reader, story)
    return seen


def main(stage: str) -> None:
    setup_test_environment()  # the test client's host name is allowed
    log = Remember()
    logging.getLogger("newsroom.replicas").addHandler(log)
    if stage == "lagging":
        call_command("migrate", verbosity=0)
    editor = make_user(f"editor-{stage}", groups=["Editor"])
    editor_client = Client()
    editor_client.force_login(editor)
    seen = {"lagging": lagging, "down": down}[stage](Client(), editor_client)
    seen["log"] = log.messages
    seen["bound"] = settings.REPLICA_MAX_LAG_SECONDS
    sys.stdout.write(json.dumps(seen) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
