"""The story admin's merge of a save made from a change form opened at an older version."""

from django.contrib import messages
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.db import transaction
from django.utils import timezone

from articles.editing import merge, revisions, stale_saves
from articles.models import Article


class StaleSaveMixin:
    """Merges a stale save in changeform_view; the change form then shows what conflicts."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method != "POST" or object_id is None:
            return super().changeform_view(request, object_id, form_url, extra_context)
        # One transaction with the row locked: no other save can land between the merge
        # and this save.
        with transaction.atomic():
            stale_save = self.merge_stale_post(request, object_id)
            response = super().changeform_view(request, object_id, form_url, extra_context)
        if stale_save and response.status_code == 302:
            self.message_user(request, stale_save.merged_message(), messages.INFO)
        return response

    def merge_stale_post(self, request, object_id) -> stale_saves.StaleSave | None:
        """Merge a save from a form opened at an older version with the story as it is now.

        The posted data is replaced by the merge: what only someone else changed comes from
        the story, what only this editor changed from the form, and where both changed the
        same thing the editor's choice (or, until they choose, their own text, and the form
        refuses to save; see ArticleAdminForm.clean).
        """
        pk, loaded = unquote(object_id), request.POST.get("loaded_version", "")
        if not (pk.isascii() and pk.isdigit() and loaded.isascii() and loaded.isdigit()):
            return None  # the form refuses a save without the version it was opened at
        current = Article.objects.live().select_for_update().filter(pk=pk).first()
        if current is None or int(loaded) == current.version:
            return None
        if not self.has_change_permission(request, current):
            return None
        base = current.revisions.filter(version=int(loaded)).first()
        latest = current.revisions.select_related("created_by").first()
        data = request.POST.copy()
        fields = set(flatten_fieldsets(self.get_fieldsets(request, current)))
        # Choices made on a conflict page count only against the version shown there.
        choices = (
            {key.removeprefix("choose-"): data[key] for key in data if key.startswith("choose-")}
            if data.get("theirs_version") == str(current.version)
            else {}
        )
        merged = merge.merge(
            base.snapshot if base else None,
            revisions.snapshot(current),
            stale_saves.read_post(data, request.FILES, fields),
            choices,
        )
        stale_saves.write_post(data, merged, current.pk)
        if not merged.conflicts:
            data["loaded_version"] = str(current.version)
        request.POST = data
        user = latest.created_by if latest else None
        request.stale_save = stale_saves.StaleSave(
            merged,
            who=(user.get_full_name() or user.get_username()) if user else "Someone",
            when=timezone.localtime(latest.created_at).strftime("%H:%M") if latest else "",
            version=current.version,
        )
        return request.stale_save

    def add_stale_save_context(self, request, context):
        """Put the merge's conflicts in the change form's context, for the editor to choose."""
        stale_save = getattr(request, "stale_save", None)
        if stale_save and stale_save.merge.conflicts:
            context["stale_save"] = stale_save
            context["conflicts"] = [
                {
                    "key": conflict.key,
                    "label": conflict.label,
                    "theirs": merge.shown(conflict.field, conflict.theirs),
                    "mine": merge.shown(conflict.field, conflict.mine),
                    "is_file": bool(conflict.field and conflict.field.kind == "file"),
                    "chosen": request.POST.get(f"choose-{conflict.key}"),
                }
                for conflict in stale_save.merge.conflicts
            ]
