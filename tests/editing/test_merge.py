"""The three-way merge of a story two people edited at once (articles/editing/merge.py)."""

import pytest

from articles.editing.merge import merge


def story(**changes):
    """A snapshot as revisions.snapshot makes it, with two sections and two takeaways."""
    data = {
        "headline": "Headline",
        "dek": "Dek.",
        "sections": [
            {"heading": "", "anchor": "", "body": "<p>Intro.</p>"},
            {"heading": "More", "anchor": "more", "body": "<p>More.</p>"},
        ],
        "takeaways": ["One.", "Two."],
        "ids": {"sections": [1, 2], "takeaways": [11, 12]},
    }
    return data | changes


def posted(snapshot, deleted=(), new=()):
    """What the change form posts for a snapshot: its fields and its rows with their ids."""
    mine = {key: snapshot[key] for key in ("headline", "dek")}
    mine["sections"] = [
        {"id": pk, "deleted": pk in deleted} | section
        for pk, section in zip(snapshot["ids"]["sections"], snapshot["sections"], strict=True)
    ]
    mine["takeaways"] = [
        {"id": pk, "deleted": pk in deleted, "text": text}
        for pk, text in zip(snapshot["ids"]["takeaways"], snapshot["takeaways"], strict=True)
    ] + [{"id": None, "deleted": False, "text": text} for text in new]
    return mine


def texts(merged, part="takeaways", field="text"):
    return [row[field] for row in merged.rows[part] if not row["delete"]]


def test_a_field_only_they_changed_keeps_their_value():
    merged = merge(story(), story(dek="Their dek."), posted(story()))
    assert merged.story["dek"] == "Their dek."
    assert merged.taken == {"dek"}
    assert merged.from_theirs == ["Dek"]
    assert merged.conflicts == []


def test_a_field_only_i_changed_keeps_mine():
    merged = merge(story(), story(dek="Their dek."), posted(story(headline="My headline")))
    assert merged.story["headline"] == "My headline"
    assert merged.story["dek"] == "Their dek."
    assert merged.conflicts == []


def test_the_same_change_on_both_sides_is_no_conflict():
    merged = merge(story(), story(dek="Same."), posted(story(dek="Same.")))
    assert merged.story["dek"] == "Same."
    assert merged.conflicts == []


def test_different_changes_to_one_field_are_a_conflict_showing_both():
    merged = merge(story(), story(dek="Their dek."), posted(story(dek="My dek.")))
    [conflict] = merged.conflicts
    assert (conflict.key, conflict.label) == ("dek", "Dek")
    assert (conflict.theirs, conflict.mine) == ("Their dek.", "My dek.")


@pytest.mark.parametrize("choice, kept", [("theirs", "Their dek."), ("mine", "My dek.")])
def test_the_editors_choice_settles_a_conflict(choice, kept):
    merged = merge(
        story(), story(dek="Their dek."), posted(story(dek="My dek.")), choices={"dek": choice}
    )
    assert merged.conflicts == []
    assert merged.story["dek"] == kept


def test_without_the_base_every_difference_is_a_conflict():
    merged = merge(None, story(dek="Their dek."), posted(story()))
    assert [c.key for c in merged.conflicts] == ["dek"]


def test_sections_merge_field_by_field():
    theirs = story()
    theirs["sections"] = [theirs["sections"][0], theirs["sections"][1] | {"heading": "Theirs"}]
    mine = posted(story())
    mine["sections"][0]["body"] = "<p>My intro.</p>"
    merged = merge(story(), theirs, mine)
    assert texts(merged, "sections", "body") == ["<p>My intro.</p>", "<p>More.</p>"]
    assert texts(merged, "sections", "heading") == ["", "Theirs"]
    assert merged.from_theirs == ["Section 2 (heading)"]
    assert merged.conflicts == []


def test_one_section_changed_by_both_is_a_conflict_on_that_section_only():
    theirs = story()
    theirs["sections"] = [theirs["sections"][0] | {"body": "<p>Their intro.</p>"}]
    theirs["sections"].append(story()["sections"][1])
    mine = posted(story())
    mine["sections"][0]["body"] = "<p>My intro.</p>"
    [conflict] = merge(story(), theirs, mine).conflicts
    assert conflict.key == "sections.1.body"
    assert conflict.label == "Section 1, text"


def test_a_row_they_added_is_kept_and_a_row_i_added_too():
    theirs = story(takeaways=["One.", "Two.", "Their three."])
    theirs["ids"] = {"sections": [1, 2], "takeaways": [11, 12, 13]}
    merged = merge(story(), theirs, posted(story(), new=["My three."]))
    assert texts(merged) == ["One.", "Two.", "Their three.", "My three."]


def test_a_row_i_deleted_stays_deleted():
    merged = merge(story(), story(dek="Their dek."), posted(story(), deleted={11}))
    assert texts(merged) == ["Two."]
    assert [row["id"] for row in merged.rows["takeaways"] if row["delete"]] == [11]


def test_a_row_they_deleted_stays_deleted():
    theirs = story(takeaways=["Two."])
    theirs["ids"] = {"sections": [1, 2], "takeaways": [12]}
    merged = merge(story(), theirs, posted(story()))
    assert texts(merged) == ["Two."]
    assert 11 not in [row["id"] for row in merged.rows["takeaways"]]


def test_a_row_they_deleted_after_i_changed_it_keeps_my_text_as_a_new_row():
    theirs = story(takeaways=["Two."])
    theirs["ids"] = {"sections": [1, 2], "takeaways": [12]}
    mine = posted(story())
    mine["takeaways"][0]["text"] = "My changed one."
    merged = merge(story(), theirs, mine)
    assert texts(merged) == ["My changed one.", "Two."]
    assert merged.rows["takeaways"][0]["id"] is None
    assert merged.notes == ["Takeaway 1 was deleted by them after you changed it: kept"]


def test_a_row_i_deleted_after_they_changed_it_keeps_their_text():
    theirs = story(takeaways=["Their one.", "Two."])
    merged = merge(story(), theirs, posted(story(), deleted={11}))
    assert texts(merged) == ["Their one.", "Two."]


def test_rows_they_moved_keep_their_order_with_my_new_row_after_its_neighbour():
    theirs = story(takeaways=["Two.", "One."])
    theirs["ids"] = {"sections": [1, 2], "takeaways": [12, 11]}
    mine = posted(story())
    mine["takeaways"].insert(1, {"id": None, "deleted": False, "text": "After one."})
    merged = merge(story(), theirs, mine)
    assert texts(merged) == ["Two.", "One.", "After one."]
    assert "Order of the takeaways" in merged.from_theirs


def test_rows_both_moved_differently_are_a_conflict():
    base = story(takeaways=["One.", "Two.", "Three."])
    base["ids"] = {"sections": [1, 2], "takeaways": [11, 12, 13]}
    theirs = base | {"takeaways": ["Three.", "One.", "Two."]}
    theirs["ids"] = {"sections": [1, 2], "takeaways": [13, 11, 12]}
    mine = posted(base)
    mine["takeaways"] = [mine["takeaways"][1], mine["takeaways"][0], mine["takeaways"][2]]
    [conflict] = merge(base, theirs, mine).conflicts
    assert conflict.label == "Order of the takeaways"
    assert conflict.theirs == ["Three.", "One.", "Two."]
    assert conflict.mine == ["Two.", "One.", "Three."]
