"""What happened to a story: events, notices, revisions, preview links, scheduler runs."""

from django.db import models
from django.utils import timezone

from articles.models.story import Article


class ArticleEvent(models.Model):
    """One line of a story's history: a status change, a comment or a notice."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Who spoke when there is no staff login: an outside reviewer, or "scheduler".
    actor_name = models.CharField(max_length=120, blank=True)
    action = models.CharField(max_length=30)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.who}: {self.action}"

    @property
    def who(self) -> str:
        if self.actor:
            return self.actor.get_full_name() or self.actor.get_username()
        return self.actor_name or "System"


class Notice(models.Model):
    """A reader-visible note on a change made after publication."""

    class Kind(models.TextChoices):
        UPDATE = "update", "Update"
        CLARIFICATION = "clarification", "Clarification"
        CORRECTION = "correction", "Correction"
        RETRACTION = "retraction", "Retraction"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=20, choices=Kind)
    text = models.TextField(help_text="What changed and why, in a sentence or two, for readers.")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        "auth.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.text[:60]}"


class Revision(models.Model):
    """A snapshot of a story and all its parts, kept at every save."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="revisions")
    version = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    summary = models.CharField(max_length=200, blank=True)
    snapshot = models.JSONField()

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["article", "version"], name="unique_revision_version")
        ]

    def __str__(self):
        return f"Version {self.version} of “{self.article}”"


class PreviewLink(models.Model):
    """A signed, expiring, revocable read-only link for an outside reviewer."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="preview_links")
    label = models.CharField(
        "for whom", max_length=120, help_text="e.g. “Our lawyer” or “Source: Dr Ana Ruiz”."
    )
    created_by = models.ForeignKey(
        "auth.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Preview of “{self.article}” for {self.label}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class PreviewLinkVisit(models.Model):
    link = models.ForeignKey(PreviewLink, on_delete=models.CASCADE, related_name="visits")
    visited_at = models.DateTimeField(default=timezone.now)
    user_agent = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-visited_at"]

    def __str__(self):
        return f"{self.link.label} at {self.visited_at:%Y-%m-%d %H:%M}"


class SchedulerRun(models.Model):
    """One run of `publish_scheduled`, so the review queues can show the scheduler is alive."""

    finished_at = models.DateTimeField(default=timezone.now, db_index=True)
    published = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-finished_at"]

    def __str__(self):
        return f"Scheduler run at {self.finished_at:%Y-%m-%d %H:%M}"
