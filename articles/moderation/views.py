"""The review queues editors work from, and the review page per story.

Thin views: they read, render and hand every decision to articles/moderation/workflow.py.
They are admin pages (templates/moderation/base.html extends the admin's base), so they carry
the admin site's own context: its header, user links and app list.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Max, Q, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.csp import CSP
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from articles.editing import story_history
from articles.models import Article, PreviewLink, PreviewLinkVisit, SchedulerRun
from articles.moderation import quality, workflow
from articles.moderation.forms import DecisionForm, PreviewLinkForm, ReviewerCommentForm
from articles.reader import story as story_page
from newsroom import tasks as background

Status = Article.Status
PREVIEW_SALT = "newsroom.preview-link"
RECENTLY_PUBLISHED = 10


def staff_page(request, template, title, context):
    """Render a review screen inside the admin's frame."""
    return render(
        request, template, {**admin.site.each_context(request), "title": title, **context}
    )


def visible_stories(user):
    """The stories this user may see in the review queues: editors all, writers their own."""
    return Article.objects.live().visible_to(user).select_related("desk", "created_by", "assignee")


def work_order(stories, now):
    """Overdue work first, then by priority, then whatever has waited longest."""
    return stories.annotate(
        overdue=Case(
            When(due_at__lt=now, then=Value(1)), default=Value(0), output_field=IntegerField()
        ),
        submitted_at=Max("events__created_at", filter=Q(events__to_status=Status.IN_REVIEW)),
    ).order_by("-overdue", "-priority", "submitted_at", "created_at")


@staff_member_required
@require_safe
@never_cache
def index(request):
    now = timezone.now()
    stories = visible_stories(request.user)
    queues = [
        ("waiting", "Waiting for review", work_order(stories.filter(status=Status.IN_REVIEW), now)),
        (
            "changes",
            "Changes requested",
            work_order(stories.filter(status=Status.CHANGES_REQUESTED), now),
        ),
        ("approved", "Approved", work_order(stories.filter(status=Status.APPROVED), now)),
        (
            "scheduled",
            "Scheduled",
            stories.filter(status=Status.SCHEDULED).order_by("published_at"),
        ),
        (
            "published",
            "Recently published",
            stories.filter(status=Status.PUBLISHED).order_by("-published_at")[:RECENTLY_PUBLISHED],
        ),
        (
            "mine",
            "Mine",
            work_order(
                stories.filter(Q(created_by=request.user) | Q(assignee=request.user)).exclude(
                    status__in=[Status.PUBLISHED, Status.ARCHIVED]
                ),
                now,
            ),
        ),
    ]
    queues = [(key, title, list(items)) for key, title, items in queues]
    attach_change_requests([article for _, _, items in queues for article in items])
    return staff_page(
        request,
        "moderation/index.html",
        "Review queues",
        {
            "queues": queues,
            "last_run": SchedulerRun.objects.first(),
            "failed_work": (
                background.failed_recently()
                if request.user.has_perm("django_tasks_database.view_dbtaskresult")
                else []
            ),
            "late": list(workflow.overdue_scheduled(now)),
            "now": now,
        },
    )


def attach_change_requests(articles) -> None:
    """Give each story waiting for changes its newest change request, as `change_request`,
    so the writer sees in the queue what to fix."""
    open_requests = workflow.open_change_requests(articles)
    for article in articles:
        article.change_request = open_requests.get(article.pk)


def live_story_or_403(request, pk):
    article = get_object_or_404(Article.objects.live(), pk=pk)
    if not workflow.can_view(request.user, article):
        raise PermissionDenied
    return article


@staff_member_required
@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
def review(request, pk):
    article = live_story_or_403(request, pk)
    transitions = workflow.allowed_actions(article, request.user)
    form = DecisionForm(article=article, transitions=transitions)
    if request.method == "POST":
        requested = workflow.TRANSITIONS.get(request.POST.get("decision", ""))
        if requested and not workflow.may(request.user, article, requested):
            raise PermissionDenied  # a decision this user may never take: not a form slip
        form = DecisionForm(request.POST, article=article, transitions=transitions)
        if form.is_valid() and decide(request, article, form):
            return redirect("review:story", article.pk)
    return render_review(request, article, form)


def decide(request, article, form) -> bool:
    """Hand the decision to the workflow; put any refusal on the form. True if taken."""
    data = form.cleaned_data
    try:
        workflow.take(
            data["decision"], article, by=request.user, note=data["note"], when=data["publish_at"]
        )
    except workflow.NoteRequired as error:
        form.add_error("note", str(error))
    except workflow.BadScheduleTime as error:
        form.add_error("publish_at", str(error))
    except workflow.QualityGateFailed as error:
        for problem in error.report.errors:
            form.add_error(None, problem)
        if not error.report.errors:
            form.add_error(
                "note",
                "Publishing past these warnings needs a note saying why: "
                + " ".join(error.report.warnings),
            )
    except workflow.WorkflowError as error:
        form.add_error(None, str(error))
    else:
        messages.success(
            request, f"Done: “{article.headline}” is now {article.get_status_display().lower()}."
        )
        return True
    return False


