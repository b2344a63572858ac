import re
from datetime import timedelta

import pytest
from django.core import signing
from django.urls import resolve, reverse
from django.utils import timezone

from articles.models import Article, PreviewLink, SchedulerRun
from articles.moderation import workflow
from articles.moderation.views import PREVIEW_SALT, link_from_token, preview_link_url
from tests.factories import make_article
from tests.pages import visible_text

pytestmark = pytest.mark.django_db
Status = Article.Status
QUEUES = reverse("review:index")


def review_url(article):
    return reverse("review:story", args=[article.pk])


def decide(client, article, decision, **fields):
    article.refresh_from_db()
    data = {"decision": decision, "seen": f"{article.status}:{article.version}", **fields}
    return client.post(review_url(article), data)


@pytest.fixture
def submitted(writer):
    return make_article(status=Status.IN_REVIEW, published_at=None, created_by=writer)


def test_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(QUEUES)
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_writer_sees_only_own_stories_in_the_review_queues(client, writer, other_writer):
    make_article(
        headline="Wendy's draft", status=Status.DRAFT, published_at=None, created_by=writer
    )
    make_article(
        headline="Oscar's draft", status=Status.DRAFT, published_at=None, created_by=other_writer
    )
    client.force_login(writer)
    text = visible_text(client.get(QUEUES).content.decode())
    assert "Wendy's draft" in text
    assert "Oscar's draft" not in text


def test_review_queue_puts_overdue_work_first_then_oldest(client, editor, writer):
    now = timezone.now()
    older = make_article(headline="Waiting longest", status=Status.IN_REVIEW, published_at=None)
    newer = make_article(headline="Just submitted", status=Status.IN_REVIEW, published_at=None)
    late = make_article(
        headline="Past its deadline",
        status=Status.IN_REVIEW,
        published_at=None,
        due_at=now - timedelta(hours=1),
    )
    for article, minutes in [(older, 90), (newer, 5), (late, 10)]:
        article.events.create(
            action="submit", to_status=Status.IN_REVIEW, created_at=now - timedelta(minutes=minutes)
        )
    client.force_login(editor)
    queue = {key: items for key, _, items in client.get(QUEUES).context["queues"]}["waiting"]
    assert [a.headline for a in queue] == ["Past its deadline", "Waiting longest", "Just submitted"]


def test_review_queues_count_each_queue(client, editor):
    make_article(status=Status.IN_REVIEW, published_at=None)
    make_article(status=Status.IN_REVIEW, published_at=None)
    make_article(status=Status.CHANGES_REQUESTED, published_at=None)
    client.force_login(editor)
    counts = {key: len(items) for key, _, items in client.get(QUEUES).context["queues"]}
    assert (counts["waiting"], counts["changes"], counts["approved"]) == (2, 1, 0)


def test_review_page_frames_the_story_as_readers_will_see_it(client, editor, submitted):
    client.force_login(editor)
    html = client.get(review_url(submitted)).content.decode()
    assert f'src="{reverse("review:preview", args=[submitted.pk])}"' in html
    preview = client.get(reverse("review:preview", args=[submitted.pk]))
    assert preview["X-Frame-Options"] == "SAMEORIGIN"
    assert "Preview — not published." in preview.content.decode()
    assert submitted.headline in preview.content.decode()


