"""Faults the site must survive: Redis stopped or hanging, the database stopped, a save cut
short, the mail server down.

Each test breaks a real part: a port where nothing listens (refused), a listener that accepts
connections and never answers (hanging), a relay to the real Redis that is stopped and
started again, a worker process killed in the middle of a save. A mock stands in only where
a real fault cannot be had on SQLite, and the test says so.
"""

import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from uuid import uuid4

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.sessions.backends import db as db_sessions
from django.core.cache import caches
from django.core.handlers.wsgi import WSGIHandler
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse

from articles.editing import revisions
from articles.editing.admin import ArticleAdmin
from articles.models import (
    Article,
    ArticleCallToAction,
    ArticleEvent,
    Byline,
    Credit,
    Revision,
    Section,
    TaggedArticle,
    Takeaway,
)
from articles.moderation import workflow
from articles.reader import views
from newsroom import cache_backends, middleware
from newsroom.cache_backends import ResilientRedisCache
from tests.editing.test_admin import ADD_URL, edit_post, full_story_post
from tests.factories import make_article
from tests.operations.test_mail import production_mailers
from tests.worker import run_worker

pytestmark = pytest.mark.django_db
PROJECT = Path(__file__).resolve().parents[2]
Status = Article.Status
REAL_REDIS = ("127.0.0.1", 6379)
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="a database server to stop; SQLite's in-memory test database has none",
)


def redis_answers() -> bool:
    try:
        socket.create_connection(REAL_REDIS, timeout=0.5).close()
    except OSError:
        return False
    return True


needs_redis = pytest.mark.skipif(not redis_answers(), reason="no Redis on 127.0.0.1:6379")


# --- Broken servers ----------------------------------------------------------------------


def unused_port() -> int:
    """A port where nothing listens: connecting to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def close_listener(listener):
    # shutdown() first: close() alone leaves a thread blocked in accept(), and the port open.
    try:
        listener.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    listener.close()


class SilentServer:
    """Accepts TCP connections and never says a word: a hung Redis, PostgreSQL or SMTP."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.held = []
        threading.Thread(target=self.hold, daemon=True).start()

    def hold(self):
        while True:
            try:
                self.held.append(self.listener.accept()[0])
            except OSError:
                return  # closed

    def close(self):
        close_listener(self.listener)
        for held in self.held:
            held.close()


class RedisRelay:
    """A TCP relay to the real Redis that the test stops (its port then refuses
    connections, as a stopped Redis does) and starts again on the same port."""

    def __init__(self):
        self.port = unused_port()
        self.sockets = []
        self.start()

    def start(self):
        self.listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self.accept, args=(self.listener,), daemon=True).start()

    def accept(self, listener):
        while True:
            try:
                client = listener.accept()[0]
            except OSError:
                return  # stopped
            upstream = socket.create_connection(REAL_REDIS)
            self.sockets += [client, upstream]
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self.pipe, args=(source, target), daemon=True).start()

    @staticmethod
    def pipe(source, target):
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass

    def stop(self):
        close_listener(self.listener)
        for open_socket in self.sockets:
            try:
                open_socket.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            open_socket.close()
        self.sockets = []


@pytest.fixture
def silent_server():
    server = SilentServer()
    yield server
    server.close()


@pytest.fixture(params=["refused", "hanging"])
def dead_port(request, silent_server):
    """A Redis, PostgreSQL or SMTP port that is either refused or never answers."""
    return unused_port() if request.param == "refused" else silent_server.port


@pytest.fixture(autouse=True)
def no_remembered_outage(monkeypatch):
    # Outages are remembered per process; each test starts from a healthy Redis.
    monkeypatch.setattr(cache_backends, "outages", {})


