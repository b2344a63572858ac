"""Cache invalidation only: no business logic lives in signals."""

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from articles import cache as page_cache
from articles.context_processors import NAV_DESKS_CACHE_KEY
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
