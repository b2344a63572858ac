"""Cache invalidation only: no business logic lives in signals."""

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from articles.context_processors import NAV_DESKS_CACHE_KEY
from articles.models import Desk


@receiver([post_save, post_delete], sender=Desk)
def forget_navigation_desks(**kwargs):
    cache.delete(NAV_DESKS_CACHE_KEY)
