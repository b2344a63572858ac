from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from articles.delivery import cache as page_cache
from articles.models import Article, ArticleEvent, SchedulerRun
from articles.moderation import emails, workflow
from articles.moderation.quality import check_quality
from tests.factories import make_article, make_cta

pytestmark = pytest.mark.django_db
Status = Article.Status
ROLES = ["anonymous", "writer", "other_writer", "editor", "chief", "superuser"]
OWNER_ACTIONS = {"submit", "withdraw"}


def person(request, role):
    return AnonymousUser() if role == "anonymous" else request.getfixturevalue(role)


def story_in(status, *, owner, **fields):
    published_at = timezone.now() - timedelta(hours=1)
    if status == Status.SCHEDULED:
        published_at = timezone.now() + timedelta(hours=1)
    elif status in (Status.DRAFT, Status.IN_REVIEW, Status.CHANGES_REQUESTED, Status.APPROVED):
        published_at = None
    return make_article(status=status, published_at=published_at, created_by=owner, **fields)


def expected_allowed(role, action):
    if role in ("editor", "chief", "superuser"):
        return True
    return role == "writer" and action in OWNER_ACTIONS


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(workflow.TRANSITIONS))
def test_permission_matrix(request, writer, role, action):
    transition = workflow.TRANSITIONS[action]
    article = story_in(transition.sources[0], owner=writer)
    user = person(request, role)
    in_an_hour = timezone.now() + timedelta(hours=1)
    if expected_allowed(role, action):
        workflow.take(action, article, by=user, note="Checked.", when=in_an_hour)
        article.refresh_from_db()
        assert article.status == transition.target
        assert ArticleEvent.objects.get(article=article).action == action
    else:
        with pytest.raises(PermissionDenied):
            workflow.take(action, article, by=user, note="Checked.", when=in_an_hour)
        article.refresh_from_db()
        assert article.status == transition.sources[0]
        assert not ArticleEvent.objects.filter(article=article).exists()


@pytest.mark.parametrize("action", list(workflow.TRANSITIONS))
def test_every_action_is_refused_from_every_status_it_does_not_start_from(editor, action):
    transition = workflow.TRANSITIONS[action]
    for status in set(Status) - set(transition.sources):
        article = story_in(status, owner=editor)
        with pytest.raises(workflow.InvalidTransition):
            workflow.take(action, article, by=editor, note="x", when=timezone.now() + timedelta(1))
        article.refresh_from_db()
        assert article.status == status


def test_allowed_actions_are_exactly_what_take_accepts(request, writer):
    for role in ROLES:
        user = person(request, role)
        for status in Status:
            article = story_in(status, owner=writer)
            offered = {t.action for t in workflow.allowed_actions(article, user)}
            expected = {
                action
                for action, t in workflow.TRANSITIONS.items()
                if status in t.sources and expected_allowed(role, action)
            }
            assert offered == expected, (role, status)


def test_requesting_changes_needs_a_note(editor, writer):
    article = story_in(Status.IN_REVIEW, owner=writer)
    with pytest.raises(workflow.NoteRequired):
        workflow.take("request_changes", article, by=editor, note="  ")
    article.refresh_from_db()
    assert article.status == Status.IN_REVIEW


def test_the_note_is_kept_in_the_history(editor, writer):
    article = story_in(Status.IN_REVIEW, owner=writer)
    workflow.take("request_changes", article, by=editor, note="Check the grant figure.")
    event = article.events.get()
    assert (event.actor, event.from_status, event.to_status, event.note) == (
        editor,
        Status.IN_REVIEW,
        Status.CHANGES_REQUESTED,
        "Check the grant figure.",
    )


def test_scheduling_in_the_past_is_refused(editor, writer):
    article = story_in(Status.APPROVED, owner=writer)
    with pytest.raises(workflow.BadScheduleTime):
        workflow.take("schedule", article, by=editor, when=timezone.now() - timedelta(minutes=1))
    with pytest.raises(workflow.BadScheduleTime):
        workflow.take("schedule", article, by=editor, when=None)


def test_quality_gate_blocks_submission_of_an_empty_story(writer):
    article = story_in(Status.DRAFT, owner=writer, sections=0)
    with pytest.raises(workflow.QualityGateFailed) as error:
        workflow.take("submit", article, by=writer)
    assert "Add at least one section with some text." in error.value.report.errors


def test_quality_gate_names_a_vague_button_label(editor, writer):
    article = story_in(Status.APPROVED, owner=writer, ctas=0)
    cta = make_cta(name="Strategy call", button_label="Click here", url="https://example.com")
    article.cta_placements.create(call_to_action=cta)
    with pytest.raises(workflow.QualityGateFailed) as error:
        workflow.take("publish", article, by=editor, note="Ship it.")
    assert any("Strategy call" in e and "Click here" in e for e in error.value.report.errors)


