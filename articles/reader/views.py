from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db.models import OuterRef, Subquery, prefetch_related_objects
from django.shortcuts import get_object_or_404
from django.views.generic import ListView

from articles.models import (
    Article,
    Author,
    Desk,
    Pin,
    Tag,
    bylines_with_authors,
)
from articles.reader import search, seo
from articles.reader.forms import SearchForm

LISTING_PAGE_SIZE = 12


SEARCH_PAGE_SIZE = 10
# Past any archive's last page, and small enough that the database takes the OFFSET.
LAST_PAGE_NUMBER = 10**9


class UncountedPaginator(Paginator):
    """Pages of a listing, found without counting it: at 100,000 stories COUNT(*) costs more
    than the page. A page asks for one story more than it shows, to know whether an older
    page follows; a page past the end is a 404, as with Django's own Paginator."""

    def validate_number(self, number):
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger("That page number is not a whole number.") from None
        if number < 1:
            raise EmptyPage("That page number is less than 1.")
        if number > LAST_PAGE_NUMBER:
            raise EmptyPage("That page contains no results.")
        return number

    def page(self, number):
        number = self.validate_number(number)
        first = (number - 1) * self.per_page
        stories = list(self.object_list[first : first + self.per_page + 1])
        if not stories and number > 1:
            raise EmptyPage("That page contains no results.")
        return UncountedPage(
            stories[: self.per_page], number, self, has_next=len(stories) > self.per_page
        )


class UncountedPage(Page):
    def __init__(self, *args, has_next: bool):
        super().__init__(*args)
        self._has_next = has_next

    def has_next(self):
        return self._has_next


class ArticleListView(ListView):
    """A paginated list of published stories; subclasses narrow it down."""

    paginate_by = LISTING_PAGE_SIZE
    paginator_class = UncountedPaginator
    context_object_name = "articles"

    def get_queryset(self):
        return Article.objects.published().select_related("desk")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["articles"] = self.shown(context["page_obj"])
        # The cards' bylines, in one query for the whole page, editors' picks included.
        prefetch_related_objects(context["articles"], bylines_with_authors())
        return context

    def shown(self, page) -> list:
        """The stories the page lists."""
        return page.object_list


class PinnedFirstListView(ArticleListView):
    """A listing whose first page leads with the stories editors pinned to it.

    The pinned stories come first, in the editors' order, then the page's newest stories
    without repeating one; later pages stay newest-first, so no story is skipped.
    """

    pinned_desk = None  # None: the home page's picks

    def shown(self, page) -> list:
        return self.pinned_then_newest(page.object_list) if page.number == 1 else page.object_list

    def pinned_then_newest(self, newest: list) -> list:
        # The pins are looked up first and then checked against the listing (published, on
        # the desk), by key: testing the whole listing against the pins would make SQLite
        # and PostgreSQL read every story.
        pins = Pin.objects.showing().filter(desk=self.pinned_desk)
        pin_of_story = pins.filter(article=OuterRef("pk"))
        pinned = list(
            self.object_list.filter(pk__in=pins.values("article"))
            .annotate(
                pin_position=Subquery(pin_of_story.values("position")[:1]),
                pinned_at=Subquery(pin_of_story.values("created_at")[:1]),
            )
            .order_by("pin_position", "-pinned_at")
        )
        shown = {story.pk for story in pinned}
        for story in pinned:
            story.is_pinned = True
        return pinned + [story for story in newest if story.pk not in shown]


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
        """The ids of the matches, best first: a page reads only its own stories."""
        self.form = SearchForm(self.request.GET or None)
        if not self.form.is_valid() or not self.form.cleaned_data["q"]:
            return []
        filters = self.form.cleaned_data
        stories = Article.objects.published().select_related("desk")
        if filters["desk"]:
            stories = stories.filter(desk=filters["desk"])
        if filters["tag"]:
            stories = stories.filter(tags__in=Tag.objects.public().filter(slug=filters["tag"]))
        if filters["published_after"]:
            stories = stories.filter(published_at__date__gte=filters["published_after"])
        if filters["published_before"]:
            stories = stories.filter(published_at__date__lte=filters["published_before"])
        self.stories = stories
        return search.best_matches(stories, filters["q"])

    def paginate_queryset(self, queryset, page_size):
        # A page number that does not exist shows the nearest page, not an error.
        paginator = self.get_paginator(queryset, page_size)
        page = paginator.get_page(self.request.GET.get("page"))
        if page.object_list:
            page.object_list = search.stories_shown(
                self.stories, page.object_list, self.form.cleaned_data["q"]
            )
        return paginator, page, page.object_list, page.has_other_pages()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(form=self.form, **kwargs)
        context["query"] = self.form.cleaned_data.get("q", "") if self.form.is_bound else ""
        context["result_limit"] = search.MAX_RESULTS
        context["filters"] = self.request.GET.copy()
        context["filters"].pop("page", None)
        return context