@pytest.fixture(scope="module")
def production():
    """The cache, session and database settings a production environment gets."""
    code = (
        "import json, newsroom.settings as s; print(json.dumps({"
        "'cache': s.CACHES['default'], 'sessions': s.SESSION_ENGINE, "
        "'database': s.DATABASES['default']['OPTIONS']}))"
    )
    environment = {
        "PATH": os.environ["PATH"],
        "DEBUG": "0",
        "SECRET_KEY": "x" * 50,
        "ALLOWED_HOSTS": "news.example.com",
        "DATABASE_URL": "postgres://newsroom@db.internal:5432/newsroom",
        "REDIS_URL": "redis://redis.internal:6379/0",
    }
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT, env=environment, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def redis_at(settings, production):
    """Point the cache (and cached_db sessions) at a Redis on this port, as production does."""
    prefixes = []

    def point(port):
        prefixes.append(f"faults-{uuid4().hex}")
        settings.CACHES = {
            "default": production["cache"]
            | {"LOCATION": f"redis://127.0.0.1:{port}/0", "KEY_PREFIX": prefixes[-1]}
        }
        settings.SESSION_ENGINE = production["sessions"]

    yield point
    if prefixes and redis_answers():
        import redis

        real = redis.Redis(*REAL_REDIS)
        for prefix in prefixes:
            for key in real.scan_iter(f"{prefix}:*"):
                real.delete(key)


# --- Redis stopped or hanging ---------------------------------------------------------------


def test_production_gives_up_on_redis_after_half_a_second_and_keeps_sessions_in_the_database(
    production,
):
    assert production["cache"]["BACKEND"] == "newsroom.cache_backends.ResilientRedisCache"
    assert production["cache"]["OPTIONS"] == {
        "socket_connect_timeout": 0.5,
        "socket_timeout": 0.5,
    }
    assert production["sessions"] == "django.contrib.sessions.backends.cached_db"
    assert production["database"] == {"connect_timeout": 3, "options": "-c jit=off"}


def test_reader_page_is_served_from_the_database_while_redis_is_down(
    client, settings, redis_at, dead_port
):
    redis_at(dead_port)
    settings.PAGE_CACHE_SECONDS = 300  # the page cache on, as in production
    story = make_article(headline="Still readable without Redis")
    started = time.monotonic()
    response = client.get(story.get_absolute_url())
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert "Still readable without Redis" in response.content.decode()
    # A page makes many cache calls; after the first one fails, the rest are not tried.
    assert elapsed < 1.5


def test_each_cache_call_on_a_hanging_redis_gives_up_within_half_a_second(
    redis_at, silent_server, monkeypatch
):
    redis_at(silent_server.port)
    monkeypatch.setattr(ResilientRedisCache, "rest_seconds", 0)  # try Redis on every call
    cache = caches["default"]
    for call in [
        lambda: cache.get("headline"),
        lambda: cache.set("headline", "x"),
        lambda: cache.get_many(["a", "b"]),
        lambda: cache.delete("headline"),
    ]:
        started = time.monotonic()
        call()
        assert time.monotonic() - started < 0.6


def test_a_failed_cache_call_is_a_miss_and_a_logged_warning(redis_at, silent_server, caplog):
    redis_at(silent_server.port)
    cache = caches["default"]
    assert cache.get("headline", "missing") == "missing"
    assert cache.set_many({"a": 1, "b": 2}) == ["a", "b"]
    with pytest.raises(ValueError, match="the cache is unavailable"):
        cache.incr("visits")
    (record,) = [r for r in caplog.records if r.name == "newsroom.cache_backends"]
    assert record.levelname == "WARNING"
    assert f"Redis at 127.0.0.1:{silent_server.port} failed (TimeoutError" in record.getMessage()


def test_after_a_failure_redis_is_left_alone_for_a_few_seconds(redis_at, silent_server):
    redis_at(silent_server.port)
    cache = caches["default"]
    cache.get("first")  # waits for the timeout once
    started = time.monotonic()
    for number in range(20):
        cache.get(f"key-{number}")
    assert time.monotonic() - started < 0.1


def test_staff_log_in_and_out_while_redis_is_down(client, editor, redis_at, dead_port):
    redis_at(dead_port)
    response = client.post(
        reverse("admin:login"),
        {"username": editor.username, "password": "a-long-test-password", "next": "/admin/"},
    )
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200
    client.post(reverse("admin:logout"))
    assert client.get(reverse("admin:index")).status_code == 302


