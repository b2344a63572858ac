import math
import re
from datetime import timedelta
from html import unescape
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator, MaxValueValidator
from django.db import connection, models, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import slugify
from django_prose_editor.fields import ProseEditorField, create_sanitizer
from taggit.managers import TaggableManager
from taggit.models import NaturalKeyManager, TagBase, TaggedItemBase

from articles.editing.validators import (
    hero_image_path,
    social_image_path,
    validate_button_label,
    validate_image_upload,
    validate_link_url,
)

# What editors may write in rich text. The editor's toolbar and the server-side
# sanitiser are built from this one list, so they cannot drift apart.
RICH_TEXT_EXTENSIONS = {
    "Bold": True,
    "Italic": True,
    "Link": {"protocols": ["http", "https", "mailto", "tel"], "enableTarget": False},
    "BulletList": True,
    "OrderedList": True,
    "ListItem": True,
    "Blockquote": True,
    "HardBreak": True,
}
sanitize_rich_text = create_sanitizer(RICH_TEXT_EXTENSIONS)

WORDS_PER_MINUTE = 230
# Edits within this time of publication are not announced as an update.
UPDATE_GRACE = timedelta(minutes=10)


def count_words(html: str) -> int:
    return len(strip_tags(html).split())


def rich_text_field(**kwargs):
    return ProseEditorField(extensions=RICH_TEXT_EXTENSIONS, sanitize=True, **kwargs)


def unique_slug(model, text: str, *, instance_pk=None, max_length=200) -> str:
    """Return a slug made from text that no other row of model uses yet."""
    base = slugify(text)[: max_length - 6].strip("-") or "story"
    slug, n = base, 2
    while model.objects.filter(slug=slug).exclude(pk=instance_pk).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


class Desk(models.Model):
    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(
        blank=True, help_text="One or two sentences shown at the top of the desk's page."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("articles:desk", args=[self.slug])


class Author(models.Model):
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120, unique=True)
    job_title = models.CharField(
        max_length=120, blank=True, help_text="Shown under the name, e.g. “Science editor”."
    )
    bio = models.TextField(blank=True, help_text="A short paragraph for the author's page.")
    user = models.OneToOneField(
        "auth.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="author_profile",
        help_text="The staff login of this author, if they have one.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("articles:author", args=[self.slug])


class TagQuerySet(models.QuerySet):
    def public(self):
        """Tags readers may see: on a story readers may see, and not for planning only.

        A tag only drafts carry is unknown to readers: its page and feed must not confirm
        that it exists, and so give away what the newsroom is working on.
        """
        published = Article.objects.published().filter(tagged_items__tag=models.OuterRef("pk"))
        return self.filter(models.Exists(published), is_internal=False)

    def known_to(self, writer):
        """Tags a writer may know of: on a published story or on one of her own stories."""
        published = Article.objects.published().filter(tagged_items__tag=models.OuterRef("pk"))
        own = Article.objects.live().filter(
            created_by=writer, tagged_items__tag=models.OuterRef("pk")
        )
        return self.filter(models.Exists(published) | models.Exists(own))

    def canonical_names(self, names) -> list[str]:
        """Map typed tags to existing spellings ("#ethical ai" -> "EthicalAI"), without repeats."""
        cleaned = [" ".join(name.strip().lstrip("#").split()) for name in names]
        cleaned = [name for name in cleaned if tag_key(name)]
        existing = dict(
            self.filter(key__in=[tag_key(name) for name in cleaned]).values_list("key", "name")
        )
        canonical = {}
        for name in cleaned:
            canonical.setdefault(tag_key(name), existing.get(tag_key(name), name))
        return list(canonical.values())


class Tag(TagBase):
    """A hashtag. Stored as typed ("EthicalAI"); readers see it as #EthicalAI."""

    # "Ethical AI", "#ethical-ai" and "EthicalAI" have one key, so they are one tag.
    key = models.CharField(max_length=100, unique=True, editable=False)
    description = models.TextField(
        blank=True, help_text="A sentence or two shown at the top of the tag's page."
    )
    is_internal = models.BooleanField(
        "internal",
        default=False,
        help_text="For planning only: never shown to readers, in feeds or in search engines.",
    )

    # taggit's natural-key manager, so dumpdata --natural-foreign output loads again.
    objects = NaturalKeyManager.from_queryset(TagQuerySet)()

    class Meta:
        ordering = ["name"]

    def save(self, *args, **kwargs):
        self.key = tag_key(self.name)
        super().save(*args, **kwargs)

    @transaction.atomic
    def absorb(self, duplicates) -> int:
        """Merge duplicate tags into this one: their stories move here; return how many moved."""
        moved = 0
        for duplicate in duplicates:
            if duplicate.pk == self.pk:
                continue
            already = TaggedArticle.objects.filter(tag=self).values("content_object")
            duplicate.tagged_articles.filter(content_object__in=already).delete()
            moved += duplicate.tagged_articles.update(tag=self)
            duplicate.delete()
        Article.objects.filter(tagged_items__tag=self).update()  # their pages show this tag now
        return moved

    def get_absolute_url(self):
        return reverse("articles:tag", args=[self.slug])

    @property
    def hashtag(self) -> str:
        return hashtag(self.name)


def tag_key(name: str) -> str:
    """Return what makes two spellings of a tag the same tag: letters and digits, lowercased."""
    return re.sub(r"[\W_]+", "", name).lower()


def hashtag(name: str) -> str:
    """Return a tag name as a #CamelCase hashtag: "ethical ai" -> "#EthicalAi"."""
    words = re.split(r"[^\w]+", name.lstrip("#"))
    return "#" + "".join(word[:1].upper() + word[1:] for word in words if word)


class TaggedArticle(TaggedItemBase):
    content_object = models.ForeignKey(
        "Article", on_delete=models.CASCADE, related_name="tagged_items"
    )
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="tagged_articles")

    class Meta:
        # Hashtags keep the order the editor gave them.
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["content_object", "tag"], name="unique_article_tag")
        ]


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

    def update(self, **kwargs):
        """Every write to a story row moves its content stamp, so its stored reader page
        (articles/delivery/rendering.py) is rendered again; `update()` alone just moves the
        stamp."""
        kwargs.setdefault("content_stamp", models.F("content_stamp") + 1)
        return super().update(**kwargs)

    def with_bylines(self):
        return self.prefetch_related(
            models.Prefetch("bylines", queryset=Byline.objects.select_related("author"))
        )


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
    # Moves on every write to the story or to anything its page shows (see
    # articles/delivery/rendering.py): a stored page rendered at another stamp is out of date.
    content_stamp = models.PositiveBigIntegerField(default=0, editable=False)
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
        moves_stamp = not self._state.adding
        if moves_stamp:
            # Counted by the database, not from this copy, which may be out of date.
            self.content_stamp = models.F("content_stamp") + 1
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "content_stamp"}
        super().save(*args, **kwargs)
        if moves_stamp:
            del self.content_stamp  # read again from the database if anyone asks

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
        return [item.tag for item in self.tagged_items.all() if not item.tag.is_internal]

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
        """Recount the words and refresh the search text; call after the parts were saved."""
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
        refresh_search_vectors(Article.objects.filter(pk=self.pk))


