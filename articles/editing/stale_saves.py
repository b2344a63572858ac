"""A save from a change form opened before someone else saved: the posted form as a snapshot.

The admin reads the posted form into the shape of a revision snapshot (`read_post`), merges
it with the story as it is now (articles/editing/merge.py) and writes the result back into the
form's data (`write_post`), as if the editor had typed it; `StaleSave` says what happened.
"""

import re
from dataclasses import dataclass
from datetime import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.datastructures import MultiValueDict

from articles.editing.merge import KEEP, PARTS, STORY_FIELDS, Field, Merge, Part
from articles.editing.revisions import json_datetime
from articles.models import Tag, sanitize_rich_text


def read_post(data, files, names) -> dict:
    """Return what a posted change form holds, in the shape of a snapshot.

    `names` are the story fields this user's form has; each part is read from its inline
    formset, each row with its id (None for a new row), whether it is marked for deletion,
    and its posted data as it came (`raw`), in the order the form put the rows.
    """
    mine = {f.key: read_value(f, data, files) for f in STORY_FIELDS if f.name in names}
    for part in PARTS:
        rows = posted_rows(data, part)
        if rows is not None:
            mine[part.key] = rows
    return mine


def read_value(story_field: Field, data, files, name=None):
    name = name or story_field.name
    kind = story_field.kind
    if kind == "file":
        if files.get(name):
            return f"(a new file: {files[name].name})"
        return (
            "" if forms.CheckboxInput().value_from_datadict(data, files, f"{name}-clear") else KEEP
        )
    if kind == "bool":
        return forms.CheckboxInput().value_from_datadict(data, files, name)
    if kind == "tags":
        return Tag.objects.canonical_names(data.getlist(name))
    if kind == "datetime":
        parts = [data.get(f"{name}_0", ""), data.get(f"{name}_1", "")]
        if not "".join(parts).strip():
            return None
        try:
            return json_datetime(forms.SplitDateTimeField().clean(parts))
        except ValidationError:
            return " ".join(parts)  # not a time: the form says so when it is saved
    value = str(data.get(name, ""))
    if kind == "rich":
        return sanitize_rich_text(value)
    value = value.strip()
    if kind == "number":
        return int(value) if value.isascii() and value.isdigit() else (value or None)
    return value


def posted_rows(data, part: Part) -> list[dict] | None:
    try:
        initial = int(data[f"{part.prefix}-INITIAL_FORMS"])
    except (KeyError, ValueError):
        return None  # no formset for this part; its validation explains a damaged one
    pattern = re.compile(rf"^{re.escape(part.prefix)}-(\d+)-(.+)$")
    posted = {}
    for key in data:
        if match := pattern.match(key):
            posted.setdefault(int(match[1]), MultiValueDict())
            posted[int(match[1])].setlist(match[2], data.getlist(key))
    rows = []
    for index, values in posted.items():
        pk, position = values.get("id", ""), values.get("position", "")
        row = {
            "id": int(pk) if index < initial and pk.isascii() and pk.isdigit() else None,
            "deleted": forms.CheckboxInput().value_from_datadict(values, {}, "DELETE"),
            "raw": values,
            "order": (int(position) if position.isascii() and position.isdigit() else 0, index),
        }
        rows.append(row | {f.key: read_value(f, values, {}, f.name) for f in part.fields})
    return sorted(rows, key=lambda row: row["order"])


def write_post(data, merged: Merge, article_pk) -> None:
    """Write the merged story into the form's (mutable) data, as if it had been typed."""
    for story_field in STORY_FIELDS:
        if story_field.key in merged.taken:
            write_value(story_field, data, merged.story[story_field.key])
    for part in PARTS:
        if part.key in merged.rows:
            write_rows(data, part, merged.rows[part.key], article_pk)


def write_value(story_field: Field, data, value, name=None) -> None:
    name = name or story_field.name
    kind = story_field.kind
    if kind == "file":
        # Without a new file the story keeps the picture it has: theirs.
        data.pop(f"{name}-clear", None)
    elif kind == "bool":
        data.setlist(name, ["on"] if value else [])
    elif kind == "tags":
        data.setlist(name, list(value))
    elif kind == "datetime":
        local = timezone.localtime(datetime.fromisoformat(value)) if value else None
        data[f"{name}_0"] = local.strftime("%Y-%m-%d") if local else ""
        data[f"{name}_1"] = local.strftime("%H:%M:%S") if local else ""
    else:
        data[name] = "" if value is None else str(value)


def write_rows(data, part: Part, rows: list[dict], article_pk) -> None:
    pattern = re.compile(rf"^{re.escape(part.prefix)}-\d+-")
    for key in [key for key in data if pattern.match(key)]:
        del data[key]
    position = {id(row): number for number, row in enumerate(rows)}
    # A formset's rows from the database come first, its new rows after them.
    kept = [row for row in rows if row["id"] is not None]
    ordered = kept + [row for row in rows if row["id"] is None]
    for index, row in enumerate(ordered):
        prefix = f"{part.prefix}-{index}-"
        for suffix, values in row["raw"].lists() if "raw" in row else ():
            data.setlist(prefix + suffix, values)
        for row_field in part.fields:
            if "raw" not in row or row_field.key in row.get("taken", ()):
                write_value(row_field, data, row[row_field.key], prefix + row_field.name)
        data[prefix + "id"] = "" if row["id"] is None else str(row["id"])
        data[prefix + "article"] = str(article_pk)
        data[prefix + "position"] = str(position[id(row)])
        data.setlist(prefix + "DELETE", ["on"] if row["delete"] else [])
    data[f"{part.prefix}-TOTAL_FORMS"] = str(len(ordered))
    data[f"{part.prefix}-INITIAL_FORMS"] = str(len(kept))


@dataclass
class StaleSave:
    """A save from a form opened before someone else saved: what its editor is told."""

    merge: Merge
    who: str  # who saved the story last
    when: str
    version: int  # the story's version now; the editor's choices are made against it

    def merged_message(self) -> str:
        parts = ", ".join(dict.fromkeys(self.merge.from_theirs))
        notes = "".join(f" {note}." for note in self.merge.notes)
        return f"Merged with {self.who}'s changes saved at {self.when}" + (
            f": {parts}.{notes}" if parts else f".{notes}"
        )

    def conflict_message(self) -> str:
        kept = ", ".join(dict.fromkeys(self.merge.from_theirs))
        both = ", ".join(conflict.label for conflict in self.merge.conflicts)
        return (
            f"{self.who} saved this story at {self.when}, after you opened it. "
            + (f"Their changes are merged into yours: {kept}. " if kept else "")
            + f"You both changed: {both}. Nothing is saved yet: choose in the box above which "
            "version to keep for each, then save again."
        )