@needs_redis
def test_a_session_logged_out_while_redis_was_down_does_not_come_back(
    client, editor, settings, redis_at, monkeypatch
):
    relay = RedisRelay()
    redis_at(relay.port)
    monkeypatch.setattr(ResilientRedisCache, "rest_seconds", 0.2)
    client.force_login(editor)
    assert client.get(reverse("admin:index")).status_code == 200  # the session is in Redis
    copied_cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    relay.stop()
    client.post(reverse("admin:logout"))
    relay.start()
    time.sleep(0.3)
    someone_else = Client()
    someone_else.cookies[settings.SESSION_COOKIE_NAME] = copied_cookie
    assert someone_else.get(reverse("admin:index")).status_code == 302
    relay.stop()


@needs_redis
def test_a_story_unpublished_while_redis_was_down_does_not_come_back_from_the_page_cache(
    client, editor, settings, redis_at, monkeypatch, django_capture_on_commit_callbacks
):
    relay = RedisRelay()
    redis_at(relay.port)
    settings.PAGE_CACHE_SECONDS = 300
    monkeypatch.setattr(ResilientRedisCache, "rest_seconds", 0.2)
    story = make_article()
    assert client.get(story.get_absolute_url()).status_code == 200  # the page is in Redis
    relay.stop()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.take("unpublish", story, by=editor)
    relay.start()
    time.sleep(0.3)
    assert client.get(story.get_absolute_url()).status_code == 404
    relay.stop()


# --- The database stopped -------------------------------------------------------------------


def assert_static_503(status, headers, body: str):
    assert status == 503
    assert headers["Retry-After"] == "30"
    # Its own policy, even when the failure skipped the CSP middleware: no scripts at all.
    assert headers["Content-Security-Policy"].startswith("default-src 'none'; style-src 'sha")
    assert "We’re back in a moment" in body
    for leak in ["Traceback", "OperationalError", "connection", 'File "']:
        assert leak not in body


@pytest.mark.parametrize("debug", [False, True])
def test_database_error_in_a_view_gives_the_static_503_page(client, settings, monkeypatch, debug):
    # A mock: SQLite has no server to stop. The PostgreSQL tests below stop a real one.
    def refused(*args, **kwargs):
        raise OperationalError('connection to server at "127.0.0.1", port 5432 failed')

    settings.DEBUG = debug
    monkeypatch.setattr(views.HomeView, "get_queryset", refused)
    response = client.get(reverse("articles:home"))
    assert_static_503(response.status_code, response.headers, response.content.decode())
    assert response["Cache-Control"] == "no-store"


def test_database_error_in_the_session_middleware_gives_the_static_503_page(
    settings, editor, monkeypatch
):
    # The view succeeds; saving the session afterwards, in SessionMiddleware, fails.
    def refused(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    settings.SESSION_SAVE_EVERY_REQUEST = True
    client = Client(raise_request_exception=False)  # as production: no test re-raise
    client.force_login(editor)
    monkeypatch.setattr(db_sessions.SessionStore, "save", refused)
    response = client.get(reverse("review:index"))
    assert_static_503(response.status_code, response.headers, response.content.decode())


def test_the_503_page_is_static_html():
    page = (PROJECT / "templates" / "503.html").read_text()
    assert middleware.PAGE == page.encode()
    assert "{%" not in page and "{{" not in page


def fetch(url, *, cookie=""):
    """GET through a real HTTP connection; return the status, headers, body and seconds."""
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, headers, body = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, headers, body = error.code, error.headers, error.read()
    return status, headers, body.decode(), time.monotonic() - started


@on_postgresql
def test_stopped_postgresql_gives_503_fast_and_the_site_recovers_by_itself(
    live_server, editor, dead_port, monkeypatch
):
    story = make_article(headline="Back after the outage")
    client = Client()
    client.force_login(editor)
    staff_cookie = f"sessionid={client.cookies['sessionid'].value}"
    story_url = live_server.url + story.get_absolute_url()
    desk_url = live_server.url + reverse("review:index")
    assert fetch(story_url)[0] == 200

    with monkeypatch.context() as outage:
        # Every new connection, the server's threads' too, goes to the dead port.
        outage.setitem(connection.settings_dict, "PORT", str(dead_port))
        for url, cookie in [(story_url, ""), (desk_url, staff_cookie)]:
            status, headers, body, seconds = fetch(url, cookie=cookie)
            assert_static_503(status, headers, body)
            assert seconds < 4.5  # connect_timeout is 3 seconds

    status, _, body, _ = fetch(story_url)
    assert status == 200
    assert "Back after the outage" in body
    assert fetch(desk_url, cookie=staff_cookie)[0] == 200


def wsgi_get(path):
    """Call Django as gunicorn does: request_started and request_finished signals included."""
    answer = {}

    def start_response(status, headers):
        answer["status"] = int(status.split()[0])

    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
    }
    response = WSGIHandler()(environ, start_response)
    b"".join(response)
    response.close()
    return answer["status"]