# A tag that starts or ends a block ("<p>region.</p><p>The trial") also ends a word.
BLOCK_TAG = re.compile(r"<(?=/?(?:p|li|ul|ol|blockquote|h[1-6]|div|br|hr)\b)", re.IGNORECASE)


def plain_text(html: str) -> str:
    """Return the words of rich text, with one space between them."""
    return " ".join(unescape(strip_tags(BLOCK_TAG.sub(" <", html))).split())


def refresh_search_vectors(articles) -> None:
    """Recompute the search documents of these articles from their stored text: the
    indexed search vector on PostgreSQL, their rows of the FTS5 index on SQLite."""
    from articles.reader import search

    if connection.vendor == "postgresql":
        articles.update(search_vector=search.DOCUMENT)
    elif connection.vendor == "sqlite":
        search.index_on_sqlite(articles)


class Byline(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="bylines")
    author = models.ForeignKey(Author, on_delete=models.PROTECT, related_name="bylines")
    position = models.PositiveIntegerField(default=0, db_index=True)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["article", "author"], name="unique_byline")]

    def __str__(self):
        return self.author.name


class Section(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="sections")
    position = models.PositiveIntegerField(default=0, db_index=True)
    heading = models.CharField(
        max_length=200,
        blank=True,
        help_text="Leave empty for the intro: a section without a heading runs straight on.",
    )
    anchor = models.SlugField(
        max_length=80,
        blank=True,
        help_text="Link target for the table of contents (#anchor). Made from the heading "
        "once and then kept, so shared links keep working when the heading is edited.",
    )
    body = rich_text_field(blank=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self):
        return self.heading or "Intro"

    def save(self, *args, **kwargs):
        if self.heading and not self.anchor:
            self.anchor = self.unused_anchor()
        self.body = sanitize_rich_text(self.body)
        super().save(*args, **kwargs)

    def unused_anchor(self) -> str:
        base = slugify(self.heading)[:70] or "section"
        taken = set(
            Section.objects.filter(article_id=self.article_id)
            .exclude(pk=self.pk)
            .values_list("anchor", flat=True)
        )
        anchor, n = base, 2
        while anchor in taken:
            anchor, n = f"{base}-{n}", n + 1
        return anchor


class Takeaway(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="takeaways")
    position = models.PositiveIntegerField(default=0, db_index=True)
    text = models.TextField(help_text="One sentence or a short paragraph.")

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self):
        return self.text[:80]


class Credit(models.Model):
    DEFAULT_ROLE = "Original article and inspiration provided by"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="credits")
    position = models.PositiveIntegerField(default=0, db_index=True)
    role = models.CharField(
        max_length=120,
        default=DEFAULT_ROLE,
        help_text="The words before the name, ending in “by”.",
    )
    name = models.CharField(max_length=120)
    organisation = models.CharField(max_length=120, blank=True)
    url = models.CharField(
        "link",
        max_length=500,
        blank=True,
        validators=[validate_link_url],
        help_text="The original article, if it is online (https://…, or /… on this site).",
    )

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self):
        return f"{self.role} {self.name}"


