"""Autosave: each user's unsaved story form, kept on the server while they type.

The browser (static/js/autosave.js) posts the change form every few seconds; the form is kept
as that user's Autosave of the story, and nothing else happens: no revision, no version, no
workflow, nothing readers see. Reopening the story offers it back; restoring renders the
change form bound to it without saving, and the editor saves as usual (a save from an older
version is merged, articles/editing/admin_stale_saves.py). A real save deletes it
(articles/editing/stories.py).
"""

import copy
from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.admin import helpers
from django.contrib.admin.options import ActionLocation
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import JsonResponse, QueryDict
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.datastructures import MultiValueDict

from articles.models import Article, Autosave, Revision
from articles.moderation import workflow

# Posted names that are buttons, tokens or admin actions, not the story: never kept, so that
# a restored form is only ever the story, never "save" or "run this action".
NOT_KEPT = {
    "csrfmiddlewaretoken",
    "_save",
    "_continue",
    "_addanother",
    "_saveasnew",
    helpers.ACTION_CHECKBOX_NAME,
}
ACTION_PREFIX = f"{ActionLocation.CHANGE_FORM.value}-"
RESTORE_PARAMETER = "restore"


def keep_autosave(*, article: Article | None, user, data: QueryDict) -> datetime:
    """Keep the posted form as this user's autosave of the story (None: a story not yet made);
    return when it was kept."""
    kept = {
        name: data.getlist(name)
        for name in data
        if name not in NOT_KEPT and not name.startswith(ACTION_PREFIX)
    }
    loaded = data.get("loaded_version", "")
    loaded_version = int(loaded) if loaded.isascii() and loaded.isdigit() else 0
    fields = {"data": kept, "loaded_version": loaded_version, "saved_at": timezone.now()}
    mine = Autosave.objects.filter(article=article, user=user)
    if not mine.update(**fields):
        try:
            with transaction.atomic():
                Autosave.objects.create(article=article, user=user, **fields)
        except IntegrityError:  # the same user's previous request created it meanwhile
            mine.update(**fields)
    return fields["saved_at"]


def autosave_for(article_id: int | None, user) -> Autosave | None:
    """Return the user's autosave of the story if it holds more than their last save."""
    kept = latest_autosave(article_id, user)
    return kept if is_offered(kept, last_saved_at(article_id, user)) else None


def latest_autosave(article_id: int | None, user) -> Autosave | None:
    # Newest first: a story not yet made is not covered by the unique constraint (NULL).
    mine = Autosave.objects.filter(article_id=article_id, user=user)
    return mine.order_by("-saved_at").first()


def is_offered(kept: Autosave | None, last_saved) -> bool:
    """Saving deletes the autosave; one left older than the user's own last save came from a
    request that crossed that save, and the save has it already. One older than someone
    else's save is still offered: restoring it merges, as a save from an older form does.
    """
    return kept is not None and (last_saved is None or kept.saved_at > last_saved)


def last_saved_at(article_id: int | None, user):
    """When the user last saved this story, or (for a new one) last created a story."""
    if article_id is None:
        saves = Article.objects.filter(created_by=user).order_by("-created_at")
        return saves.values_list("created_at", flat=True).first()
    saves = Revision.objects.filter(article_id=article_id, created_by=user)
    return saves.order_by("-created_at").values_list("created_at", flat=True).first()


def discard(*, article_id: int | None, user) -> None:
    """Delete the user's autosave of the story (None: of the story they have not made yet)."""
    Autosave.objects.filter(article_id=article_id, user=user).delete()


def restored_data(autosave: Autosave) -> QueryDict:
    """Return the autosave as the change form would post it."""
    data = QueryDict(mutable=True)
    for name, values in autosave.data.items():
        if isinstance(values, list) and name not in NOT_KEPT:
            data.setlist(name, [str(value) for value in values])
    if autosave.article_id is not None:
        data["loaded_version"] = str(autosave.loaded_version)
    return data


def shown_time(moment) -> str:
    local = timezone.localtime(moment)
    if local.date() == timezone.localdate():
        return local.strftime("%H:%M")
    return f"{local.day} {local:%b}, {local:%H:%M}"


def restore_message(autosave: Autosave) -> str:
    return (
        f"Restored your unsaved changes from {shown_time(autosave.saved_at)}; nothing is "
        "saved until you save. Pictures are not kept in unsaved changes: choose them again "
        "if you had picked new ones."
    )


def refusal(status: int, message: str) -> JsonResponse:
    response = JsonResponse({"error": message}, status=status)
    if status == 405:
        response["Allow"] = "POST"
    return response


