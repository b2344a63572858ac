"""Rich-text and slug helpers the models share: the sanitiser, word counts, plain text."""

import re
from html import unescape
from html.parser import HTMLParser

import nh3
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy
from django.utils.html import strip_tags
from django.utils.text import slugify
from django_prose_editor.config import allowlist_from_extensions, expand_extensions
from django_prose_editor.fields import ProseEditorField
from js_asset import static_lazy

from articles.editing.validators import LINK_SCHEMES, SITE_PATH

# What editors may write in rich text. The editor's toolbar and the server-side
# sanitiser are built from this one list, so they cannot drift apart. What the list leaves
# out (Word's and Google Docs' spans, fonts and styles, tables, other heading levels) is
# dropped from pasted text by the editor and again by the sanitiser on save.
RICH_TEXT_EXTENSIONS = {
    "Bold": True,
    "Italic": True,
    # Subheadings inside a section: its own heading is the page's <h2>.
    "Heading": {"levels": [3, 4]},
    # No links made from typed text: "vote.Read", a missing space, is not an address.
    "Link": {"protocols": list(LINK_SCHEMES), "enableTarget": False, "autolink": False},
    "BulletList": True,
    "OrderedList": True,
    "ListItem": True,
    "Blockquote": True,
    "HardBreak": True,
    # Pictures from the library: <figure><img …><figcaption>…</figcaption></figure>.
    "Figure": True,
    "Image": True,
    "Caption": True,
    # The "Picture" and "Link to a story" buttons (static/js/prose-library.js): they only
    # insert the figure and link above, so they add nothing to the allow-list.
    "LibraryPicture": {
        "chooseUrl": reverse_lazy("admin:articles_picture_choose"),
        "uploadUrl": reverse_lazy("admin:articles_picture_upload"),
        "stylesheet": static_lazy("css/prose-library.css"),
    },
    "StoryLink": {
        "chooseUrl": reverse_lazy("admin:articles_article_link_choose"),
        "stylesheet": static_lazy("css/prose-library.css"),
    },
    # Pasted Word and Google Docs formatting, read into these tags (static/js/prose-paste.js).
    "CleanPaste": True,
    # The editor switches the browser's spellcheck off unless told not to.
    "NoSpellCheck": False,
}

PICTURE_PROBLEMS = {
    "picture_alt": "Every picture needs alt text: say what it shows, for readers who "
    "cannot see it.",
    "picture_source": "Pictures come from the picture library: choose one with the "
    "“Picture” button (“{src}” is not in the library).",
}


def is_media_path(src: str) -> bool:
    """Whether an address is a file in this site's media storage: MEDIA_URL and a name (the
    CSP allows pictures from there)."""
    name = src.removeprefix(settings.MEDIA_URL)
    return (
        src.startswith(settings.MEDIA_URL)
        # Checked as a path of its own, so "//elsewhere" cannot follow a CDN's MEDIA_URL.
        and bool(SITE_PATH.fullmatch("/" + name))
        and ".." not in name.split("/")
    )


def _keep_attribute(tag: str, name: str, value: str) -> str | None:
    # No hot-linking: a picture's source is a file of ours or nothing (and then no picture).
    if tag == "img" and name == "src" and not is_media_path(value):
        return None
    return value


_cleaner = nh3.Cleaner(
    **allowlist_from_extensions(expand_extensions(RICH_TEXT_EXTENSIONS)),
    attribute_filter=_keep_attribute,
    # Pictures inside a story load as the reader scrolls to them.
    set_tag_attribute_values={"img": {"loading": "lazy"}},
)
SOURCELESS_IMAGE = re.compile(r"<img(?![^>]*\ssrc=)[^>]*>")
EMPTY_FIGURE = re.compile(r"<figure[^>]*>\s*(?:<figcaption[^>]*>.*?</figcaption>)?\s*</figure>")


def sanitize_rich_text(html: str) -> str:
    """Return rich text cut down to what the editor's toolbar can make."""
    clean = _cleaner.clean(html)
    clean = EMPTY_FIGURE.sub("", SOURCELESS_IMAGE.sub("", clean))
    # ProseMirror always holds at least one paragraph; an empty one is no text at all.
    return "" if re.fullmatch(r"<(\w+)></\1>", clean) else clean


class _Pictures(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.images = []

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs))


def pictures_in(html: str) -> list[dict]:
    """Return the attributes of every <img> in the rich text, in order."""
    parser = _Pictures()
    parser.feed(html or "")
    parser.close()
    return parser.images


def library_sources(sources) -> dict[str, object]:
    """Return the library pictures behind these addresses, by address."""
    names = {src.removeprefix(settings.MEDIA_URL): src for src in sources if is_media_path(src)}
    Picture = apps.get_model("articles", "Picture")
    return {names[p.image.name]: p for p in Picture.objects.filter(image__in=names)}


def validate_pictures(html: str) -> None:
    """Refuse a picture without alt text, or one that is not from the picture library."""
    images = pictures_in(html)
    if not images:
        return
    library = library_sources(image.get("src") or "" for image in images)
    errors = []
    for image in images:
        if not (image.get("alt") or "").strip():
            errors.append(ValidationError(PICTURE_PROBLEMS["picture_alt"], code="picture_alt"))
        src = image.get("src") or ""
        if src not in library:
            message = PICTURE_PROBLEMS["picture_source"].format(src=src[:80])
            errors.append(ValidationError(message, code="picture_source"))
    if errors:
        raise ValidationError(errors)


def add_picture_sizes(html: str) -> str:
    """Give each library picture its width and height, so the page does not jump as it loads."""
    library = library_sources(image.get("src") or "" for image in pictures_in(html))

    def sized(match):
        picture = library.get(unescape(match["src"]))
        if picture is None or not picture.width or " width=" in match[0]:
            return match[0]
        return match[0][:-1] + f' width="{picture.width}" height="{picture.height}">'

    return re.sub(r'<img\s[^>]*?src="(?P<src>[^"]*)"[^>]*>', sized, html)


class RichTextField(ProseEditorField):
    """Rich text, sanitised on save; pictures in it must come from the library with alt text."""

    def validate(self, value, model_instance):
        super().validate(value, model_instance)
        validate_pictures(value)


def count_words(html: str) -> int:
    return len(plain_text(html).split())


def rich_text_field(**kwargs):
    return RichTextField(extensions=RICH_TEXT_EXTENSIONS, sanitize=sanitize_rich_text, **kwargs)


def unique_slug(model, text: str, *, instance_pk=None, max_length=200) -> str:
    """Return a slug made from text that no other row of model uses yet."""
    base = slugify(text)[: max_length - 6].strip("-") or "story"
    slug, n = base, 2
    while model.objects.filter(slug=slug).exclude(pk=instance_pk).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


# A tag that starts or ends a block ("<p>region.</p><p>The trial") also ends a word.
BLOCK_TAG = re.compile(
    r"<(?=/?(?:p|li|ul|ol|blockquote|h[1-6]|div|br|hr|figure|figcaption)\b)", re.IGNORECASE
)


def plain_text(html: str) -> str:
    """Return the words of rich text, with one space between them (a caption's too)."""
    return " ".join(unescape(strip_tags(BLOCK_TAG.sub(" <", html))).split())
