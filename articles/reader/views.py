from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404
from django.utils.functional import cached_property
from django.views.generic import ListView

from articles.delivery import cache as page_cache
from articles.models import (
    Article,
    Author,
    Desk,
    Tag,
)
from articles.reader import search, seo
from articles.reader.forms import SearchForm

LISTING_PAGE_SIZE = 12


SEARCH_PAGE_SIZE = 10


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
