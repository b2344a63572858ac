"""A PostgreSQL that stops answering, or answers slowly, never holds a worker.

Measured end to end, the way production runs: gunicorn with DEBUG=0 and CONN_MAX_AGE=60 in
front of a PostgreSQL this test starts for itself (never the machine's own server), reached
through a relay the test controls. The relay passes what it is given, drops it (stops reading
and forwarding, but keeps the connection open, as a network that loses packets or a server
that has hung does), or delays every answer. A reader, the review queues and the search must get the
503 page within 4 seconds, and gunicorn must never have to kill the worker.
"""

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import psycopg
import pytest
from django.db import connection

from articles.models import Article
from newsroom.middleware import DatabaseTooSlow, request_budget

PROJECT = Path(__file__).resolve().parents[2]
INITDB = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
SECONDS_ALLOWED = 4
PAGES = {
    "story": "/stories/outage-story/",
    "review": "/review/",
    "search": "/search/?q=outage",
}

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the budget is kept by the PostgreSQL backend"
)

STORY_AND_EDITOR = """
from django.test import Client
from tests.factories import make_article, make_user

make_article(headline="Outage story", slug="outage-story")
client = Client()
client.force_login(make_user("edgar", groups=["Editor"]))
print(client.cookies["sessionid"].value)
"""


def unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Relay:
    """A TCP relay to PostgreSQL that passes, drops or delays what goes through it."""

    def __init__(self, upstream_port: int):
        self.upstream_port = upstream_port
        self.mode = "pass"
        self.delay = 0.0
        self.sockets = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                client = self.listener.accept()[0]
            except OSError:
                return  # closed
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            self.sockets += [client, upstream]
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(
                    target=self.relay, args=(source, target, source is upstream), daemon=True
                ).start()

    def relay(self, source, target, is_answer):
        try:
            while True:
                self.hold_while_dropping()
                data = source.recv(65536)
                if not data:
                    return
                self.hold_while_dropping()
                if self.mode == "delay" and is_answer:
                    time.sleep(self.delay)  # every round trip this much later
                target.sendall(data)
        except OSError:
            return  # cut

    def hold_while_dropping(self):
        # Neither read nor forward nor close: to both ends the connection looks alive.
        while self.mode == "drop":
            time.sleep(0.05)

    def cut(self):
        """Close every relayed connection, so the app must connect again."""
        for relayed in self.sockets:
            try:
                relayed.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            relayed.close()
        self.sockets = []

    def close(self):
        try:
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.listener.close()
        self.cut()


def run_as_postgres(*command, check=True):
    # initdb and the server refuse to run as root.
    if os.geteuid() == 0:
        command = ("runuser", "-u", "postgres", "--", *command)
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0 or not check, result.stderr


@pytest.fixture(scope="module")
def postgresql():
    """A throwaway PostgreSQL server on a free port, with an empty database; its port."""
    if not INITDB:
        pytest.skip("needs PostgreSQL's server programs (/usr/lib/postgresql/*/bin/initdb)")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root, and there is no postgres user to run the server as")
    programs = Path(INITDB[-1]).parent
    folder = Path(tempfile.mkdtemp(prefix="newsroom-outage-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    port = unused_port()
    pg_ctl = [programs / "pg_ctl", "-D", folder / "data", "-l", folder / "server.log"]
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    try:
        run_as_postgres(programs / "initdb", "-D", folder / "data", "-U", "postgres", "-A", "trust")
        run_as_postgres(*pg_ctl, "-w", "-o", options, "start")
        with psycopg.connect(
            host="127.0.0.1", port=port, user="postgres", dbname="postgres", autocommit=True
        ) as server:
            server.execute("CREATE DATABASE newsroom")
        yield port
    finally:
        run_as_postgres(*pg_ctl, "-m", "immediate", "stop", check=False)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def site(postgresql, tmp_path_factory):
    """Gunicorn serving Newsroom with production settings, its database behind a relay."""
    folder = tmp_path_factory.mktemp("site")
    relay = Relay(postgresql)
    environment = {
        "PATH": os.environ["PATH"],
        "DEBUG": "0",
        "SECRET_KEY": "outage-test-only-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{relay.port}/newsroom",
        "CONN_MAX_AGE": "60",
        "PAGE_CACHE_SECONDS": "0",  # every request reaches the database
        "PAGE_CACHE_GENERATION_FILE": str(folder / "page-cache-generation"),
        "STATIC_ROOT": str(folder / "static"),
        "MEDIA_ROOT": str(folder / "media"),
        "LOG_LEVEL": "WARNING",
    }

    def manage(*arguments):
        result = subprocess.run(
            [sys.executable, "manage.py", *arguments],
            cwd=PROJECT,
            env=environment,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    # DEBUG=0 serves static files from a manifest; collect them while the database fills.
    # The editors' own files (megabytes to compress) are on none of these pages; the admin's
    # are, since the review queues are admin pages.
    collecting = subprocess.Popen(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0",
         "-i", "django_prose_editor", "-i", "adminsortable2"],
        cwd=PROJECT,
        env=environment,
    )  # fmt: skip
    manage("migrate", "--noinput", "-v0")
    session = manage("shell", "-c", STORY_AND_EDITOR).split()[-1]
    assert collecting.wait(timeout=120) == 0
    log = folder / "gunicorn.log"
    port = unused_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "newsroom.wsgi", "--workers", "1",
         "--no-control-socket", "--bind", f"127.0.0.1:{port}", "--error-logfile", log],
        cwd=PROJECT,
        env=environment,
        start_new_session=True,
    )  # fmt: skip
    site = Site(f"http://127.0.0.1:{port}", f"sessionid={session}", relay, log)
    try:
        site.wait_until_up()
        yield site
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        relay.close()