def test_quality_gate_requires_a_working_link_on_every_call_to_action(editor, writer):
    article = story_in(Status.APPROVED, owner=writer, ctas=0)
    cta = make_cta(name="No link", button_label="Book a call", url="")
    article.cta_placements.create(call_to_action=cta)
    report = check_quality(article)
    assert "The call to action “No link” needs a working link." in report.errors


def test_editor_may_publish_past_a_warning_with_a_note(editor, writer):
    article = story_in(Status.APPROVED, owner=writer, takeaways=0)
    with pytest.raises(workflow.QualityGateFailed):
        workflow.take("publish", article, by=editor)
    workflow.take("publish", article, by=editor, note="Breaking news; takeaways follow.")
    article.refresh_from_db()
    assert article.status == Status.PUBLISHED
    assert "There are no key takeaways." in article.events.get().note


def test_writer_may_submit_past_a_warning(writer):
    article = story_in(Status.DRAFT, owner=writer, takeaways=0)
    workflow.take("submit", article, by=writer)
    article.refresh_from_db()
    assert article.status == Status.IN_REVIEW


def test_republishing_keeps_the_first_publication_time(editor, writer):
    first_time = timezone.now() - timedelta(days=3)
    article = make_article(published_at=first_time, created_by=writer)
    workflow.take("unpublish", article, by=editor)
    workflow.take("publish", article, by=editor)
    article.refresh_from_db()
    assert article.published_at == first_time


def test_publishing_a_scheduled_story_now_moves_its_time_to_now(editor, writer):
    article = story_in(Status.SCHEDULED, owner=writer)
    now = timezone.now()
    workflow.take("publish", article, by=editor, now=now)
    article.refresh_from_db()
    assert article.published_at == now


def test_a_stale_copy_cannot_move_a_story_twice(editor, writer):
    article = story_in(Status.IN_REVIEW, owner=writer)
    stale_copy = Article.objects.get(pk=article.pk)
    workflow.take("approve", article, by=editor)
    with pytest.raises(workflow.Conflict):
        workflow.take("approve", stale_copy, by=editor)
    assert article.events.count() == 1


def test_writer_is_emailed_each_decision(
    editor, writer, mailoutbox, django_capture_on_commit_callbacks
):
    article = story_in(Status.IN_REVIEW, owner=writer)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.take("request_changes", article, by=editor, note="Check the grant figure.")
    (message,) = mailoutbox
    assert message.to == [writer.email]
    assert "Request changes" in message.subject
    assert "Check the grant figure." in message.body
    assert f"/review/{article.pk}/" in message.body


