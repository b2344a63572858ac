"""Keys for the read API: one per integration (an app, a static site, a partner)."""

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

# Ghost's Content API keys are 26 hexadecimal characters; ours are too, so that a Ghost
# client library takes them as they are.
KEY_BYTES = 13
# How often a key's "last used" time is written: a busy integration would otherwise write
# on every request.
LAST_USED_PRECISION = timedelta(minutes=1)


def secret_digest(secret: str) -> str:
    """The stored form of a key. A key is 104 random bits, not a password: one SHA-256 is
    enough to make a copy of the table useless, and cheap enough to run on every request."""
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiKeyQuerySet(models.QuerySet):
    def active(self):
        return self.filter(revoked_at__isnull=True)


class ApiKey(models.Model):
    class Scope(models.TextChoices):
        PUBLISHED = "published", "Published stories only"
        PREVIEW = "preview", "Also drafts, scheduled and trashed stories (for previews)"

    name = models.CharField(
        max_length=100, help_text="Which integration uses it, e.g. “Mobile app” or “Newsletter”."
    )
    scope = models.CharField(
        max_length=20,
        choices=Scope,
        default=Scope.PUBLISHED,
        help_text="A preview key reads every story and tag, published or not: give it only "
        "to tools the newsroom's own staff use.",
    )
    prefix = models.CharField(
        max_length=6, editable=False, help_text="The key's first characters, to tell keys apart."
    )
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField("last used", null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField("revoked", null=True, blank=True, editable=False)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        verbose_name = "API key"
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, *, name: str, scope: str, by=None) -> tuple["ApiKey", str]:
        """Create a key; return it and its secret."""
        key = cls(name=name, scope=scope, created_by=by)
        secret = key.new_secret()
        key.save()
        return key, secret

    def new_secret(self) -> str:
        """Give the key a new secret and return it: it is shown once and never stored."""
        secret = secrets.token_hex(KEY_BYTES)
        self.prefix, self.digest = secret[:6], secret_digest(secret)
        return secret

    @classmethod
    def find(cls, secret: str) -> "ApiKey | None":
        """Return the active key with this secret, noting that it was used."""
        key = cls.objects.active().filter(digest=secret_digest(secret)).first()
        if key is not None:
            now = timezone.now()
            stale = models.Q(last_used_at__isnull=True) | models.Q(
                last_used_at__lt=now - LAST_USED_PRECISION
            )
            cls.objects.filter(stale, pk=key.pk).update(last_used_at=now)
        return key

    @property
    def reads_unpublished(self) -> bool:
        return self.scope == self.Scope.PREVIEW

    def revoke(self) -> None:
        ApiKey.objects.filter(pk=self.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
