import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from newsroom.settings import env_bool, env_int, env_list

PROJECT = Path(__file__).resolve().parents[1]


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
        '[false, "django.db.backends.postgresql", "newsroom.cache_backends.ResilientRedisCache", '
        '["news.example.com"], "django.core.mail.backends.smtp.EmailBackend"]'
    )


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
