"""A story's reader page is rendered once per change, not once per reader.

The first reader after a change renders the story from its parts and stores the result
(RenderedStory: the <head> metadata and the <article> element); every reader after that
reads one row, as Ghost serves a post's stored HTML. Nothing here expires on a timer:

- Every write to a story, or to a row its page shows (a section, a tag, an author, a desk,
  a call to action), moves the story's content stamp in the same transaction
  (ArticleQuerySet.update, Article.save, and articles/delivery/signals.py for the other rows).
- A stored page counts only for the stamp it was rendered at. The stamp is read before the
  parts, so a page rendered from older parts can never be stored under a newer stamp.
- Calls to action have dates: a page is rendered again when one of its blocks starts or ends.

Previews (the desk, shared links, old versions) render the same template and store nothing.
"""

from django.conf import settings
from django.db.models import CharField, DateTimeField, Prefetch, Value, prefetch_related_objects
from django.db.models.functions import Cast
from django.template.loader import render_to_string
from django.utils import timezone

from articles.models import (
    Article,
    ArticleCallToAction,
    Byline,
    Credit,
    Notice,
    RenderedStory,
    TaggedArticle,
    Takeaway,
)
from articles.reader import seo

STORY_TEMPLATE = "reader/includes/story.html"
META_TEMPLATE = "reader/includes/story_meta.html"
STORY_PARTS = [
    "sections",
    Prefetch("tagged_items", queryset=TaggedArticle.objects.select_related("tag")),
    Prefetch("bylines", queryset=Byline.objects.select_related("author")),
    Prefetch(
        "cta_placements", queryset=ArticleCallToAction.objects.select_related("call_to_action")
    ),
]


def story_queryset():
    """Stories with every part a page shows, for pages that render them each time."""
    return Article.objects.live().select_related("desk").prefetch_related(*STORY_PARTS)


def story_page(request, article: Article) -> RenderedStory:
    """The story's page as stored, or rendered now (and stored) if it is out of date."""
    base_url = request.build_absolute_uri("/")
    now = timezone.now()
    try:
        stored = article.rendered
    except RenderedStory.DoesNotExist:
        stored = None
    if (
        stored is not None
        and stored.content_stamp == article.content_stamp
        and stored.base_url == base_url
        and (stored.valid_until is None or now < stored.valid_until)
    ):
        return stored
    stamp = article.content_stamp  # before the parts are read: see the module docstring
    prefetch_related_objects([article], *STORY_PARTS)
    parts = live_parts(article, now=now)
    meta = seo.story_metadata(request, article, parts)
    page = RenderedStory(
        article=article,
        content_stamp=stamp,
        base_url=base_url,
        valid_until=parts["ctas_change_at"],
        title=meta["title"],
        description=meta["description"],
        head=render_to_string(META_TEMPLATE, {"article": article, "meta": meta}, request),
        body=story_html(parts),
    )
    # One statement, insert or replace: two readers storing at once cannot collide.
    RenderedStory.objects.bulk_create(
        [page],
        update_conflicts=True,
        unique_fields=["article"],
        update_fields=[field.name for field in RenderedStory._meta.concrete_fields[1:]],
    )
    return page


def preview_context(parts: dict) -> dict:
    """Context for the story template showing parts that are not (or not yet) published."""
    return {"article": parts["article"], "page": {"body": story_html(parts)}, "is_preview": True}


def story_html(parts: dict) -> str:
    return render_to_string(STORY_TEMPLATE, story_context(parts))


def live_parts(article: Article, now=None) -> dict:
    """Return the parts of a saved story, read from the database."""
    now = now or timezone.now()
    takeaways, credits, notices = short_lists(article)
    placements = list(article.cta_placements.all())
    changes = [
        moment
        for placed in placements
        for moment in (placed.call_to_action.starts_at, placed.call_to_action.ends_at)
        if moment and moment > now
    ]
    return {
        "article": article,
        "sections": list(article.sections.all()),
        "takeaways": takeaways,
        "credits": credits,
        "hashtags": article.public_tags,
        "authors": article.byline_authors,
        # A block outside its dates disappears from every story without editing any.
        "placed_ctas": [
            (placed.placement, placed.call_to_action)
            for placed in placements
            if placed.call_to_action.is_showing(now)
        ],
        "ctas_change_at": min(changes, default=None),
        "notices": notices,
    }


def short_lists(article: Article) -> tuple[list, list, list]:
    """The story's takeaways, credits and notices in one query: short lists from three
    tables, read as one UNION ALL of same-shaped rows instead of three queries."""
    text, when = CharField(), DateTimeField()

    def rows(model, kind, *columns):
        padding = [Value("", output_field=text)] * (5 - len(columns))
        stamp = "created_at" if kind == "notice" else Cast(Value(None), output_field=when)
        # A UNION allows no ORDER BY in its parts; the lists are sorted below.
        return (
            model.objects.filter(article=article)
            .order_by()
            .values_list(Value(kind, output_field=text), "pk", *columns, *padding, stamp)
        )

    takeaways, credits, notices = [], [], []
    position = Cast("position", output_field=text)  # shares a column with a notice's kind
    combined = (
        rows(Takeaway, "takeaway", position, "text")
        .union(
            rows(Credit, "credit", position, "role", "name", "organisation", "url"),
            rows(Notice, "notice", "kind", "text"),
            all=True,
        )
        .order_by()
    )
    for kind, pk, a, b, c, d, e, stamp in combined:
        if kind == "takeaway":
            takeaways.append(Takeaway(pk=pk, position=int(a), text=b))
        elif kind == "credit":
            credits.append(Credit(pk=pk, position=int(a), role=b, name=c, organisation=d, url=e))
        else:
            notices.append(Notice(pk=pk, kind=a, text=b, created_at=stamp))
    return (
        sorted(takeaways, key=lambda t: (t.position, t.pk)),
        sorted(credits, key=lambda c: (c.position, c.pk)),
        sorted(notices, key=lambda n: (n.created_at, n.pk)),
    )


def story_context(parts: dict) -> dict:
    """Arrange a story's parts the way the story template shows them."""
    sections = parts["sections"]
    intro_length = next((i for i, s in enumerate(sections) if s.heading), len(sections))
    ctas = {placement: [] for placement in ArticleCallToAction.Placement.values}
    for placement, cta in parts["placed_ctas"]:
        ctas[placement].append(cta)
    return {
        **parts,
        "SITE_NAME": settings.SITE_NAME,
        "intro_sections": sections[:intro_length],
        "body_sections": sections[intro_length:],
        "contents": [section for section in sections if section.heading],
        "ctas": ctas,
    }
