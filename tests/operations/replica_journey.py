"""Run by tests/operations/test_replicas.py in a process of its own, whose settings name a
real primary (DATABASE_URL) and its streaming replica (DATABASE_REPLICA_URLS). Prints, as
JSON, what readers and an editor were answered and what the log said.

    python tests/operations/replica_journey.py lagging|down
"""

import json
import logging
import os
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
from articles.moderation import workflow  # noqa: E402
from newsroom import replicas  # noqa: E402
from tests.factories import make_article, make_user  # noqa: E402
from tests.operations import replication  # noqa: E402


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


def headline_shown(client, story) -> str:
    page = client.get(story.get_absolute_url()).content.decode()
    return "renamed" if "Renamed on the primary" in page else "as first published"


def lagging(reader, editor_client, editor) -> dict:
    """The replica falls behind: readers read its past until something they see changes,
    then the primary; the editor reads the primary all along."""
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
    # A row changed behind the page cache's back (no pages_changed): only the primary has it.
    Article.objects.filter(pk=first.pk).update(headline="Renamed on the primary")
    seen["reader, a row only the primary has"] = headline_shown(reader, first)
    seen["editor, a row only the primary has"] = headline_shown(editor_client, first)
    # A publication through the workflow: readers must see it at once, replica or not.
    second = make_article(headline="Second", status="in_review", published_at=None)
    workflow.take("publish", second, by=editor, note="Go")
    seen["reader, just after a publication"] = answer(reader, second)
    seen["editor, just after a publication"] = answer(editor_client, second)
    time.sleep(settings.REPLICA_MAX_LAG_SECONDS + replicas.CHECK_SECONDS)
    seen["reader, past the bound"] = answer(reader, second)
    with connections["replica1"].cursor() as cursor:
        cursor.execute("SELECT pg_wal_replay_resume()")
    wait_for_replica(Article, pk=second.pk)
    time.sleep(replicas.CHECK_SECONDS)
    seen["reader, after the replica caught up"] = headline_shown(reader, first)
    return seen


def down(reader, editor_client, editor) -> dict:
    """The replica is stopped: readers are answered from the primary."""
    story = Article.objects.get(headline="Renamed on the primary")
    started = time.monotonic()
    status = answer(reader, story)
    seen = {"reader, replica stopped": status, "seconds": round(time.monotonic() - started, 1)}
    seen["reader, again"] = answer(reader, story)
    return seen


def stopping(reader, editor_client, editor) -> dict:
    """The replica stops between two readers' requests, in a process that checked it a moment
    ago: the second reader is answered from the primary all the same."""
    story = Article.objects.get(headline="Renamed on the primary")
    seen = {"reader, before": answer(reader, story)}
    folder, port = Path(os.environ["REPLICA_FOLDER"]), int(os.environ["REPLICA_PORT"])
    replication.Server(folder, port).stop("immediate")
    # As a busy process has it: checked and found healthy less than a second ago.
    replicas.states["replica1"] = (time.monotonic(), "")
    seen["reader, replica stopped under it"] = answer(reader, story)
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
    stages = {"lagging": lagging, "down": down, "stopping": stopping}
    seen = stages[stage](Client(), editor_client, editor)
    seen["log"] = log.messages
    seen["bound"] = settings.REPLICA_MAX_LAG_SECONDS
    sys.stdout.write(json.dumps(seen) + "\n")


if __name__ == "__main__":
    main(sys.argv[1])
