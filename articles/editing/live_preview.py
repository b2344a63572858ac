"""The edit page's live preview: the story as readers will see it, from the form as typed.

A moment after the editor stops typing, the change form posts itself here (without its
pictures, which a browser cannot resend). The answer is the readers' story page, drawn by the
readers' own templates from the posted form read into the shape of a revision snapshot, as a
revision's preview is. Nothing is saved and nobody else sees it.
"""

from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_POST

from articles.editing import revisions, stale_saves
from articles.editing.merge import KEEP
from articles.models import Article
from articles.reader import story as story_page


def posted_snapshot(data, names, story: Article) -> dict:
    """Return the posted change form as a snapshot of the story; what the form does not hold
    (a picture it did not resend, a part this user's form lacks) is the story's own."""
    current = revisions.snapshot(story) if story.pk else empty_snapshot()
    mine = stale_saves.read_post(data, {}, names)
    snapshot = {
        name: current[name] if mine.get(name, KEEP) is KEEP else mine[name]
        for name in revisions.ARTICLE_FIELDS
    }
    if not isinstance(snapshot["desk_id"], int):
        snapshot["desk_id"] = None  # nothing chosen, or not a desk: the form will say so
    snapshot["tags"] = mine.get("tags", current["tags"])
    for part, posted in posted_parts(mine).items():
        snapshot[part] = current[part] if posted is None else posted
    return snapshot


def posted_parts(mine: dict) -> dict:
    """Return the parts the form posted as a snapshot holds them (None: not in the form)."""

    def rows(part):
        posted = mine.get(part)
        return None if posted is None else [row for row in posted if not row["deleted"]]

    def each(part, shape, keep):
        posted = rows(part)
        return None if posted is None else [shape(row) for row in posted if keep(row)]

    return {
        "sections": each(
            "sections",
            lambda row: {
                "heading": row["heading"],
                "anchor": row["anchor"] or slugify(row["heading"]),
                "body": row["body"],
            },
            lambda row: row["heading"] or row["body"],
        ),
        "takeaways": each("takeaways", lambda row: row["text"], lambda row: row["text"]),
        "bylines": each(
            "bylines", lambda row: row["author_id"], lambda row: is_id(row["author_id"])
        ),
        "credits": each(
            "credits",
            lambda row: {key: row[key] for key in ("role", "name", "organisation", "url")},
            lambda row: row["name"],
        ),
        "calls_to_action": each(
            "calls_to_action",
            lambda row: {
                "call_to_action_id": row["call_to_action_id"],
                "placement": row["placement"],
            },
            lambda row: is_id(row["call_to_action_id"]),
        ),
    }


def empty_snapshot() -> dict:
    parts = ["sections", "takeaways", "bylines", "credits", "calls_to_action", "tags"]
    return (
        dict.fromkeys(revisions.ARTICLE_FIELDS, "")
        | {"desk_id": None}
        | {part: [] for part in parts}
    )


def is_id(value) -> bool:
    return isinstance(value, int) and value > 0


class LivePreviewAdminMixin:
    """Adds the live preview's address to the story admin, and the preview itself."""

    def get_urls(self):
        preview = self.admin_site.admin_view(require_POST(self.live_preview_view))
        return [
            path("add/preview/", preview, name="articles_article_live_preview_new"),
            path("<int:pk>/preview/", preview, name="articles_article_live_preview"),
            *super().get_urls(),
        ]

    def live_preview_view(self, request, pk=None):
        if pk is None:
            if not self.has_add_permission(request):
                raise PermissionDenied
            story = Article()
        else:
            story = self.story_or_403(request, pk, edit=True)
        names = flatten_fieldsets(self.get_fieldsets(request, story if pk else None))
        snapshot = posted_snapshot(request.POST, names, story)
        parts = revisions.snapshot_preview_parts(snapshot, story=story, at=timezone.now())
        response = TemplateResponse(
            request, "reader/article_detail.html", story_page.preview_context(parts)
        )
        response["X-Robots-Tag"] = "noindex"  # admin_view has already made it no-store
        return response

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        context["live_preview_url"] = (
            reverse("admin:articles_article_live_preview", args=[obj.pk])
            if obj is not None
            else reverse("admin:articles_article_live_preview_new")
        )
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)
