"""Staff sign-in from an attacker's side: guessing, enumeration, open redirects, framing,
long-lived sessions and weak password hashes."""

import html
import re
import socket
import time
from datetime import timedelta
from unittest import mock
from urllib.parse import urljoin, urlsplit

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, PreviewLink
from articles.moderation.views import preview_link_url
from newsroom import auth, cache_backends
from newsroom import settings as project_settings
from tests.factories import make_article, make_user
from tests.pages import visible_text

pytestmark = pytest.mark.django_db

LOGIN = reverse("admin:login")
LOGOUT = reverse("admin:logout")
ADMIN = reverse("admin:index")
RESET = reverse("admin_password_reset")
PASSWORD = "a-long-test-password"  # what tests/factories.make_user gives everyone
LOCKED = "Too many failed attempts to log in"

OFF_SITE = [
    "https://evil.example",
    "http://evil.example/admin/",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "https:evil.example",
    "https://testserver@evil.example",
    "javascript:alert(1)",
    " https://evil.example",
    "\thttps://evil.example",
    "\n//evil.example",
    "/\t/evil.example",
    "\x00//evil.example",
]


def log_in(client, username, password, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def fail(client, username, times=1, **extra):
    for _ in range(times):
        assert log_in(client, username, "not-the-password", **extra).status_code == 200


def logged_in(client) -> bool:
    return client.get(ADMIN).status_code == 200


def comparable(response, *typed) -> str:
    """The page without the parts that differ on every request or echo what was typed."""
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())
    page = re.sub(r'nonce="[^"]*"', "", page)  # the CSP nonce is new on every response
    for text in typed:
        page = page.replace(text, "TYPED")
    return page


def destination(location: str) -> tuple[str, str | None]:
    """Where a browser would go: it trims control characters and spaces, drops tabs and
    newlines, reads a backslash as a slash and any run of slashes after http: as two."""
    url = location.strip("".join(map(chr, range(33))))
    url = re.sub(r"[\t\n\r]", "", url).replace("\\", "/")
    url = re.sub(r"^(https?:)?/{2,}", r"\1//", url)
    parts = urlsplit(urljoin("http://testserver/admin/login/", url))
    return parts.scheme, parts.hostname


def assert_stays_on_site(response):
    assert response.status_code in (200, 302), response.status_code
    if response.status_code == 302:
        assert destination(response["Location"]) == ("http", "testserver"), response["Location"]


# Login throttle


def test_right_password_is_refused_after_five_failures(client, editor):
    fail(client, "edgar", times=5)
    with mock.patch("django.contrib.auth.forms.authenticate") as authenticate:
        response = log_in(client, "edgar", PASSWORD)
    assert response.status_code == 429
    assert not authenticate.called  # the password was never checked
    assert LOCKED in visible_text(response.content.decode())
    assert not logged_in(client)


def test_refused_login_page_still_offers_the_form_and_the_reset_link(client, editor):
    fail(client, "edgar", times=5)
    page = log_in(client, "edgar", PASSWORD).content.decode()
    assert 'name="password"' in page
    assert f'href="{RESET}"' in page


def test_four_failures_do_not_lock_the_account(client, editor):
    fail(client, "edgar", times=4)
    assert log_in(client, "edgar", PASSWORD).status_code == 302
    assert logged_in(client)


def test_locked_answer_is_the_same_for_a_real_and_an_unknown_username(client, editor):
    fail(client, "edgar", times=5)
    fail(client, "nobody-here", times=5)
    real = log_in(client, "edgar", "a-guess")
    unknown = log_in(client, "nobody-here", "a-guess")
    assert real.status_code == unknown.status_code == 429
    assert comparable(real, "edgar") == comparable(unknown, "nobody-here")


def test_locked_username_is_refused_from_any_address(client, editor):
    fail(client, "edgar", times=5, REMOTE_ADDR="203.0.113.1")
    assert log_in(client, "edgar", PASSWORD, REMOTE_ADDR="198.51.100.2").status_code == 429


def test_twenty_failures_from_one_address_lock_every_username_from_it(client, editor):
    for number in range(5):  # four each: no single username reaches its own limit
        fail(client, f"guess{number}", times=4, REMOTE_ADDR="203.0.113.1")
    assert log_in(client, "edgar", PASSWORD, REMOTE_ADDR="203.0.113.1").status_code == 429
    assert log_in(client, "edgar", PASSWORD, REMOTE_ADDR="198.51.100.2").status_code == 302


