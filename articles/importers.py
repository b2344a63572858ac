"""Stories as plain text, in and out.

The format (see articles/demo_stories/ for examples, and the README for the whole of it):

    Headline on the first line
    Dek: an optional block of Key: value lines for what is not body text
    Byline: Ana Ruiz
    One paragraph or one heading a line; paragraphs before the first heading are the intro.
    A Heading Is a Short Line That Does Not End Like a Sentence
    Text may have **bold**, *italic* and [links](https://…); - and 1. lines are lists, > quotes.
    Key Takeaways
    1. Numbered takeaways follow that heading.
    A closing paragraph.
    #HashTags #OnOneLine
    -> Original article and inspiration provided by [Name](https://…), Organisation
    -> Any other arrow line is a call to action [Button label](https://…)

A file without the optional parts reads and writes as it always has, byte for byte.
parse_story() turns text into plain data and raises StoryFormatError on bad input;
save_story() writes that data in one transaction; export_story() writes an article back.
"""

import re
from dataclasses import asdict, dataclass, field

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.text import slugify

from articles import images, revisions
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
    hashtag,
    unique_slug,
)
from articles.richtext import (
    BULLET_ITEM,
    ORDERED_ITEM,
    QUOTE_LINE,
    blocks_html,
    html_blocks,
)
from articles.validators import validate_button_label, validate_link_url

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
# "## Heading" marks a heading outright; a file that uses it has no guessed headings.
MARKED_HEADING = re.compile(r"^##(?:\s+(?P<heading>.*))?$")
# Ends the sections when there are no key takeaways: what follows is the closing.
CLOSING_RULE = "---"
# A link in a credit or a call to action: [Name](https://…) or [Button label](https://…).
LINK = r"\[(?P<label>[^\]]+)\]\((?P<url><[^>]*>|[^)\s]+)\)"
CREDIT_LINK = re.compile(rf"^{LINK}(?P<rest>.*)$")
CTA_BUTTON = re.compile(rf"^(?P<text>.*?)\s*{LINK}$")
PLACEMENTS = {
    placement.label.lower(): placement
    for placement in ArticleCallToAction.Placement
    if placement != ArticleCallToAction.Placement.END
}
CTA_PLACEMENT = re.compile(
    r"^(?P<placement>" + "|".join(map(re.escape, PLACEMENTS)) + r"):\s+(?P<text>.*)$",
    re.IGNORECASE,
)
# The optional block after the headline: key -> (Article field, longest value).
HEADER_FIELDS = {
    "Dek": ("dek", 300),
    "Desk": ("desk", 80),
    "Byline": ("bylines", 120),
    "Hero": ("hero_image", 100),
    "Hero-alt": ("hero_alt", 250),
    "Hero-caption": ("hero_caption", 300),
    "Hero-credit": ("hero_credit", 120),
    "Hero-focus": ("hero_focus", 7),
    "Search-title": ("seo_title", 70),
    "Search-description": ("seo_description", 200),
    "Sharing-image": ("social_image", 100),
    "Canonical": ("canonical_is_original", 8),
}
HEADER_LINE = re.compile(
    r"^(?P<key>" + "|".join(map(re.escape, HEADER_FIELDS)) + r"):(?:\s+(?P<value>.*))?$",
    re.IGNORECASE,
)
# Pictures are named as they are stored (articles.validators.hero_image_path): nothing else
# in the media storage can be reached from a story file.
STORED_PICTURE = re.compile(r"^stories/\d{4}/\d{2}/[0-9a-f]{32}\.(?:jpg|png|webp|gif)$")
FOCUS = re.compile(r"^(?P<x>\d{1,3}) (?P<y>\d{1,3})$")


class StoryFormatError(ValueError):
    """The text is not a story in the expected format; the message says why, in one line."""


@dataclass
class ParsedSection:
    heading: str
    # Lines of Markdown, one block a line (articles/richtext.py).
    paragraphs: list[str] = field(default_factory=list)


@dataclass
class ParsedCredit:
    role: str
    name: str
    organisation: str = ""
    url: str = ""


@dataclass
class ParsedCallToAction:
    text: str
    button_label: str = ""
    url: str = ""
    placement: str = ArticleCallToAction.Placement.END

    def __str__(self):
        return self.text


