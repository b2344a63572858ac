from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils.cache import add_never_cache_headers
from django.views.generic import DetailView, ListView

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
    """The story page. Staff who may edit stories also see drafts, marked as a preview."""

    model = Article
    context_object_name = "article"

    def get_queryset(self):
        if self.request.user.has_perm("articles.change_article"):
            articles = Article.objects.all()
        else:
            articles = Article.objects.published()
        return articles.select_related("desk").prefetch_related(
            "sections",
            "takeaways",
            "credits",
            Prefetch("tagged_items", queryset=TaggedArticle.objects.select_related("tag")),
            Prefetch("bylines", queryset=Byline.objects.select_related("author")),
            Prefetch(
                "cta_placements",
                queryset=ArticleCallToAction.objects.select_related("call_to_action"),
            ),
        )

    def get_context_data(self, **kwargs):
        article = self.object
        sections = list(article.sections.all())
        intro_length = next(
            (i for i, section in enumerate(sections) if section.heading), len(sections)
        )
        ctas = {placement: [] for placement in ArticleCallToAction.Placement.values}
        for placed in article.cta_placements.all():
            ctas[placed.placement].append(placed.call_to_action)
        return super().get_context_data(
            intro_sections=sections[:intro_length],
            body_sections=sections[intro_length:],
            contents=[section for section in sections if section.heading],
            ctas=ctas,
            is_preview=not article.is_published,
            **kwargs,
        )

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        if context["is_preview"]:
            add_never_cache_headers(response)
        return response