def test_successful_login_clears_the_usernames_failures(client, editor):
    fail(client, "edgar", times=4)
    log_in(client, "edgar", PASSWORD)
    client.logout()
    fail(client, "edgar", times=4)
    assert log_in(client, "edgar", PASSWORD).status_code == 302


def test_lock_ends_with_its_window(client, editor, settings):
    settings.LOGIN_THROTTLE_SECONDS = 1
    fail(client, "edgar", times=5)
    assert log_in(client, "edgar", PASSWORD).status_code == 429
    time.sleep(1.5)
    assert log_in(client, "edgar", PASSWORD).status_code == 302


def test_username_lock_ignores_letter_case(client, editor):
    fail(client, "EDGAR", times=5)
    assert log_in(client, "edgar", PASSWORD).status_code == 429


def test_forwarded_header_is_ignored_unless_configured(client, editor):
    # Without a trusted proxy, the header is whatever the attacker writes.
    for number in range(20):
        fail(client, f"guess{number}", HTTP_X_FORWARDED_FOR=f"192.0.2.{number}")
    assert log_in(client, "edgar", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.99").status_code == 429


@pytest.fixture
def redis_away(settings, monkeypatch):
    """The production cache, pointed at a port where no Redis listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.CACHES = {
        "default": {
            "BACKEND": "newsroom.cache_backends.ResilientRedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    monkeypatch.setattr(cache_backends, "outages", {})
    yield
    auth.local_counts.clear()  # counted in this process: gone with it, and with this test


def test_login_throttle_still_counts_while_redis_is_away(client, editor, redis_away):
    fail(client, "edgar", times=5)
    assert log_in(client, "edgar", PASSWORD).status_code == 429


def test_reset_throttle_still_counts_while_redis_is_away(client, editor, redis_away):
    for _ in range(3):
        assert client.post(RESET, {"email": editor.email}).status_code == 302
    assert client.post(RESET, {"email": editor.email}).status_code == 429


def test_failures_counted_while_redis_was_away_still_count_when_it_is_back(
    client, editor, redis_away, settings
):
    fail(client, "edgar", times=5)
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert log_in(client, "edgar", PASSWORD).status_code == 429


def test_behind_a_proxy_the_last_forwarded_address_is_counted(client, editor, settings):
    settings.THROTTLE_CLIENT_IP_HEADER = "X-Forwarded-For"
    for number in range(20):
        # The attacker varies the part they write; the proxy appends the address it saw.
        fail(client, f"guess{number}", HTTP_X_FORWARDED_FOR=f"192.0.2.{number}, 203.0.113.7")
    attacker = log_in(client, "edgar", PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.99, 203.0.113.7")
    colleague = log_in(client, "edgar", PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.8")
    assert attacker.status_code == 429
    assert colleague.status_code == 302


# Login answers that do not reveal accounts


def test_wrong_password_and_unknown_username_get_the_same_answer(client, editor):
    wrong = log_in(client, "edgar", "not-the-password")
    unknown = log_in(client, "nobody-here", "not-the-password")
    assert wrong.status_code == unknown.status_code == 200
    assert "Please enter the correct username and password" in wrong.content.decode()
    assert comparable(wrong, "edgar") == comparable(unknown, "nobody-here")


@pytest.mark.parametrize("account", ["inactive", "not staff"])
def test_right_password_of_an_account_that_may_not_log_in_gets_the_same_answer(client, account):
    user = make_user("mallory", staff=account != "not staff")
    User.objects.filter(pk=user.pk).update(is_active=account != "inactive")
    refused = log_in(client, "mallory", PASSWORD)
    unknown = log_in(client, "nobody-at-al", PASSWORD)
    assert refused.status_code == unknown.status_code == 200
    assert comparable(refused, "mallory") == comparable(unknown, "nobody-at-al")


# Password reset


def test_login_page_links_to_password_reset(client):
    assert f'href="{RESET}"' in client.get(LOGIN).content.decode()


def test_reset_pages_carry_the_admin_header(client):
    page = visible_text(client.get(RESET).content.decode())
    assert "Newsroom" in page
    assert "Django administration" not in page


def test_reset_answer_is_the_same_for_a_known_and_an_unknown_address(client, editor):
    known = client.post(RESET, {"email": editor.email})
    unknown = client.post(RESET, {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    known_page, unknown_page = client.get(known["Location"]), client.get(unknown["Location"])
    assert [t.name for t in known_page.templates] == [t.name for t in unknown_page.templates]
    assert comparable(known_page) == comparable(unknown_page)


def test_reset_link_is_mailed_to_the_active_staff_account_only(client, editor, mailoutbox):
    inactive = make_user("ivy")
    User.objects.filter(pk=inactive.pk).update(is_active=False)
    make_user("norman", staff=False)
    for email in ["nobody@example.com", "ivy@example.com", "norman@example.com", editor.email]:
        client.post(RESET, {"email": email})
    assert [message.to for message in mailoutbox] == [[editor.email]]


def test_emailed_link_sets_a_new_password(client, editor, mailoutbox, settings):
    settings.SITE_URL = "https://news.example.com"
    client.post(RESET, {"email": editor.email})
    link = re.search(r"https://news\.example\.com(/\S+)", mailoutbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    new = {"new_password1": "a-brand-new-passphrase", "new_password2": "a-brand-new-passphrase"}
    done = client.post(form_page.redirect_chain[-1][0], new)
    assert done["Location"] == reverse("password_reset_complete")
    assert log_in(client, "edgar", "a-brand-new-passphrase").status_code == 302


def test_new_password_from_the_emailed_link_lifts_a_login_lock(client, editor, mailoutbox):
    fail(client, "edgar", times=5)
    client.post(RESET, {"email": editor.email})
    link = re.search(r"http://\S+?(/admin/\S+)", mailoutbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    new = {"new_password1": "a-brand-new-passphrase", "new_password2": "a-brand-new-passphrase"}
    client.post(form_page.redirect_chain[-1][0], new)
    assert log_in(client, "edgar", "a-brand-new-passphrase").status_code == 302


@pytest.mark.parametrize("uid, token", [("MQ", "forged-token"), ("!!", "x"), ("zzzz", "a-b")])
def test_forged_reset_link_is_refused_plainly(client, editor, uid, token):
    url = reverse("password_reset_confirm", args=[uid, token])
    response = client.get(url, follow=True)
    assert response.status_code == 200
    assert "The password reset link was invalid" in visible_text(response.content.decode())


def test_reset_request_without_a_valid_address_says_so(client, mailoutbox):
    response = client.post(RESET, {"email": "not an address"})
    assert response.status_code == 200
    assert "Enter a valid email address." in visible_text(response.content.decode())
    assert mailoutbox == []


def test_fourth_reset_request_for_one_address_is_refused(client, editor, mailoutbox):
    for _ in range(3):
        assert client.post(RESET, {"email": editor.email}).status_code == 302
    response = client.post(RESET, {"email": editor.email})
    assert response.status_code == 429
    assert "Too many reset requests" in visible_text(response.content.decode())
    assert len(mailoutbox) == 3


def test_refused_reset_is_the_same_for_a_known_and_an_unknown_address(client, editor):
    for _ in range(3):
        client.post(RESET, {"email": editor.email})
        client.post(RESET, {"email": "nobody@example.com"})
    known = client.post(RESET, {"email": editor.email})
    unknown = client.post(RESET, {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 429
    assert comparable(known, editor.email) == comparable(unknown, "nobody@example.com")


def test_eleventh_reset_request_from_one_address_is_refused(client, editor, mailoutbox):
    for number in range(10):
        client.post(RESET, {"email": f"someone{number}@example.com"})
    assert client.post(RESET, {"email": editor.email}).status_code == 429
    assert mailoutbox == []


# Open redirects


@pytest.mark.parametrize("target", OFF_SITE)
def test_login_form_never_carries_an_off_site_next(client, target):
    page = client.get(LOGIN, {"next": target}).content.decode()
    carried = html.unescape(re.search(r'name="next" value="([^"]*)"', page).group(1))
    assert destination(carried) == ("http", "testserver")


@pytest.mark.parametrize("target", OFF_SITE)
def test_login_never_sends_off_site(client, editor, target):
    response = client.post(
        f"{LOGIN}?next=/review/", {"username": "edgar", "password": PASSWORD, "next": target}
    )
    assert response.status_code == 302
    assert_stays_on_site(response)


@pytest.mark.parametrize("target", OFF_SITE)
def test_login_page_never_sends_a_logged_in_editor_off_site(editor_client, target):
    response = editor_client.get(LOGIN, {"next": target})
    assert response.status_code == 302
    assert_stays_on_site(response)


@pytest.mark.parametrize("target", OFF_SITE)
def test_logout_never_sends_off_site(editor_client, target):
    assert_stays_on_site(editor_client.post(LOGOUT, {"next": target}))
    assert not logged_in(editor_client)


@pytest.mark.parametrize(
    "target", ["/no-such-page/", "/admin/no-such-page/", "/review/999999/nope", "review/"]
)
def test_login_lands_on_the_review_queues_when_next_is_not_a_page_of_this_site(
    client, editor, target
):
    in_address = client.post(f"{LOGIN}?next={target}", {"username": "edgar", "password": PASSWORD})
    client.logout()
    in_form = client.post(LOGIN, {"username": "edgar", "password": PASSWORD, "next": target})
    assert in_address["Location"] == in_form["Location"] == reverse("review:index")


@pytest.mark.parametrize("target", ["/admin/articles/article/", "http://testserver/review/"])
def test_login_follows_next_to_a_page_of_this_site(client, editor, target):
    response = client.post(LOGIN, {"username": "edgar", "password": PASSWORD, "next": target})
    assert response["Location"] == target


def test_login_page_does_not_carry_a_next_that_is_not_a_page(client):
    page = client.get(LOGIN, {"next": "/no-such-page/"}).content.decode()
    assert "/no-such-page/" not in page


def test_review_queues_send_a_visitor_to_log_in_and_back(client, editor):
    to_login = client.get(reverse("review:index"))
    back = client.post(
        to_login.url, {"username": "edgar", "password": PASSWORD, "next": "/review/"}
    )
    assert back["Location"] == reverse("review:index")


@pytest.mark.parametrize("target", OFF_SITE)
def test_review_decision_returns_to_the_review_page_whatever_it_is_told(client, editor, target):
    story = make_article(status=Article.Status.IN_REVIEW, published_at=None)
    client.force_login(editor)
    review = reverse("review:story", args=[story.pk])
    response = client.post(
        f"{review}?next={target}",
        {"decision": "approve", "seen": f"{story.status}:{story.version}", "next": target},
        HTTP_REFERER=target,
    )
    assert response["Location"] == review


@pytest.mark.parametrize("target", OFF_SITE)
def test_admin_publish_button_returns_to_the_story_whatever_it_is_told(editor_client, target):
    draft = make_article(status=Article.Status.DRAFT)
    url = reverse("admin:articles_article_transition", args=[draft.pk, "publish"])
    response = editor_client.post(f"{url}?next={target}", {"next": target}, HTTP_REFERER=target)
    assert response["Location"] == reverse("admin:articles_article_change", args=[draft.pk])


@pytest.mark.parametrize(
    "path", ["//evil.example", "/\\evil.example", "//evil.example/admin", "/admin//evil.example"]
)
def test_odd_paths_never_redirect_off_site(client, path):
    response = client.get("/", PATH_INFO=path)
    assert response.status_code in (200, 301, 302, 404)
    if response.status_code in (301, 302):
        assert destination(response["Location"]) == ("http", "testserver")


# Clickjacking


def test_reader_pages_refuse_to_be_framed(client, settings):
    settings.PAGE_CACHE_SECONDS = 300  # the second request is a cache hit
    story = make_article()
    for url in [reverse("articles:home"), story.get_absolute_url(), story.get_absolute_url()]:
        assert client.get(url)["X-Frame-Options"] == "DENY", url
    assert client.get("/no-such-page/")["X-Frame-Options"] == "DENY"


def test_admin_and_sign_in_pages_refuse_to_be_framed(client, editor):
    for url in [LOGIN, RESET, reverse("password_reset_done")]:
        assert client.get(url)["X-Frame-Options"] == "DENY", url
    client.force_login(editor)
    story = make_article()
    for url in [ADMIN, reverse("admin:articles_article_change", args=[story.pk])]:
        assert client.get(url)["X-Frame-Options"] == "DENY", url


def test_desk_pages_refuse_to_be_framed_but_its_preview_frames_on_the_same_site(client, editor):
    story = make_article(status=Article.Status.IN_REVIEW, published_at=None)
    client.force_login(editor)
    review = client.get(reverse("review:story", args=[story.pk]))
    preview_url = reverse("review:preview", args=[story.pk])
    assert client.get(reverse("review:index"))["X-Frame-Options"] == "DENY"
    assert review["X-Frame-Options"] == "DENY"
    assert f'<iframe class="story-frame" src="{preview_url}"' in review.content.decode()
    preview = client.get(preview_url)
    assert preview.status_code == 200
    assert preview["X-Frame-Options"] == "SAMEORIGIN"
    assert story.headline in preview.content.decode()


def test_outside_reviewers_preview_refuses_to_be_framed(client, editor):
    story = make_article(status=Article.Status.IN_REVIEW, published_at=None)
    link = PreviewLink.objects.create(
        article=story,
        label="Our lawyer",
        created_by=editor,
        expires_at=timezone.now() + timedelta(days=1),
    )
    assert client.get(preview_link_url(link))["X-Frame-Options"] == "DENY"


# Sessions


def at(moment):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def test_session_cookie_lasts_at_most_a_working_day(client, editor, settings):
    assert settings.SESSION_COOKIE_AGE <= 8 * 60 * 60
    response = log_in(client, "edgar", PASSWORD)
    assert 0 < int(response.cookies[settings.SESSION_COOKIE_NAME]["max-age"]) <= 8 * 60 * 60


@pytest.fixture
def database_sessions(settings):
    # A mocked clock moves the database's expiry dates, not Redis's own timers, so these
    # tests read sessions from the database alone. The Redis copy is kept for the session's
    # remaining age (see the next test but one), so it ends at the same moment.
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"


def test_session_is_refused_a_working_day_after_log_in(client, editor, database_sessions):
    start = timezone.now()
    with at(start):
        log_in(client, "edgar", PASSWORD)
    with at(start + timedelta(hours=7, minutes=59)):
        assert logged_in(client)
    with at(start + timedelta(hours=8, minutes=1)):
        response = client.get(ADMIN)
    assert response.status_code == 302
    assert response.url.startswith(LOGIN)


def test_activity_does_not_stretch_a_session_past_the_working_day(
    client, editor, database_sessions
):
    start = timezone.now()
    with at(start):
        log_in(client, "edgar", PASSWORD)
    with at(start + timedelta(hours=7)):
        session = client.session
        session["touched"] = True  # anything that saves the session again
        session.save()
    with at(start + timedelta(hours=8, minutes=1)):
        assert not logged_in(client)


def test_posting_to_the_login_page_again_does_not_stretch_a_session(
    client, editor, database_sessions
):
    start = timezone.now()
    with at(start):
        log_in(client, "edgar", PASSWORD)
    with at(start + timedelta(hours=7)):
        log_in(client, "edgar", "not-the-password")
    with at(start + timedelta(hours=8, minutes=1)):
        assert not logged_in(client)


def test_session_saved_late_in_the_day_is_cached_only_for_the_rest_of_it(client, editor):
    start = timezone.now()
    with at(start):
        log_in(client, "edgar", PASSWORD)
    with at(start + timedelta(hours=7)):
        session = client.session
        session["touched"] = True
        session.save()
        # How long a cache in front of the database (Redis) keeps this session.
        assert session.get_expiry_age() <= 60 * 60


# Password hashing


@pytest.fixture
def production_hashers(settings):
    # tests/conftest.py swaps in a fast hasher; these tests need the real list.
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS


def test_new_passwords_are_hashed_with_argon2(production_hashers):
    assert project_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert make_password("a-long-test-password").startswith("argon2$")


def test_old_pbkdf2_hash_still_logs_in_and_is_rehashed_with_argon2(client, production_hashers):
    user = make_user("olga")
    user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    user.save()
    assert log_in(client, "olga", PASSWORD).status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2$")
