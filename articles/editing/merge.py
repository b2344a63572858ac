"""Merge two people's edits of one story, field by field and part by part.

A save from a form opened at an older version meets three states of the story: the version
the form was opened at (base, its revision's snapshot), the story as it is now (theirs) and
the posted form (mine). What only one side changed is taken from that side; where both
changed the same thing differently, the editor chooses, nothing is decided for them. The
rows of a part (a byline, a section, a takeaway, a credit, a call to action) are told apart
by their ids, so a row that one side added or deleted stays added or deleted.

The admin reads the posted form into the shape of a snapshot, merges and writes the result
back into the form's data (articles/editing/stale_saves.py): the save then goes through the admin's
usual path, with its validation and its revision.
"""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model

from articles.editing.revisions import rich_text_words
from articles.models import Author, CallToAction, Desk

# A value the base lacks: a revision older than this module, or no revision at all.
UNKNOWN = object()
# A file input left alone: it keeps whatever picture the story has when it is saved.
KEEP = object()


@dataclass(frozen=True)
class Field:
    key: str  # in a snapshot
    name: str  # in the change form
    label: str
    kind: str = "text"


STORY_FIELDS = [
    Field("headline", "headline", "Headline"),
    Field("slug", "slug", "Slug"),
    Field("dek", "dek", "Dek"),
    Field("desk_id", "desk", "Desk", "number"),
    Field("tags", "tags", "Hashtags", "tags"),
    Field("hero_image", "hero_image", "Hero image", "file"),
    Field("hero_alt", "hero_alt", "Alt text"),
    Field("hero_caption", "hero_caption", "Caption"),
    Field("hero_credit", "hero_credit", "Photo credit"),
    Field("hero_focus_x", "hero_focus_x", "Focus (across)", "number"),
    Field("hero_focus_y", "hero_focus_y", "Focus (down)", "number"),
    Field("closing", "closing", "Closing paragraph", "rich"),
    Field("seo_title", "seo_title", "Search engine title"),
    Field("seo_description", "seo_description", "Search engine description"),
    Field("social_image", "social_image", "Sharing image", "file"),
    Field("canonical_is_original", "canonical_is_original", "Canonical link", "bool"),
    Field("assignee_id", "assignee", "Assignee", "number"),
    Field("due_at", "due_at", "Due", "datetime"),
    Field("priority", "priority", "Priority", "number"),
]


@dataclass(frozen=True)
class Part:
    key: str  # in a snapshot
    prefix: str  # of the change form's inline formset
    label: str
    fields: tuple[Field, ...]


PARTS = [
    Part("bylines", "bylines", "Byline", (Field("author_id", "author", "author", "number"),)),
    Part(
        "sections",
        "sections",
        "Section",
        (
            Field("heading", "heading", "heading"),
            Field("body", "body", "text", "rich"),
            Field("anchor", "anchor", "anchor"),
        ),
    ),
    Part("takeaways", "takeaways", "Takeaway", (Field("text", "text", "text"),)),
    Part(
        "credits",
        "credits",
        "Credit",
        (
            Field("role", "role", "role"),
            Field("name", "name", "name"),
            Field("organisation", "organisation", "organisation"),
            Field("url", "url", "web address"),
        ),
    ),
    Part(
        "calls_to_action",
        "cta_placements",
        "Call to action",
        (
            Field("call_to_action_id", "call_to_action", "block", "number"),
            Field("placement", "placement", "placement"),
        ),
    ),
]


@dataclass
class Conflict:
    """Something both sides changed differently: shown side by side for the editor to choose."""

    key: str
    label: str
    field: Field | None
    theirs: object
    mine: object


@dataclass
class Merge:
    story: dict = field(default_factory=dict)  # story field key -> merged value
    taken: set = field(default_factory=set)  # story field keys whose value is theirs
    rows: dict = field(default_factory=dict)  # part key -> merged rows, in story order
    from_theirs: list = field(default_factory=list)  # labels of their changes kept
    conflicts: list = field(default_factory=list)
    notes: list = field(default_factory=list)  # deletions undone to keep someone's text


