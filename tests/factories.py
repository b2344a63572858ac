"""Plain factories: keyword-only, with defaults that satisfy every constraint."""

import io
from datetime import timedelta
from itertools import count

from django.contrib.auth.models import Group, Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from articles.models import (
    Article,
    ArticleCallToAction,
    Author,
    Byline,
    CallToAction,
    Credit,
    Desk,
    Section,
    Takeaway,
)
from articles.moderation.roles import ensure_roles
from articles.reader import tasks as reader_tasks

_numbers = count(1)


def make_user(username=None, *, groups=(), permissions=(), superuser=False, staff=True):
    user = User.objects.create_user(
        username or f"user{next(_numbers)}",
        email=f"{username or 'user'}@example.com",
        password="a-long-test-password",
        is_staff=staff or superuser,
        is_superuser=superuser,
    )
    if permissions:
        user.user_permissions.set(Permission.objects.filter(codename__in=permissions))
    if groups:
        # A live-server test's flush also removes the groups the migration made.
        ensure_roles()
        user.groups.set(Group.objects.filter(name__in=groups))
    return user


def make_desk(*, name=None):
    name = name or f"Desk {next(_numbers)}"
    return Desk.objects.create(name=name, slug=name.lower().replace(" ", "-"))


def make_author(*, name=None):
    name = name or f"Author {next(_numbers)}"
    return Author.objects.create(name=name, slug=name.lower().replace(" ", "-"))


def make_cta(
    *, text="Connect with one of our AI Strategists today at Opahl Technologies", **kwargs
):
    return CallToAction.objects.create(
        name=kwargs.pop("name", f"CTA {next(_numbers)}"), text=text, **kwargs
    )


def make_article(
    *,
    headline=None,
    status=Article.Status.PUBLISHED,
    published_at=None,
    desk=None,
    authors=None,
    tags=(),
    sections=2,
    takeaways=2,
    credits=1,
    ctas=1,
    **fields,
):
    """Make a story that passes the quality gate; published a minute ago by default."""
    number = next(_numbers)
    fields.setdefault("dek", f"What story {number} is about.")
    if authors is None:
        authors = [make_author()]
    if status == Article.Status.PUBLISHED and published_at is None:
        # A second older than the story made before it: a whole suite's worth of stories
        # stays within the news sitemap's two days.
        published_at = timezone.now() - timedelta(minutes=1, seconds=number)
    article = Article.objects.create(
        headline=headline or f"Story number {number}",
        status=status,
        published_at=published_at,
        desk=desk,
        **fields,
    )
    for position in range(sections):
        Section.objects.create(
            article=article,
            position=position,
            heading="" if position == 0 else f"Heading {position}",
            body=f"<p>Paragraph {position} of story {number}.</p>",
        )
    for position in range(takeaways):
        Takeaway.objects.create(article=article, position=position, text=f"Takeaway {position}.")
    for position in range(credits):
        Credit.objects.create(article=article, position=position, name=f"Reporter {position}")
    for position in range(ctas):
        ArticleCallToAction.objects.create(
            article=article,
            call_to_action=make_cta(button_label="Book a call", url="https://example.com/call"),
            position=position,
        )
    for position, author in enumerate(authors):
        Byline.objects.create(article=article, author=author, position=position)
    for tag in tags:
        article.tags.add(tag)
    refresh_after_edit(article)
    return article


def refresh_after_edit(article):
    """What a save, then the worker, do once a story's parts were written: the word count and
    search text, then its search entry, its read-next list, and those of the newest stories
    sharing a tag or its desk with it."""
    article.refresh_word_count()
    reader_tasks.refresh_indexes.call(article.pk)


def make_image_upload(*, name="picture.png", size=(40, 30), image_format="PNG"):
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(buffer, image_format)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=f"image/{image_format.lower()}")


def inline_rows(prefix, rows, initial=0):
    """An admin inline formset's rows as its form POSTs them."""
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data |= {f"{prefix}-{index}-{name}": value for name, value in row.items()}
    return data


def call_to_action_form(**fields):
    """The call-to-action admin form as it POSTs a block with no dates and no UTM tags."""
    data = {
        "name": "Consultation",
        "text": "Talk to one of our strategists.",
        "organisation": "",
        "button_label": "Book a consultation",
        "url": "",
        "starts_at_0": "",
        "starts_at_1": "",
        "ends_at_0": "",
        "ends_at_1": "",
        "utm_source": "",
        "utm_medium": "",
        "utm_campaign": "",
        "_save": "Save",
    }
    return data | fields


def picture_form(**fields) -> dict:
    """The picture library's add form as it POSTs, with an 800 × 500 PNG."""
    return {
        "image": make_image_upload(name="harbour.png", size=(800, 500)),
        "alt": "Fishing boats in the harbour at dawn",
        "caption": "",
        "credit": "",
        "focus_x": "50",
        "focus_y": "50",
        "_save": "Save",
        **fields,
    }
