from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.cache import add_never_cache_headers
from django.views.generic import DetailView, ListView

from articles import workflow
from articles.models import (
    Article,
    ArticleCallToAction,
    Author,
    Byline,
    Desk,
    Tag,
    TaggedArticle,
)

LISTING_PAGE_SIZE = 12


def live_parts(article: Article) -> dict:
    """Return the parts of a saved story, read from its prefetched relations."""
    return {
        "article": article,
        "sections": list(article.sections.all()),
        "takeaways": list(article.takeaways.all()),
        "credits": list(article.credits.all()),
        "hashtags": [item.tag for item in article.tagged_items.all()],
        "authors": [byline.author for byline in article.bylines.all()],
        "placed_ctas": [(p.placement, p.call_to_action) for p in article.cta_placements.all()],
        "notices": list(article.notices.all()),
    }


def story_context(parts: dict, *, is_preview: bool) -> dict:
    """Arrange a story's parts the way the story page shows them."""
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
        "is_preview": is_preview,
    }


def story_queryset():
    return (
        Article.objects.live()
        .select_related("desk")
        .prefetch_related(
            "sections",
            "takeaways",
            "credits",
            "notices",
            Prefetch("tagged_items", queryset=TaggedArticle.objects.select_related("tag")),
            Prefetch("bylines", queryset=Byline.objects.select_related("author")),
            Prefetch(
                "cta_placements",
                queryset=ArticleCallToAction.objects.select_related("call_to_action"),
            ),
        )
    )


class ArticleListView(ListView):
    """A paginated list of published stories; subclasses narrow it down."""

    paginate_by = LISTING_PAGE_SIZE
    context_object_name = "articles"

    def get_queryset(self):
        return Article.objects.published().select_related("desk").with_bylines()


class HomeView(ArticleListView):
    template_name = "articles/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if context["page_obj"].number == 1 and context["articles"]:
            # The newest story leads the front page; the rest follow as cards.
            context["lead"], *context["articles"] = context["articles"]
        return context


class DeskView(ArticleListView):
    template_name = "articles/desk.html"

    def get_queryset(self):
        self.desk = get_object_or_404(Desk, slug=self.kwargs["slug"])
        return super().get_queryset().filter(desk=self.desk)

    def get_context_data(self, **kwargs):
        return super().get_context_data(desk=self.desk, **kwargs)


class TagView(ArticleListView):
    template_name = "articles/tag.html"

    def get_queryset(self):
        self.tag = get_object_or_404(Tag, slug=self.kwargs["slug"])
        return super().get_queryset().filter(tags=self.tag)

    def get_context_data(self, **kwargs):
        return super().get_context_data(tag=self.tag, **kwargs)


class AuthorView(ArticleListView):
    template_name = "articles/author.html"

    def get_queryset(self):
        self.author = get_object_or_404(Author, slug=self.kwargs["slug"])
        return super().get_queryset().filter(bylines__author=self.author)

    def get_context_data(self, **kwargs):
        return super().get_context_data(author=self.author, **kwargs)


class ArticleDetailView(DetailView):
    """The story page. Staff who may see an unpublished story get it as a marked preview."""

    template_name = "articles/article_detail.html"

    def get_object(self, queryset=None):
        article = get_object_or_404(story_queryset(), slug=self.kwargs["slug"])
        if not article.is_published and not workflow.can_view(self.request.user, article):
            raise Http404
        return article

    def get_context_data(self, **kwargs):
        return story_context(live_parts(self.object), is_preview=not self.object.is_published)

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        if context["is_preview"]:
            add_never_cache_headers(response)
            response["X-Robots-Tag"] = "noindex"
        return response
