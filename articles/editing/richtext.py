"""Rich text as lines of Markdown, for the story format, and back.

One block a line: a paragraph, a list item (`- ` or `1. `), a quoted paragraph (`> `), a
subheading inside a section (`### ` or `#### `, Markdown's marks for <h3> and <h4>) or a
library picture as Markdown writes an image: `![alt text](/media/stories/… "Caption")`, its
caption plain text (bold or a link inside a caption is not kept).
Inside a line, **bold**, *italic* and [links](https://…); a line ending in a backslash
continues on the next one after a line break (CommonMark's hard break). markdown-it-py reads
the Markdown, with only those rules on, so HTML typed into a story file stays text; what
it makes is sanitised again on save like anything typed in the admin.
"""

import re
from html.parser import HTMLParser

from django.utils.html import escape
from markdown_it import MarkdownIt

from articles.editing.validators import is_safe_link

BULLET_ITEM = re.compile(r"^[-*]\s+(?P<text>\S.*)$", re.DOTALL)
ORDERED_ITEM = re.compile(r"^(?P<number>\d{1,9})[.)]\s+(?P<text>\S.*)$", re.DOTALL)
QUOTE_LINE = re.compile(r"^>\s*(?P<text>\S.*)$", re.DOTALL)
SUBHEADING = re.compile(r"^(?P<marks>#{3,4})\s+(?P<text>\S.*)$", re.DOTALL)
# ![alt](/address "caption"): a backslash escapes "]" in the alt text and '"' in the caption.
FIGURE_LINE = re.compile(
    r'^!\[(?P<alt>(?:[^\\\]]|\\.)*)\]\((?P<src>/[^\s()"<>]+)'
    r'(?:\s+"(?P<caption>(?:[^\\"]|\\.)*)")?\)$',
    re.DOTALL,
)
# Characters that mean something to the rules above (entities and HTML are off).
MARKDOWN_SPECIAL = re.compile(r"([\\*_\[\]])")

_markdown = MarkdownIt("zero").enable(["emphasis", "link", "escape", "newline"])
_markdown.validateLink = is_safe_link
# Keep addresses as written ("tel:+44 20 …" included): no percent-encoding to undo on export.
_markdown.normalizeLink = lambda url: url
_markdown.normalizeLinkText = lambda text: text


def inline_html(text: str) -> str:
    return _markdown.renderInline(text).replace("<br>\n", "<br>")


def line_kind(line: str) -> tuple[str, re.Match | None]:
    if match := FIGURE_LINE.match(line):
        return "figure", match
    if match := SUBHEADING.match(line):
        return f"h{len(match['marks'])}", match
    for kind, pattern in (("ul", BULLET_ITEM), ("ol", ORDERED_ITEM), ("blockquote", QUOTE_LINE)):
        if match := pattern.match(line):
            return kind, match
    return "p", None


def blocks_html(lines: list[str]) -> str:
    """Return the HTML of lines of Markdown, one block a line; neighbouring items share a list."""
    html, open_kind = [], None
    for line in lines:
        kind, match = line_kind(line)
        if kind != open_kind and open_kind is not None:
            html.append(f"</{open_kind}>")
            open_kind = None
        if kind == "p":
            html.append(f"<p>{inline_html(line)}</p>")
            continue
        if kind in {"h3", "h4"}:
            html.append(f"<{kind}>{inline_html(match['text'])}</{kind}>")
            continue
        if kind == "figure":
            html.append(figure_html(match))
            continue
        if open_kind is None:
            start = match["number"] if kind == "ol" else "1"
            html.append(f'<ol start="{int(start)}">' if int(start) != 1 else f"<{kind}>")
            open_kind = kind
        text = inline_html(match["text"])
        html.append(f"<p>{text}</p>" if kind == "blockquote" else f"<li><p>{text}</p></li>")
    if open_kind is not None:
        html.append(f"</{open_kind}>")
    return "".join(html)


def unescape_marks(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text, flags=re.DOTALL)


def figure_html(match: re.Match) -> str:
    """Return the <figure> of a picture line; its size is the library's (text.add_picture_sizes)."""
    image = f'<img src="{escape(match["src"])}" alt="{escape(unescape_marks(match["alt"]))}">'
    caption = unescape_marks(match["caption"] or "").strip()
    caption = f"<figcaption>{escape(caption)}</figcaption>" if caption else ""
    return f'<figure class="figure">{image}{caption}</figure>'


def figure_line(figure) -> str | None:
    """Return a <figure> as a picture line, or None when it holds no picture."""
    images = [node for node in descendants(figure) if node.tag == "img"]
    if not images or not images[0].attrs.get("src"):
        return None
    captions = [node for node in descendants(figure) if node.tag == "figcaption"]
    alt = " ".join((images[0].attrs.get("alt") or "").split())
    caption = " ".join(text_of(captions[0]).split()) if captions else ""
    line = f"![{backslash(alt, ']')}]({images[0].attrs['src']}"
    if caption:
        line += f' "{backslash(caption, '"')}"'
    return line + ")"


