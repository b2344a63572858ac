"""Stories as plain text, in and out.

The format (see articles/demo_stories/ for examples):

    Headline on the first line
    One paragraph or one heading a line; paragraphs before the first heading are the intro.
    A Heading Is a Short Line That Does Not End Like a Sentence
    Key Takeaways
    1. Numbered takeaways follow that heading.
    A closing paragraph.
    #HashTags #OnOneLine
    -> Original article and inspiration provided by Name, Organisation
    -> Any other arrow line is a call to action

parse_story() turns text into plain data and raises StoryFormatError on bad input;
save_story() writes that data in one transaction; export_story() writes an article back.
"""

import re
from dataclasses import asdict, dataclass, field
from html import escape, unescape

from django.db import transaction
from django.utils.html import strip_tags
from django.utils.text import slugify

from articles import revisions
from articles.models import (
    Article,
    ArticleCallToAction,
    CallToAction,
    Credit,
    Section,
    Takeaway,
    hashtag,
)

MAX_STORY_BYTES = 512 * 1024
MAX_HEADING_WORDS = 12
TAKEAWAYS_HEADING = re.compile(r"^key\s+takeaways:?$", re.IGNORECASE)
NUMBERED_ITEM = re.compile(r"^(\d{1,3})[.)]\s+(?P<text>\S.*)$")
HASHTAG_LINE = re.compile(r"^#\w+(?:[\s,]+#\w+)*$")
ARROW_LINE = re.compile(r"^->\s*(?P<text>.*)$")
CREDIT_LINE = re.compile(
    r"^(?P<role>.*\b(?:provided|written|reported|inspired|adapted|produced|contributed)\s+by)"
    r"\s+(?P<who>\S.*)$",
    re.IGNORECASE,
)
CTA_ORGANISATION = re.compile(r"\bat\s+(?P<organisation>[A-Z][\w&.’' -]+?)\.?$")
# A sentence ends in . ! ? … : or ; possibly followed by closing quotes or brackets.
SENTENCE_END = re.compile(r"[.!?…:;][\"'”’)\]]*$")


class StoryFormatError(ValueError):
    """The text is not a story in the expected format; the message says why, in one line."""


@dataclass
class ParsedSection:
    heading: str
    paragraphs: list[str] = field(default_factory=list)


@dataclass
class ParsedCredit:
    role: str
    name: str
    organisation: str = ""


@dataclass
class ParsedStory:
    headline: str
    sections: list[ParsedSection] = field(default_factory=list)
    takeaways: list[str] = field(default_factory=list)
    closing: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    credits: list[ParsedCredit] = field(default_factory=list)
    calls_to_action: list[str] = field(default_factory=list)

    @property
    def slug(self) -> str:
        return slugify(self.headline)[:200].strip("-") or "story"


def decode_story(data: bytes) -> str:
    """Return the text of a story file, or raise StoryFormatError if it is not UTF-8 text."""
    if len(data) > MAX_STORY_BYTES:
        raise StoryFormatError(
            f"the file is {len(data):,} bytes; a story may be at most {MAX_STORY_BYTES:,} bytes"
        )
    if b"\x00" in data:
        raise StoryFormatError("the file is not text (it contains NUL bytes)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise StoryFormatError(
            f"the file is not UTF-8 text (bad byte at position {error.start})"
        ) from None


def check_length(text: str, *, limit: int, what: str, number: int) -> str:
    # PostgreSQL refuses over-long values outright (SQLite does not): say so before saving.
    if len(text) > limit:
        raise StoryFormatError(f"line {number}: the {what} is longer than {limit} characters")
    return text


def is_heading(line: str) -> bool:
    return len(line.split()) <= MAX_HEADING_WORDS and not SENTENCE_END.search(line)


