"""The story itself: Article, its QuerySet, and how its word count and search text are kept."""

import math
from datetime import timedelta

from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, MaxValueValidator
from django.db import connection, models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from taggit.managers import TaggableManager

from articles.editing.validators import hero_image_path, social_image_path, validate_image_upload
from articles.models.library import Author, Desk, Tag, TaggedArticle, shown_to_readers
from articles.models.text import (
    count_words,
    plain_text,
    rich_text_field,
    sanitize_rich_text,
    unique_slug,
)

WORDS_PER_MINUTE = 230
# Edits within this time of publication are not announced as an update.
UPDATE_GRACE = timedelta(minutes=10)

# Held by editors and chiefs: they see and edit every story, writers only their own.
EDIT_ANY = "articles.edit_any_article"


class ArticleQuerySet(models.QuerySet):
    def published(self):
        """Return the articles a reader may see.

        A scheduled story is visible from its publication time on, before the scheduler
        has finalised its status: readers never wait for cron, and never see it early.
        """
        return self.filter(
            status__in=Article.READER_VISIBLE,
            published_at__lte=timezone.now(),
            deleted_at__isnull=True,
        )

    def live(self):
        """Return the stories not in the trash."""
        return self.filter(deleted_at__isnull=True)

    def visible_to(self, user):
        """Return the stories this staff member may see: all for editors, their own for
        writers. workflow.can_view is the same rule for one story."""
        if not user.is_active:
            return self.none()
        if user.has_perm(EDIT_ANY):
            return self
        return self.filter(created_by=user)

    def with_bylines(self):
        return self.prefetch_related(bylines_with_authors())


def bylines_with_authors() -> models.Prefetch:
    """The stories' bylines with their authors, in one query for all of them."""
    from articles.models.parts import Byline  # parts.py imports this module

    return models.Prefetch("bylines", queryset=Byline.objects.select_related("author"))


