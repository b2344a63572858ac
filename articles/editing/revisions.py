"""Revisions: a snapshot of a story with all its parts at every save; diff and restore.

A snapshot is plain JSON (texts and the ids of authors, desks and call-to-action blocks),
so a revision survives later edits of the story and can be shown, compared and restored.
"""

import difflib
import re
from dataclasses import dataclass
from datetime import UTC
from html import unescape

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils.html import escape, strip_tags
from django.utils.safestring import mark_safe
from django.utils.text import slugify

from articles.models import (
    Article,
    Author,
    CallToAction,
    Credit,
    Desk,
    Revision,
    Section,
    Tag,
    Takeaway,
    sanitize_rich_text,
)

ARTICLE_FIELDS = [
    "headline",
    "slug",
    "dek",
    "desk_id",
    "closing",
    "hero_image",
    "hero_alt",
    "hero_caption",
    "hero_credit",
]
RICH_TEXT_FIELDS = {"closing"}
FIELD_LABELS = {
    "headline": "Headline",
    "slug": "Slug",
    "dek": "Dek",
    "desk_id": "Desk",
    "closing": "Closing paragraph",
    "hero_image": "Hero image",
    "hero_alt": "Alt text",
    "hero_caption": "Caption",
    "hero_credit": "Photo credit",
}


# Not shown in diffs nor restored, but kept so that a save from an older form can tell
# what its editor changed from what someone else changed meanwhile (articles/editing/merge.py).
SETTINGS_FIELDS = [
    "hero_focus_x",
    "hero_focus_y",
    "seo_title",
    "seo_description",
    "social_image",
    "canonical_is_original",
    "assignee_id",
    "due_at",
    "priority",
]


def snapshot(article: Article) -> dict:
    """Return the story and every part of it as plain JSON-able data."""
    data = {name: getattr(article, name) for name in ARTICLE_FIELDS + SETTINGS_FIELDS}
    data["hero_image"] = article.hero_image.name or ""
    data["social_image"] = article.social_image.name or ""
    data["due_at"] = json_datetime(article.due_at) if article.due_at else None
    rows = {
        "bylines": list(article.bylines.values("id", "author_id")),
        "sections": list(article.sections.values("id", "heading", "anchor", "body")),
        "takeaways": list(article.takeaways.values("id", "text")),
        "credits": list(article.credits.values("id", "role", "name", "organisation", "url")),
        "calls_to_action": list(
            article.cta_placements.values("id", "call_to_action_id", "placement")
        ),
    }
    # Row ids apart, so that a part still restores and previews as a plain list.
    ids = {part: [row.pop("id") for row in part_rows] for part, part_rows in rows.items()}
    return data | {
        "tags": [item.tag.name for item in article.tagged_items.select_related("tag")],
        "bylines": [row["author_id"] for row in rows["bylines"]],
        "sections": rows["sections"],
        "takeaways": [row["text"] for row in rows["takeaways"]],
        "credits": rows["credits"],
        "calls_to_action": rows["calls_to_action"],
        "ids": ids,
    }


def json_datetime(value) -> str:
    """Return a time as a snapshot keeps it: in UTC, to the second, as a form posts it."""
    return value.astimezone(UTC).replace(microsecond=0).isoformat()


@transaction.atomic
def record(article: Article, *, by=None, summary: str = "") -> Revision:
    """Count a new version of the story and keep its snapshot."""
    Article.objects.filter(pk=article.pk).update(version=F("version") + 1)
    article.refresh_from_db(fields=["version"])
    return Revision.objects.create(
        article=article,
        version=article.version,
        created_by=by,
        summary=summary,
        snapshot=snapshot(article),
    )


@transaction.atomic
def revert(revision: Revision, *, by) -> Revision:
    """Put the story back as it was in this revision; that is itself a new revision."""
    # Imported here: the write path (stories.py) records revisions with this module.
    from articles.editing import stories
    from articles.moderation.workflow import can_edit

    article = revision.article
    if not can_edit(by, article):
        raise PermissionDenied("You may not change this story.")
    data = revision.snapshot
    for name in ARTICLE_FIELDS:
        setattr(article, name, data[name])
    if article.desk_id and not Desk.objects.filter(pk=article.desk_id).exists():
        article.desk_id = None
    return stories.save_story(
        article, snapshot_parts(data), by=by, summary=f"Restored version {revision.version}"
    )


def snapshot_parts(data: dict):
    """Return a snapshot's parts as the write path saves them.

    Authors and blocks deleted since the snapshot was taken are left out rather than failing.
    """
    from articles.editing.stories import SectionPart, StoryParts

    authors = set(Author.objects.filter(pk__in=data["bylines"]).values_list("pk", flat=True))
    ctas = set(
        CallToAction.objects.filter(
            pk__in=[c["call_to_action_id"] for c in data["calls_to_action"]]
        ).values_list("pk", flat=True)
    )
    return StoryParts(
        sections=[SectionPart(**section) for section in data["sections"]],
        takeaways=data["takeaways"],
        credits=data["credits"],
        byline_author_ids=[pk for pk in data["bylines"] if pk in authors],
        calls_to_action=[
            (c["call_to_action_id"], c["placement"])
            for c in data["calls_to_action"]
            if c["call_to_action_id"] in ctas
        ],
        tags=data["tags"],
    )


