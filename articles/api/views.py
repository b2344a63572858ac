"""The read API's endpoints. Readers' rules decide what anyone may read; a preview key
(ApiKey.Scope.PREVIEW) also reads what readers cannot: drafts, scheduled and trashed
stories, and internal tags."""

from datetime import UTC

from django.core.exceptions import ValidationError
from django.db.models import Exists, F, OuterRef, Prefetch
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date
from django_filters import rest_framework as filters
from django_filters.fields import IsoDateTimeField
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, viewsets
from rest_framework.response import Response

from articles.api import serializers
from articles.models import (
    Article,
    ArticleCallToAction,
    Author,
    CallToAction,
    Desk,
    Tag,
    TaggedArticle,
    bylines_with_authors,
)
from articles.reader import search

# A draft has no publication time: a preview key gets drafts before the newest stories, on
# both databases (PostgreSQL's own order for DESC, which its indexes keep).
ORDERINGS = {
    "-published_at": [F("published_at").desc(nulls_first=True), "-id"],
    "published_at": [F("published_at").asc(nulls_last=True), "id"],
    "-updated_at": ["-updated_at", "-id"],
    "updated_at": ["updated_at", "id"],
}


def reads_unpublished(request) -> bool:
    return request.auth is not None and request.auth.reads_unpublished


class UtcDateTimeField(IsoDateTimeField):
    """An ISO 8601 time, turned to UTC: PostgreSQL refuses offsets past ±15:59, which
    Python's datetime takes."""

    def to_python(self, value):
        moment = super().to_python(value)
        try:
            return moment and moment.astimezone(UTC)
        except OverflowError:  # year 1 or 9999 moved across midnight
            raise ValidationError("That time is out of range.", code="invalid") from None


class UtcDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


class StoryFilter(filters.FilterSet):
    desk = filters.CharFilter(field_name="desk__slug", help_text="A desk's slug.")
    tag = filters.CharFilter(method="filter_tag", help_text="A tag's slug.")
    author = filters.CharFilter(field_name="bylines__author__slug", help_text="An author's slug.")
    published_since = UtcDateTimeFilter(field_name="published_at", lookup_expr="gte")
    published_before = UtcDateTimeFilter(field_name="published_at", lookup_expr="lt")
    q = filters.CharFilter(
        method="filter_search", help_text="Words to find: the newest 100 stories that match."
    )
    ordering = filters.ChoiceFilter(
        choices=[(name, name) for name in ORDERINGS],
        method="filter_ordering",
        help_text="Newest published first unless asked.",
    )

    def filter_tag(self, stories, name, slug):
        # Which tags readers see is Tag.objects.public()'s rule; a preview key sees all.
        tags = Tag.objects.all() if reads_unpublished(self.request) else Tag.objects.public()
        tags = tags.filter(slug=slug)
        return stories.filter(Exists(TaggedArticle.objects.filter(
            content_object=OuterRef("pk"), tag__in=tags
        )))  # fmt: skip

    def filter_search(self, stories, name, text):
        return stories.filter(pk__in=search.newest_matches(stories, text))

    def filter_ordering(self, stories, name, ordering):
        return stories.order_by(*ORDERINGS[ordering])


class LastModifiedMixin:
    """Say when what a response shows last changed, for If-Modified-Since (the ETag, for
    If-None-Match, is added by ConditionalGetMiddleware from the body)."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        changed = getattr(self, "last_changed", None)
        if changed and response.status_code == 200:
            response["Last-Modified"] = http_date(changed.timestamp())
        # A preview key's answers hold unpublished stories, and a refusal (401, 429) is for
        # one client: no shared cache may keep either.
        shareable = response.status_code == 200 and not reads_unpublished(request)
        response["Cache-Control"] = "public, max-age=60" if shareable else "private, no-store"
        patch_vary_headers(response, ["Authorization"])
        return response


@extend_schema_view(
    list=extend_schema(summary="Stories, newest published first"),
    retrieve=extend_schema(summary="A story, its parts in reading order"),
)
class StoryViewSet(LastModifiedMixin, viewsets.ReadOnlyModelViewSet):
    lookup_field = "slug"
    filterset_class = StoryFilter

    def get_queryset(self):
        stories = (
            Article.objects.all()
            if reads_unpublished(self.request)
            else Article.objects.published()
        )
        stories = (
            stories.select_related("desk")
            .prefetch_related(
                bylines_with_authors(),
                Prefetch(
                    "tagged_items",
                    queryset=TaggedArticle.objects.select_related("tag").order_by("pk"),
                ),
            )
            .order_by(*ORDERINGS["-published_at"])
        )
        if self.action == "retrieve":
            stories = stories.prefetch_related(
                "sections",
                "takeaways",
                "credits",
                "notices",
                Prefetch(
                    "cta_placements",
                    queryset=ArticleCallToAction.objects.select_related("call_to_action"),
                ),
            )
        return stories.defer("search_vector", "body_text", "takeaways_text")

    def get_serializer_class(self):
        if self.action == "retrieve":
            return serializers.StorySerializer
        return serializers.StorySummarySerializer

    def get_serializer_context(self):
        return {
            **super().get_serializer_context(),
            "reads_unpublished": reads_unpublished(self.request),
        }

    def retrieve(self, request, *args, **kwargs):
        story = self.get_object()
        self.last_changed = story.updated_at
        return Response(self.get_serializer(story).data)

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        shown = self.paginator.page.object_list
        self.last_changed = max((story.updated_at for story in shown), default=None)
        return response


@extend_schema_view(list=extend_schema(summary="Authors with a published story"))
class AuthorViewSet(LastModifiedMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.AuthorSerializer
    lookup_field = "slug"

    def get_queryset(self):
        authors = (
            Author.objects.all() if reads_unpublished(self.request) else Author.objects.public()
        )
        return authors.order_by("name", "pk")


@extend_schema_view(list=extend_schema(summary="The desks, as the site's menu lists them"))
class DeskViewSet(LastModifiedMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.DeskSerializer
    lookup_field = "slug"
    queryset = Desk.objects.order_by("name", "pk")


@extend_schema_view(list=extend_schema(summary="Tags on published stories"))
class TagViewSet(LastModifiedMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.TagSerializer
    lookup_field = "slug"

    def get_queryset(self):
        tags = Tag.objects.all() if reads_unpublished(self.request) else Tag.objects.public()
        return tags.order_by("name", "pk")


@extend_schema_view(list=extend_schema(summary="Calls to action showing now on a published story"))
class CallToActionViewSet(LastModifiedMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = serializers.CallToActionSerializer
    queryset = CallToAction.objects.none()  # for the OpenAPI document; get_queryset answers

    def get_queryset(self):
        placed = ArticleCallToAction.objects.filter(
            call_to_action=OuterRef("pk"), article__in=Article.objects.published()
        )
        in_use = CallToAction.objects.filter(Exists(placed)).order_by("pk")
        # A block outside its dates shows on no story (CallToAction.is_showing).
        now = timezone.now()
        return [cta for cta in in_use if cta.is_showing(now)]