def test_a_mail_failure_does_not_undo_the_decision(
    editor, writer, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(*args, **kwargs):
        raise ConnectionRefusedError("SMTP is down")

    monkeypatch.setattr(emails, "send_mail", broken)
    article = story_in(Status.IN_REVIEW, owner=writer)
    with django_capture_on_commit_callbacks(execute=True):
        workflow.take("approve", article, by=editor)
    article.refresh_from_db()
    assert article.status == Status.APPROVED


def test_writer_may_edit_only_own_drafts(writer, other_writer):
    own = story_in(Status.DRAFT, owner=writer)
    assert workflow.can_edit(writer, own)
    assert not workflow.can_edit(other_writer, own)
    for status in set(Status) - set(workflow.WRITER_EDITABLE):
        assert not workflow.can_edit(writer, story_in(status, owner=writer)), status


def test_editor_may_edit_any_story_including_published_ones(editor, writer):
    assert workflow.can_edit(editor, story_in(Status.PUBLISHED, owner=writer))


def test_scheduled_story_appears_to_readers_at_its_time_without_the_scheduler(
    client, editor, writer
):
    article = story_in(Status.APPROVED, owner=writer)
    go_time = timezone.now() + timedelta(seconds=2)
    workflow.take("schedule", article, by=editor, when=go_time)
    assert not Article.objects.published().filter(pk=article.pk).exists()
    Article.objects.filter(pk=article.pk).update(published_at=timezone.now() - timedelta(seconds=1))
    assert Article.objects.published().filter(pk=article.pk).exists()
    assert client.get(article.get_absolute_url()).status_code == 200


def test_publish_due_finalises_once_and_notifies_once(
    editor, writer, mailoutbox, django_capture_on_commit_callbacks
):
    article = story_in(Status.APPROVED, owner=writer)
    go_time = timezone.now() + timedelta(hours=1)
    workflow.take("schedule", article, by=editor, when=go_time)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert workflow.publish_due(now=go_time - timedelta(seconds=1)) == []
        assert len(workflow.publish_due(now=go_time + timedelta(hours=5))) == 1
        assert workflow.publish_due(now=go_time + timedelta(hours=6)) == []
    article.refresh_from_db()
    assert (article.status, article.published_at) == (Status.PUBLISHED, go_time)
    assert len(mailoutbox) == 1
    assert SchedulerRun.objects.count() == 3


def test_late_scheduled_stories_are_flagged_until_finalised(editor, writer):
    article = story_in(Status.APPROVED, owner=writer)
    go_time = timezone.now() + timedelta(minutes=1)
    workflow.take("schedule", article, by=editor, when=go_time)
    assert list(workflow.overdue_scheduled(now=go_time + timedelta(minutes=10))) == [article]
    workflow.publish_due(now=go_time + timedelta(minutes=10))
    assert not workflow.overdue_scheduled(now=go_time + timedelta(minutes=10)).exists()


def test_trashed_story_leaves_every_reader_page_and_a_chief_restores_it(client, chief):
    article = make_article(tags=["Gone"])
    workflow.trash(article, by=chief)
    assert client.get(article.get_absolute_url()).status_code == 404
    assert article.headline not in client.get("/").content.decode()
    workflow.restore_from_trash(article, by=chief)
    assert client.get(article.get_absolute_url()).status_code == 200


def test_editor_cannot_trash_or_restore(editor):
    article = make_article()
    with pytest.raises(PermissionDenied):
        workflow.trash(article, by=editor)
    with pytest.raises(PermissionDenied):
        workflow.restore_from_trash(article, by=editor)


def test_trashed_story_cannot_be_moved(chief, editor):
    article = make_article()
    workflow.trash(article, by=chief)
    article.refresh_from_db()
    with pytest.raises(PermissionDenied):
        workflow.take("unpublish", article, by=editor)


def test_publish_scheduled_command_finalises_what_is_due(editor, writer, capsys):
    from django.core.management import call_command

    due = story_in(Status.APPROVED, owner=writer, headline="Due now")
    later = story_in(Status.APPROVED, owner=writer, headline="Due tomorrow")
    workflow.take("schedule", due, by=editor, when=timezone.now() + timedelta(minutes=1))
    workflow.take("schedule", later, by=editor, when=timezone.now() + timedelta(days=1))
    Article.objects.filter(pk=due.pk).update(published_at=timezone.now() - timedelta(minutes=1))
    call_command("publish_scheduled")
    due.refresh_from_db()
    later.refresh_from_db()
    assert (due.status, later.status) == (Status.PUBLISHED, Status.SCHEDULED)
    assert "Due now" in capsys.readouterr().out
    assert due.events.last().who == "Scheduler"


def test_the_quality_gate_stops_a_system_actor_too():
    article = story_in(Status.DRAFT, owner=None, sections=0)
    with pytest.raises(workflow.QualityGateFailed):
        workflow.take("publish", article, by=None, actor_name="Importer", note="Imported.")
    article.refresh_from_db()
    assert article.status == Status.DRAFT


def test_a_call_to_action_without_a_link_is_a_warning_not_an_error(editor, writer):
    article = story_in(Status.APPROVED, owner=writer, ctas=0)
    article.cta_placements.create(call_to_action=make_cta(name="Text only"))
    report = check_quality(article)
    assert report.errors == []
    assert "The call to action “Text only” has no link: readers see its text, no button." in (
        report.warnings
    )


def test_the_call_to_action_form_refuses_the_label_the_gate_refuses(editor_client):
    from django.urls import reverse

    from articles.models import CallToAction

    response = editor_client.post(
        reverse("admin:articles_calltoaction_add"),
        {
            "name": "Consultation",
            "text": "Talk to one of our strategists.",
            "button_label": "Click here",
            "url": "https://example.com/book",
            **{f"{name}_{n}": "" for name in ("starts_at", "ends_at") for n in (0, 1)},
        },
    )
    assert response.status_code == 200
    assert "not “Click here”" in response.content.decode()
    assert not CallToAction.objects.exists()


def test_the_scheduled_publication_mail_says_the_story_went_out_as_scheduled(
    editor, writer, mailoutbox, django_capture_on_commit_callbacks
):
    article = story_in(Status.APPROVED, owner=writer, headline="Ferry timetable")
    go_time = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0)
    go_time += timedelta(days=1)
    workflow.take("schedule", article, by=editor, when=go_time)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        workflow.publish_due(now=go_time + timedelta(minutes=1))
    (message,) = mailoutbox
    assert "Your story “Ferry timetable” went out at 09:00" in message.body
    assert "as scheduled" in message.body
    assert "chose" not in message.body
    assert "Publish now" not in message.subject


@pytest.mark.parametrize(
    ("status", "action", "pages_drawn_again"),
    [
        (Status.IN_REVIEW, "approve", False),
        (Status.APPROVED, "publish", True),
        # The cached pages expire when the next scheduled story goes out: that time changes.
        (Status.APPROVED, "schedule", True),
    ],
)
def test_only_a_step_readers_see_draws_the_cached_pages_again(
    status, action, pages_drawn_again, editor, writer, django_capture_on_commit_callbacks
):
    article = story_in(status, owner=writer)
    before = page_cache.generation()

    with django_capture_on_commit_callbacks(execute=True):
        extra = {"when": timezone.now() + timedelta(hours=1)} if action == "schedule" else {}
        workflow.take(action, article, by=editor, **extra)

    assert (page_cache.generation() != before) == pages_drawn_again
