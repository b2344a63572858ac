"""The reader side's background work, run by the task worker (`manage.py run_worker`): the
indexes readers find stories through, worked out again when a story changes.

A save queues `refresh_indexes` in its own transaction, so a save rolled back queues nothing.
Until the worker has run (about a second), search ranks the story by its previous text, and
read-next lists are the previous ones; what readers see of the story itself changes with the
save. Workflow steps change no text: they work out the read-next lists themselves
(articles/moderation/workflow.py), so a publication is in them as soon as readers see it.
"""

from django.conf import settings
from django.db import DatabaseError, transaction
from django.tasks import task

from articles.delivery import cache as page_cache
from articles.models import Article, refresh_search_vectors
from articles.reader import related
from newsroom.tasks import try_again_or_fail


@task
def refresh_indexes(story_id: int, attempt: int = 1) -> str:
    """Bring the story's search entry and the read-next lists it is in up to date."""
    article = Article.objects.filter(pk=story_id).first()
    if article is None:
        return "story deleted"
    try:
        with transaction.atomic():
            refresh_search_vectors(Article.objects.filter(pk=story_id))
            related.story_changed(article)
    except DatabaseError as error:  # a deadlock, a statement cancelled, a failover
        what = f"update search and read-next lists for story {story_id}"
        return try_again_or_fail(
            refresh_indexes,
            story_id,
            attempt=attempt,
            delays=settings.INDEX_RETRY_DELAYS,
            error=error,
            what=what,
        )
    if article.is_published:
        # Search results and read-next lists drawn before are stale. A draft's entry and
        # list are in no page a reader sees: every cached page stays good.
        page_cache.pages_changed()
    return "refreshed"
