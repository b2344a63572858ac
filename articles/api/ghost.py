"""Ghost's Content API at /ghost/api/content/: our stories as Ghost's posts, so that the
front ends, static-site builders and tools written for Ghost read Newsroom unchanged.

Ghost's rules, not ours, decide the shape: a content key in `?key=` is required; lists
answer `{"posts": [...], "meta": {"pagination": {...}}}` with a total; a read answers
`{"posts": [post]}` without meta (the JavaScript client unwraps it); errors answer
`{"errors": [{"message", "context", "type", ...}]}`. Only what readers see is served,
whatever the key's scope: Ghost's Content API has no drafts. Reference:
https://ghost.org/docs/content-api/
"""

import re
import uuid

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils import timezone
from rest_framework import exceptions, permissions
from rest_framework.response import Response
from rest_framework.views import APIView, exception_handler

from articles.api import ghost_filter
from articles.api.views import LastModifiedMixin
from articles.models import (
    Article,
    ArticleCallToAction,
    Author,
    Pin,
    Tag,
    TaggedArticle,
    bylines_with_authors,
    plain_text,
)
from articles.reader.context_processors import navigation_desks
from articles.reader.seo import absolute, canonical_url
from articles.reader.story import story_context

FORMATS = ("html", "plaintext", "mobiledoc", "lexical")
DEFAULT_LIMIT = 15  # Ghost's
MAX_LIMIT = 100  # `limit=all` gives this many a page: a million stories is not one answer
ERROR_TYPES = {
    400: "BadRequestError",
    401: "UnauthorizedError",
    403: "NoPermissionError",
    404: "NotFoundError",
    405: "MethodNotAllowedError",
    406: "RequestNotAcceptableError",
    429: "TooManyRequestsError",
}


class GhostError(exceptions.APIException):
    """A 400 with Ghost's type and a context line saying what to change."""

    status_code = 400

    def __init__(self, message, context, type="BadRequestError"):
        super().__init__(message)
        self.context, self.type = context, type


def ghost_error_response(exc, context):
    """Answer an error as Ghost does, so that its client raises it with its message."""
    response = exception_handler(exc, context)  # DRF's status and headers (Retry-After, …)
    if response is None:
        return None
    detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
    response.data = {
        "errors": [
            {
                "message": str(detail),
                "context": getattr(exc, "context", None),
                "type": getattr(
                    exc, "type", ERROR_TYPES.get(response.status_code, "BadRequestError")
                ),
                "details": None,
                "property": None,
                "help": None,
                "code": None,
                "id": str(uuid.uuid4()),
                "ghostErrorCode": None,
            }
        ]
    }
    return response


class HasContentKey(permissions.BasePermission):
    """Ghost's Content API always takes a key; ours is public, Ghost's clients send one."""

    def has_permission(self, request, view):
        if request.auth is None:
            raise exceptions.NotAuthenticated(
                "Authorization failed: give a Content API key as ?key=<key>. "
                "Chiefs issue keys in the admin, under API keys."
            )
        return True


def ghost_id(pk: int) -> str:
    """Ghost's ids are 24 hex digits; ours are numbers, written the same way."""
    return f"{pk:024x}"


def pk_of(value: str) -> int:
    # 24 hex digits hold more than a database's integer: those are no id of ours either.
    if not re.fullmatch(r"[0-9a-f]{24}", value) or int(value, 16) >= 2**63:
        raise ghost_filter.FilterError(f"“{value}” is not an id.")
    return int(value, 16)


def iso(moment):
    return moment and moment.isoformat(timespec="milliseconds")


def words(request, name) -> list[str]:
    return [word.strip() for word in request.query_params.get(name, "").split(",") if word.strip()]


def allowed(request, name, choices) -> set[str]:
    asked = set(words(request, name))
    if unknown := asked - set(choices):
        raise GhostError(
            f"Validation (AllowedValues) failed for {name}",
            f"{name} cannot be {', '.join(sorted(unknown))}: it can be {', '.join(choices)}.",
            "ValidationError",
        )
    return asked


class GhostAPIView(LastModifiedMixin, APIView):
    """Any of Ghost's addresses: a content key required, errors in Ghost's shape."""

    permission_classes = [HasContentKey]
    schema = None  # Ghost documents this API; /api/v1/schema/ describes ours

    def get_exception_handler(self):
        return ghost_error_response


