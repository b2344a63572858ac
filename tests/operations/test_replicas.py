"""Anonymous readers read from a real PostgreSQL streaming replica, started here beside a
primary of its own; staff read from the primary; a replica that lags or stops is skipped."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import RequestFactory

from articles.checks import replicas_have_a_shared_cache
from newsroom import replicas
from tests.operations import replication

PROJECT = Path(__file__).resolve().parents[2]
JOURNEY = Path(__file__).with_name("replica_journey.py")


def journey(stage: str, primary, replica) -> dict:
    environment = {
        "PATH": os.environ["PATH"],
        "DEBUG": "1",
        "DJANGO_SETTINGS_MODULE": "newsroom.settings",
        "DATABASE_URL": primary.url,
        "DATABASE_REPLICA_URLS": replica.url,
        "REPLICA_MAX_LAG_SECONDS": "3",
        "PAGE_CACHE_SECONDS": "0",  # every answer read from a database, not the cache
        "REPLICA_FOLDER": str(replica.folder),
        "REPLICA_PORT": str(replica.port),
    }
    result = subprocess.run(
        [sys.executable, JOURNEY, stage],
        cwd=PROJECT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def cluster():
    if replication.MISSING:
        pytest.skip(replication.MISSING)
    primary = replication.start_primary()
    replica = replication.start_replica(primary)
    yield primary, replica
    replication.remove(replica, primary)


@pytest.fixture(scope="module")
def lagging(cluster):
    return journey("lagging", *cluster)


def test_readers_read_the_replica(lagging):
    assert lagging["reader, a story the replica has"] == 200
    # Changed on the primary only, behind the page cache's back: the replica still has the old.
    assert lagging["reader, a row only the primary has"] == "as first published"


def test_staff_read_the_primary(lagging):
    assert lagging["editor, a row only the primary has"] == "renamed"
    assert lagging["editor, just after a publication"] == 200


def test_readers_see_a_publication_at_once_though_the_replica_is_behind(lagging):
    # Never a page made from the replica's past, which the page cache would keep for minutes.
    assert lagging["reader, just after a publication"] == 200


def test_a_lagging_replica_is_skipped_past_the_bound_and_the_log_says_so_once(lagging):
    assert lagging["reader, past the bound"] == 200
    (skipped,) = [line for line in lagging["log"] if "is not read" in line]
    assert "behind the primary" in skipped


def test_a_replica_that_caught_up_is_read_again_and_the_log_says_so_once(lagging):
    assert lagging["reader, after the replica caught up"] == "renamed"
    assert [line for line in lagging["log"] if "is read again" in line] == [
        "Replica replica1 is read again."
    ]


def test_a_stopped_replica_leaves_readers_to_the_primary(cluster, lagging):
    primary, replica = cluster
    replica.stop("immediate")
    seen = journey("down", primary, replica)
    assert seen["reader, replica stopped"] == seen["reader, again"] == 200
    assert seen["seconds"] < 3
    (unreachable,) = seen["log"]  # once, not once per request
    assert "unreachable" in unreachable


def test_a_replica_that_stops_under_a_reader_costs_the_reader_nothing(cluster, lagging):
    primary, replica = cluster
    try:
        replica.start()  # the test above stopped it
    except subprocess.CalledProcessError:
        pass  # running: this test ran on its own
    replication.wait_until_streaming(replica)
    seen = journey("stopping", primary, replica)
    assert seen["reader, before"] == seen["reader, replica stopped under it"] == 200
    (unreachable,) = seen["log"]  # the failed read made the process check the replica at once
    assert "unreachable" in unreachable


@pytest.mark.parametrize(
    ("method", "headers", "path", "reads_replica"),
    [
        ("get", {}, "/stories/x/", True),
        ("head", {}, "/", True),
        ("post", {}, "/search/", False),
        ("get", {"HTTP_COOKIE": "sessionid=abc"}, "/stories/x/", False),
        ("get", {"HTTP_AUTHORIZATION": "Key 0123"}, "/api/v1/stories/", False),
        ("get", {}, "/api/v1/stories/?key=0123", False),
    ],
)
def test_only_anonymous_readers_requests_read_a_replica(method, headers, path, reads_replica):
    request = getattr(RequestFactory(), method)(path, **headers)
    assert replicas.is_reader_request(request) is reads_replica


@pytest.mark.parametrize(("redis_url", "errors"), [("", ["newsroom.E003"]), ("redis://r:6379", [])])
def test_replicas_without_redis_fail_the_deploy_check(settings, monkeypatch, redis_url, errors):
    monkeypatch.setattr(replicas, "replica_aliases", lambda: ["replica1"])
    settings.REDIS_URL = redis_url
    assert [error.id for error in replicas_have_a_shared_cache(None)] == errors
