"""Cache invalidation only: no business logic lives in signals."""

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save, pre_delete
from django.dispatch import receiver

from articles.delivery import cache as page_cache
from articles.models import (
    Article,
    ArticleCallToAction,
    Author,
    Byline,
    CallToAction,
    Credit,
    Desk,
    Notice,
    Section,
    Tag,
    TaggedArticle,
    Takeaway,
)
from articles.reader.context_processors import NAV_DESKS_CACHE_KEY

# Everything a reader page shows is stored in one of these.
READER_CONTENT = [
    Article,
    Section,
    Takeaway,
    Credit,
    Byline,
    ArticleCallToAction,
    CallToAction,
    Desk,
    Tag,
    TaggedArticle,
    Author,
    Notice,
]


@receiver([post_save, post_delete], sender=Desk)
def forget_navigation_desks(**kwargs):
    cache.delete(NAV_DESKS_CACHE_KEY)


def forget_reader_pages(**kwargs):
    page_cache.invalidate()


for model in READER_CONTENT:
    post_save.connect(forget_reader_pages, sender=model, dispatch_uid=f"pages-{model.__name__}")
    post_delete.connect(forget_reader_pages, sender=model, dispatch_uid=f"pages-{model.__name__}-d")


def stories_showing(row):
    """The stories whose pages show this row."""
    match row:
        case Desk():
            return Article.objects.filter(desk=row)
        case Tag():
            return Article.objects.filter(tagged_items__tag=row)
        case Author():
            return Article.objects.filter(bylines__author=row)
        case CallToAction():
            return Article.objects.filter(cta_placements__call_to_action=row)
        case TaggedArticle():
            return Article.objects.filter(pk=row.content_object_id)
        case _:  # a part of one story: a section, takeaway, credit, byline, placement or notice
            return Article.objects.filter(pk=row.article_id)


def forget_rendered_stories(instance, **kwargs):
    """Move the content stamp of the stories showing a changed row, so their stored pages
    (articles/delivery/rendering.py) are rendered again. Before a delete, while the links
    still exist; Article.save moves a story's own stamp. Rows loaded from a backup (raw)
    change nothing that was ever rendered."""
    if not kwargs.get("raw"):
        stories_showing(instance).update()


for model in READER_CONTENT:
    if model is not Article:
        post_save.connect(
            forget_rendered_stories, sender=model, dispatch_uid=f"page-{model.__name__}"
        )
        pre_delete.connect(
            forget_rendered_stories, sender=model, dispatch_uid=f"page-{model.__name__}-d"
        )
