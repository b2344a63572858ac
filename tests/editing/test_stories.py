"""The one write path for a story (articles/editing/stories.py) and the callers that use it."""

from unittest import mock

import pytest
from django.db import IntegrityError, OperationalError

from articles.editing import revisions, stories
from articles.editing.importers import import_story
from articles.editing.stories import SectionPart, StoryParts
from articles.editing.story_format import parse_story
from articles.models import Article
from articles.reader import search
from newsroom.tasks import failed_recently
from tests.factories import make_article, make_author, make_cta, make_image_upload
from tests.worker import run_worker

pytestmark = pytest.mark.django_db


@pytest.mark.django_db(transaction=True)  # commits, as the worker does: on-commit steps run
def test_an_imported_story_gets_renditions_of_the_picture_it_keeps():
    # The story file names no picture, so the story keeps the one uploaded in the admin;
    # the importer used to make renditions only for a picture named in the file.
    article = make_article(
        headline="Harbour ferry goes electric",
        hero_image=make_image_upload(size=(900, 600)),
        hero_alt="The ferry at the pier",
    )
    assert not article.hero_renditions

    import_story(
        parse_story("Harbour ferry goes electric\nThe ferry runs on batteries now.\n"),
        update=True,
    )
    run_worker()

    article.refresh_from_db()
    assert article.hero_renditions["src"].endswith("/800w.png")
    assert [entry["width"] for entry in article.hero_renditions["webp"]] == [480, 800]


def test_saving_through_the_write_path_records_exactly_one_revision(writer):
    article = make_article(created_by=writer)
    article.headline = "A better headline"

    revision = stories.save_story(article, by=writer, summary="Headline sharpened")

    assert list(article.revisions.values_list("summary", flat=True)) == ["Headline sharpened"]
    assert revision.snapshot["headline"] == "A better headline"
    assert revision.created_by == writer


def test_word_count_covers_sections_and_takeaways(writer):
    article = make_article(headline="Ferry news", dek="", sections=0, takeaways=0)
    parts = StoryParts(
        sections=[SectionPart("Why now", "<p>Batteries got much cheaper.</p>")],
        takeaways=["It is quiet.", "It is clean."],
    )

    stories.save_story(article, parts, by=writer, summary="Parts")

    article.refresh_from_db()
    # 2 (headline) + 2 (heading) + 4 (section) + 6 (takeaways)
    assert article.word_count == 14


def test_parts_are_replaced_in_the_order_given(writer):
    article = make_article(sections=3, takeaways=3, credits=2, ctas=2)
    first, second = make_author(name="Ana Ruiz"), make_author(name="Bo Chen")
    cta = make_cta(button_label="Book a call", url="https://example.com/call")
    parts = StoryParts(
        sections=[SectionPart("", "<p>Intro.</p>")],
        takeaways=["Only one."],
        credits=[{"role": "Reported by", "name": "Ana Ruiz", "organisation": "", "url": ""}],
        byline_author_ids=[second.pk, first.pk],
        calls_to_action=[(cta.pk, "after_intro")],
        tags=["Ferries", "Energy"],
    )

    stories.save_story(article, parts, by=writer, summary="Parts")

    assert [s.body for s in article.sections.all()] == ["<p>Intro.</p>"]
    assert [t.text for t in article.takeaways.all()] == ["Only one."]
    assert [c.name for c in article.credits.all()] == ["Ana Ruiz"]
    assert [a.name for a in article.byline_authors] == ["Bo Chen", "Ana Ruiz"]
    assert [(p.call_to_action, p.placement) for p in article.cta_placements.all()] == [
        (cta, "after_intro")
    ]
    assert list(article.tags.names()) == ["Ferries", "Energy"]


def test_parts_replacement_keeps_section_anchors_unique(writer):
    article = make_article(sections=0)
    parts = StoryParts(
        sections=[
            SectionPart("Background", "<p>One.</p>"),
            SectionPart("Background", "<p>Two.</p>"),
            SectionPart("Later", "<p>Three.</p>", anchor="background"),
        ]
    )

    stories.save_story(article, parts, by=writer, summary="Parts")

    assert [s.anchor for s in article.sections.all()] == ["background", "background-2", "later"]