def test_editor_approves_and_the_writer_is_told(
    client, editor, writer, submitted, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(editor)
    with django_capture_on_commit_callbacks(execute=True):
        response = decide(client, submitted, "approve")
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == Status.APPROVED
    assert mailoutbox[0].to == [writer.email]


def test_requesting_changes_without_a_note_is_a_form_error(client, editor, submitted):
    client.force_login(editor)
    response = decide(client, submitted, "request_changes", note="")
    assert response.status_code == 200
    assert "Say what needs to change" in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == Status.IN_REVIEW


def test_scheduling_in_the_past_is_a_form_error(client, editor, submitted):
    client.force_login(editor)
    past = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = decide(client, submitted, "schedule", publish_at=past)
    assert "Choose a publication time in the future." in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == Status.IN_REVIEW


def test_scheduling_for_later_keeps_the_story_from_readers_until_then(client, editor, submitted):
    client.force_login(editor)
    later = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    decide(client, submitted, "schedule", publish_at=later)
    submitted.refresh_from_db()
    assert submitted.status == Status.SCHEDULED
    client.logout()
    assert client.get(submitted.get_absolute_url()).status_code == 404


def test_a_stale_decision_form_is_refused(client, editor, submitted):
    client.force_login(editor)
    stale = {"decision": "approve", "seen": f"{Status.IN_REVIEW}:{submitted.version}"}
    workflow.take("approve", submitted, by=editor)
    response = client.post(review_url(submitted), stale)
    assert "This story changed since you opened this page" in response.content.decode()
    assert submitted.events.count() == 1


def test_publishing_past_a_warning_needs_a_note(client, editor, writer):
    article = make_article(
        status=Status.APPROVED, published_at=None, created_by=writer, takeaways=0
    )
    client.force_login(editor)
    response = decide(client, article, "publish")
    assert "There are no key takeaways." in response.content.decode()
    decide(client, article, "publish", note="Breaking; takeaways to follow.")
    article.refresh_from_db()
    assert article.status == Status.PUBLISHED


def test_quality_errors_are_listed_and_block_publication(client, editor):
    article = make_article(status=Status.APPROVED, published_at=None, sections=0)
    client.force_login(editor)
    response = decide(client, article, "publish", note="Now.")
    assert "Add at least one section with some text." in response.content.decode()
    article.refresh_from_db()
    assert article.status == Status.APPROVED


def test_writer_forging_a_publish_decision_gets_403(client, writer, submitted):
    client.force_login(writer)
    response = decide(client, submitted, "publish", note="Mine now.")
    assert response.status_code == 403
    submitted.refresh_from_db()
    assert submitted.status == Status.IN_REVIEW


def test_writer_withdraws_own_submission(client, writer, submitted):
    client.force_login(writer)
    decide(client, submitted, "withdraw")
    submitted.refresh_from_db()
    assert submitted.status == Status.DRAFT


def test_writer_cannot_open_another_writers_story(client, other_writer, submitted):
    client.force_login(other_writer)
    assert client.get(review_url(submitted)).status_code == 403
    assert client.get(reverse("review:preview", args=[submitted.pk])).status_code == 403


def test_review_queues_show_when_the_scheduler_last_ran_and_flag_late_stories(client, editor):
    SchedulerRun.objects.create(finished_at=timezone.now() - timedelta(minutes=3), published=1)
    make_article(
        headline="Should be out by now",
        status=Status.SCHEDULED,
        published_at=timezone.now() - timedelta(minutes=30),
    )
    client.force_login(editor)
    text = visible_text(client.get(QUEUES).content.decode())
    assert "The scheduler last ran 3 minutes ago" in text
    assert "The scheduler is behind." in text
    assert "Should be out by now" in text


def make_link(article, editor, **fields):
    return PreviewLink.objects.create(
        article=article,
        label=fields.pop("label", "Our lawyer"),
        created_by=editor,
        expires_at=fields.pop("expires_at", timezone.now() + timedelta(days=2)),
        **fields,
    )


def shown_link_addresses(response) -> list[PreviewLink]:
    """The preview links whose addresses the review page offers to copy, in page order."""
    addresses = re.findall(r'value="http://testserver(/preview/[^"]+)"', response.content.decode())
    return [link_from_token(resolve(address).kwargs["token"]) for address in addresses]


def test_editor_creates_a_preview_link(client, editor, submitted):
    client.force_login(editor)
    response = client.post(
        reverse("review:create_link", args=[submitted.pk]),
        {"label": "Our lawyer", "days": "3"},
        follow=True,
    )
    link = PreviewLink.objects.get()
    assert link.article == submitted
    assert shown_link_addresses(response) == [link]


def test_review_page_keeps_each_active_link_address_with_a_copy_button(client, editor, submitted):
    lawyer = make_link(submitted, editor)
    make_link(submitted, editor, label="A source", revoked_at=timezone.now())
    make_link(submitted, editor, label="Expired", expires_at=timezone.now() - timedelta(days=1))
    client.force_login(editor)
    response = client.get(review_url(submitted))
    assert shown_link_addresses(response) == [lawyer]
    text = visible_text(response.content.decode())
    assert text.count("Copy the address for") == 1
    assert "Copy the address for Our lawyer" in text
    assert '<script src="/static/js/copy-link.js" defer></script>' in response.content.decode()


def test_writer_cannot_create_a_preview_link(client, writer, submitted):
    client.force_login(writer)
    response = client.post(
        reverse("review:create_link", args=[submitted.pk]), {"label": "My friend", "days": "3"}
    )
    assert response.status_code == 403
    assert not PreviewLink.objects.exists()


def test_preview_link_shows_the_story_read_only_and_hidden_from_search(client, editor, submitted):
    link = make_link(submitted, editor)
    response = client.get(preview_link_url(link))
    assert response.status_code == 200
    assert submitted.headline in response.content.decode()
    assert "Preview — not published." in response.content.decode()
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]
    assert link.visits.count() == 1


@pytest.mark.parametrize(
    "change",
    [{"expires_at": timezone.now() - timedelta(minutes=1)}, {"revoked_at": timezone.now()}],
    ids=["expired", "revoked"],
)
def test_expired_or_revoked_preview_link_is_404(client, editor, submitted, change):
    link = make_link(submitted, editor, **change)
    assert client.get(preview_link_url(link)).status_code == 404


def test_preview_link_cannot_be_turned_to_another_story(client, editor, submitted):
    other = make_article(status=Status.DRAFT, published_at=None)
    link = make_link(submitted, editor)
    forged = signing.dumps({"link": link.pk, "article": other.pk}, salt=PREVIEW_SALT)
    tampered = preview_link_url(link)[:-3] + "abc/"
    assert client.get(reverse("articles:shared_preview", args=[forged])).status_code == 404
    assert client.get(tampered).status_code == 404


def test_editor_revokes_a_preview_link(client, editor, submitted):
    link = make_link(submitted, editor)
    client.force_login(editor)
    client.post(reverse("review:revoke_link", args=[submitted.pk, link.pk]))
    client.logout()
    assert client.get(preview_link_url(link)).status_code == 404


def test_outside_reviewer_comment_lands_in_the_history(client, editor, submitted):
    link = make_link(submitted, editor)
    response = client.post(
        preview_link_url(link), {"name": "Dana Price", "comment": "Paragraph 3 is defamatory."}
    )
    assert response.status_code == 302
    event = submitted.events.get()
    assert event.action == "comment"
    assert event.who == "Dana Price (preview link for Our lawyer)"
    assert event.note == "Paragraph 3 is defamatory."
