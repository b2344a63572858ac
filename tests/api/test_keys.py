"""API keys: issued by Chiefs in the admin, shown once, stored hashed, revocable; rates."""

import pytest
from django.urls import reverse

from articles.api.throttling import PerAddressThrottle, PerKeyThrottle
from articles.models import ApiKey
from tests.factories import make_article

pytestmark = pytest.mark.django_db
STORIES = reverse("api:story-list")
ADD_KEY = reverse("admin:articles_apikey_add")


def with_key(secret: str) -> dict:
    return {"authorization": f"Key {secret}"}


def test_a_chief_issues_a_key_and_sees_its_secret_once(client, chief):
    client.force_login(chief)
    response = client.post(ADD_KEY, {"name": "Mobile app", "scope": "published"})
    key = ApiKey.objects.get()
    secret = response.context["secret"]
    assert secret in response.content.decode()
    assert response["Cache-Control"].startswith("max-age=0")
    assert key.prefix == secret[:6] and secret not in key.digest
    assert (
        client.get(reverse("admin:articles_apikey_change", args=[key.pk]))
        .content.decode()
        .count(secret)
        == 0
    )


def test_an_issued_key_reads_the_api(client):
    _, secret = ApiKey.issue(name="App", scope=ApiKey.Scope.PUBLISHED)
    assert client.get(STORIES, headers=with_key(secret)).status_code == 200


@pytest.mark.parametrize("where", ["header", "query"])
def test_an_unknown_key_is_a_401(client, where):
    response = (
        client.get(STORIES, headers=with_key("0" * 26))
        if where == "header"
        else client.get(STORIES, {"key": "0" * 26})
    )
    assert response.status_code == 401
    assert response.json() == {"detail": "Unknown or revoked API key."}


def test_a_revoked_key_is_a_401(client):
    key, secret = ApiKey.issue(name="App", scope=ApiKey.Scope.PUBLISHED)
    key.revoke()
    assert client.get(STORIES, headers=with_key(secret)).status_code == 401


def test_a_chief_revokes_keys_from_the_list(client, chief):
    key, secret = ApiKey.issue(name="App", scope=ApiKey.Scope.PUBLISHED)
    client.force_login(chief)
    client.post(
        reverse("admin:articles_apikey_changelist"),
        {"action": "revoke", "_selected_action": [key.pk]},
    )
    assert client.get(STORIES, headers=with_key(secret)).status_code == 401


def test_a_key_remembers_when_it_was_last_used(client):
    key, secret = ApiKey.issue(name="App", scope=ApiKey.Scope.PUBLISHED)
    client.get(STORIES, headers=with_key(secret))
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_an_editor_cannot_see_the_keys(client, editor):
    client.force_login(editor)
    assert client.get(reverse("admin:articles_apikey_changelist")).status_code == 403


def test_keys_are_revoked_not_deleted(client, chief):
    key, _ = ApiKey.issue(name="App", scope=ApiKey.Scope.PUBLISHED)
    client.force_login(chief)
    assert client.get(reverse("admin:articles_apikey_delete", args=[key.pk])).status_code == 403


def test_requests_over_the_rate_for_an_address_get_429_with_retry_after(client, monkeypatch):
    monkeypatch.setattr(PerAddressThrottle, "THROTTLE_RATES", {"address": "2/min"})
    make_article()
    statuses = [client.get(STORIES).status_code for _ in range(3)]
    refused = client.get(STORIES)
    assert statuses == [200, 200, 429]
    assert int(refused["Retry-After"]) > 0


def test_a_key_has_its_own_rate(client, monkeypatch):
    monkeypatch.setattr(PerAddressThrottle, "THROTTLE_RATES", {"address": "1/min"})
    monkeypatch.setattr(PerKeyThrottle, "THROTTLE_RATES", {"key": "3/min"})
    _, secret = ApiKey.issue(name="App", scope=ApiKey.Scope.PUBLISHED)
    client.get(STORIES)  # the address's one request
    assert [client.get(STORIES, headers=with_key(secret)).status_code for _ in range(4)] == [
        200,
        200,
        200,
        429,
    ]


def test_an_allowed_origin_may_read_the_api_from_a_browser(client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    allowed = client.get(STORIES, headers={"origin": "https://app.example.com"})
    other = client.get(STORIES, headers={"origin": "https://evil.example.net"})
    assert allowed["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "Access-Control-Allow-Origin" not in other


def test_reader_pages_send_no_cors_headers(client, settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    response = client.get(reverse("articles:home"), headers={"origin": "https://app.example.com"})
    assert "Access-Control-Allow-Origin" not in response


def test_a_preview_keys_answers_are_not_kept_by_shared_caches(client):
    _, secret = ApiKey.issue(name="Preview", scope=ApiKey.Scope.PREVIEW)
    assert client.get(STORIES, headers=with_key(secret))["Cache-Control"] == "private, no-store"
    assert client.get(STORIES)["Cache-Control"] == "public, max-age=60"


def test_a_refusal_is_not_kept_by_shared_caches(client, monkeypatch):
    monkeypatch.setattr(PerAddressThrottle, "THROTTLE_RATES", {"address": "1/min"})
    client.get(STORIES)
    assert client.get(STORIES)["Cache-Control"] == "private, no-store"
