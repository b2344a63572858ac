"""The editing side's background work, run by the task worker (`manage.py run_worker`): the
copies Pillow makes of a picture, which take seconds for a large photo, so that no save
waits for them. Each is queued in the save's own transaction: a save rolled back queues
nothing, and a committed one is never left without its copies.

Storage that fails (a bucket out of reach) is tried again after each of
PICTURE_RETRY_DELAYS; then the task fails, and Chiefs see it on the review queues.
"""

from django.conf import settings
from django.tasks import task

from articles.delivery import cache as page_cache
from articles.editing import images
from articles.models import Article, Picture
from newsroom.tasks import try_again_or_fail


@task
def make_renditions(story_id: int, attempt: int = 1) -> str:
    """Make the story's hero renditions if its picture, crop or sharing image changed."""
    article = Article.objects.filter(pk=story_id).first()
    if article is None:
        return "story deleted"
    before = article.hero_renditions
    try:
        made = images.make_renditions(article)
    except Exception as error:
        what = f"make the renditions of story {story_id}"
        return try_again_or_fail(
            make_renditions,
            story_id,
            attempt=attempt,
            delays=settings.PICTURE_RETRY_DELAYS,
            error=error,
            what=what,
        )
    if made == before:
        return "unchanged"
    # Pages drawn before showed the old picture, or none.
    page_cache.pages_changed()
    return "made"


@task
def make_thumbnail(picture_id: int, attempt: int = 1) -> str:
    """Make the library picture's small copy for the grid and the chooser."""
    picture = Picture.objects.filter(pk=picture_id).first()
    if picture is None:
        return "picture deleted"
    try:
        images.make_thumbnail(picture)
    except Exception as error:
        what = f"make the thumbnail of library picture {picture_id}"
        return try_again_or_fail(
            make_thumbnail,
            picture_id,
            attempt=attempt,
            delays=settings.PICTURE_RETRY_DELAYS,
            error=error,
            what=what,
        )
    return "made"
