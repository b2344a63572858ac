"""Response headers that make the browser enforce what the server means: CSP, framing,
sniffing, referrers, HSTS and the opener policy; and production settings that pass
Django's deployment checks."""

import base64
import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import make_article

pytestmark = pytest.mark.django_db
PROJECT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "a-production-like-secret-key-for-the-deploy-check-" + "k" * 30,
    "ALLOWED_HOSTS": "news.example.com",
    "SITE_URL": "https://news.example.com",
    "SMTP_HOST": "smtp.example.com",
}


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in policy.split(";") if part.strip())
    }


@pytest.fixture
def story_url():
    return make_article().get_absolute_url()


def test_reader_pages_allow_no_inline_or_foreign_script(client, story_url):
    policy = directives(client.get(story_url))

    assert policy["script-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]


def test_reader_pages_may_not_be_framed(client, story_url):
    response = client.get(story_url)

    assert directives(response)["frame-ancestors"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"


def test_reader_pages_send_nosniff_referrer_and_opener_policies(client, story_url):
    response = client.get(story_url)

    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_the_admin_allows_only_its_own_inline_script_by_nonce(admin_client):
    response = admin_client.get(reverse("admin:articles_article_add"))

    self_, nonce = directives(response)["script-src"]
    assert self_ == "'self'"
    assert f'<script type="importmap" nonce="{nonce[7:-1]}">' in response.content.decode()


def test_only_the_review_preview_may_be_framed_and_only_by_this_site(client, editor):
    story = make_article()
    client.force_login(editor)

    response = client.get(reverse("review:preview", args=[story.pk]))

    assert directives(response)["frame-ancestors"] == ["'self'"]
    assert response["X-Frame-Options"] == "SAMEORIGIN"


def test_the_error_pages_inline_style_is_allowed_by_hash():
    html = (PROJECT / "templates" / "500.html").read_text()
    (style,) = re.findall(r"<style>(.*?)</style>", html, re.S)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()

    assert f"'sha256-{digest}'" in settings.SECURE_CSP["style-src"]


def test_https_sites_get_strict_transport_security(client, settings, story_url):
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True

    response = client.get(story_url, secure=True)

    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def run_in_production(*args: str) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ["PATH"], **PRODUCTION}
    return subprocess.run(
        [sys.executable, *args], cwd=PROJECT, env=env, capture_output=True, text=True
    )


def test_production_settings_pass_the_deployment_checks():
    result = run_in_production(
        "manage.py", "check", "--deploy", "--fail-level", "WARNING", "--database", "default"
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_production_settings_turn_on_hsts_secure_cookies_and_short_staff_sessions():
    code = (
        "import newsroom.settings as s; print(s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, "
        "s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_AGE, "
        "s.PASSWORD_HASHERS[0].rsplit('.', 1)[1])"
    )

    result = run_in_production("-c", code)

    assert result.stdout.split() == [
        "31536000", "True", "True", "True", str(8 * 60 * 60), "Argon2PasswordHasher"
    ]  # fmt: skip