class Site:
    def __init__(self, url, staff_cookie, relay, log):
        self.url = url
        self.staff_cookie = staff_cookie
        self.relay = relay
        self.log = log

    def get(self, page: str) -> tuple[int, float]:
        """GET a page (the review queues as an editor); return its status and how long it took."""
        cookie = self.staff_cookie if page == "review" else ""
        request = urllib.request.Request(
            self.url + PAGES[page], headers={"Cookie": cookie} if cookie else {}
        )
        started = time.monotonic()
        try:
            # Longer than the 4 seconds allowed, shorter than gunicorn's 30-second timeout.
            with urllib.request.urlopen(request, timeout=10) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        except TimeoutError:
            status = None
        return status, time.monotonic() - started

    def wait_until_up(self):
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if self.get("story")[0] == 200:
                    return
            except OSError:
                pass  # not listening yet
            time.sleep(0.2)
        raise AssertionError(f"gunicorn did not start: {self.log.read_text()}")

    def warm(self, page: str):
        """Serve the page normally, so the worker keeps an open database connection."""
        self.relay.mode = "pass"
        assert self.get(page)[0] == 200

    def assert_no_worker_was_lost(self):
        assert "WORKER TIMEOUT" not in self.log.read_text()


@pytest.fixture
def outage(site):
    yield site
    site.relay.mode = "pass"
    site.assert_no_worker_was_lost()
    # The site recovers by itself: the worker connects again and serves the page.
    assert site.get("story")[0] == 200


@pytest.mark.parametrize("page_name", PAGES)
def test_dropped_packets_give_503_within_4_seconds(outage, page_name):
    outage.warm(page_name)
    outage.relay.mode = "drop"
    status, seconds = outage.get(page_name)
    assert status == 503
    assert seconds < SECONDS_ALLOWED


@pytest.mark.parametrize("page_name", ["review", "search"])  # the pages with the most queries
def test_a_database_two_seconds_late_each_round_trip_gives_503_within_4_seconds(outage, page_name):
    outage.warm(page_name)
    outage.relay.mode, outage.relay.delay = "delay", 2
    status, seconds = outage.get(page_name)
    assert status == 503
    assert seconds < SECONDS_ALLOWED


def test_a_new_connection_to_a_database_that_does_not_answer_gives_503_within_4_seconds(
    outage,
):
    outage.warm("story")
    outage.relay.mode = "drop"
    outage.relay.cut()  # the kept connection is gone: the worker must connect again
    status, seconds = outage.get("story")
    assert status == 503
    assert seconds < SECONDS_ALLOWED


# --- The budget itself, on the suite's own PostgreSQL ------------------------------------


@on_postgresql
def test_a_query_that_outlasts_the_budget_is_cut_off(transactional_db):
    started = time.monotonic()
    with request_budget(0.5), pytest.raises(DatabaseTooSlow):
        connection.cursor().execute("SELECT pg_sleep(1)")
    assert time.monotonic() - started < 0.8
    connection.close()  # the cut-off connection is not used again


@on_postgresql
def test_time_spent_away_from_the_database_does_not_count(db):
    with request_budget(0.2):
        time.sleep(0.3)  # an upload, picture renditions
        assert Article.objects.count() == 0