class CallToAction(models.Model):
    name = models.CharField(
        "internal name",
        max_length=120,
        unique=True,
        help_text="For editors only, to find the block: “AI strategists — consultation”.",
    )
    text = models.CharField(
        max_length=300,
        help_text="What readers read: “Connect with one of our AI Strategists today at "
        "Opahl Technologies”.",
    )
    button_label = models.CharField(
        max_length=60,
        blank=True,
        help_text="Say what happens: “Book a consultation”, not “Click here”.",
    )
    url = models.CharField(
        "link",
        max_length=500,
        blank=True,
        validators=[validate_link_url],
        help_text="Where the button goes: https://…, /… on this site, mailto:… or tel:….",
    )
    organisation = models.CharField(max_length=120, blank=True)
    starts_at = models.DateTimeField(
        "show from", null=True, blank=True, help_text="Empty: from now on."
    )
    ends_at = models.DateTimeField(
        "show until",
        null=True,
        blank=True,
        help_text="After this, the block disappears from every story; no story needs editing.",
    )
    utm_source = models.CharField("UTM source", max_length=60, blank=True)
    utm_medium = models.CharField("UTM medium", max_length=60, blank=True)
    utm_campaign = models.CharField("UTM campaign", max_length=60, blank=True)
    articles = models.ManyToManyField(
        Article, through="ArticleCallToAction", related_name="calls_to_action"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = "call to action"
        verbose_name_plural = "calls to action"

    def __str__(self):
        # The autocomplete boxes show this: imported blocks are named after their text, so
        # the organisation tells apart blocks whose names read alike.
        if self.organisation and self.organisation.lower() not in self.name.lower():
            return f"{self.name} — {self.organisation}"
        return self.name

    def clean(self):
        if bool(self.url) != bool(self.button_label):
            raise ValidationError(
                "A button needs both a label and a link; leave both empty for text only.",
                code="button_incomplete",
            )
        if self.button_label:
            try:
                validate_button_label(self.button_label)
            except ValidationError as error:
                raise ValidationError({"button_label": error}) from None
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError(
                {"ends_at": "The end must come after the start."}, code="dates_reversed"
            )

    def is_showing(self, now=None) -> bool:
        now = now or timezone.now()
        return (self.starts_at is None or self.starts_at <= now) and (
            self.ends_at is None or now < self.ends_at
        )

    @property
    def link(self) -> str:
        """The button's address, with the campaign's UTM parameters added to web links."""
        utm = {
            name: value
            for name, value in [
                ("utm_source", self.utm_source),
                ("utm_medium", self.utm_medium),
                ("utm_campaign", self.utm_campaign),
            ]
            if value
        }
        if not utm or not self.url.startswith(("http://", "https://")):
            return self.url
        parts = urlsplit(self.url)
        query = urlencode([*parse_qsl(parts.query), *utm.items()])
        return urlunsplit(parts._replace(query=query))


class ArticleCallToAction(models.Model):
    class Placement(models.TextChoices):
        AFTER_INTRO = "after_intro", "After the intro"
        AFTER_BODY = "after_body", "After the sections"
        AFTER_TAKEAWAYS = "after_takeaways", "After the key takeaways"
        END = "end", "At the end of the story"

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="cta_placements")
    call_to_action = models.ForeignKey(
        CallToAction, on_delete=models.PROTECT, related_name="placements"
    )
    placement = models.CharField(max_length=20, choices=Placement, default=Placement.END)
    position = models.PositiveIntegerField(default=0, db_index=True)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = "call to action"
        verbose_name_plural = "calls to action"

    def __str__(self):
        return str(self.call_to_action)


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
    """One run of `publish_scheduled`, so the desk can show the scheduler is alive."""

    finished_at = models.DateTimeField(default=timezone.now, db_index=True)
    published = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-finished_at"]

    def __str__(self):
        return f"Scheduler run at {self.finished_at:%Y-%m-%d %H:%M}"


class RenderedStory(models.Model):
    """A story's reader page, rendered once per change instead of once per reader, as
    Ghost stores a post's HTML. articles/delivery/rendering.py is the only reader and writer."""

    article = models.OneToOneField(
        Article, on_delete=models.CASCADE, primary_key=True, related_name="rendered"
    )
    # The story's content stamp when this was rendered; any other stamp means out of date.
    content_stamp = models.PositiveBigIntegerField()
    # Links in the page's metadata are absolute: rendered for this site address.
    base_url = models.CharField(max_length=300)
    # Render again from then on: a call to action placed on the story starts or ends.
    valid_until = models.DateTimeField(null=True, blank=True)
    title = models.TextField()
    description = models.TextField()
    head = models.TextField()
    body = models.TextField()

    def __str__(self):
        return f"Rendered page of article {self.article_id}"