class GhostView(GhostAPIView):
    """One of Ghost's resources: `browse` at its root, `read` by id or by slug."""

    resource = ""
    includes = ()
    orderings = {}
    default_order = ""
    filters = {}

    def get(self, request, pk=None, slug=None):
        include = allowed(request, "include", self.includes)
        # Ghost's default is html; mobiledoc and lexical are Ghost's editor formats, not ours.
        self.formats = allowed(request, "formats", FORMATS) or {"html"}
        rows = self.rows(include)
        if pk is not None or slug is not None:
            try:
                rows = rows.filter(pk=pk_of(pk)) if pk is not None else rows.filter(slug=slug)
            except ghost_filter.FilterError:
                rows = rows.none()
            found = list(rows[:1])
            if not found:
                raise exceptions.NotFound(f"{self.resource[:-1].capitalize()} not found.")
            return Response({self.resource: self.shown(found, include)})
        rows = rows.filter(self.filtered()).order_by(*self.ordered())
        limit, page = self.paging()
        total = rows.count()
        shown = list(rows[(page - 1) * limit : page * limit])
        pages = max(1, -(-total // limit))
        pagination = {
            "page": page,
            "limit": limit,
            "pages": pages,
            "total": total,
            "next": page + 1 if page < pages else None,
            "prev": page - 1 if page > 1 else None,
        }
        return Response(
            {self.resource: self.shown(shown, include), "meta": {"pagination": pagination}}
        )

    def shown(self, rows, include) -> list[dict]:
        fields = set(words(self.request, "fields"))
        shown = [self.represent(row, include) for row in rows]
        if fields:
            # Ghost keeps only the fields asked for, and ignores names it does not have.
            extra = {"authors", "tags", "primary_author", "primary_tag", "count"}
            shown = [{k: v for k, v in row.items() if k in fields | extra} for row in shown]
        return shown

    def filtered(self) -> Q:
        text = self.request.query_params.get("filter", "")
        if not text.strip():
            return Q()
        try:
            return ghost_filter.parse(text, self.filters)
        except ghost_filter.FilterError as error:
            raise GhostError("Error parsing filter", str(error)) from None

    def ordered(self) -> list:
        text = self.request.query_params.get("order") or self.default_order
        ordering = []
        for clause in text.split(","):
            field, _, direction = clause.strip().partition(" ")
            direction = direction.strip().lower() or "asc"
            if field not in self.orderings or direction not in ("asc", "desc"):
                raise GhostError(
                    "Validation (order) failed",
                    f"“{clause.strip()}” cannot order {self.resource}: use one of "
                    f"{', '.join(self.orderings)}, then asc or desc.",
                    "ValidationError",
                )
            column = self.orderings[field]
            ordering.append(f"-{column}" if direction == "desc" else column)
        return [*ordering, "-pk" if ordering[-1].startswith("-") else "pk"]

    def paging(self) -> tuple[int, int]:
        limit = self.request.query_params.get("limit", str(DEFAULT_LIMIT))
        page = self.request.query_params.get("page", "1")
        limit = str(MAX_LIMIT) if limit == "all" else limit
        if not limit.isdigit() or not 1 <= int(limit) <= MAX_LIMIT:
            raise GhostError(
                "Validation (limit) failed", f"limit is a number from 1 to {MAX_LIMIT}, or all.",
                "ValidationError",
            )  # fmt: skip
        if not page.isdigit() or int(page) < 1:
            raise GhostError(
                "Validation (page) failed", "page is a number from 1.", "ValidationError"
            )
        return int(limit), int(page)


def matching(field, lookup, value) -> Q:
    return Q(**{field if lookup == "exact" else f"{field}__{lookup}": value})


def compare(field, convert):
    """A filter key for one column: `slug:a`, `slug:[a,b]`, `published_at:>'2026-01-01'`."""

    def build(lookup, value):
        if lookup == "in":
            return matching(field, "in", [convert(one) for one in value])
        return matching(field, lookup, convert(value))

    return build


def exists(subquery, field, convert=str):
    """A filter key true when a related row matches: a story's tags and authors."""

    def build(lookup, value):
        if lookup not in ("exact", "in"):
            raise ghost_filter.FilterError("Tags and authors compare with “:” or “:[…]” only.")
        values = [convert(one) for one in value] if lookup == "in" else [convert(value)]
        return Q(Exists(subquery.filter(**{f"{field}__in": values})))

    return build


def home_pins():
    return Pin.objects.showing().filter(article=OuterRef("pk"), desk__isnull=True)


def featured(lookup, value):
    if lookup != "exact":
        raise ghost_filter.FilterError("featured compares with “:” only.")
    showing = Q(Exists(home_pins()))
    return showing if ghost_filter.boolean(value) else ~showing


def author_json(request, author) -> dict:
    return {
        "id": ghost_id(author.pk),
        "name": author.name,
        "slug": author.slug,
        "profile_image": None,
        "cover_image": None,
        "bio": author.bio or None,
        "website": None,
        "location": None,
        "facebook": None,
        "twitter": None,
        "meta_title": None,
        "meta_description": None,
        "url": absolute(request, author.get_absolute_url()),
    }


def tag_json(request, tag) -> dict:
    return {
        "id": ghost_id(tag.pk),
        "name": tag.name,
        "slug": tag.slug,
        "description": tag.description or None,
        "feature_image": None,
        "visibility": "public",
        "og_image": None,
        "og_title": None,
        "og_description": None,
        "twitter_image": None,
        "twitter_title": None,
        "twitter_description": None,
        "meta_title": None,
        "meta_description": None,
        "codeinjection_head": None,
        "codeinjection_foot": None,
        "canonical_url": None,
        "accent_color": None,
        "url": absolute(request, tag.get_absolute_url()),
    }


def published_count(link: str) -> Coalesce:
    """`include=count.posts`: how many published stories an author or a tag is on."""
    counted = (
        Article.objects.published()
        .filter(**{link: OuterRef("pk")})
        .order_by()
        .values(link)
        .annotate(n=Count("pk", distinct=True))
        .values("n")
    )
    return Coalesce(Subquery(counted), 0)


class PostsView(GhostView):
    resource = "posts"
    includes = ("authors", "tags")
    orderings = {
        "published_at": "published_at",
        "updated_at": "updated_at",
        "created_at": "created_at",
        "title": "headline",
        "slug": "slug",
    }
    default_order = "published_at desc"

    @property
    def filters(self):
        # Built per request: which tags are public depends on the time (Tag.objects.public).
        tagged = TaggedArticle.objects.filter(
            content_object=OuterRef("pk"), tag__in=Tag.objects.public()
        )
        bylined = Author.objects.filter(bylines__article=OuterRef("pk"))
        return {
            "id": compare("pk", pk_of),
            "slug": compare("slug", str),
            "title": compare("headline", str),
            "tag": exists(tagged, "tag__slug"),
            "tags": exists(tagged, "tag__slug"),
            "author": exists(bylined, "slug"),
            "authors": exists(bylined, "slug"),
            "featured": featured,
            "published_at": compare("published_at", ghost_filter.moment),
            "updated_at": compare("updated_at", ghost_filter.moment),
        }

    def rows(self, include):
        return (
            Article.objects.published()
            .select_related("desk")
            .defer("search_vector", "body_text", "takeaways_text")
            .prefetch_related(
                bylines_with_authors(),
                Prefetch(
                    "tagged_items", TaggedArticle.objects.select_related("tag").order_by("pk")
                ),
                "sections",
                "takeaways",
                "credits",
                Prefetch(
                    "cta_placements", ArticleCallToAction.objects.select_related("call_to_action")
                ),
            )
            .annotate(featured=Exists(home_pins()))
        )

    def represent(self, story, include) -> dict:
        request = self.request
        url = absolute(request, story.get_absolute_url())
        canonical = canonical_url(request, story, story.credits.all(), url)
        html = self.html(story)
        text = plain_text(html)
        post = {
            "id": ghost_id(story.pk),
            "uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{settings.SITE_URL}/stories/{story.pk}")),
            "title": story.headline,
            "slug": story.slug,
            "comment_id": str(story.pk),
            "feature_image": self.feature_image(story),
            "feature_image_alt": (story.hero_alt or None) if story.hero_image else None,
            "feature_image_caption": " ".join(filter(None, [story.hero_caption, story.hero_credit]))
            or None,
            "featured": story.featured,
            "visibility": "public",
            "created_at": iso(story.created_at),
            "updated_at": iso(story.updated_at),
            "published_at": iso(story.published_at),
            "custom_excerpt": story.dek or None,
            "codeinjection_head": None,
            "codeinjection_foot": None,
            "custom_template": None,
            # Ghost's canonical_url is empty unless the post was first published elsewhere.
            "canonical_url": canonical if canonical != url else None,
            "url": url,
            "excerpt": story.dek or text[:500],
            "reading_time": story.reading_minutes,
            "access": True,
            "comments": False,
            **dict.fromkeys(
                "og_image og_title og_description twitter_image twitter_title"
                " twitter_description email_subject frontmatter".split()
            ),
            "meta_title": story.seo_title or None,
            "meta_description": story.seo_description or None,
        }
        if "html" in self.formats:
            post["html"] = html
        if "plaintext" in self.formats:
            post["plaintext"] = text
        if "authors" in include:
            authors = [author_json(request, author) for author in story.byline_authors]
            post["authors"] = authors
            post["primary_author"] = authors[0] if authors else None
        if "tags" in include:
            tags = [tag_json(request, tag) for tag in story.public_tags]
            post["tags"] = tags
            post["primary_tag"] = tags[0] if tags else None
        return post

    def feature_image(self, story):
        renditions = story.hero_renditions or {}
        if not story.hero_image:
            return None
        return absolute(self.request, renditions.get("src") or story.hero_image.url)

    def html(self, story) -> str:
        """The story's text as the story page shows it, the credit first, where a Ghost theme
        draws the byline, and its calls to action where the editor placed them."""
        now = timezone.now()
        parts = {
            "article": story,
            "sections": list(story.sections.all()),
            "takeaways": list(story.takeaways.all()),
            "credits": list(story.credits.all()),
            "placed_ctas": [
                (placed.placement, placed.call_to_action)
                for placed in story.cta_placements.all()
                if placed.call_to_action.is_showing(now)
            ],
        }
        context = {**story_context(parts), "contents": []}  # a Ghost theme draws its own
        return render_to_string("api/ghost_post.html", context, self.request).strip()