def test_parts_replacement_keeps_an_anchor_whose_heading_was_edited(writer):
    # Shared links to #what-happened keep working after the heading changes.
    article = make_article(sections=0)
    parts = StoryParts(
        sections=[SectionPart("What happened next", "<p>One.</p>", anchor="what-happened")]
    )

    stories.save_story(article, parts, by=writer, summary="Parts")

    assert article.sections.get().anchor == "what-happened"


def test_a_failure_in_the_middle_leaves_the_story_and_its_parts_as_they_were(writer):
    article = make_article(headline="The old headline", sections=2)
    before = list(article.sections.values_list("body", flat=True))
    author = make_author()
    article.headline = "A new headline"
    # The sections are written before the bylines; a byline given twice then fails.
    parts = StoryParts(
        sections=[SectionPart("", "<p>Half-written.</p>")],
        byline_author_ids=[author.pk, author.pk],
    )

    with pytest.raises(IntegrityError):
        stories.save_story(article, parts, by=writer, summary="Parts")

    article = Article.objects.get(pk=article.pk)
    assert article.headline == "The old headline"
    assert list(article.sections.values_list("body", flat=True)) == before
    assert not article.revisions.exists()


def test_restore_replaces_the_parts_and_records_restored_version(writer):
    article = make_article(
        created_by=writer, status=Article.Status.DRAFT, sections=2, tags=["Alpha"]
    )
    first = revisions.record(article, by=writer, summary="First")
    stories.save_story(
        article,
        StoryParts(sections=[SectionPart("Only", "<p>Changed.</p>")], tags=["Beta"]),
        by=writer,
        summary="Second",
    )

    restored = revisions.revert(first, by=writer)

    assert restored.summary == "Restored version 1"
    assert list(article.revisions.values_list("summary", flat=True)) == [
        "Restored version 1",
        "Second",
        "First",
    ]
    assert [
        {"heading": s.heading, "anchor": s.anchor, "body": s.body} for s in article.sections.all()
    ] == first.snapshot["sections"]
    assert list(article.tags.names()) == ["Alpha"]


def test_stories_loaded_wholesale_are_found_by_search():
    # Rows written in bulk (a restored backup, generated stories) send no save of their own.
    (article,) = Article.objects.bulk_create(
        [Article(headline="Ferry news", slug="ferry-news", body_text="Electric catamarans")]
    )
    assert not search.found(Article.objects.all(), "catamarans").exists()

    stories.stories_loaded(Article.objects.filter(pk=article.pk))

    assert list(search.found(Article.objects.all(), "catamarans")) == [article]


def test_a_save_leaves_the_search_entry_to_the_worker():
    article = make_article(headline="Ferry news")
    article.sections.update(body="<p>Electric catamarans.</p>")

    stories.finish_save(article, by=None, summary="Saved in the admin")
    assert not search.found(Article.objects.all(), "catamarans").exists()  # the save is quick
    run_worker()

    assert list(search.found(Article.objects.all(), "catamarans")) == [article]


def test_a_save_leaves_the_read_next_lists_to_the_worker():
    older = make_article(headline="Ferry timetable", tags=["Ferries"])
    article = make_article(headline="Ferry news")
    article.set_hashtags(["Ferries"])

    stories.finish_save(article, by=None, summary="Saved in the admin")
    assert not older.read_next.exists()
    run_worker()

    assert list(older.read_next.values_list("related_id", flat=True)) == [article.pk]


def test_indexes_the_database_would_not_update_are_tried_again_then_shown_to_chiefs(
    settings, caplog
):
    settings.INDEX_RETRY_DELAYS = [0]
    article = make_article(headline="Ferry news")
    stories.finish_save(article, by=None, summary="Saved in the admin")
    deadlock = OperationalError("deadlock detected")

    with mock.patch("articles.reader.related.story_changed", side_effect=deadlock):
        run_worker()  # the first try, then the retry it queued for now

    (failed,) = failed_recently()
    assert failed["label"] == "Updating search and read-next lists for a story"
    assert failed["reason"].endswith("deadlock detected")
    (retried,) = [r.getMessage() for r in caplog.records if "will try again" in r.getMessage()]
    assert retried.startswith(f"Could not update search and read-next lists for story {article.pk}")