def render_review(request, article, form, link_form=None):
    return staff_page(
        request,
        "moderation/review.html",
        article.headline,
        {
            "article": article,
            "form": form,
            "quality": quality.check_quality(article),
            # The latest decisions; the whole history is the admin's History page.
            "recent_history": story_history.recent_history(article),
            "links": [
                (link, request.build_absolute_uri(preview_link_url(link)) if link.is_active else "")
                for link in article.preview_links.prefetch_related("visits")
            ],
            "link_form": link_form or PreviewLinkForm(),
            "can_share": request.user.has_perm("articles.add_previewlink"),
            "can_edit": workflow.can_edit(request.user, article),
        },
    )


@staff_member_required
@require_safe
@never_cache
@xframe_options_sameorigin
@csp_override({**settings.SECURE_CSP, "frame-ancestors": [CSP.SELF]})
def preview(request, pk):
    """The story exactly as readers will see it, framed by the review page."""
    article = get_object_or_404(story_page.story_queryset(), pk=pk)
    if not workflow.can_view(request.user, article):
        raise PermissionDenied
    response = render(
        request,
        "reader/article_detail.html",
        story_page.preview_context(story_page.live_parts(article)),
    )
    response["X-Robots-Tag"] = "noindex"
    return response


@staff_member_required
@require_POST
@never_cache
def create_preview_link(request, pk):
    article = live_story_or_403(request, pk)
    if not request.user.has_perm("articles.add_previewlink"):
        raise PermissionDenied
    form = PreviewLinkForm(request.POST)
    if not form.is_valid():
        transitions = workflow.allowed_actions(article, request.user)
        decision = DecisionForm(article=article, transitions=transitions)
        return render_review(request, article, decision, link_form=form)
    link = PreviewLink.objects.create(
        article=article,
        label=form.cleaned_data["label"],
        created_by=request.user,
        expires_at=timezone.now() + timedelta(days=form.cleaned_data["days"]),
    )
    messages.success(request, f"Preview link for {link.label} made: copy its address below.")
    return redirect("review:story", article.pk)


@staff_member_required
@require_POST
@never_cache
def revoke_preview_link(request, pk, link_pk):
    article = live_story_or_403(request, pk)
    if not request.user.has_perm("articles.change_previewlink"):
        raise PermissionDenied
    link = get_object_or_404(article.preview_links, pk=link_pk)
    PreviewLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    messages.success(request, f"The preview link for {link.label} no longer works.")
    return redirect("review:story", article.pk)


def preview_link_url(link: PreviewLink) -> str:
    token = signing.dumps({"link": link.pk, "article": link.article_id}, salt=PREVIEW_SALT)
    return reverse("articles:shared_preview", args=[token])


def link_from_token(token: str) -> PreviewLink:
    """Return the active link a token stands for, or 404 for anything else."""
    try:
        data = signing.loads(token, salt=PREVIEW_SALT)
        link = PreviewLink.objects.select_related("article").get(
            pk=data["link"], article_id=data["article"]
        )
    except (signing.BadSignature, PreviewLink.DoesNotExist, KeyError, TypeError):
        raise Http404 from None
    if not link.is_active or link.article.deleted_at is not None:
        raise Http404
    return link


@require_http_methods(["GET", "HEAD", "POST"])
@never_cache
def shared_preview(request, token):
    """An outside reviewer's read-only view of one story, with a comment box."""
    link = link_from_token(token)
    form = ReviewerCommentForm()
    if request.method == "POST":
        form = ReviewerCommentForm(request.POST)
        if form.is_valid():
            workflow.comment(
                link.article,
                name=f"{form.cleaned_data['name']} (preview link for {link.label})",
                text=form.cleaned_data["comment"],
            )
            messages.success(request, "Thank you: the editors have your comment.")
            return redirect(request.path)
    else:
        PreviewLinkVisit.objects.create(
            link=link, user_agent=request.headers.get("User-Agent", "")[:300]
        )
    article = get_object_or_404(story_page.story_queryset(), pk=link.article_id)
    context = story_page.preview_context(story_page.live_parts(article))
    response = render(
        request, "moderation/shared_preview.html", {**context, "comment_form": form, "link": link}
    )
    response["X-Robots-Tag"] = "noindex, nofollow"
    # The token is the key: never send it to the sites the story links to. Not "no-referrer":
    # under it browsers send `Origin: null` with the comment form, which the CSRF check refuses.
    response["Referrer-Policy"] = "same-origin"
    return response
