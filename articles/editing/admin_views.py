"""The story admin's own pages: workflow buttons, history and revisions, tag suggestions, import."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.views.decorators.http import require_POST

from articles.editing import revisions, story_history
from articles.editing.admin_guards import without_nul
from articles.editing.forms import StoryConfirmForm, StoryUploadForm
from articles.editing.importers import import_story
from articles.models import EDIT_ANY, Article, Tag
from articles.moderation import workflow
from articles.reader import story as story_page

TAG_SUGGESTIONS = 20
# Lines of a story's history on one page; a story edited for years has thousands.
HISTORY_PAGE_SIZE = 50


class ArticleAdminViews:
    """The pages ArticleAdmin adds beside Django's list and change form."""

    def get_urls(self):
        def view(name, route, function):
            return path(
                route, self.admin_site.admin_view(function), name=f"articles_article_{name}"
            )

        return [
            view("import", "import/", self.import_view),
            view("tag_suggestions", "tags/suggest/", self.tag_suggestions_view),
            view(
                "transition",
                "<int:pk>/transition/<str:action>/",
                require_POST(self.transition_view),
            ),
            view("revisions", "<int:pk>/revisions/", self.revisions_view),
            view("revision", "<int:pk>/revisions/<int:version>/", self.revision_view),
            view(
                "revision_restore",
                "<int:pk>/revisions/<int:version>/restore/",
                require_POST(self.revision_restore_view),
            ),
            view(
                "revision_preview",
                "<int:pk>/revisions/<int:version>/preview/",
                self.revision_preview_view,
            ),
            *super().get_urls(),
        ]

    def story_or_403(self, request, pk, *, edit=False):
        article = get_object_or_404(Article, pk=pk)
        allowed = workflow.can_edit if edit else workflow.can_view
        if not allowed(request.user, article):
            raise PermissionDenied
        return article

    def transition_view(self, request, pk, action):
        article = self.story_or_403(request, pk)
        transition = workflow.TRANSITIONS.get(action)
        if transition is None:
            raise Http404
        if transition.needs_note or transition.needs_time:
            return redirect("review:story", article.pk)
        # The side panel's Submit button may send a note ("What I changed"): the history keeps it.
        note = without_nul(request.POST.get("note", ""))
        try:
            workflow.take(action, article, by=request.user, note=note)
        except workflow.QualityGateFailed as error:
            self.message_user(request, str(error), messages.ERROR)
            return redirect("review:story", article.pk)
        except workflow.WorkflowError as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            self.message_user(
                request, f"“{article}” is now {article.get_status_display().lower()}."
            )
        return redirect("admin:articles_article_change", article.pk)

    def revisions_view(self, request, pk):
        """The old list of revisions: they are in the story's one history now."""
        article = self.story_or_403(request, pk)
        return redirect("admin:articles_article_history", article.pk)

    def history_view(self, request, object_id, extra_context=None):
        """One timeline per story: decisions with their notes, saved versions, admin changes."""
        if not (object_id.isascii() and object_id.isdigit()):
            raise Http404
        article = self.story_or_403(request, int(object_id))
        entries = story_history.timeline(article)
        page = Paginator(entries, HISTORY_PAGE_SIZE).get_page(request.GET.get("p"))
        latest = max((e.revision.version for e in entries if e.revision is not None), default=None)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": article,
            "title": f"History of “{article}”",
            "page": page,
            "page_range": page.paginator.get_elided_page_range(page.number),
            "latest_version": latest,
            "can_restore": workflow.can_edit(request.user, article),
            "can_edit": workflow.can_edit(request.user, article),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/articles/article/object_history.html", context)

    def revision_view(self, request, pk, version):
        article = self.story_or_403(request, pk)
        revision = get_object_or_404(article.revisions, version=version)
        against_version = request.GET.get("against", "")
        # isascii too: "²".isdigit() is true, and int("²") fails.
        against = (
            article.revisions.filter(version=int(against_version)).first()
            if against_version.isascii() and against_version.isdigit()
            else article.revisions.filter(version__lt=version).first()
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": article,
            "title": f"Version {revision.version} of “{article}”",
            "revision": revision,
            "against": against,
            "changes": revisions.diff(against.snapshot if against else {}, revision.snapshot),
            "can_restore": workflow.can_edit(request.user, article),
        }
        return TemplateResponse(request, "admin/articles/article/revision.html", context)

    def revision_restore_view(self, request, pk, version):
        article = self.story_or_403(request, pk, edit=True)
        revision = get_object_or_404(article.revisions, version=version)
        new = revisions.revert(revision, by=request.user)
        self.message_user(request, f"Restored version {version}; it is now version {new.version}.")
        return redirect("admin:articles_article_change", article.pk)

    def revision_preview_view(self, request, pk, version):
        article = self.story_or_403(request, pk)
        revision = get_object_or_404(article.revisions, version=version)
        context = story_page.preview_context(revisions.preview_parts(revision))
        response = TemplateResponse(request, "reader/article_detail.html", context)
        response["Cache-Control"] = "no-store"
        response["X-Robots-Tag"] = "noindex"
        return response

    def tag_suggestions_view(self, request):
        """Existing tags starting with what the editor typed, for the tag box."""
        if not (self.has_add_permission(request) or self.has_change_permission(request)):
            raise PermissionDenied
        term = without_nul(request.GET.get("term", "")).strip().lstrip("#")[:100]
        tags = Tag.objects.all()
        if not request.user.has_perm(EDIT_ANY):
            # Another writer's draft-only tags would give away what she is working on.
            tags = tags.known_to(request.user)
        names = tags.filter(name__istartswith=term).values_list("name", flat=True)
        return JsonResponse(
            {"results": [{"id": name, "text": name} for name in names[:TAG_SUGGESTIONS]]}
        )

    def import_view(self, request):
        """Upload a story file, check what was parsed, then save it as a draft."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        upload_form, confirm_form, story = StoryUploadForm(), None, None
        if request.method == "POST" and "confirm" in request.POST:
            confirm_form = StoryConfirmForm(request.POST)
            if confirm_form.is_valid():
                article = import_story(confirm_form.cleaned_data["story"], by=request.user)
                self.log_addition(request, article, [{"added": {}}])
                self.message_user(
                    request, f"Imported “{article}” as a draft. Add bylines and check it."
                )
                return redirect("admin:articles_article_change", article.pk)
        elif request.method == "POST":
            upload_form = StoryUploadForm(request.POST, request.FILES)
            if upload_form.is_valid():
                story = upload_form.cleaned_data["story"]
                confirm_form = StoryConfirmForm(initial={"text": upload_form.cleaned_data["text"]})
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Import a story file",
            "upload_form": upload_form,
            "confirm_form": confirm_form,
            "story": story,
        }
        return TemplateResponse(request, "admin/articles/article/import.html", context)
