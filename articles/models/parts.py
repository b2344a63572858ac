"""The parts a story is made of: bylines, sections, takeaways, credits and calls to action."""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.text import slugify

from articles.editing.validators import validate_button_label, validate_link_url
from articles.models.library import Author
from articles.models.story import Article
from articles.models.text import rich_text_field, sanitize_rich_text


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
