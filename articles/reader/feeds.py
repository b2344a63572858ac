"""RSS 2.0 and Atom 1.0 feeds of published stories: the whole site, a desk, a tag, an author."""

import re
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

from articles.models import Article, Author, Desk, Tag, TaggedArticle

FEED_LENGTH = 20
SUMMARY_WORDS = 30
# Part of every story's GUID: changing it makes feed readers show every story again as new.
GUID_YEAR = 2026


def story_guid(article: Article) -> str:
    """Return a story's permanent feed id: a tag URI that survives a change of slug."""
    host = urlsplit(settings.SITE_URL).hostname
    return f"tag:{host},{GUID_YEAR}:story:{article.pk}"


# A path on this site in stored rich text: a story link (/stories/…) or a picture (/media/…).
SITE_ADDRESS = re.compile(r'(?P<attribute>\s(?:href|src)=")(?P<path>/(?![/\\])[^"]*)"')


def absolute_addresses(html: str) -> str:
    """Make the site's own links and pictures full addresses: a feed reader is elsewhere."""
    return SITE_ADDRESS.sub(
        lambda match: f'{match["attribute"]}{settings.SITE_URL}{match["path"]}"', html
    )


def story_html(article: Article) -> str:
    """Return the whole story as HTML (the stored rich text was sanitised on save), with
    full addresses for the site's own links and pictures."""
    parts = []
    for section in article.sections.all():
        if section.heading:
            parts.append(format_html("<h2>{}</h2>", section.heading))
        # Section bodies and the closing were sanitised to the allow-list when saved.
        parts.append(mark_safe(absolute_addresses(section.body)))  # nosec B308 B703
    takeaways = article.takeaways.all()
    if takeaways:
        items = format_html_join("", "<li>{}</li>", ((t.text,) for t in takeaways))
        parts.append(format_html("<h2>Key takeaways</h2><ol>{}</ol>", items))
    parts.append(mark_safe(absolute_addresses(article.closing)))  # nosec B308 B703
    return "".join(parts)


class LatestStoriesFeed(Feed):
    """The newest published stories of the whole site; subclasses narrow them down."""

    language = "en-gb"
    item_guid_is_permalink = False

    def title(self, obj):
        return settings.SITE_NAME

    def link(self, obj):
        return reverse("articles:home")

    def description(self, obj):
        return f"The latest stories from {settings.SITE_NAME}."

    def subtitle(self, obj):
        # Atom calls the description a subtitle; RSS ignores this.
        return self.description(obj)

    def get_feed(self, obj, request):
        feed = super().get_feed(obj, request)
        if not issubclass(self.feed_type, Atom1Feed):
            # Readers take an RSS channel's title and description as HTML, as they do an
            # item's, but Django escapes only item titles (#6533): a desk, tag or author
            # named with markup would show it as markup. Atom's are text already.
            for field in ("title", "description"):
                feed.feed[field] = escape(feed.feed[field])
        return feed

    def stories(self, obj):
        return Article.objects.published()

    def items(self, obj):
        stories = (
            self.stories(obj)
            .select_related("desk")
            .with_bylines()
            .prefetch_related(
                Prefetch("tagged_items", queryset=TaggedArticle.objects.select_related("tag"))
            )
        )
        if settings.FEEDS_FULL_TEXT:
            stories = stories.prefetch_related("sections", "takeaways")
        return stories.order_by("-published_at", "-pk")[:FEED_LENGTH]

    def item_title(self, article):
        # Readers take RSS titles as HTML, hence Django's escaping (#6533); Atom's are text.
        if issubclass(self.feed_type, Atom1Feed):
            return article.headline
        return escape(article.headline)

    def item_description(self, article):
        if settings.FEEDS_FULL_TEXT:
            return story_html(article)
        # The dek is plain text and descriptions are HTML.
        return escape(article.dek or Truncator(article.body_text).words(SUMMARY_WORDS))

    def item_guid(self, article):
        return story_guid(article)

    def item_pubdate(self, article):
        return article.published_at

    def item_updateddate(self, article):
        return article.updated_at

    def item_author_name(self, article):
        return ", ".join(author.name for author in article.byline_authors) or None

    def item_categories(self, article):
        tags = [tag.name for tag in article.public_tags]
        return [*tags, article.desk.name] if article.desk else tags


class DeskFeed(LatestStoriesFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Desk, slug=slug)

    def title(self, desk):
        return f"{settings.SITE_NAME}: {desk.name}"

    def link(self, desk):
        return desk.get_absolute_url()

    def description(self, desk):
        return desk.description or f"The latest {desk.name} stories from {settings.SITE_NAME}."

    def stories(self, desk):
        return super().stories(desk).filter(desk=desk)


class TagFeed(LatestStoriesFeed):
    def get_object(self, request, slug):
        # Internal planning tags have no public page, so no feed either.
        return get_object_or_404(Tag.objects.public(), slug=slug)

    def title(self, tag):
        return f"{settings.SITE_NAME}: {tag.hashtag}"

    def link(self, tag):
        return tag.get_absolute_url()

    def description(self, tag):
        return tag.description or f"The latest {tag.hashtag} stories from {settings.SITE_NAME}."

    def stories(self, tag):
        return super().stories(tag).filter(tagged_items__tag=tag)


class AuthorFeed(LatestStoriesFeed):
    def get_object(self, request, slug):
        return get_object_or_404(Author, slug=slug)

    def title(self, author):
        return f"{settings.SITE_NAME}: stories by {author.name}"

    def link(self, author):
        return author.get_absolute_url()

    def description(self, author):
        return f"The latest stories by {author.name} in {settings.SITE_NAME}."

    def stories(self, author):
        return super().stories(author).filter(bylines__author=author)


class LatestStoriesAtomFeed(LatestStoriesFeed):
    feed_type = Atom1Feed


class DeskAtomFeed(DeskFeed):
    feed_type = Atom1Feed


class TagAtomFeed(TagFeed):
    feed_type = Atom1Feed


class AuthorAtomFeed(AuthorFeed):
    feed_type = Atom1Feed