@dataclass
class ParsedStory:
    headline: str
    sections: list[ParsedSection] = field(default_factory=list)
    takeaways: list[str] = field(default_factory=list)
    closing: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    credits: list[ParsedCredit] = field(default_factory=list)
    calls_to_action: list[ParsedCallToAction] = field(default_factory=list)
    # From the optional header block: Article field -> value; a field not given is not set.
    details: dict = field(default_factory=dict)

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


def is_block_line(line: str) -> bool:
    """Whether a body line is a list item or a quote: never a heading."""
    return any(pattern.match(line) for pattern in (BULLET_ITEM, ORDERED_ITEM, QUOTE_LINE))


def story_lines(text: str) -> list[tuple[int, str]]:
    """Return the non-blank lines and their numbers, spaces tidied; a line ending in a
    backslash goes on after a line break on the next one (Markdown's hard break)."""
    lines, continued = [], False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = " ".join(raw.split())
        if any(ord(ch) < 32 or ord(ch) == 127 for ch in line):
            raise StoryFormatError("the file contains control characters; it is not a plain story")
        if not line:
            continue
        if continued:
            lines[-1] = (lines[-1][0], f"{lines[-1][1]}\n{line}")
        else:
            lines.append((number, line))
        # An odd number of backslashes: the last one is not itself escaped.
        continued = (len(line) - len(line.rstrip("\\"))) % 2 == 1
    return lines


def parse_story(text: str) -> ParsedStory:
    """Parse a story in the plain-text format into plain data."""
    lines = story_lines(text)
    if not lines:
        raise StoryFormatError("the file is empty")
    (_, headline), *rest = lines
    if len(headline) > 200:
        raise StoryFormatError("the first line (the headline) is longer than 200 characters")
    story = ParsedStory(headline=headline)
    while rest and (header := HEADER_LINE.match(rest[0][1])):
        parse_header_line(story, header, rest.pop(0)[0])
    if not rest:
        raise StoryFormatError("the file has only a headline; a story needs at least a paragraph")

    marked = any(MARKED_HEADING.match(line) for _, line in rest)
    part = "body"  # then "takeaways", then "closing"
    for number, line in rest:
        part = parse_line(story, part, number, line, marked=marked)

    if part == "takeaways" and not story.takeaways:
        raise StoryFormatError("“Key Takeaways” is not followed by numbered items (1. …)")
    if not any(section.paragraphs for section in story.sections):
        raise StoryFormatError("the story has no paragraphs, only headings or lists")
    return story


def parse_line(story: ParsedStory, part: str, number: int, line: str, *, marked: bool) -> str:
    """Add one line after the header to the story; return the part the next line is in."""
    if arrow := ARROW_LINE.match(line):
        parse_arrow_line(story, arrow["text"], number)
        return part
    if HASHTAG_LINE.match(line):
        tags = re.findall(r"#(\w+)", line)
        story.tags.extend(
            check_length(tag, limit=100, what="hashtag", number=number) for tag in tags
        )
        return part
    if story.tags or story.credits or story.calls_to_action:
        raise StoryFormatError(
            f"line {number}: only hashtags and arrow lines (->) may follow the hashtags"
        )
    if part == "body" and TAKEAWAYS_HEADING.match(line):
        return "takeaways"
    if part == "body" and line == CLOSING_RULE:
        return "closing"
    if part == "takeaways":
        if item := NUMBERED_ITEM.match(line):
            story.takeaways.append(item["text"])
            return part
        if not story.takeaways:
            raise StoryFormatError(
                f"line {number}: “Key Takeaways” must be followed by numbered items (1. …)"
            )
        part = "closing"
    if part == "closing":
        story.closing.append(line)
    else:
        add_body_line(story, number, line, marked=marked)
    return part


def add_body_line(story: ParsedStory, number: int, line: str, *, marked: bool) -> None:
    """Start a section at a heading; add any other line to the current section."""
    heading = MARKED_HEADING.match(line) if marked else None
    if heading or (not marked and not is_block_line(line) and is_heading(line)):
        line = (heading["heading"] or "") if heading else line
        story.sections.append(
            ParsedSection(heading=check_length(line, limit=200, what="heading", number=number))
        )
        return
    if not story.sections:
        story.sections.append(ParsedSection(heading=""))
    story.sections[-1].paragraphs.append(line)