def backslash(text: str, special: str) -> str:
    """Escape the backslashes and this one special character with a backslash."""
    return text.replace("\\", "\\\\").replace(special, "\\" + special)


def descendants(element):
    for child in element.children:
        if not isinstance(child, str):
            yield child
            yield from descendants(child)


def text_of(element) -> str:
    return "".join(
        child if isinstance(child, str) else text_of(child) for child in element.children
    )


class Element:
    def __init__(self, tag: str, attrs: dict):
        self.tag, self.attrs, self.children = tag, attrs, []


class _TreeBuilder(HTMLParser):
    """Stored rich text is sanitised to a small allow-list, so a plain tree is enough."""

    VOID = {"br", "img"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        element = Element(tag, dict(attrs))
        self.stack[-1].children.append(element)
        if tag not in self.VOID:
            self.stack.append(element)

    def handle_endtag(self, tag):
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def html_blocks(html: str) -> list[str]:
    """Return stored rich text as lines of Markdown, one block a line."""
    builder = _TreeBuilder()
    builder.feed(html)
    builder.close()
    lines, loose = [], []

    def flush():
        if text := inline_markdown(loose).strip():
            # A paragraph that starts "### " is a paragraph: escape the mark.
            lines.append("\\" + text if SUBHEADING.match(text) else text)
        loose.clear()

    for node in builder.root.children:
        blocks = {"p", "h3", "h4", "ul", "ol", "blockquote", "figure"}
        if isinstance(node, str) or node.tag not in blocks:
            loose.append(node)
            continue
        flush()
        if node.tag == "p":
            loose.extend(node.children)
            flush()
        elif node.tag in {"h3", "h4"}:
            if text := inline_markdown(node.children).strip():
                lines.append(f"{'#' * int(node.tag[1])} {text}")
        elif node.tag == "figure":
            if line := figure_line(node):
                lines.append(line)
        elif node.tag == "blockquote":
            lines.extend(f"> {text}" for text in item_texts(node, "p"))
        else:
            number = int(node.attrs.get("start") or 1) if node.tag == "ol" else 0
            for offset, text in enumerate(item_texts(node, "li")):
                lines.append(f"{number + offset}. {text}" if node.tag == "ol" else f"- {text}")
    flush()
    return lines


def item_texts(element: Element, tag: str) -> list[str]:
    items = [child for child in element.children if not isinstance(child, str)]
    items = [child for child in items if child.tag == tag] or [element]
    texts = (inline_markdown(flatten_paragraphs(item)).strip() for item in items)
    return [text for text in texts if text]


def flatten_paragraphs(element: Element) -> list:
    # A list item holds one paragraph (<li><p>…</p></li>, as the admin's editor writes it).
    children = []
    for child in element.children:
        if not isinstance(child, str) and child.tag in {"p", "ul", "ol", "blockquote", "li"}:
            if children:
                children.append(" ")
            children.extend(flatten_paragraphs(child))
        else:
            children.append(child)
    return children


def inline_markdown(nodes: list) -> str:
    """Return inline Markdown for these nodes, escaping only where plain text would change."""
    plain = _inline(nodes, escape=False)
    escaped = _inline(nodes, escape=True)
    return plain if inline_html(plain) == inline_html(escaped) else escaped


def _inline(nodes: list, *, escape: bool) -> str:
    out = []
    for node in nodes:
        if isinstance(node, str):
            text = re.sub(r"\s+", " ", node)
            out.append(MARKDOWN_SPECIAL.sub(r"\\\1", text) if escape else text)
        elif node.tag == "br":
            out.append("\\\n")
        elif node.tag in {"strong", "b", "em", "i"}:
            marker = "**" if node.tag in {"strong", "b"} else "*"
            out.append(_wrap(_inline(node.children, escape=escape), marker))
        elif node.tag == "a" and node.attrs.get("href"):
            out.append(_link(_inline(node.children, escape=escape), node.attrs))
        else:
            out.append(_inline(node.children, escape=escape))
    return "".join(out)


def _wrap(inner: str, marker: str) -> str:
    # "**bold **" is not bold in Markdown: spaces go outside the markers.
    core = inner.strip()
    if not core:
        return inner
    lead, trail = inner[: len(inner) - len(inner.lstrip())], inner[len(inner.rstrip()) :]
    return f"{lead}{marker}{core}{marker}{trail}"


def _link(text: str, attrs: dict) -> str:
    url = attrs["href"]
    destination = f"<{url}>" if re.search(r"[\s()<>]", url) else url
    title = attrs.get("title")
    if title:
        destination += ' "' + title.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"[{text}]({destination})"