class AutosaveAdminMixin:
    """The story admin's autosave: the endpoints the browser posts to, the offer on the change
    page, and its restore (a GET with ?restore=autosave)."""

    def get_urls(self):
        def view(name, route, function):
            return path(
                route, self.admin_site.admin_view(function), name=f"articles_article_{name}"
            )

        return [
            view("autosave_add", "add/autosave/", self.autosave_view),
            view("autosave_add_discard", "add/autosave/discard/", self.autosave_discard_view),
            view("autosave", "<int:pk>/autosave/", self.autosave_view),
            view("autosave_discard", "<int:pk>/autosave/discard/", self.autosave_discard_view),
            *super().get_urls(),
        ]

    def autosave_view(self, request, pk=None):
        if request.method != "POST":
            return refusal(405, "Unsaved changes are kept with POST only.")
        if pk is None:
            if not self.has_add_permission(request):
                return refusal(403, "You may not write new stories.")
            article = None
        else:
            article = get_object_or_404(Article, pk=pk)
            if not workflow.can_edit(request.user, article):
                return refusal(403, "You may not change this story.")
        loaded = request.POST.get("loaded_version", "")
        if article is not None and not (loaded.isascii() and loaded.isdigit()):
            return refusal(400, "This form does not say which version of the story it shows.")
        saved_at = keep_autosave(article=article, user=request.user, data=request.POST)
        return JsonResponse({"saved_at": saved_at.isoformat()})

    def autosave_discard_view(self, request, pk=None):
        if request.method != "POST":
            return refusal(405, "Unsaved changes are discarded with POST only.")
        if pk is not None:
            article = get_object_or_404(Article, pk=pk)
            # Only ever the user's own copy, but of a story they may see: another writer's
            # story is refused here as at every other address of it.
            if not workflow.can_view(request.user, article):
                return refusal(403, "You may not see this story.")
        discard(article_id=pk, user=request.user)
        return JsonResponse({"discarded": True})

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method == "GET" and request.GET.get(RESTORE_PARAMETER) == "autosave":
            restored = self.restored_request(request, object_id)
            if restored is not None:
                # The restored form posts to the plain address, not back to ?restore=.
                return super().changeform_view(restored, object_id, request.path, extra_context)
            self.message_user(request, "There are no unsaved changes to restore.", messages.INFO)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def restored_request(self, request, object_id):
        """Return a copy of the request that posts the user's autosave, or None without one.

        Django's own POST branch then binds the form, formsets and new inline rows to it; the
        form refuses to save (get_form), so the page shows the restored form, saving nothing.
        The copy keeps the GET's CSRF verdict: a link restores, only the editor's save saves.
        """
        article_id = None
        if object_id is not None:
            pk = unquote(object_id)
            if not (pk.isascii() and pk.isdigit()):
                return None
            article_id = int(pk)
        autosave = autosave_for(article_id, request.user)
        if autosave is None:
            return None
        restored = copy.copy(request)
        restored.method = "POST"
        restored.POST = restored_data(autosave)
        restored._files = MultiValueDict()
        restored.restored_autosave = autosave
        return restored

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if autosave := getattr(request, "restored_autosave", None):
            form = type(form.__name__, (RestoredFormMixin, form), {"restored_autosave": autosave})
        return form

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        add = obj is None
        allowed = self.has_add_permission(request) if add else workflow.can_edit(request.user, obj)
        if allowed:
            context["autosave_editor"] = self.autosave_context(request, obj, context)
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def autosave_context(self, request, obj, context) -> dict:
        """What the change form's autosave script and its offer of unsaved changes need."""
        article_id = None if obj is None else obj.pk
        suffix, args = ("_add", []) if obj is None else ("", [obj.pk])
        kept = latest_autosave(article_id, request.user)
        last = last_saved_at(article_id, request.user)
        restored = getattr(request, "restored_autosave", None)
        restored_message = ""
        form = context["adminform"].form
        if restored and len(context["errors"]) == 1 and len(form.non_field_errors()) == 1:
            # Nothing else is wrong with the form: say it as news, not as an error.
            restored_message = restore_message(restored)
            context["errors"] = []
        # Offered on opening the story only: not over a form being restored or corrected.
        offered = kept if request.method == "GET" and is_offered(kept, last) else None
        return {
            "save_url": reverse(f"admin:articles_article_autosave{suffix}", args=args),
            "discard_url": reverse(f"admin:articles_article_autosave{suffix}_discard", args=args),
            "restore_url": f"{request.path}?{RESTORE_PARAMETER}=autosave",
            "seconds": settings.AUTOSAVE_SECONDS,
            "storage_key": f"newsroom:autosave:{request.user.pk}:{article_id or 'new'}",
            "server_now": milliseconds(timezone.now()),
            "kept_at": milliseconds(kept.saved_at) if kept else 0,
            "last_saved": milliseconds(last) if last else 0,
            "offered": offered,
            "offered_at": shown_time(offered.saved_at) if offered else "",
            "restored_message": restored_message,
        }


def milliseconds(moment) -> int:
    """A time as JavaScript counts it, for the script to compare with its own copy."""
    return int(moment.timestamp() * 1000)


class RestoredFormMixin:
    """The story form bound to an autosave: shown, never saved from this request."""

    restored_autosave = None

    def full_clean(self):
        super().full_clean()
        if self.is_bound and hasattr(self, "cleaned_data"):
            self.add_error(
                None,
                ValidationError(restore_message(self.restored_autosave), code="autosave_restored"),
            )