def parse_header_line(story: ParsedStory, header: re.Match, number: int) -> None:
    key = next(key for key in HEADER_FIELDS if key.lower() == header["key"].lower())
    name, limit = HEADER_FIELDS[key]
    value = check_length(header["value"] or "", limit=limit, what=f"“{key}” value", number=number)
    if name == "bylines":
        names = story.details.setdefault("bylines", [])
        if value and value not in names:
            names.append(value)
        return
    if name in story.details:
        raise StoryFormatError(f"line {number}: “{key}” is given twice")
    if name == "hero_focus":
        focus = FOCUS.match(value)
        if not focus or max(int(focus["x"]), int(focus["y"])) > 100:
            raise StoryFormatError(
                f"line {number}: “Hero-focus” takes two numbers from 0 to 100, across then "
                "down: “50 30”"
            )
        value = (int(focus["x"]), int(focus["y"]))
    elif name == "canonical_is_original":
        if value.lower() not in {"original", "this page"}:
            raise StoryFormatError(
                f"line {number}: “Canonical” is “original” (the first credit's link) or “this page”"
            )
        value = value.lower() == "original"
    elif name in {"hero_image", "social_image"} and value:
        check_stored_picture(value, key=key, number=number)
    story.details[name] = value


def check_stored_picture(name: str, *, key: str, number: int) -> None:
    if not (STORED_PICTURE.match(name) and default_storage.exists(name)):
        raise StoryFormatError(
            f"line {number}: “{key}” names no picture stored on this site (“{name}”); "
            "upload the picture in the admin, then give the name export_article writes"
        )


def check_link(url: str, *, what: str, number: int) -> str:
    url = url.removeprefix("<").removesuffix(">").strip()
    try:
        validate_link_url(check_length(url, limit=500, what=what, number=number))
    except ValidationError as error:
        raise StoryFormatError(f"line {number}: the {what} “{url}”: {error.messages[0]}") from None
    return url


def parse_arrow_line(story: ParsedStory, text: str, number: int) -> None:
    if not text:
        raise StoryFormatError(f"line {number}: an arrow line (->) with nothing after it")
    if credit := CREDIT_LINE.match(text):
        name, _, organisation = credit["who"].partition(", ")
        url = ""
        if link := CREDIT_LINK.match(credit["who"]):
            url = check_link(link["url"], what="credit's link", number=number)
            name, organisation = link["label"], link["rest"].removeprefix(",")
        story.credits.append(
            ParsedCredit(
                role=check_length(credit["role"], limit=120, what="credit's role", number=number),
                name=check_length(name.strip(), limit=120, what="credited name", number=number),
                organisation=check_length(
                    organisation.strip(), limit=120, what="credited organisation", number=number
                ),
                url=url,
            )
        )
        return
    cta = ParsedCallToAction(text=text)
    if placed := CTA_PLACEMENT.match(text):
        cta.placement, cta.text = PLACEMENTS[placed["placement"].lower()], placed["text"]
    if button := CTA_BUTTON.match(cta.text):
        cta.text, cta.button_label = button["text"], button["label"].strip()
        cta.url = check_link(button["url"], what="call to action's link", number=number)
        check_length(cta.button_label, limit=60, what="button label", number=number)
        try:
            validate_button_label(cta.button_label)
        except ValidationError as error:
            raise StoryFormatError(
                f"line {number}: the button label “{cta.button_label}”: {error.messages[0]}"
            ) from None
        if not cta.text:
            raise StoryFormatError(f"line {number}: a call to action needs text before its button")
    check_length(cta.text, limit=300, what="call to action", number=number)
    story.calls_to_action.append(cta)


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


def one_line(text: str) -> str:
    return " ".join(text.split())


def link_destination(url: str) -> str:
    return f"<{url}>" if re.search(r"[\s()<>]", url) else url


