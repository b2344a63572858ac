import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from newsroom.settings import env_bool, env_int, env_list

PROJECT = Path(__file__).resolve().parents[2]


def settings_with(**environment):
    """Import the settings in a fresh interpreter with exactly these variables set."""
    env = {"PATH": os.environ["PATH"], **environment}
    code = (
        "import json, newsroom.settings as s; "
        "print(json.dumps([s.DEBUG, s.DATABASES['default']['ENGINE'], "
        "s.CACHES['default']['BACKEND'], s.ALLOWED_HOSTS, s.MAILERS['default']['BACKEND']]))"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT, env=env, capture_output=True, text=True
    )


def test_development_defaults_need_no_configuration():
    result = settings_with()
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        '[true, "django.db.backends.sqlite3", "django.core.cache.backends.locmem.LocMemCache", '
        '["localhost", "127.0.0.1", "[::1]"], "django.core.mail.backends.console.EmailBackend"]'
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = settings_with(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_database_redis_and_smtp_come_from_the_environment():
    result = settings_with(
        DEBUG="0",
        SECRET_KEY="x" * 50,
        ALLOWED_HOSTS="news.example.com",
        DATABASE_URL="postgres://newsroom@db.internal:5432/newsroom",
        REDIS_URL="redis://127.0.0.1:6379/1",
        SMTP_HOST="smtp.example.com",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        '[false, "newsroom.postgresql", "newsroom.cache_backends.ResilientRedisCache", '
        '["news.example.com"], "newsroom.mail.TaskEmailBackend"]'
    )


def test_production_mail_is_queued_for_the_smtp_server():
    code = "import json, newsroom.settings as s; print(json.dumps(s.MAILERS))"
    environment = {"PATH": os.environ["PATH"], "SMTP_HOST": "smtp.example.com", "SMTP_PORT": "25"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT, env=environment, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    mailers = json.loads(result.stdout)
    assert mailers["default"] == {
        "BACKEND": "newsroom.mail.TaskEmailBackend",
        "OPTIONS": {"mailer": "smtp"},
    }
    assert mailers["smtp"]["BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert mailers["smtp"]["OPTIONS"]["host"] == "smtp.example.com"
    assert mailers["smtp"]["OPTIONS"]["timeout"] == 5


@pytest.mark.parametrize(
    ("value", "expected"), [("1", True), ("yes", True), ("off", False), ("", True)]
)
def test_env_bool_reads_yes_and_no(monkeypatch, value, expected):
    monkeypatch.setenv("FLAG", value)
    assert env_bool("FLAG", True) is expected


def test_env_bool_refuses_a_typo(monkeypatch):
    monkeypatch.setenv("FLAG", "treu")
    with pytest.raises(ImproperlyConfigured, match="FLAG"):
        env_bool("FLAG", False)


def test_env_list_and_int(monkeypatch):
    monkeypatch.setenv("HOSTS", " a.example , b.example,, ")
    monkeypatch.setenv("NUMBER", "nope")
    assert env_list("HOSTS", []) == ["a.example", "b.example"]
    with pytest.raises(ImproperlyConfigured, match="NUMBER"):
        env_int("NUMBER", 1)


# --- The log: a refused request is one line, a server error keeps its traceback ---------


@pytest.fixture
def console_log():
    """What the console handler of settings.LOGGING writes, which is what the operator reads."""
    handler = logging.getHandlerByName("console")
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


@pytest.mark.django_db
def test_a_403_is_logged_as_one_line(client, writer, console_log):
    client.force_login(writer)
    assert client.get("/admin/auth/user/").status_code == 403
    assert console_log.getvalue() == "Forbidden (Permission denied): /admin/auth/user/\n"


@pytest.mark.django_db
def test_a_400_for_a_host_not_served_is_logged_as_one_line(client, console_log):
    assert client.get("/", HTTP_HOST="evil.example").status_code == 400
    assert console_log.getvalue() == (
        "Invalid HTTP_HOST header: 'evil.example'. "
        "You may need to add 'evil.example' to ALLOWED_HOSTS.\n"
    )


@pytest.mark.django_db
def test_a_500_keeps_its_traceback(monkeypatch, console_log):
    def broken(*args, **kwargs):
        raise RuntimeError("the bug to fix")

    monkeypatch.setattr("articles.reader.views.HomeView.get", broken)
    assert Client(raise_request_exception=False).get("/").status_code == 500
    lines = console_log.getvalue().splitlines()
    assert lines[0] == "Internal Server Error: /"
    assert "Traceback (most recent call last):" in lines
    assert lines[-1] == "RuntimeError: the bug to fix"


def test_a_worker_loads_every_view_as_it_starts_not_at_its_first_uncached_page():
    # What a gunicorn worker runs before its first request: importing newsroom.wsgi.
    code = "import sys, newsroom.wsgi; print('articles.reader.views' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT,
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"
