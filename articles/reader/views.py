from django.core.paginator import Paginator
from django.db.models import Exists, F, OuterRef, Subquery
from django.shortcuts import get_object_or_404
from django.utils.functional import cached_property
from django.views.generic import ListView

from articles.delivery import cache as page_cache
from articles.models import (
    Article,
    Author,
    Desk,
    Pin,
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


def with_card_parts(stories):
    """Stories with what a card shows beside the story itself: its desk and bylines."""
    return stories.select_related("desk").with_bylines()


class ArticleListView(ListView):
    """A paginated list of published stories; subclasses narrow it down."""

    paginate_by = LISTING_PAGE_SIZE
    context_object_name = "articles"

    def get_queryset(self):
        return with_card_parts(Article.objects.published())

    def get_paginator(self, queryset, per_page, **kwargs):
        return CountedOncePaginator(queryset, per_page, count_key=self.request.path, **kwargs)


class PinnedFirstListView(ArticleListView):
    """A listing whose first page leads with the stories editors pinned to it.

    The pinned stories come first, in the editors' order, then the page's newest stories
    without repeating one; later pages stay newest-first, so no story is skipped.
    """

    pinned_desk = None  # None: the home page's picks

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if context["page_obj"].number == 1:
            context["articles"] = list(self.pinned_then_newest(context["page_obj"].object_list))
        return context

    def pinned_then_newest(self, newest):
        # One query for both: the pins in force and the page's newest stories, so the page
        # costs what it did before there were pins. Each part is narrowed to stories this
        # listing shows (published, on the desk) and fetched by key: testing the whole
        # listing against the pins would make SQLite and PostgreSQL read every story.
        pins = Pin.objects.showing().filter(desk=self.pinned_desk)
        listed = self.object_list.filter(pk=OuterRef("article"))
        pinned_ids = pins.filter(Exists(listed)).values("article")
        # The page's slice sits in a subquery of its own: SQLite allows no LIMIT in a UNION.
        newest_ids = Article.objects.filter(pk__in=newest.values("pk")).values("pk")
        pin_of_story = pins.filter(article=OuterRef("pk"))
        return (
            with_card_parts(Article.objects.filter(pk__in=newest_ids.union(pinned_ids)))
            .annotate(
                is_pinned=Exists(pin_of_story),
                pin_position=Subquery(pin_of_story.values("position")[:1]),
                pinned_at=Subquery(pin_of_story.values("created_at")[:1]),
            )
            .order_by(
                F("pin_position").asc(nulls_last=True),
                F("pinned_at").desc(),
                "-published_at",
                "-created_at",
            )
        )


class HomeView(PinnedFirstListView):
    template_name = "reader/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(json_ld=seo.website(self.request), **kwargs)
        if context["page_obj"].number == 1 and context["articles"]:
            # A pinned story, else the newest, leads the front page; the rest follow as cards.
            context["lead"], *context["articles"] = context["articles"]
        return context


class DeskView(PinnedFirstListView):
    template_name = "reader/desk.html"

    def get_queryset(self):
        self.desk = self.pinned_desk = get_object_or_404(Desk, slug=self.kwargs["slug"])
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
