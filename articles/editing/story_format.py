"""Stories as plain text, in and out.

The format (see articles/operations/demo_stories/ for examples, and the README for the whole of it):

    Headline on the first line
    Dek: an optional block of Key: value lines for what is not body text
    Byline: Ana Ruiz
    One paragraph or one heading a line; paragraphs before the first heading are the intro.
    A Heading Is a Short Line That Does Not End Like a Sentence
    Text may have **bold**, *italic* and [links](https://…); - and 1. lines are lists, > quotes.
    ![Alt text of a library picture](/media/stories/… "Its caption, optional")
    Key Takeaways
    1. Numbered takeaways follow that heading.
    A closing paragraph.
    #HashTags #OnOneLine
    -> Original article and inspiration provided by [Name](https://…), Organisation
    -> Any other arrow line is a call to action [Button label](https://…)

A file without the optional parts reads and writes as it always has, byte for byte.
parse_story() turns text into plain data and raises StoryFormatError on bad input;
articles/editing/importers.py saves that data, articles/editing/exporters.py writes an article back.
"""

import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.utils.text import slugify

from articles.editing.richtext import (
    BULLET_ITEM,
    FIGURE_LINE,
    ORDERED_ITEM,
    QUOTE_LINE,
    SUBHEADING,
    unescape_marks,
)
from articles.editing.validators import validate_button_label, validate_link_url
from articles.models import ArticleCallToAction
from articles.models.text import library_sources

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
# Pictures are named as they are stored (articles.editing.validators.hero_image_path): nothing else
# in the media storage can be reached from a story file.
STORED_PICTURE = re.compile(r"^stories/\d{4}/\d{2}/[0-9a-f]{32}\.(?:jpg|png|webp|gif)$")
FOCUS = re.compile(r"^(?P<x>\d{1,3}) (?P<y>\d{1,3})$")


class StoryFormatError(ValueError):
    """The text is not a story in the expected format; the message says why, in one line."""


@dataclass
class ParsedSection:
    heading: str
    # Lines of Markdown, one block a line (articles/editing/richtext.py).
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
    """Whether a body line is a list item, a quote or a subheading: never a section heading."""
    blocks = (BULLET_ITEM, ORDERED_ITEM, QUOTE_LINE, SUBHEADING, FIGURE_LINE)
    return any(pattern.match(line) for pattern in blocks)


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
    if figure := FIGURE_LINE.match(line):
        check_library_picture(figure, number=number)
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


def check_library_picture(figure: re.Match, *, number: int) -> None:
    """Refuse a picture line without alt text or whose picture is not in the library."""
    if not unescape_marks(figure["alt"]).strip():
        raise StoryFormatError(
            f"line {number}: a picture needs alt text, what it shows: ![A crowd outside](…)"
        )
    if figure["src"] not in library_sources([figure["src"]]):
        raise StoryFormatError(
            f"line {number}: “{figure['src']}” is no picture in the library; add it there, "
            "then give the address export_article writes"
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
