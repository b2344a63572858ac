"""The cluster scenario (bench/cluster.py), run once for this module: a PostgreSQL primary and
its streaming replica, Redis, an S3 server, two gunicorn nodes, the task worker and nginx, all
started on 127.0.0.1 for the run, under 60 s of load at 64 connections while an editor
publishes, a node is killed, the worker is killed and restarted, and the replica stops."""

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(PROJECT / "bench"))

from cluster import MAX_FAILOVER_SECONDS, MAX_VISIBILITY_SECONDS, missing_tools  # noqa: E402

pytestmark = pytest.mark.skipif(
    bool(missing_tools()), reason=f"the cluster cannot start here: {missing_tools()}"
)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cluster")
    output = folder / "results.json"
    finished = subprocess.run(
        [sys.executable, "bench/cluster.py", "--seconds", "60", "--connections", "64",
         "--json", str(output), "--logs", str(folder / "logs")],
        cwd=PROJECT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert output.exists(), finished.stdout[-3000:] + finished.stderr[-3000:]
    return {**json.loads(output.read_text()), "logs": folder / "logs"}


def nginx_said(run) -> str:
    """The end of nginx's error log: a refused connection, a node that closed one mid-answer,
    a timeout."""
    log = run["logs"] / "nginx-error.log"
    return log.read_text()[-3000:] if log.exists() else "(nginx left no log)"


def test_no_reader_gets_an_error_under_load_though_a_node_dies(run):
    assert run["load"]["requests"] > 1000
    assert run["load"]["non_2xx"] == run["load"]["socket_errors"] == 0, (
        run["load"],
        nginx_said(run),
    )


def test_readers_see_a_publication_and_an_unpublication_within_two_seconds(run):
    assert run["before publication"] == 404
    assert run["seen published after"] <= MAX_VISIBILITY_SECONDS
    assert run["seen unpublished after"] <= MAX_VISIBILITY_SECONDS


def test_readers_were_served_by_the_replica(run):
    assert run["replica transactions"] > 100
    assert run["replica lag"]["samples"] > 10


def test_a_stopped_replica_leaves_reader_pages_answering_from_the_primary(run):
    stopped = run["after replica stop"]
    assert stopped["answers"] > 5
    assert stopped["not 200"] == 0
    assert stopped["slowest seconds"] <= MAX_FAILOVER_SECONDS


def test_a_worker_killed_and_restarted_loses_no_email_and_sends_none_twice(run):
    assert run["tasks waiting at restart"] > 0  # mail queued while it was down
    assert run["mail"]["sent"] >= 4
    assert run["mail"]["lost"] == run["mail"]["duplicated"] == 0
    assert run["tasks waiting at the end"] == 0


def test_the_story_scheduled_while_the_worker_was_down_is_published_once_on_time(run):
    assert run["scheduled publications"] == 1
    assert run["scheduled published on time"]


def test_it_stops_everything_it_started(run):
    assert not Path(run["folder"]).exists()
    for name, port in run["ports"].items():
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0, f"{name} still listens on {port}"
