"""Desks, authors and hashtags: the lists a story is filed under."""

import re

from django.db import models, transaction
from django.urls import reverse
from taggit.models import NaturalKeyManager, TagBase, TaggedItemBase


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


class AuthorQuerySet(models.QuerySet):
    def public(self):
        """Authors readers know: with a story readers may see. An author of drafts only is
        not known to readers yet."""
        from articles.models.story import Article  # story.py imports this module

        published = Article.objects.published().filter(bylines__author=models.OuterRef("pk"))
        return self.filter(models.Exists(published))


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

    objects = AuthorQuerySet.as_manager()

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
        from articles.models.story import Article  # story.py imports this module

        published = Article.objects.published().filter(tagged_items__tag=models.OuterRef("pk"))
        return self.filter(models.Exists(published), is_internal=False)

    def known_to(self, writer):
        """Tags a writer may know of: on a published story or on one of her own stories."""
        from articles.models.story import Article  # story.py imports this module

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
        return moved

    def get_absolute_url(self):
        return reverse("articles:tag", args=[self.slug])

    @property
    def hashtag(self) -> str:
        return hashtag(self.name)


def shown_to_readers(tags) -> list:
    """A published story's tags as readers see them: all but those for planning only."""
    return [tag for tag in tags if not tag.is_internal]


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
