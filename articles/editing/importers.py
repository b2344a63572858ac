"""Save a parsed story (articles/editing/story_format.py) through the write path (stories.py)."""

from dataclasses import asdict

from django.db import transaction

from articles.editing import stories
from articles.editing.richtext import blocks_html
from articles.editing.story_format import (
    CTA_ORGANISATION,
    ParsedCallToAction,
    ParsedStory,
    StoryFormatError,
)
from articles.models import Article, Author, CallToAction, Desk, unique_slug
from articles.models.text import add_picture_sizes


def find_or_create_call_to_action(parsed: ParsedCallToAction) -> CallToAction:
    """Reuse the block with the same text and button, so one edit later updates every story."""
    same_text = CallToAction.objects.filter(text=parsed.text)
    existing = same_text.filter(button_label=parsed.button_label, url=parsed.url).first()
    if existing is None and not parsed.url:
        existing = same_text.first()  # a plain line takes the block as the desk finished it
    if existing:
        return existing
    organisation = CTA_ORGANISATION.search(parsed.text)
    base_name = parsed.text[:100]
    name, n = base_name, 2
    while CallToAction.objects.filter(name=name).exists():
        name, n = f"{base_name} ({n})", n + 1
    return CallToAction.objects.create(
        name=name,
        text=parsed.text,
        button_label=parsed.button_label,
        url=parsed.url,
        organisation=organisation["organisation"].strip() if organisation else "",
    )


def apply_details(article: Article, details: dict) -> None:
    """Set what the header block gives; what it leaves out stays as it is."""
    for name, value in details.items():
        if name == "desk":
            article.desk = value and (
                Desk.objects.filter(name__iexact=value).first()
                or Desk.objects.create(name=value, slug=unique_slug(Desk, value, max_length=80))
            )
        elif name == "hero_focus":
            article.hero_focus_x, article.hero_focus_y = value
        elif name != "bylines":
            setattr(article, name, value)


def byline_author_ids(names: list[str]) -> list[int]:
    """Return the authors of these names, in order, adding any the newsroom does not know."""
    return [
        (
            Author.objects.filter(name=name).first()
            or Author.objects.create(name=name, slug=unique_slug(Author, name, max_length=120))
        ).pk
        for name in names
    ]


def story_parts(story: ParsedStory, *, bylines_now: list[int]) -> stories.StoryParts:
    """Return the parts of a parsed story, as the write path saves them.

    A file without Byline: lines keeps the bylines the story has now.
    """
    if "bylines" in story.details:
        bylines = byline_author_ids(story.details["bylines"])
    else:
        bylines = bylines_now
    return stories.StoryParts(
        sections=[
            stories.SectionPart(
                heading=section.heading, body=add_picture_sizes(blocks_html(section.paragraphs))
            )
            for section in story.sections
        ],
        takeaways=list(story.takeaways),
        credits=[asdict(credit) for credit in story.credits],
        byline_author_ids=bylines,
        calls_to_action=[
            (find_or_create_call_to_action(cta).pk, cta.placement) for cta in story.calls_to_action
        ],
        tags=list(story.tags),
    )


@transaction.atomic
def import_story(story: ParsedStory, *, update=False, by=None) -> Article:
    """Write a parsed story (a new one as a draft); update=True replaces an existing one's parts."""
    article = Article.objects.filter(slug=story.slug).first()
    if article and not update:
        raise StoryFormatError(
            f"an article with the slug “{story.slug}” exists; use --update to replace it"
        )
    bylines_now = list(article.bylines.values_list("author_id", flat=True)) if article else []
    article = article or Article(slug=story.slug, created_by=by)
    article.headline = story.headline
    article.closing = add_picture_sizes(blocks_html(story.closing))
    apply_details(article, story.details)
    parts = story_parts(story, bylines_now=bylines_now)
    stories.save_story(article, parts, by=by, summary="Imported from a story file")
    return article