class PagesView(GhostView):
    """Newsroom has stories, not pages: Ghost's page list is empty, and any page a 404."""

    resource = "pages"
    includes = ("authors", "tags")
    orderings = PostsView.orderings
    default_order = PostsView.default_order
    filters = PostsView.filters

    def rows(self, include):
        return Article.objects.none()


class CountedView(GhostView):
    """Authors and tags: by name, and with `include=count.posts` their published stories."""

    includes = ("count.posts",)
    orderings = {"name": "name", "slug": "slug"}
    default_order = "name asc"
    filters = {
        "id": compare("pk", pk_of),
        "slug": compare("slug", str),
        "name": compare("name", str),
    }
    link = ""  # from a story to one of these rows

    def rows(self, include):
        rows = self.listed()
        if "count.posts" in include:
            rows = rows.annotate(post_count=published_count(self.link))
        return rows

    def represent(self, row, include):
        shown = self.as_json(self.request, row)
        if "count.posts" in include:
            shown["count"] = {"posts": row.post_count}
        return shown


class AuthorsView(CountedView):
    resource = "authors"
    link = "bylines__author"
    as_json = staticmethod(author_json)

    def listed(self):
        return Author.objects.public()


class TagsView(CountedView):
    resource = "tags"
    link = "tagged_items__tag"
    as_json = staticmethod(tag_json)
    filters = {
        **CountedView.filters,
        # Readers' tags are all public; internal ones are never served here.
        "visibility": lambda lookup, value: Q() if value == "public" else Q(pk__in=[]),
    }

    def listed(self):
        return Tag.objects.public()


class SettingsView(GhostAPIView):
    """The site's name, address and menu, for a front end's header."""

    def get(self, request):
        navigation = [
            {"label": desk["name"], "url": absolute(request, desk["url"])}
            for desk in navigation_desks()
        ]
        nulls = dict.fromkeys(
            "logo accent_color cover_image facebook twitter codeinjection_head codeinjection_foot"
            " meta_title meta_description og_image og_title og_description twitter_image"
            " twitter_title twitter_description".split()
        )
        return Response(
            {
                "settings": {
                    **nulls,
                    "title": settings.SITE_NAME,
                    "description": "",
                    "icon": absolute(request, static("img/favicon.svg")),
                    "lang": settings.LANGUAGE_CODE.split("-")[0],
                    "locale": settings.LANGUAGE_CODE,
                    "timezone": settings.TIME_ZONE,
                    "navigation": navigation,
                    "secondary_navigation": [],
                    "url": absolute(request, "/"),
                },
                "meta": {},
            }
        )
