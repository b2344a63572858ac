from django.core.paginator import Paginator
from django.db.models import (
    Case,
    Count,
    IntegerField,
    Q,
    Value,
    When,
)
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.cache import add_never_cache_headers
from django.utils.functional import cached_property
from django.views.generic import DetailView, ListView

from articles.delivery import cache as page_cache
from articles.delivery import rendering
from articles.models import (
    Article,
    Author,
    Desk,
    Tag,
)
from articles.moderation import workflow
from articles.reader import search, seo
from articles.reader.forms import SearchForm

LISTING_PAGE_SIZE = 12


RELATED_STORIES = 3
SEARCH_PAGE_SIZE = 10


def related_stories(article: Article) -> list[Article]:
    """Published stories sharing the most tags with this one, then its desk, then the
    newest, so a reader always has somewhere to go next.

    Like the desk menu, this is derived from other stories, so it is kept in the cache
    until anything readers can see changes (a new page-cache generation).
    """
    return page_cache.remember(f"related:{article.pk}", lambda: find_related(article))


def find_related(article: Article) -> list[Article]:
    """One query: rank every published story by shared tags, same desk, then recency."""
    its_tags = Tag.objects.public().filter(tagged_articles__content_object=article)
    return list(
        Article.objects.published()
        .exclude(pk=article.pk)
        .annotate(
            shared_tags=Count("tagged_items", filter=Q(tagged_items__tag__in=its_tags)),
            same_desk=Case(
                When(desk_id=article.desk_id, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            ),
        )
        .select_related("desk")
        .order_by("-shared_tags", "-same_desk", "-published_at")[:RELATED_STORIES]
    )


class CountedOncePaginator(Paginator):
    """Counts a listing once per content generation instead of on every page view:
    with 100,000 stories, COUNT(*) costs more than the page itself."""

    def __init__(self, *args, count_key: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.count_key = count_key

    @cached_property
    def count(self):
        return page_cache.remember(f"count:{self.count_key}", self.object_list.count)


class ArticleListView(ListView):
    """A paginated list of published stories; subclasses narrow it down."""

    paginate_by = LISTING_PAGE_SIZE
    context_object_name = "articles"

    def get_queryset(self):
        return Article.objects.published().select_related("desk").with_bylines()

    def get_paginator(self, queryset, per_page, **kwargs):
        return CountedOncePaginator(queryset, per_page, count_key=self.request.path, **kwargs)


class HomeView(ArticleListView):
    template_name = "reader/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(json_ld=seo.website(self.request), **kwargs)
        if context["page_obj"].number == 1 and context["articles"]:
            # The newest story leads the front page; the rest follow as cards.
            context["lead"], *context["articles"] = context["articles"]
        return context


class DeskView(ArticleListView):
    template_name = "reader/desk.html"

    def get_queryset(self):
        self.desk = get_object_or_404(Desk, slug=self.kwargs["slug"])
        return super().get_queryset().filter(desk=self.desk)

    def get_context_data(self, **kwargs):
        return super().get_context_data(desk=self.desk, **kwargs)


class TagView(ArticleListView):
    template_name = "reader/tag.html"

    def get_queryset(self):
        self.tag = get_object_or_404(Tag.objects.public(), slug=self.kwargs["slug"])
        return super().get_queryset().filter(tags=self.tag)

    def get_context_data(self, **kwargs):
        return super().get_context_data(tag=self.tag, **kwargs)


class AuthorView(ArticleListView):
    template_name = "reader/author.html"

    def get_queryset(self):
        self.author = get_object_or_404(Author, slug=self.kwargs["slug"])
        return super().get_queryset().filter(bylines__author=self.author)

    def get_context_data(self, **kwargs):
        return super().get_context_data(author=self.author, **kwargs)


class ArticleDetailView(DetailView):
    """The story page. Staff who may see an unpublished story get it as a marked preview."""

    template_name = "reader/article_detail.html"

    def get_object(self, queryset=None):
        # The page itself is stored (articles/delivery/rendering.py); the search index is not
        # needed.
        stories = (
            Article.objects.live()
            .select_related("desk", "rendered")
            .defer("takeaways_text", "search_vector")
        )
        article = get_object_or_404(stories, slug=self.kwargs["slug"])
        if not article.is_published and not workflow.can_view(self.request.user, article):
            raise Http404
        return article

    def get_context_data(self, **kwargs):
        return {
            "article": self.object,
            "page": rendering.story_page(self.request, self.object),
            "related": related_stories(self.object),
            "is_preview": not self.object.is_published,
        }

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        if context["is_preview"]:
            add_never_cache_headers(response)
            response["X-Robots-Tag"] = "noindex"
        return response


class SearchView(ListView):
    """Search published stories: PostgreSQL full-text search, or SQLite's FTS5 index."""

    template_name = "reader/search.html"
    context_object_name = "results"
    paginate_by = SEARCH_PAGE_SIZE

    def get_queryset(self):
        self.form = SearchForm(self.request.GET or None)
        if not self.form.is_valid() or not self.form.cleaned_data["q"]:
            return Article.objects.none()
        filters = self.form.cleaned_data
        stories = Article.objects.published().select_related("desk").with_bylines()
        if filters["desk"]:
            stories = stories.filter(desk=filters["desk"])
        if filters["tag"]:
            stories = stories.filter(tags__in=Tag.objects.public().filter(slug=filters["tag"]))
        if filters["published_after"]:
            stories = stories.filter(published_at__date__gte=filters["published_after"])
        if filters["published_before"]:
            stories = stories.filter(published_at__date__lte=filters["published_before"])
        return search.matching(stories, filters["q"])

    def paginate_queryset(self, queryset, page_size):
        # A page number that does not exist shows the nearest page, not an error.
        paginator = self.get_paginator(queryset, page_size)
        page = paginator.get_page(self.request.GET.get("page"))
        return paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(form=self.form, **kwargs)
        context["query"] = self.form.cleaned_data.get("q", "") if self.form.is_bound else ""
        context["result_limit"] = search.MAX_RESULTS
        context["filters"] = self.request.GET.copy()
        context["filters"].pop("page", None)
        search.add_snippets(context["results"], context["query"])
        return context
