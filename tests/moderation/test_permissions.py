"""Every role × every workflow action, as HTTP requests to the review page: allowed decisions move
the story; forged ones get 403 (or a login page) and change nothing."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from articles.moderation import workflow
from tests.factories import make_article

pytestmark = pytest.mark.django_db
Status = Article.Status
ROLES = ["anonymous", "writer", "other_writer", "editor", "chief", "superuser"]


def expected(role, action):
    if role in ("editor", "chief", "superuser"):
        return "moves"
    if role == "anonymous":
        return "login"
    if role == "writer" and action in ("submit", "withdraw"):
        return "moves"
    return "forbidden"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(workflow.TRANSITIONS))
def test_review_decision_matrix(request, client, writer, role, action):
    transition = workflow.TRANSITIONS[action]
    status = transition.sources[0]
    published_at = timezone.now() + timedelta(hours=1) if status == Status.SCHEDULED else None
    if status in (Status.PUBLISHED, Status.UNPUBLISHED, Status.ARCHIVED):
        published_at = timezone.now() - timedelta(hours=1)
    article = make_article(status=status, published_at=published_at, created_by=writer)
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    later = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("review:story", args=[article.pk]),
        {
            "decision": action,
            "note": "Checked.",
            "publish_at": later,
            "seen": f"{article.status}:{article.version}",
        },
    )
    article.refresh_from_db()
    outcome = expected(role, action)
    if outcome == "moves":
        assert response.status_code == 302
        assert article.status == transition.target
    else:
        assert response.status_code == (302 if outcome == "login" else 403)
        if outcome == "login":
            assert response.url.startswith(reverse("admin:login"))
        assert article.status == status
        assert not article.events.exists()


@pytest.mark.parametrize("role", ROLES)
def test_admin_transition_buttons_follow_the_same_rules(request, client, writer, role):
    article = make_article(status=Status.DRAFT, published_at=None, created_by=writer)
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    response = client.post(
        reverse("admin:articles_article_transition", args=[article.pk, "publish"])
    )
    article.refresh_from_db()
    if role in ("editor", "chief", "superuser"):
        assert article.status == Status.PUBLISHED
    else:
        assert article.status == Status.DRAFT
        assert response.status_code in (302, 403)
        if role != "anonymous":
            assert response.status_code == 403
