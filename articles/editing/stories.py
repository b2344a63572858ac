"""The one write path for a story: save it with its parts, then the steps every save needs.

The importer, revision restore and the demo call `save_story`; the admin, whose formsets
save the parts, calls `finish_save`. A backup restore and the story generator, which write
rows wholesale, end in `stories_loaded`.
"""

from dataclasses import dataclass, field

from django.db import connection, transaction

from articles.api import webhooks
from articles.delivery import cache as page_cache
from articles.editing import autosave, images, revisions, tasks
from articles.models import (
    Article,
    ArticleCallToAction,
    Byline,
    Credit,
    Revision,
    Section,
    Takeaway,
    Webhook,
    refresh_search_vectors,
)
from articles.reader import related
from articles.reader import tasks as reader_tasks


@dataclass
class SectionPart:
    heading: str
    body: str  # rich text; Section.save cleans it
    anchor: str = ""  # empty: made from the heading


@dataclass
class StoryParts:
    """Every part of a story, in reading order; saving them replaces the parts it has."""

    sections: list[SectionPart] = field(default_factory=list)
    takeaways: list[str] = field(default_factory=list)
    # Each a dict of Credit's fields: role, name, organisation, url.
    credits: list[dict] = field(default_factory=list)
    byline_author_ids: list[int] = field(default_factory=list)
    # (call_to_action_id, placement) pairs.
    calls_to_action: list[tuple[int, str]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


@transaction.atomic
def save_story(article: Article, parts: StoryParts | None = None, *, by, summary: str) -> Revision:
    """Save the story, replace its parts if given, and run the after-save steps.

    All or nothing: a failure anywhere leaves the story and its parts as they were.
    """
    article.save()
    if parts is not None:
        replace_parts(article, parts)
    return finish_save(article, by=by, summary=summary)


@transaction.atomic
def finish_save(article: Article, *, by, summary: str) -> Revision:
    """Run the steps every save of a story needs, once the story and its parts are saved."""
    # The word count and search text cover the sections and takeaways saved just before.
    article.refresh_word_count()
    # The search entry and the read-next lists of the story and of the stories it may now be
    # listed under took 100 ms or more of every save: the worker works them out instead.
    reader_tasks.refresh_indexes.enqueue(article.pk)
    # The picture's resized copies are made by the worker (articles/editing/tasks.py); a
    # story that has no picture and had none needs no task.
    if article.hero_image or article.hero_renditions:
        tasks.make_renditions.enqueue(article.pk)
    images.add_hero_to_library(article, by=by)
    revision = revisions.record(article, by=by, summary=summary)
    if by is not None:
        # What this user typed is in the story now: their autosave of it, and for a story
        # just made their autosave of the add form, have nothing more to give.
        autosave.discard(article_id=article.pk, user=by)
        if revision.version == 1:
            autosave.discard(article_id=None, user=by)
    page_cache.pages_changed()
    if article.is_published:
        webhooks.announce(article, Webhook.Event.UPDATED)
    return revision


def replace_parts(article: Article, parts: StoryParts) -> None:
    """Delete the story's parts and write these in their place, in order."""
    for rows in (
        article.sections,
        article.takeaways,
        article.credits,
        article.bylines,
        article.cta_placements,
    ):
        rows.all().delete()
    _create_sections(article, parts.sections)
    Takeaway.objects.bulk_create(
        Takeaway(article=article, position=position, text=text)
        for position, text in enumerate(parts.takeaways)
    )
    Credit.objects.bulk_create(
        Credit(article=article, position=position, **credit)
        for position, credit in enumerate(parts.credits)
    )
    Byline.objects.bulk_create(
        Byline(article=article, author_id=author_id, position=position)
        for position, author_id in enumerate(parts.byline_author_ids)
    )
    ArticleCallToAction.objects.bulk_create(
        ArticleCallToAction(
            article=article, call_to_action_id=cta_id, placement=placement, position=position
        )
        for position, (cta_id, placement) in enumerate(parts.calls_to_action)
    )
    article.set_hashtags(parts.tags)


def _create_sections(article: Article, sections: list[SectionPart]) -> None:
    # One by one: Section.save makes each new heading's anchor unique within the story, and
    # sees the sections written before it. An anchor given twice is made again for the
    # second, so a link to it still lands on one place.
    anchors = set()
    for position, part in enumerate(sections):
        section = Section.objects.create(
            article=article,
            position=position,
            heading=part.heading,
            body=part.body,
            anchor="" if part.anchor in anchors else part.anchor,
        )
        anchors.add(section.anchor)


def stories_loaded(articles) -> None:
    """Bring search, read-next lists and the reader pages up to date with stories whose rows
    were written wholesale (a backup restored, stories generated), without the saves above."""
    refresh_search_vectors(articles)
    if connection.vendor == "postgresql":
        # The planner's statistics still describe the tables before the load: the read-next
        # queries below would be planned for an empty archive and take 100 times longer.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE articles_article, articles_taggedarticle")
    related.work_out(articles.values_list("pk", flat=True))
    page_cache.pages_changed()