def preview_parts(revision: Revision) -> dict:
    """Return what the story page shows, built from a revision instead of the live story."""
    return snapshot_preview_parts(revision.snapshot, story=revision.article, at=revision.created_at)


def snapshot_preview_parts(data: dict, *, story: Article, at) -> dict:
    """Return what the story page shows for a snapshot of this story (unsaved for a new one)."""
    # The page prints rich text as it is. A snapshot never went through Section.save or
    # Article.save, and may predate today's allow-list or come from a restored backup or a
    # form being typed, so it is cleaned here as a save would clean it.
    data = data | {
        "closing": sanitize_rich_text(data["closing"]),
        "sections": [
            section | {"body": sanitize_rich_text(section["body"])} for section in data["sections"]
        ],
    }
    article = Article(
        pk=story.pk,
        status=story.status,
        published_at=story.published_at,
        created_at=at,
        updated_at=at,
        word_count=story.word_count,
        **{name: data[name] for name in ARTICLE_FIELDS},
    )
    article.desk = Desk.objects.filter(pk=article.desk_id).first()
    authors = Author.objects.in_bulk(data["bylines"])
    ctas = CallToAction.objects.in_bulk([c["call_to_action_id"] for c in data["calls_to_action"]])
    return {
        "article": article,
        "sections": [Section(**section) for section in data["sections"]],
        "takeaways": [Takeaway(text=text) for text in data["takeaways"]],
        "credits": [Credit(**credit) for credit in data["credits"]],
        "hashtags": [Tag(name=name, slug=slugify(name)) for name in data["tags"]],
        "authors": [authors[pk] for pk in data["bylines"] if pk in authors],
        "placed_ctas": [
            (c["placement"], ctas[c["call_to_action_id"]])
            for c in data["calls_to_action"]
            if c["call_to_action_id"] in ctas
        ],
        "notices": list(story.notices.all()) if story.pk else [],
    }


@dataclass
class Change:
    part: str
    before: str
    after: str

    @property
    def html(self):
        """The change as words struck out and words added."""
        return word_diff(self.before, self.after)


def plain(value) -> str:
    """Return the words of a plain-text field, exactly as typed ("3 < 5" stays)."""
    return " ".join(str(value or "").split())


def rich_text_words(html) -> str:
    """Return the words of stored rich text: its tags dropped, its entities read."""
    return plain(unescape(strip_tags(str(html or ""))))


def part_texts(data: dict) -> dict[str, str]:
    """Flatten a snapshot into labelled texts that readers of a diff understand."""
    # Only the closing is rich text: stripping tags from a plain field would hide
    # whatever an editor typed between angle brackets from the reviewer of the diff.
    texts = {
        FIELD_LABELS[name]: (rich_text_words if name in RICH_TEXT_FIELDS else plain)(data.get(name))
        for name in ARTICLE_FIELDS
    }
    desk = Desk.objects.filter(pk=data.get("desk_id")).first()
    texts["Desk"] = desk.name if desk else ""
    for number, section in enumerate(data.get("sections", []), start=1):
        texts[f"Section {number}"] = " — ".join(
            filter(None, [section["heading"], rich_text_words(section["body"])])
        )
    texts["Key takeaways"] = " · ".join(data.get("takeaways", []))
    texts["Hashtags"] = " ".join(f"#{tag}" for tag in data.get("tags", []))
    texts["Credits"] = " · ".join(
        f"{c['role']} {c['name']}{', ' + c['organisation'] if c['organisation'] else ''}"
        for c in data.get("credits", [])
    )
    authors = dict(Author.objects.filter(pk__in=data.get("bylines", [])).values_list("pk", "name"))
    texts["Bylines"] = ", ".join(
        authors.get(pk, "(deleted author)") for pk in data.get("bylines", [])
    )
    ctas = dict(
        CallToAction.objects.filter(
            pk__in=[c["call_to_action_id"] for c in data.get("calls_to_action", [])]
        ).values_list("pk", "name")
    )
    texts["Calls to action"] = " · ".join(
        ctas.get(c["call_to_action_id"], "(deleted block)") for c in data.get("calls_to_action", [])
    )
    return texts


def diff(before: dict, after: dict) -> list[Change]:
    """Return the parts that differ between two snapshots, in story order."""
    old, new = part_texts(before), part_texts(after)
    parts = list(dict.fromkeys([*old, *new]))
    return [
        Change(part, old.get(part, ""), new.get(part, ""))
        for part in parts
        if old.get(part, "") != new.get(part, "")
    ]


def word_diff(before: str, after: str):
    old, new = re.findall(r"\S+|\s+", before), re.findall(r"\S+|\s+", after)
    pieces = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new).get_opcodes():
        if op in ("delete", "replace"):
            pieces.append(f"<del>{escape(''.join(old[i1:i2]))}</del>")
        if op in ("insert", "replace"):
            pieces.append(f"<ins>{escape(''.join(new[j1:j2]))}</ins>")
        if op == "equal":
            pieces.append(escape("".join(old[i1:i2])))
    # Every piece of text above was escaped; only the del/ins tags are markup.
    return mark_safe("".join(pieces))  # nosec B308 B703
