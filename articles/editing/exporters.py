"""Write a story back in the plain-text story format (articles/editing/story_format.py)."""

import re

from articles.editing.richtext import html_blocks
from articles.editing.story_format import (
    ARROW_LINE,
    CLOSING_RULE,
    HASHTAG_LINE,
    HEADER_LINE,
    MARKED_HEADING,
    TAKEAWAYS_HEADING,
    is_block_line,
    is_heading,
)
from articles.models import Article, ArticleCallToAction, hashtag


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