@on_postgresql
def test_a_kept_connection_that_postgresql_dropped_is_replaced_without_a_restart(
    transactional_db, monkeypatch
):
    import psycopg

    story = make_article()
    db = connection.settings_dict
    with monkeypatch.context() as kept_connections:
        kept_connections.setitem(db, "CONN_MAX_AGE", 600)
        connection.close()
        assert wsgi_get(story.get_absolute_url()) == 200
        kept = connection.connection.info.backend_pid
        # PostgreSQL restarts: the connection this worker kept is gone, unbeknown to it.
        with psycopg.connect(
            host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"], autocommit=True
        ) as other:
            other.execute("SELECT pg_terminate_backend(%s)", [kept])
        assert wsgi_get(story.get_absolute_url()) == 200
        assert connection.connection.info.backend_pid != kept
    connection.close()


# --- A save cut short -----------------------------------------------------------------------


def story_rows() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in [
            Article,
            Section,
            Takeaway,
            Credit,
            Byline,
            ArticleCallToAction,
            TaggedArticle,
            Revision,
            ArticleEvent,
            LogEntry,
        ]
    }


@pytest.fixture(params=["revision", "admin log"])
def failing_step(request, monkeypatch):
    """Make the admin fail at one of its last steps, after the story and its parts are saved;
    return what the transaction held when it failed."""
    seen = {}

    def fail(*args, **kwargs):
        seen.update(story_rows())
        raise RuntimeError("the worker fails here")

    if request.param == "revision":
        monkeypatch.setattr(revisions, "record", fail)
    else:
        monkeypatch.setattr(ArticleAdmin, "log_addition", fail)
        monkeypatch.setattr(ArticleAdmin, "log_change", fail)
    return seen


def test_an_admin_add_that_fails_after_the_story_row_leaves_nothing(
    transactional_db, editor_client, failing_step
):
    before = story_rows()
    with pytest.raises(RuntimeError):
        editor_client.post(ADD_URL, full_story_post())
    assert failing_step["Article"] == before["Article"] + 1  # it failed after the row
    assert failing_step["Section"] == before["Section"] + 3
    assert story_rows() == before


def test_an_admin_change_that_fails_after_saving_keeps_the_story_as_it_was(
    transactional_db, editor_client, failing_step
):
    story = make_article(headline="As it was", status=Status.DRAFT, published_at=None)
    version = story.version
    before = story_rows()
    with pytest.raises(RuntimeError):
        edit_post(editor_client, story, headline="Half saved", **{"sections-0-body": "<p>New</p>"})
    assert failing_step  # the change reached the failing step
    story.refresh_from_db()
    assert story.headline == "As it was"
    assert story.version == version
    assert "New" not in story.sections.first().body
    assert story_rows() == before


