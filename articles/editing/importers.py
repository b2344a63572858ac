"""Save a parsed story (articles/editing/story_format.py) with its parts, in one transaction."""

from dataclasses import asdict

from django.db import transaction

from articles.editing import images, revisions
from articles.editing.richtext import blocks_html
from articles.editing.story_format import (
    CTA_ORGANISATION,
    ParsedCallToAction,
    ParsedStory,
    StoryFormatError,
)
from articles.models import (
    Article,
    ArticleCallToAction,
    Author,
    Byline,
    CallToAction,
    Credit,
    Desk,
    Section,
    Takeaway,
    unique_slug,
)


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


def set_bylines(article: Article, names: list[str]) -> None:
    article.bylines.all().delete()
    for position, name in enumerate(names):
        author = Author.objects.filter(name=name).first() or Author.objects.create(
            name=name, slug=unique_slug(Author, name, max_length=120)
        )
        Byline.objects.create(article=article, author=author, position=position)


@transaction.atomic
def save_story(story: ParsedStory, *, update=False, by=None) -> Article:
    """Write a parsed story (a new one as a draft); update=True replaces an existing one's parts."""
    article = Article.objects.filter(slug=story.slug).first()
    if article and not update:
        raise StoryFormatError(
            f"an article with the slug “{story.slug}” exists; use --update to replace it"
        )
    article = article or Article(slug=story.slug, created_by=by)
    article.headline = story.headline
    article.closing = blocks_html(story.closing)
    apply_details(article, story.details)
    article.save()

    for related in (article.sections, article.takeaways, article.credits, article.cta_placements):
        related.all().delete()
    for position, section in enumerate(story.sections):
        # One by one: Section.save() makes each heading's anchor unique within the story.
        Section.objects.create(
            article=article,
            position=position,
            heading=section.heading,
            body=blocks_html(section.paragraphs),
        )
    Takeaway.objects.bulk_create(
        Takeaway(article=article, position=position, text=text)
        for position, text in enumerate(story.takeaways)
    )
    Credit.objects.bulk_create(
        Credit(article=article, position=position, **asdict(credit))
        for position, credit in enumerate(story.credits)
    )
    ArticleCallToAction.objects.bulk_create(
        ArticleCallToAction(
            article=article,
            call_to_action=find_or_create_call_to_action(cta),
            placement=cta.placement,
            position=position,
        )
        for position, cta in enumerate(story.calls_to_action)
    )
    if "bylines" in story.details:
        set_bylines(article, story.details["bylines"])
    article.set_hashtags(story.tags)
    article.refresh_word_count()
    if story.details.keys() & {"hero_image", "social_image", "hero_focus"}:
        images.make_renditions(article)
    revisions.record(article, by=by, summary="Imported from a story file")
    return article
