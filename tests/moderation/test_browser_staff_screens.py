"""The review queues, review page and a story's history in Chromium: one admin, axe-clean."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from articles.editing import revisions
from articles.models import Article
from articles.moderation import workflow
from tests.factories import make_article, make_user
from tests.test_browser import (  # noqa: F401 (fixtures)
    fail_fast,
    log_in,
    no_content_security_policy_violations,
    nothing_sent_after_the_test,
    pytestmark,
    staff_screen_passes_axe,
)

Status = Article.Status


@pytest.fixture
def people():
    return make_user("wendy", groups=["Writer"]), make_user("edgar", groups=["Editor"])


@pytest.fixture
def busy_desk(people):
    """Stories in several queues: one overdue, one sent back with a note, one scheduled."""
    writer, editor = people
    make_article(
        headline="Late and waiting",
        status=Status.IN_REVIEW,
        published_at=None,
        created_by=writer,
        due_at=timezone.now() - timedelta(hours=2),
    )
    sent_back = make_article(
        headline="Sent back", status=Status.IN_REVIEW, published_at=None, created_by=writer
    )
    workflow.take("request_changes", sent_back, by=editor, note="Name the second source.")
    make_article(
        headline="Out tomorrow",
        status=Status.SCHEDULED,
        published_at=timezone.now() + timedelta(days=1),
    )
    make_article(headline="Out already")
    return sent_back


@pytest.fixture
def story_with_a_past(people):
    writer = people[0]
    article = make_article(
        headline="A story with a past", status=Status.DRAFT, published_at=None, created_by=writer
    )
    revisions.record(article, by=writer, summary="First draft")
    article.headline = "A story with a better headline"
    article.save()
    revisions.record(article, by=writer, summary="Better headline")
    workflow.take("submit", article, by=writer, note="Ready for a look.")
    return article


def test_review_queues_pass_axe_for_an_editor(page, live_server, client, people, busy_desk):
    log_in(page, live_server, client, people[1])
    page.goto(live_server.url + reverse("review:index"))
    expect(page.get_by_text("Name the second source.").first).to_be_visible()
    expect(page.get_by_text("overdue").first).to_be_visible()
    staff_screen_passes_axe(page, "body")


def test_review_queues_pass_axe_in_dark_mode(page, live_server, client, people, busy_desk):
    page.emulate_media(color_scheme="dark")
    log_in(page, live_server, client, people[1])
    page.goto(live_server.url + reverse("review:index"))
    expect(page.get_by_text("Name the second source.").first).to_be_visible()
    staff_screen_passes_axe(page, "body")


def test_review_page_with_form_errors_passes_axe(page, live_server, client, people, busy_desk):
    log_in(page, live_server, client, people[1])
    page.goto(live_server.url + reverse("review:story", args=[busy_desk.pk]))
    page.get_by_role("button", name="Record the decision").click()
    expect(page.get_by_text("This field is required.")).to_be_visible()
    staff_screen_passes_axe(page, "body")


def test_story_history_passes_axe(page, live_server, client, people, story_with_a_past):
    log_in(page, live_server, client, people[1])
    page.goto(
        live_server.url + reverse("admin:articles_article_history", args=[story_with_a_past.pk])
    )
    expect(page.get_by_text("Ready for a look.")).to_be_visible()
    staff_screen_passes_axe(page, "body")


def test_editor_goes_from_the_admin_home_to_a_story_and_back(
    page, live_server, client, people, busy_desk
):
    log_in(page, live_server, client, people[1])
    page.goto(live_server.url + reverse("admin:index"))
    page.get_by_role("link", name="Review queues").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review queues")
    page.get_by_role("link", name="Sent back").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sent back")
    page.get_by_role("link", name="Edit the story").click()
    expect(page.get_by_label("Headline")).to_have_value("Sent back")
    page.get_by_role("link", name="Review page").click()
    page.get_by_role("navigation", name="Breadcrumbs").get_by_role(
        "link", name="Review queues"
    ).click()
    expect(page).to_have_url(live_server.url + reverse("review:index"))


def test_editor_restores_an_old_version_from_the_history(
    page, live_server, client, people, story_with_a_past
):
    log_in(page, live_server, client, people[1])
    page.goto(
        live_server.url + reverse("admin:articles_article_change", args=[story_with_a_past.pk])
    )
    page.locator("summary").filter(has_text="History").click()
    page.get_by_role("link", name="See the whole history").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("History of")
    page.get_by_role("link", name="Restore version 1").click()
    page.get_by_role("button", name="Restore version 1").click()
    expect(page.get_by_text("Restored version 1; it is now version 3.")).to_be_visible()
    story_with_a_past.refresh_from_db()
    assert story_with_a_past.headline == "A story with a past"