def test_a_workflow_step_that_fails_after_the_status_update_changes_nothing(
    transactional_db, editor, writer, monkeypatch, mailoutbox
):
    story = make_article(status=Status.IN_REVIEW, published_at=None, created_by=writer)
    status_when_failing = []

    def fail(**kwargs):
        status_when_failing.append(Article.objects.get(pk=story.pk).status)
        raise RuntimeError("the worker fails here")

    monkeypatch.setattr(ArticleEvent.objects, "create", fail)
    with pytest.raises(RuntimeError):
        workflow.take("approve", story, by=editor)
    assert status_when_failing == [Status.APPROVED]  # it failed after the update
    story.refresh_from_db()
    assert story.status == Status.IN_REVIEW
    assert mailoutbox == []


KILLED_WORKER = """
import json, os, signal, sys
import django
django.setup()
from django.contrib.auth.models import User
from django.test import Client
from articles.editing import revisions
from articles.moderation import workflow
from articles.models import Article, ArticleEvent

def die(*args, **kwargs):
    # Say what the transaction holds now, then die the way an OOM-killed worker does.
    statuses = list(Article.objects.values_list("status", flat=True))
    print(json.dumps(statuses), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)

job = json.load(sys.stdin)
editor = User.objects.get(pk=job["editor"])
if job["step"] == "admin add":
    revisions.record = die
    client = Client()
    client.force_login(editor)
    client.post(job["url"], job["form"])
else:
    ArticleEvent.objects.create = die
    workflow.take("approve", Article.objects.get(pk=job["story"]), by=editor)
"""


@on_postgresql
@pytest.mark.parametrize("step", ["admin add", "workflow approve"])
def test_a_worker_killed_in_the_middle_of_a_save_leaves_nothing(
    transactional_db, editor, writer, step
):
    story = make_article(status=Status.IN_REVIEW, published_at=None, created_by=writer)
    form = full_story_post()
    del form["hero_image"]  # a file cannot travel as JSON
    job = {"step": step, "editor": editor.pk, "story": story.pk, "url": ADD_URL, "form": form}
    db = connection.settings_dict
    environment = os.environ | {
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        ),
        "ALLOWED_HOSTS": "testserver",
        "PAGE_CACHE_SECONDS": "0",
    }
    before = story_rows()
    worker = subprocess.run(
        [sys.executable, "-c", KILLED_WORKER],
        input=json.dumps(job),
        cwd=PROJECT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert worker.returncode == -signal.SIGKILL, worker.stderr
    held = json.loads(worker.stdout)
    if step == "admin add":
        assert len(held) == before["Article"] + 1  # killed after the story row was written
    else:
        assert held == [Status.APPROVED]  # killed after the status was updated
    assert story_rows() == before
    story.refresh_from_db()
    assert story.status == Status.IN_REVIEW


# --- The mail server down -------------------------------------------------------------------


def test_review_decision_stands_when_the_mail_server_is_down(
    transactional_db, editor, writer, settings, dead_port, caplog
):
    # As in production: the mail is queued, and sent (or not) after the answer.
    settings.MAILERS = production_mailers(dead_port, timeout=2)
    settings.MAIL_RETRY_DELAYS = []  # given up at the first failure
    story = make_article(status=Status.IN_REVIEW, published_at=None, created_by=writer)
    client = Client()
    client.force_login(editor)
    started = time.monotonic()
    response = client.post(
        reverse("review:story", args=[story.pk]),
        {"decision": "approve", "seen": f"{story.status}:{story.version}"},
    )
    assert response.status_code == 302
    assert time.monotonic() - started < 1  # not the 2 s the mail server is given
    story.refresh_from_db()
    assert story.status == Status.APPROVED
    assert story.events.get().action == "approve"
    run_worker()
    (record,) = [r for r in caplog.records if r.name == "newsroom.mail"]
    message = record.getMessage()
    # Who was not told, why (refused, or timed out waiting for a greeting), and about what.
    assert message.startswith(f"Could not email {writer.email} (")
    assert re.search(r"\((ConnectionRefusedError|SMTPServerDisconnected): ", message)
    assert f"Approve: {story.headline}" in message