class Article(models.Model):
    # The transitions between these states live in articles/moderation/workflow.py.
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        APPROVED = "approved", "Approved"
        SCHEDULED = "scheduled", "Scheduled"
        PUBLISHED = "published", "Published"
        UNPUBLISHED = "unpublished", "Unpublished"
        ARCHIVED = "archived", "Archived"

    class Priority(models.IntegerChoices):
        LOW = 1, "Low"
        NORMAL = 2, "Normal"
        HIGH = 3, "High"
        URGENT = 4, "Urgent"

    READER_VISIBLE = (Status.PUBLISHED, Status.SCHEDULED)

    headline = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=200,
        unique=True,
        help_text="The last part of the story's web address. Filled in from the headline; "
        "change it only before publishing, or old links break.",
    )
    dek = models.CharField(
        "dek",
        max_length=300,
        blank=True,
        help_text="The one-sentence summary under the headline, also used in lists and "
        "search results.",
    )
    desk = models.ForeignKey(
        Desk,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles",
        help_text="The section of the paper this story belongs to.",
    )
    authors = models.ManyToManyField(Author, through="Byline", related_name="articles")
    tags = TaggableManager(
        through=TaggedArticle,
        blank=True,
        help_text="Hashtags, separated by commas or spaces: “AIRevolution, EthicalAI”. "
        "Readers see them as #AIRevolution.",
    )
    hero_image = models.ImageField(
        "hero image",
        upload_to=hero_image_path,
        blank=True,
        width_field="hero_width",
        height_field="hero_height",
        validators=[
            FileExtensionValidator(["jpg", "jpeg", "png", "webp", "gif"]),
            validate_image_upload,
        ],
        help_text="The large picture at the top of the story: JPEG, PNG, WebP or GIF.",
    )
    hero_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    hero_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    hero_alt = models.CharField(
        "alt text",
        max_length=250,
        blank=True,
        help_text="What the picture shows, for readers who cannot see it. Required with an image.",
    )
    hero_caption = models.CharField("caption", max_length=300, blank=True)
    hero_credit = models.CharField(
        "photo credit", max_length=120, blank=True, help_text="e.g. “Photo: Ana Ruiz / Newsroom”."
    )
    hero_focus_x = models.PositiveSmallIntegerField(
        "focal point across (%)",
        default=50,
        validators=[MaxValueValidator(100)],
        help_text="Where the picture's subject is, from the left edge (0) to the right (100). "
        "Crops for sharing keep this point in view.",
    )
    hero_focus_y = models.PositiveSmallIntegerField(
        "focal point down (%)",
        default=50,
        validators=[MaxValueValidator(100)],
        help_text="From the top edge (0) to the bottom (100).",
    )
    # Resized copies of the hero image, made once when it is saved (articles/editing/images.py).
    hero_renditions = models.JSONField(default=dict, blank=True, editable=False)
    seo_title = models.CharField(
        "search title",
        max_length=70,
        blank=True,
        help_text="The title search engines and social networks show. Empty: the headline.",
    )
    seo_description = models.CharField(
        "search description",
        max_length=200,
        blank=True,
        help_text="The summary search engines and social networks show. Empty: the dek.",
    )
    social_image = models.ImageField(
        "sharing image",
        upload_to=social_image_path,
        blank=True,
        validators=[
            FileExtensionValidator(["jpg", "jpeg", "png", "webp"]),
            validate_image_upload,
        ],
        help_text="The picture shown when the story is shared. Empty: the hero image, "
        "cropped around its focal point.",
    )
    canonical_is_original = models.BooleanField(
        "point search engines at the original",
        default=False,
        help_text="For a rewrite of another outlet's story: the canonical link goes to the "
        "first credit's link instead of this page.",
    )
    closing = rich_text_field(
        verbose_name="closing paragraph",
        blank=True,
        help_text="The final thought, shown after the key takeaways.",
    )
    status = models.CharField(
        max_length=20, choices=Status, default=Status.DRAFT, db_index=True, editable=False
    )
    published_at = models.DateTimeField(
        "published",
        null=True,
        blank=True,
        db_index=True,
        help_text="When the story first went out. Filled in when it is published.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField("updated", auto_now=True)
    word_count = models.PositiveIntegerField(default=0, editable=False)
    # Plain text of the body and the takeaways, kept for search (refresh_word_count()).
    body_text = models.TextField(blank=True, editable=False)
    takeaways_text = models.TextField(blank=True, editable=False)
    # The weighted full-text document of articles/reader/search.py, stored so that PostgreSQL can
    # index it (GIN, migration 0003); unused on SQLite.
    search_vector = SearchVectorField(null=True, editable=False)
    created_by = models.ForeignKey(
        "auth.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles_created",
        editable=False,
        help_text="The writer who owns the story: writers may edit only their own drafts.",
    )
    # Every save adds one; a form that loaded an older version is a conflicting edit.
    version = models.PositiveIntegerField(default=0, editable=False)
    assignee = models.ForeignKey(
        "auth.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="articles_assigned",
        limit_choices_to={"is_staff": True},
        help_text="The editor responsible for the next step.",
    )
    due_at = models.DateTimeField(
        "due", null=True, blank=True, help_text="When the next step is due."
    )
    priority = models.PositiveSmallIntegerField(choices=Priority, default=Priority.NORMAL)
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False, db_index=True)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status__in=["published", "scheduled"]) | Q(published_at__isnull=False),
                name="published_article_has_publication_time",
            )
        ]
        indexes = [models.Index(fields=["status", "-published_at"], name="article_listing_idx")]
        permissions = [
            ("publish_article", "Can review, approve, schedule, publish and unpublish stories"),
            ("edit_any_article", "Can edit any story, including published ones"),
            ("restore_article", "Can restore stories from the trash"),
        ]

    def __str__(self):
        return self.headline

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = unique_slug(Article, self.headline, instance_pk=self.pk)
        self.closing = sanitize_rich_text(self.closing)
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("articles:detail", args=[self.slug])

    def clean(self):
        if self.hero_image and not self.hero_alt.strip():
            raise ValidationError(
                {"hero_alt": "Describe the picture for readers who cannot see it."},
                code="alt_required",
            )

    @property
    def is_published(self) -> bool:
        """Whether readers can see the story now."""
        return (
            self.status in self.READER_VISIBLE
            and self.published_at is not None
            and self.published_at <= timezone.now()
            and self.deleted_at is None
        )

    @property
    def byline_authors(self) -> list:
        """The authors in byline order (uses prefetched bylines when there are some)."""
        return [byline.author for byline in self.bylines.all()]

    @property
    def public_tags(self) -> list:
        """The tags readers may see, in the editor's order (uses prefetched tagged_items)."""
        return shown_to_readers(item.tag for item in self.tagged_items.all())

    @property
    def is_overdue(self) -> bool:
        return self.due_at is not None and self.due_at < timezone.now()

    @property
    def was_updated(self) -> bool:
        """Whether the story changed noticeably after it went out (worth telling readers)."""
        return bool(self.published_at) and self.updated_at - self.published_at > UPDATE_GRACE

    @property
    def reading_minutes(self) -> int:
        return max(1, math.ceil(self.word_count / WORDS_PER_MINUTE))

    def set_hashtags(self, names) -> None:
        """Replace the story's tags, keeping the given order and existing spellings."""
        self.tags.clear()
        for name in Tag.objects.canonical_names(names):
            # One at a time: readers see hashtags in the order the editor gave them.
            self.tags.add(name)

    def refresh_word_count(self):
        """Recount the words and store the text search reads; call after the parts were
        saved. The search document made from that text is refreshed by a task
        (articles/reader/tasks.py)."""
        sections = self.sections.values_list("heading", "body")
        parts = [part for section in sections for part in section]
        body = plain_text(" ".join([*parts, self.closing]))
        takeaways = " ".join(self.takeaways.values_list("text", flat=True))
        words = count_words(self.headline) + count_words(self.dek)
        words += len(body.split()) + len(takeaways.split())
        Article.objects.filter(pk=self.pk).update(
            word_count=words, body_text=body, takeaways_text=takeaways
        )
        self.word_count, self.body_text, self.takeaways_text = words, body, takeaways


def refresh_search_vectors(articles) -> None:
    """Recompute the search documents of these articles from their stored text: the
    indexed search vector on PostgreSQL, their rows of the FTS5 index on SQLite."""
    from articles.reader import search

    if connection.vendor == "postgresql":
        articles.update(search_vector=search.DOCUMENT)
    elif connection.vendor == "sqlite":
        search.index_on_sqlite(articles)
