"""Read a story in Newsroom's plain-text format (articles/demo_stories/*.txt).

A standalone copy of the rules in Newsroom's articles/importers.py, because the peer runs in its
own virtualenv without Newsroom. It keeps the rules, not the error messages:

    Headline on the first line
    Optional Key: value lines (Dek:, Byline:, Hero-alt:, ...): the peer skips them
    One paragraph or one heading a line (a heading: at most 12 words, not ending like a sentence)
    Key Takeaways
    1. Numbered takeaways follow that heading.
    A closing paragraph.
    #HashTags #OnOneLine
    -> Original article and inspiration provided by Name, Organisation
    -> Any other arrow line is a call to action, optionally ending [Button label](https://…)
"""

import re
from dataclasses import dataclass, field

MAX_HEADING_WORDS = 12
TAKEAWAYS_HEADING = re.compile(r"^key\s+takeaways:?$", re.IGNORECASE)
NUMBERED_ITEM = re.compile(r"^\d{1,3}[.)]\s+(?P<text>\S.*)$")
HASHTAG_LINE = re.compile(r"^#\w+(?:[\s,]+#\w+)*$")
ARROW_LINE = re.compile(r"^->\s*(?P<text>.*)$")
CREDIT_LINE = re.compile(
    r"^(?P<role>.*\b(?:provided|written|reported|inspired|adapted|produced|contributed)\s+by)"
    r"\s+(?P<who>\S.*)$",
    re.IGNORECASE,
)
HEADER_LINE = re.compile(
    r"^(?:Dek|Desk|Byline|Hero|Hero-alt|Hero-caption|Hero-credit|Hero-focus|Search-title|"
    r"Search-description|Sharing-image|Canonical):(?:\s|$)",
    re.IGNORECASE,
)
CTA_BUTTON = re.compile(r"\s*\[(?P<label>[^\]]+)\]\((?P<url>[^)\s]+)\)$")
CTA_ORGANISATION = re.compile(r"\bat\s+(?P<organisation>[A-Z][\w&.’' -]+?)\.?$")
SENTENCE_END = re.compile(r"[.!?…:;][\"'”’)\]]*$")


@dataclass
class Story:
    headline: str
    # ("heading", text) or ("paragraph", text), in reading order
    body: list[tuple[str, str]] = field(default_factory=list)
    takeaways: list[str] = field(default_factory=list)
    closing: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    credits: list[dict] = field(default_factory=list)
    calls_to_action: list[dict] = field(default_factory=list)


def is_heading(line: str) -> bool:
    return len(line.split()) <= MAX_HEADING_WORDS and not SENTENCE_END.search(line)


def parse_story(text: str) -> Story:
    lines = [" ".join(line.split()) for line in text.splitlines()]
    lines = [line for line in lines if line]
    if len(lines) < 2:
        raise ValueError("a story needs a headline and at least one paragraph")
    story = Story(headline=lines[0])
    rest = lines[1:]
    while rest and HEADER_LINE.match(rest[0]):
        rest.pop(0)  # the dek and byline come from load_story's options
    part = "body"  # then "takeaways", then "closing"
    for line in rest:
        if arrow := ARROW_LINE.match(line):
            add_arrow_line(story, arrow["text"])
        elif HASHTAG_LINE.match(line):
            story.tags.extend(re.findall(r"#(\w+)", line))
        elif part == "body" and TAKEAWAYS_HEADING.match(line):
            part = "takeaways"
        elif part == "takeaways" and (item := NUMBERED_ITEM.match(line)):
            story.takeaways.append(item["text"])
        elif part != "body":
            part = "closing"
            story.closing.append(line)
        else:
            story.body.append(("heading" if is_heading(line) else "paragraph", line))
    return story


def add_arrow_line(story: Story, text: str) -> None:
    if credit := CREDIT_LINE.match(text):
        name, _, organisation = credit["who"].partition(", ")
        story.credits.append(
            {"role": credit["role"], "name": name.strip(), "organisation": organisation.strip()}
        )
    elif text:
        button = CTA_BUTTON.search(text)
        if button:
            text = text[: button.start()]
        organisation = CTA_ORGANISATION.search(text)
        story.calls_to_action.append(
            {
                "text": text,
                "organisation": organisation["organisation"] if organisation else "",
                "button_label": button["label"] if button else "",
                "url": button["url"] if button else "",
            }
        )
