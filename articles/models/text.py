"""Rich-text and slug helpers the models share: the sanitiser, word counts, plain text."""

import re
from html import unescape

from django.utils.html import strip_tags
from django.utils.text import slugify
from django_prose_editor.fields import ProseEditorField, create_sanitizer

from articles.editing.validators import LINK_SCHEMES

# What editors may write in rich text. The editor's toolbar and the server-side
# sanitiser are built from this one list, so they cannot drift apart. What the list leaves
# out (Word's and Google Docs' spans, fonts and styles, tables, other heading levels) is
# dropped from pasted text by the editor and again by the sanitiser on save.
RICH_TEXT_EXTENSIONS = {
    "Bold": True,
    "Italic": True,
    # Subheadings inside a section: its own heading is the page's <h2>.
    "Heading": {"levels": [3, 4]},
    "Link": {"protocols": list(LINK_SCHEMES), "enableTarget": False},
    "BulletList": True,
    "OrderedList": True,
    "ListItem": True,
    "Blockquote": True,
    "HardBreak": True,
    # The editor switches the browser's spellcheck off unless told not to.
    "NoSpellCheck": False,
}
sanitize_rich_text = create_sanitizer(RICH_TEXT_EXTENSIONS)


def count_words(html: str) -> int:
    return len(plain_text(html).split())


def rich_text_field(**kwargs):
    return ProseEditorField(extensions=RICH_TEXT_EXTENSIONS, sanitize=True, **kwargs)


def unique_slug(model, text: str, *, instance_pk=None, max_length=200) -> str:
    """Return a slug made from text that no other row of model uses yet."""
    base = slugify(text)[: max_length - 6].strip("-") or "story"
    slug, n = base, 2
    while model.objects.filter(slug=slug).exclude(pk=instance_pk).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


# A tag that starts or ends a block ("<p>region.</p><p>The trial") also ends a word.
BLOCK_TAG = re.compile(r"<(?=/?(?:p|li|ul|ol|blockquote|h[1-6]|div|br|hr)\b)", re.IGNORECASE)


def plain_text(html: str) -> str:
    """Return the words of rich text, with one space between them."""
    return " ".join(unescape(strip_tags(BLOCK_TAG.sub(" <", html))).split())