def pick(base, theirs, mine, choice=None):
    """Return the merged value and whose it is: "same", "theirs", "mine" or "conflict"."""
    if mine is KEEP or mine == theirs:
        return theirs, "same"
    if base is not UNKNOWN and mine == base:
        return theirs, "theirs"
    if base is not UNKNOWN and theirs == base:
        return mine, "mine"
    if choice in ("theirs", "mine"):
        return (theirs, "theirs") if choice == "theirs" else (mine, "mine")
    return mine, "conflict"


def merge(base: dict | None, theirs: dict, mine: dict, choices: dict | None = None) -> Merge:
    """Merge my posted story into theirs, given the base both started from.

    `choices` maps a conflict's key to "theirs" or "mine", as the editor chose them.
    """
    base, choices, result = base or {}, choices or {}, Merge()
    for story_field in STORY_FIELDS:
        if story_field.key not in mine:
            continue  # not in this user's form
        key = story_field.key
        value, side = pick(base.get(key, UNKNOWN), theirs.get(key), mine[key], choices.get(key))
        result.story[key] = value
        if side == "theirs":
            result.taken.add(key)
            result.from_theirs.append(story_field.label)
        elif side == "conflict":
            result.conflicts.append(
                Conflict(key, story_field.label, story_field, theirs.get(key), mine[key])
            )
    for part in PARTS:
        if part.key in mine:
            base_rows, theirs_rows = snapshot_rows(base, part), snapshot_rows(theirs, part)
            result.rows[part.key] = merge_rows(
                part, base_rows, theirs_rows, mine[part.key], choices, result
            )
    return result


def snapshot_rows(snapshot: dict, part: Part) -> list[dict] | None:
    """Return a snapshot's rows of a part as dicts with their ids; None if it has no ids."""
    items = snapshot.get(part.key)
    ids = snapshot.get("ids", {}).get(part.key)
    if items is None or ids is None or len(ids) != len(items):
        return None
    names = [f.key for f in part.fields]
    return [
        {"id": pk} | (item if isinstance(item, dict) else {names[0]: item})
        for pk, item in zip(ids, items, strict=True)
    ]


def merge_rows(part, base_rows, theirs_rows, mine_rows, choices, result) -> list[dict]:
    """Merge the rows of one part; return them in story order, deleted ones flagged."""
    base = {row["id"]: row for row in base_rows} if base_rows is not None else None
    theirs = {row["id"]: row for row in theirs_rows or []}
    merged = []
    for number, row in enumerate(mine_rows, start=1):
        label = f"{part.label} {number}"
        if row["id"] is None:
            merged.append(row | {"delete": row["deleted"]})
            continue
        base_row = base.get(row["id"]) if base is not None else None
        their_row = theirs.get(row["id"])
        if their_row is None:
            # They deleted it: it stays deleted unless I changed it, then my text is kept.
            if row["deleted"] or (base_row and same_values(part, row, base_row)):
                continue
            merged.append(row | {"id": None, "delete": False, "restored": True})
            result.notes.append(f"{label} was deleted by them after you changed it: kept")
            continue
        if row["deleted"]:
            if base_row and same_values(part, their_row, base_row):
                merged.append(row | {"delete": True})
            else:  # I deleted a row they changed meanwhile: their text is kept.
                merged.append(their_row | {"delete": False, "taken": {f.key for f in part.fields}})
                result.notes.append(f"{label} was changed by them after you deleted it: kept")
            continue
        merged.append(merge_row(part, label, base_row, their_row, row, choices, result))
    mine_ids = {row["id"] for row in mine_rows}
    for number, row in enumerate(theirs_rows or [], start=1):
        if row["id"] not in mine_ids:
            merged.append(row | {"delete": False, "taken": {f.key for f in part.fields}})
            result.from_theirs.append(f"{part.label} {number} (new)")
    return order_rows(part, base_rows, theirs_rows or [], mine_ids, merged, choices, result)


