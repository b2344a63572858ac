"""The story page, drawn from the story's parts on every request that reaches Django.

The page cache (articles/delivery/cache.py) keeps the finished page for anonymous readers;
previews (the review queue, shared links, old versions) draw the same template from the
same parts.
"""

from django.http import Http404
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.generic import DetailView

from articles.models import (
    Article,
    ArticleCallToAction,
    Author,
    CallToAction,
    Credit,
    Desk,
    Notice,
    Section,
    Tag,
    Takeaway,
)
from articles.models.library import shown_to_readers
from articles.moderation import workflow
from articles.reader import related, seo


class ArticleDetailView(DetailView):
    """The story page. Staff who may see an unpublished story get it as a marked preview."""

    template_name = "reader/article_detail.html"

    def get_object(self, queryset=None):
        # A plain SELECT for the reason PART_QUERIES gives; live() is `deleted_at IS NULL`.
        article = next(iter(Article.objects.raw(STORY_BY_SLUG, [self.kwargs["slug"]])), None)
        if article is None:
            raise Http404
        if article.desk_id:  # the page shows its name and address (kicker, breadcrumbs)
            article.desk = Desk(pk=article.desk_id, name=article.desk_name, slug=article.desk_slug)
        if not article.is_published and not workflow.can_view(self.request.user, article):
            raise Http404
        return article

    def get_context_data(self, **kwargs):
        parts = live_parts(self.object)
        return {
            **story_context(parts),
            "meta": seo.story_metadata(self.request, self.object, parts),
            "related": related.read_next(self.object),
            "is_preview": not self.object.is_published,
        }

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        if context["is_preview"]:
            add_never_cache_headers(response)
            response["X-Robots-Tag"] = "noindex"
        return response


def story_queryset():
    """The stories a preview may show."""
    return Article.objects.live().select_related("desk")


def preview_context(parts: dict) -> dict:
    """Context for the story template showing parts that are not (or not yet) published."""
    return {**story_context(parts), "is_preview": True}


# Every column but the search index, which is large and not shown, and the story's desk. The
# column names come from the model; the slug is a query parameter.
STORY_BY_SLUG = (
    "SELECT {}, desk.name AS desk_name, desk.slug AS desk_slug FROM articles_article story"  # nosec B608
    " LEFT JOIN articles_desk desk ON desk.id = story.desk_id"
    " WHERE story.slug = %s AND story.deleted_at IS NULL"
).format(
    ", ".join(
        f"story.{f.column}" for f in Article._meta.concrete_fields if f.name != "search_vector"
    )
)
# Each part of a story is one plain SELECT run through Model.objects.raw(). The same reads
# written with the ORM spend most of their time building the SQL, not running it: 8 queries
# cost more than the rest of the page put together (bench/README.md). These return the same
# model instances, read-only, in the order the editor gave the parts.
PART_QUERIES = {
    "sections": (
        Section,
        "SELECT * FROM articles_section WHERE article_id = %s ORDER BY position, id",
    ),
    "takeaways": (
        Takeaway,
        "SELECT * FROM articles_takeaway WHERE article_id = %s ORDER BY position, id",
    ),
    "credits": (
        Credit,
        "SELECT * FROM articles_credit WHERE article_id = %s ORDER BY position, id",
    ),
    "notices": (
        Notice,
        "SELECT * FROM articles_notice WHERE article_id = %s ORDER BY created_at, id",
    ),
    # All the story's tags: live_parts keeps those readers may see.
    "hashtags": (
        Tag,
        "SELECT tag.* FROM articles_tag tag"
        " JOIN articles_taggedarticle item ON item.tag_id = tag.id"
        " WHERE item.content_object_id = %s ORDER BY item.id",
    ),
    "authors": (
        Author,
        "SELECT author.* FROM articles_author author"
        " JOIN articles_byline byline ON byline.author_id = author.id"
        " WHERE byline.article_id = %s ORDER BY byline.position, byline.id",
    ),
    "calls_to_action": (
        CallToAction,
        "SELECT cta.*, placed.placement FROM articles_calltoaction cta"
        " JOIN articles_articlecalltoaction placed ON placed.call_to_action_id = cta.id"
        " WHERE placed.article_id = %s ORDER BY placed.position, placed.id",
    ),
}


def live_parts(article: Article, now=None) -> dict:
    """Return the parts of a saved story, read from the database."""
    now = now or timezone.now()
    parts = {
        name: list(model.objects.raw(sql, [article.pk]))
        for name, (model, sql) in PART_QUERIES.items()
    }
    parts["hashtags"] = shown_to_readers(parts["hashtags"])
    return {
        "article": article,
        **parts,
        # A block outside its dates disappears from every story without editing any.
        "placed_ctas": [
            (cta.placement, cta) for cta in parts.pop("calls_to_action") if cta.is_showing(now)
        ],
    }


def story_context(parts: dict) -> dict:
    """Arrange a story's parts the way the story template shows them."""
    sections = parts["sections"]
    intro_length = next((i for i, s in enumerate(sections) if s.heading), len(sections))
    ctas = {placement: [] for placement in ArticleCallToAction.Placement.values}
    for placement, cta in parts["placed_ctas"]:
        ctas[placement].append(cta)
    return {
        **parts,
        "intro_sections": sections[:intro_length],
        "body_sections": sections[intro_length:],
        "contents": [section for section in sections if section.heading],
        "ctas": ctas,
    }
