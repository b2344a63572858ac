"""The picture library: pictures uploaded once, with their words and focal point, for any story."""

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.validators import FileExtensionValidator, MaxValueValidator
from django.db import models
from django.db.models import CharField, Count, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce, Concat
from django.utils import timezone

from articles.editing.uploads import stored_name
from articles.editing.validators import validate_image_upload
from articles.models.parts import Section
from articles.models.story import Article


def picture_image_path(picture, filename: str) -> str:
    """Return where a library picture is stored: named as hero images are (hero_image_path).

    The same scheme on purpose: a story that uses the picture keeps this name as its hero.
    """
    return stored_name(picture.image, filename)


def uses_picture(name, url) -> Q:
    """Stories whose hero is the picture, or whose sections or closing show it (by address)."""
    sections = Section.objects.filter(body__contains=url).values("article")
    return Q(hero_image=name) | Q(closing__contains=url) | Q(pk__in=sections)


class PictureQuerySet(models.QuerySet):
    def with_story_count(self):
        """Annotate `story_count`: how many stories (the trash too) use this picture, as their
        hero or inside their text."""

        def address(image):
            return Concat(Value(settings.MEDIA_URL), image, output_field=CharField())

        sections = Section.objects.filter(
            body__contains=address(OuterRef(OuterRef("image")))
        ).values("article")
        stories = (
            Article.objects.filter(
                Q(hero_image=OuterRef("image"))
                | Q(closing__contains=address(OuterRef("image")))
                | Q(pk__in=sections)
            )
            .order_by()
            # One group of every matching story, whatever it matched on: one count.
            .annotate(one=Value(1))
            .values("one")
            .annotate(total=Count("pk"))
            .values("total")
        )
        return self.annotate(story_count=Coalesce(Subquery(stories), 0))

    def search(self, words: str):
        """Return the pictures whose alt text, caption or credit holds every word."""
        matches = self
        for word in words.split():
            matches = matches.filter(
                Q(alt__icontains=word) | Q(caption__icontains=word) | Q(credit__icontains=word)
            )
        return matches


class Picture(models.Model):
    """A picture in the library. Choosing it for a story copies its file name and words into
    the story's hero fields, so the story does not change when the picture is edited later."""

    image = models.ImageField(
        "picture",
        upload_to=picture_image_path,
        width_field="width",
        height_field="height",
        validators=[
            FileExtensionValidator(["jpg", "jpeg", "png", "webp", "gif"]),
            validate_image_upload,
        ],
        help_text="JPEG, PNG, WebP or GIF. Upload it once; any story can then use it.",
    )
    width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    # A small copy for the grid and the chooser, made once by images.make_thumbnail().
    thumbnail = models.CharField(max_length=255, blank=True, editable=False)
    alt = models.CharField(
        "alt text",
        max_length=250,
        help_text="What the picture shows, for readers who cannot see it.",
    )
    caption = models.CharField(max_length=300, blank=True)
    credit = models.CharField(
        "photo credit", max_length=120, blank=True, help_text="e.g. “Photo: Ana Ruiz / Newsroom”."
    )
    focus_x = models.PositiveSmallIntegerField(
        "focal point across (%)",
        default=50,
        validators=[MaxValueValidator(100)],
        help_text="Where the picture's subject is, from the left edge (0) to the right (100). "
        "Click the picture to set it; crops keep this point in view.",
    )
    focus_y = models.PositiveSmallIntegerField(
        "focal point down (%)",
        default=50,
        validators=[MaxValueValidator(100)],
        help_text="From the top edge (0) to the bottom (100).",
    )
    uploaded_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = PictureQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(focus_x__lte=100, focus_y__lte=100), name="picture_focus_in_picture"
            ),
        ]

    def __str__(self):
        return self.alt

    @property
    def thumbnail_url(self) -> str:
        return default_storage.url(self.thumbnail) if self.thumbnail else self.image.url

    def stories(self):
        """Return the stories (the trash too) that use this picture: as hero or in their text."""
        return Article.objects.filter(uses_picture(self.image.name, self.image.url)).distinct()