def parse_story(text: str) -> ParsedStory:
    """Parse a story in the plain-text format into plain data."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    lines = [line for line in lines if line]
    if not lines:
        raise StoryFormatError("the file is empty")
    if any(ord(ch) < 32 or ord(ch) == 127 for line in lines for ch in line):
        raise StoryFormatError("the file contains control characters; it is not a plain story")
    headline, *rest = lines
    if len(headline) > 200:
        raise StoryFormatError("the first line (the headline) is longer than 200 characters")
    if not rest:
        raise StoryFormatError("the file has only a headline; a story needs at least a paragraph")

    story = ParsedStory(headline=headline)
    part = "body"  # then "takeaways", then "closing"
    for number, line in enumerate(rest, start=2):
        if arrow := ARROW_LINE.match(line):
            parse_arrow_line(story, arrow["text"], number)
            continue
        if HASHTAG_LINE.match(line):
            tags = re.findall(r"#(\w+)", line)
            story.tags.extend(
                check_length(tag, limit=100, what="hashtag", number=number) for tag in tags
            )
            continue
        if story.tags or story.credits or story.calls_to_action:
            raise StoryFormatError(
                f"line {number}: only hashtags and arrow lines (->) may follow the hashtags"
            )
        if part == "body" and TAKEAWAYS_HEADING.match(line):
            part = "takeaways"
            continue
        if part == "takeaways":
            if item := NUMBERED_ITEM.match(line):
                story.takeaways.append(item["text"])
                continue
            if not story.takeaways:
                raise StoryFormatError(
                    f"line {number}: “Key Takeaways” must be followed by numbered items (1. …)"
                )
            part = "closing"
        if part == "closing":
            story.closing.append(line)
        elif is_heading(line):
            story.sections.append(
                ParsedSection(heading=check_length(line, limit=200, what="heading", number=number))
            )
        else:
            if not story.sections:
                story.sections.append(ParsedSection(heading=""))
            story.sections[-1].paragraphs.append(line)

    if part == "takeaways" and not story.takeaways:
        raise StoryFormatError("“Key Takeaways” is not followed by numbered items (1. …)")
    if not any(section.paragraphs for section in story.sections):
        raise StoryFormatError("the story has no paragraphs, only headings or lists")
    return story


def parse_arrow_line(story: ParsedStory, text: str, number: int) -> None:
    if not text:
        raise StoryFormatError(f"line {number}: an arrow line (->) with nothing after it")
    credit = CREDIT_LINE.match(text)
    if credit:
        name, _, organisation = credit["who"].partition(", ")
        story.credits.append(
            ParsedCredit(
                role=check_length(credit["role"], limit=120, what="credit's role", number=number),
                name=check_length(name.strip(), limit=120, what="credited name", number=number),
                organisation=check_length(
                    organisation.strip(), limit=120, what="credited organisation", number=number
                ),
            )
        )
    else:
        story.calls_to_action.append(
            check_length(text, limit=300, what="call to action", number=number)
        )


def paragraphs_html(paragraphs: list[str]) -> str:
    return "".join(f"<p>{escape(paragraph, quote=False)}</p>" for paragraph in paragraphs)


def html_paragraphs(html: str) -> list[str]:
    """Return the text of each block (paragraph, list item, quote) of stored rich text."""
    blocks = re.split(r"</(?:p|li|blockquote|h\d)>|<br\s*/?>", html)
    texts = (" ".join(unescape(strip_tags(block)).split()) for block in blocks)
    return [text for text in texts if text]


def find_or_create_call_to_action(text: str) -> CallToAction:
    """Reuse the block with the same text, so one edit later updates every story."""
    existing = CallToAction.objects.filter(text=text).first()
    if existing:
        return existing
    organisation = CTA_ORGANISATION.search(text)
    base_name = text[:100]
    name, n = base_name, 2
    while CallToAction.objects.filter(name=name).exists():
        name, n = f"{base_name} ({n})", n + 1
    return CallToAction.objects.create(
        name=name,
        text=text,
        organisation=organisation["organisation"].strip() if organisation else "",
    )


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
    article.closing = paragraphs_html(story.closing)
    article.save()

    for related in (article.sections, article.takeaways, article.credits, article.cta_placements):
        related.all().delete()
    for position, section in enumerate(story.sections):
        # One by one: Section.save() makes each heading's anchor unique within the story.
        Section.objects.create(
            article=article,
            position=position,
            heading=section.heading,
            body=paragraphs_html(section.paragraphs),
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
            call_to_action=find_or_create_call_to_action(text),
            placement=ArticleCallToAction.Placement.END,
            position=position,
        )
        for position, text in enumerate(story.calls_to_action)
    )
    article.set_hashtags(story.tags)
    article.refresh_word_count()
    revisions.record(article, by=by, summary="Imported from a story file")
    return article


def export_story(article: Article) -> str:
    """Write an article in the plain-text story format."""
    lines = [article.headline]
    for section in article.sections.all():
        if section.heading:
            lines.append(section.heading)
        lines.extend(html_paragraphs(section.body))
    takeaways = list(article.takeaways.all())
    if takeaways:
        lines.append("Key Takeaways")
        lines.extend(f"{n}. {takeaway.text}" for n, takeaway in enumerate(takeaways, start=1))
    lines.extend(html_paragraphs(article.closing))
    tags = [hashtag(item.tag.name) for item in article.tagged_items.select_related("tag")]
    if tags:
        lines.append(" ".join(tags))
    for credit in article.credits.all():
        organisation = f", {credit.organisation}" if credit.organisation else ""
        lines.append(f"-> {credit.role} {credit.name}{organisation}")
    for placed in article.cta_placements.select_related("call_to_action"):
        lines.append(f"-> {placed.call_to_action.text}")
    return "\n".join(lines) + "\n"