def header_lines(article: Article) -> list[str]:
    """The optional block after the headline, for what the story has beyond body text."""
    return [
        f"{key}: {one_line(str(value))}"
        for key, value in [
            ("Dek", article.dek),
            ("Desk", article.desk.name if article.desk else ""),
            *(("Byline", author.name) for author in article.byline_authors),
            ("Hero", article.hero_image.name),
            ("Hero-alt", article.hero_alt),
            ("Hero-caption", article.hero_caption),
            ("Hero-credit", article.hero_credit),
            ("Hero-focus", f"{article.hero_focus_x} {article.hero_focus_y}"),
            ("Search-title", article.seo_title),
            ("Search-description", article.seo_description),
            ("Sharing-image", article.social_image.name),
            ("Canonical", "original" if article.canonical_is_original else ""),
        ]
        if value and value != "50 50"  # the focus in the middle is the default
    ]


def protect(line: str) -> str:
    """Escape a body line that would otherwise be read as another part of the story."""
    if any(p.match(line) for p in (ARROW_LINE, HASHTAG_LINE, MARKED_HEADING)) or (
        line == CLOSING_RULE
    ):
        return "\\" + line  # a backslash before punctuation is Markdown's escape
    return line


def reads_as_heading(line: str) -> bool:
    """Whether a line would come back from parse_story as a guessed heading."""
    structural = (ARROW_LINE, HASHTAG_LINE, MARKED_HEADING, TAKEAWAYS_HEADING, HEADER_LINE)
    return (
        is_heading(line)
        and not is_block_line(line)
        and not any(pattern.match(line) for pattern in structural)
        and line != CLOSING_RULE
    )


def export_story(article: Article) -> str:
    """Write an article in the plain-text story format; parse_story() reads it back the same."""
    lines = [one_line(article.headline), *header_lines(article)]
    body = section_lines(article)
    if body and HEADER_LINE.match(body[0]):
        # A first paragraph such as "Update: …" is not a header line: escape its colon.
        body[0] = body[0].replace(":", "\\:", 1)
    lines += body
    takeaways = list(article.takeaways.all())
    if takeaways:
        lines.append("Key Takeaways")
        lines.extend(
            f"{n}. {one_line(takeaway.text)}" for n, takeaway in enumerate(takeaways, start=1)
        )
    closing = [protect(line) for line in html_blocks(article.closing)]
    if closing and not takeaways:
        lines.append(CLOSING_RULE)
    lines.extend(closing)
    tags = [hashtag(item.tag.name) for item in article.tagged_items.select_related("tag")]
    if tags:
        lines.append(" ".join(tags))
    return "\n".join(lines + arrow_lines(article)) + "\n"


def section_lines(article: Article) -> list[str]:
    sections = [
        (one_line(section.heading), [protect(line) for line in html_blocks(section.body)])
        for section in article.sections.all()
    ]
    # Guessed headings unless a heading would not be guessed or a paragraph would be taken
    # for one; then every heading is marked "## " and nothing else is a heading.
    marked = any(
        (heading and not reads_as_heading(heading))
        or (not heading and position > 0)
        or any(reads_as_heading(line) for line in body)
        for position, (heading, body) in enumerate(sections)
    )
    lines = []
    for position, (heading, body) in enumerate(sections):
        if marked and (heading or position > 0):
            lines.append(f"## {heading}".rstrip())
        elif heading:
            lines.append(heading)
        lines.extend(body)
    return lines


def arrow_lines(article: Article) -> list[str]:
    """The credits, then the calls to action, each as an arrow line."""
    lines = []
    for credit in article.credits.all():
        name = one_line(credit.name)
        if credit.url:
            name = f"[{name}]({link_destination(credit.url)})"
        organisation = f", {one_line(credit.organisation)}" if credit.organisation else ""
        lines.append(f"-> {one_line(credit.role)} {name}{organisation}")
    for placed in article.cta_placements.select_related("call_to_action"):
        cta = placed.call_to_action
        line = one_line(cta.text)
        if placed.placement != ArticleCallToAction.Placement.END:
            line = f"{placed.get_placement_display()}: {line}"
        if cta.url and cta.button_label:
            line += f" [{one_line(cta.button_label)}]({link_destination(cta.url)})"
        lines.append(f"-> {line}")
    return lines
