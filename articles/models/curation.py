"""Editors' choices of what leads a page, beside the newest-first order."""

from django.db import models
from django.db.models import Q
from django.utils import timezone

from articles.models.library import Desk
from articles.models.story import Article


class PinQuerySet(models.QuerySet):
    def showing(self, now=None):
        """Pins in force now, in the editors' order."""
        now = now or timezone.now()
        return self.filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))


class Pin(models.Model):
    """A story an editor has put at the top of the home page (no desk) or of a desk's page."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="pins")
    desk = models.ForeignKey(
        Desk,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="pins",
        help_text="Leave empty to feature the story on the home page.",
    )
    position = models.PositiveSmallIntegerField(
        default=0, help_text="Lower numbers lead: 0 is the top of the page."
    )
    ends_at = models.DateTimeField(
        null=True, blank=True, help_text="Optional. After this time the page is newest-first again."
    )
    created_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = PinQuerySet.as_manager()

    class Meta:
        # Editors know these rows as front-page picks.
        verbose_name = "front-page pick"
        verbose_name_plural = "front-page picks"
        ordering = ["position", "-created_at"]
        indexes = [models.Index(fields=["desk", "position"], name="pin_page_order")]

    def __str__(self):
        page = self.desk.name if self.desk_id else "the home page"
        return f"{self.article} on {page}"


class ReadNext(models.Model):
    """A story shown under another in its "Read next" list.

    An editor's pins come first, in their order; the rest are worked out by
    articles/reader/related.py when stories are saved or published, and stored here so that
    a reader's request never ranks the archive.
    """

    story = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="read_next")
    related = models.ForeignKey(
        Article,
        on_delete=models.CASCADE,
        related_name="read_next_of",
        verbose_name="story",
        help_text="Shown under this story, before the ones Newsroom picks.",
    )
    position = models.PositiveSmallIntegerField(default=0)
    # A row made in the admin is an editor's pin; the ones worked out are stored with False.
    pinned = models.BooleanField(default=True)

    class Meta:
        verbose_name = "pinned story to read next"
        verbose_name_plural = "Read next — pinned stories come first"
        # The pins' own order, for the admin; the reader's list puts the pins first.
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["story", "related"],
                condition=Q(pinned=True),
                name="pin_read_next_once",
                violation_error_message="This story is already pinned.",
            ),
            models.CheckConstraint(
                condition=~Q(story=models.F("related")),
                name="read_next_not_itself",
                violation_error_message="A story cannot be read next after itself.",
            ),
        ]
        indexes = [models.Index(fields=["story", "-pinned", "position"], name="read_next_order")]

    def __str__(self):
        return f"{self.related} after {self.story}"
