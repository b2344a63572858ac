"""Sitemaps of the pages readers can see, and a Google News sitemap of the newest stories."""

from datetime import timedelta

from django.contrib.sitemaps import Sitemap
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from articles.models import Article, Author, Desk, Tag

# Google News reads only stories from the last two days, at most 1,000 a sitemap.
NEWS_WINDOW = timedelta(days=2)
NEWS_LIMIT = 1000


def newest_story(stories) -> Subquery:
    """Annotate each row with the publication time of its newest published story."""
    return Subquery(stories.order_by("-published_at").values("published_at")[:1])


class ArticleSitemap(Sitemap):
    def items(self):
        # A sitemap may list 50,000 stories: load only what a URL and its date need.
        return Article.objects.published().only("slug", "updated_at").order_by("-published_at")

    def lastmod(self, article):
        return article.updated_at


class DeskSitemap(Sitemap):
    def items(self):
        published = Article.objects.published().filter(desk=OuterRef("pk"))
        return Desk.objects.annotate(newest=newest_story(published))

    def lastmod(self, desk):
        return desk.newest


class TagSitemap(Sitemap):
    def items(self):
        published = Article.objects.published().filter(tagged_items__tag=OuterRef("pk"))
        # public() already leaves out tags no published story carries.
        return Tag.objects.public().annotate(newest=newest_story(published))

    def lastmod(self, tag):
        return tag.newest


class AuthorSitemap(Sitemap):
    def items(self):
        published = Article.objects.published().filter(bylines__author=OuterRef("pk"))
        return Author.objects.annotate(newest=newest_story(published)).filter(newest__isnull=False)

    def lastmod(self, author):
        return author.newest


class NewsSitemap(Sitemap):
    """Stories of the last two days, for templates/sitemaps/news.xml."""

    limit = NEWS_LIMIT

    def items(self):
        return (
            Article.objects.published()
            .filter(published_at__gte=timezone.now() - NEWS_WINDOW)
            .only("slug", "headline", "published_at", "updated_at")
            .order_by("-published_at")
        )

    def lastmod(self, article):
        return article.updated_at


sitemaps = {
    "articles": ArticleSitemap,
    "desks": DeskSitemap,
    "tags": TagSitemap,
    "authors": AuthorSitemap,
}