def merge_row(part, label, base_row, their_row, row, choices, result) -> dict:
    merged = row | {"delete": False, "taken": set()}
    for row_field in part.fields:
        key = f"{part.key}.{row['id']}.{row_field.key}"
        value, side = pick(
            base_row[row_field.key] if base_row else UNKNOWN,
            their_row[row_field.key],
            row[row_field.key],
            choices.get(key),
        )
        merged[row_field.key] = value
        if side == "theirs":
            merged["taken"].add(row_field.key)
            result.from_theirs.append(f"{label} ({row_field.label})")
        elif side == "conflict":
            result.conflicts.append(
                Conflict(
                    key,
                    f"{label}, {row_field.label}",
                    row_field,
                    their_row[row_field.key],
                    row[row_field.key],
                )
            )
    return merged


def same_values(part: Part, row: dict, other: dict) -> bool:
    return all(row[f.key] == other[f.key] for f in part.fields)


def order_rows(part, base_rows, theirs_rows, mine_ids, merged, choices, result) -> list[dict]:
    """Put the merged rows in the order of whichever side moved rows around."""
    # Only the rows that both sides (and the base) have tell whether someone moved them.
    common = set(mine_ids) & {row["id"] for row in theirs_rows}
    base_order = UNKNOWN
    if base_rows is not None:
        common &= {row["id"] for row in base_rows}
        base_order = [row["id"] for row in base_rows if row["id"] in common]
    mine_order = [row["id"] for row in merged if row["id"] in common]
    theirs_order = [row["id"] for row in theirs_rows if row["id"] in common]
    key = f"{part.key}.order"
    label = f"Order of the {part.label.lower()}s"
    _, side = pick(base_order, theirs_order, mine_order, choices.get(key))
    by_id = {row["id"]: row for row in merged if row["id"] is not None}
    if side == "conflict":
        theirs_by_id = {row["id"]: row for row in theirs_rows}
        result.conflicts.append(
            Conflict(
                key,
                label,
                None,
                [row_text(part, theirs_by_id[pk]) for pk in theirs_order],
                [row_text(part, by_id[pk]) for pk in mine_order],
            )
        )
    in_their_order = [by_id[row["id"]] for row in theirs_rows if row["id"] in by_id]
    if side == "theirs":
        result.from_theirs.append(label)
        return interleave(in_their_order, merged)
    their_new = [row for row in in_their_order if row["id"] not in mine_ids]
    mine = [row for row in merged if not any(row is new for new in their_new)]
    return interleave(mine, in_their_order)


def row_text(part: Part, row: dict) -> str:
    """Return a few words that tell the editor which row this is."""
    texts = (shown(f, row[f.key]) for f in part.fields)
    text = next((t for t in texts if t != "(empty)"), "(empty)")
    return text if len(text) <= 40 else text[:39] + "…"


def interleave(primary: list[dict], secondary: list[dict]) -> list[dict]:
    """Return primary's rows, with secondary's other rows after the row they follow there."""
    result = list(primary)
    previous = None
    for row in secondary:
        if not any(row is placed for placed in result):
            at = next((i + 1 for i, placed in enumerate(result) if placed is previous), 0)
            result.insert(at, row)
        previous = row
    return result


def shown(story_field: Field | None, value) -> str:
    """Return a value as the editor reads it, for showing both sides of a conflict."""
    if story_field is None:  # the order of a part's rows
        return " → ".join(value)
    if value in (None, "", []):
        return "(empty)"
    if story_field.kind == "rich":
        return rich_text_words(value)
    if story_field.kind == "bool":
        return "Yes" if value else "No"
    if story_field.kind == "tags":
        return " ".join(f"#{name}" for name in value)
    model = {
        "desk_id": Desk,
        "assignee_id": get_user_model(),
        "author_id": Author,
        "call_to_action_id": CallToAction,
    }.get(story_field.key)
    if model is not None and isinstance(value, int):
        return str(model.objects.filter(pk=value).first() or "(deleted)")
    return str(value)
