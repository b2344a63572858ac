"""Every address the site answers, under attack.

ROUTES names every URL pattern (a test walks Django's resolver, so a new endpoint without a
rule fails) with who may open it. Each rule is then tried as an anonymous visitor, as a
writer on another writer's story, as the role that may open it, with every HTTP method,
with and without the trailing slash and without a CSRF token. Below the matrix: POSTs that
try to set fields a writer may not set, bulk actions, "save as new", and autocomplete.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace
from urllib.parse import urlencode, urlsplit

import pytest
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLResolver, get_resolver, include, path, reverse
from django.utils import timezone
from django.utils.text import slugify
from django_tasks_db.models import DBTaskResult

from articles.api import tasks
from articles.api.ghost import ghost_id
from articles.editing import revisions
from articles.editing.admin_guards import view_on_site
from articles.models import (
    ApiKey,
    Article,
    ArticleEvent,
    Author,
    Byline,
    CallToAction,
    Desk,
    Notice,
    Picture,
    Pin,
    PreviewLink,
    Revision,
    Section,
    Tag,
    Webhook,
    WebhookDelivery,
)
from articles.moderation.views import preview_link_url
from tests.factories import inline_rows, make_article, make_author, make_desk, make_user

pytestmark = pytest.mark.django_db
Status = Article.Status
SECRET = "Secret merger plan"  # the headline of Oscar's draft: Wendy must never see it
SECRET_SLUG = "secret-merger-plan"
ANYONE = "anonymous"
METHODS = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"]
NOT_POST = [m for m in METHODS if m != "POST"]
LOGIN = reverse("admin:login")


@dataclass(frozen=True)
class Rule:
    """Who may open an address, and what it does."""

    url: Callable  # (world, story) -> the address, for Oscar's story unless told otherwise
    opens: str | None = None  # the role whose GET gets `answer`; None: nobody opens it by GET
    answer: int = 200
    refuses: str | None = None  # a staff role that must get 403 or 404, whatever the method
    story: bool = False  # about one story: another writer gets 403 or 404, whatever the method
    own: bool = False  # a writer opens it on her own story
    post_only: bool = False  # a state change: every method but POST is refused
    optional: bool = False  # only some settings have it (media files when DEBUG is on)


def admin_model(
    model, *, changelist, add, history, delete, change, refuses=None, obj, app="articles"
):
    """The six addresses Django's admin gives a model, with who may open each."""
    name = f"admin:{app}_{model}"
    root = f"admin/{app}/{model}/"

    def at(view, *args):
        return lambda w, s: reverse(f"{name}_{view}", args=[a(w) for a in args])

    return {
        root: Rule(at("changelist"), opens=changelist, refuses=refuses),
        f"{root}add/": Rule(at("add"), opens=add, refuses=refuses or "writer"),
        f"{root}<path:object_id>/history/": Rule(at("history", obj), opens=history),
        f"{root}<path:object_id>/delete/": Rule(at("delete", obj), opens=delete),
        f"{root}<path:object_id>/change/": Rule(at("change", obj), opens=change, refuses=refuses),
        f"{root}<path:object_id>/": Rule(
            lambda w, s: f"/{root}{obj(w)}/",
            opens="writer" if not refuses else "editor",
            answer=302,
        ),
    }


def story_url(name, *extra):
    return lambda w, s: reverse(name, args=[s.pk, *(e(w) for e in extra)])


def ghost(path):
    """A Ghost Content API address, with a key in it as Ghost's clients send one."""

    def url(w, s):
        key = ApiKey.issue(name="Ghost front end", scope=ApiKey.Scope.PUBLISHED)[1]
        return f"/ghost/api/content/{path(w)}?key={key}"

    return url


STORY_PAGE = {"story": True, "own": True, "opens": "editor"}
STORY_CHANGE = {"story": True, "post_only": True}

ROUTES = {
    # --- Signing in: open to everyone by design.
    "admin/login/": Rule(lambda w, s: LOGIN, opens=ANYONE),
    "admin/password-reset/": Rule(lambda w, s: reverse("admin_password_reset"), opens=ANYONE),
    "admin/password-reset/done/": Rule(lambda w, s: reverse("password_reset_done"), opens=ANYONE),
    "admin/password-reset/<uidb64>/<token>/": Rule(
        lambda w, s: reverse("password_reset_confirm", args=["MQ", "no-such-token"]),
        opens=ANYONE,
    ),
    "admin/password-reset/complete/": Rule(
        lambda w, s: reverse("password_reset_complete"), opens=ANYONE
    ),
    # --- The admin site itself.
    "admin/": Rule(lambda w, s: reverse("admin:index"), opens="writer"),
    "admin/logout/": Rule(lambda w, s: reverse("admin:logout"), post_only=True),
    "admin/password_change/": Rule(lambda w, s: reverse("admin:password_change"), opens="writer"),
    "admin/password_change/done/": Rule(
        lambda w, s: reverse("admin:password_change_done"), opens="writer"
    ),
    "admin/autocomplete/": Rule(
        lambda w, s: (
            reverse("admin:autocomplete")
            + "?app_label=articles&model_name=byline&field_name=author&term=a"
        ),
        opens="writer",
    ),
    "admin/jsi18n/": Rule(lambda w, s: reverse("admin:jsi18n"), opens="writer"),
    "admin/r/<path:content_type_id>/<path:object_id>/": Rule(
        lambda w, s: reverse(
            "admin:view_on_site", args=[ContentType.objects.get_for_model(Article).pk, s.pk]
        ),
        story=True,
        own=True,
        opens="editor",
        answer=302,
    ),
    "admin/^(?P<app_label>auth|django_tasks_database|articles)/$": Rule(
        lambda w, s: reverse("admin:app_list", args=["articles"]), opens="writer"
    ),
    "admin/(?P<url>.*)$": Rule(lambda w, s: "/admin/no-such-page/", opens="writer", answer=404),
    # --- Staff accounts: chiefs manage them; a role group is changed only by a superuser.
    "admin/auth/group/": Rule(
        lambda w, s: reverse("admin:auth_group_changelist"), opens="chief", refuses="editor"
    ),
    "admin/auth/group/add/": Rule(
        lambda w, s: reverse("admin:auth_group_add"), opens="superuser", refuses="chief"
    ),
    "admin/auth/group/<path:object_id>/history/": Rule(
        lambda w, s: reverse("admin:auth_group_history", args=[w.group.pk]),
        opens="chief",
        refuses="editor",
    ),
    "admin/auth/group/<path:object_id>/delete/": Rule(
        lambda w, s: reverse("admin:auth_group_delete", args=[w.group.pk]),
        opens="superuser",
        refuses="chief",
    ),
    "admin/auth/group/<path:object_id>/change/": Rule(
        lambda w, s: reverse("admin:auth_group_change", args=[w.group.pk]),
        opens="chief",
        refuses="editor",
    ),
    "admin/auth/group/<path:object_id>/": Rule(
        lambda w, s: f"/admin/auth/group/{w.group.pk}/", opens="chief", answer=302
    ),
    "admin/auth/user/<id>/password/": Rule(
        lambda w, s: reverse("admin:auth_user_password_change", args=[w.writer.pk]),
        opens="chief",
        refuses="editor",
    ),
    "admin/auth/user/": Rule(
        lambda w, s: reverse("admin:auth_user_changelist"), opens="chief", refuses="editor"
    ),
    "admin/auth/user/add/": Rule(
        lambda w, s: reverse("admin:auth_user_add"), opens="chief", refuses="editor"
    ),
    "admin/auth/user/<path:object_id>/history/": Rule(
        lambda w, s: reverse("admin:auth_user_history", args=[w.writer.pk]),
        opens="chief",
        refuses="editor",
    ),
    "admin/auth/user/<path:object_id>/delete/": Rule(
        lambda w, s: reverse("admin:auth_user_delete", args=[w.writer.pk]),
        opens="chief",
        refuses="editor",
    ),
    "admin/auth/user/<path:object_id>/change/": Rule(
        lambda w, s: reverse("admin:auth_user_change", args=[w.writer.pk]),
        opens="chief",
        refuses="editor",
    ),
    "admin/auth/user/<path:object_id>/": Rule(
        lambda w, s: f"/admin/auth/user/{w.writer.pk}/", opens="chief", answer=302
    ),
    # --- Stories in the admin.
    "admin/articles/article/import/": Rule(
        lambda w, s: reverse("admin:articles_article_import"), opens="writer"
    ),
    "admin/articles/article/tags/suggest/": Rule(
        lambda w, s: reverse("admin:articles_article_tag_suggestions") + "?term=c",
        opens="writer",
    ),
    # The editor's autosave and live preview: the form posts itself, nothing else.
    "admin/articles/article/add/autosave/": Rule(
        lambda w, s: reverse("admin:articles_article_autosave_add"), post_only=True
    ),
    "admin/articles/article/add/autosave/discard/": Rule(
        lambda w, s: reverse("admin:articles_article_autosave_add_discard"), post_only=True
    ),
    "admin/articles/article/<int:pk>/autosave/": Rule(
        story_url("admin:articles_article_autosave"), **STORY_CHANGE
    ),
    "admin/articles/article/<int:pk>/autosave/discard/": Rule(
        story_url("admin:articles_article_autosave_discard"), **STORY_CHANGE
    ),
    "admin/articles/article/add/preview/": Rule(
        lambda w, s: reverse("admin:articles_article_live_preview_new"), post_only=True
    ),
    "admin/articles/article/<int:pk>/preview/": Rule(
        story_url("admin:articles_article_live_preview"), **STORY_CHANGE
    ),
    "admin/articles/article/<int:pk>/transition/<str:action>/": Rule(
        story_url("admin:articles_article_transition", lambda w: "publish"), **STORY_CHANGE
    ),
    # The story's one history is its admin History page; this old address leads there.
    "admin/articles/article/<int:pk>/revisions/": Rule(
        story_url("admin:articles_article_revisions"), **STORY_PAGE, answer=302
    ),
    "admin/articles/article/<int:pk>/revisions/<int:version>/": Rule(
        story_url("admin:articles_article_revision", lambda w: 1), **STORY_PAGE
    ),
    "admin/articles/article/<int:pk>/revisions/<int:version>/restore/": Rule(
        story_url("admin:articles_article_revision_restore", lambda w: 1), **STORY_CHANGE
    ),
    "admin/articles/article/<int:pk>/revisions/<int:version>/preview/": Rule(
        story_url("admin:articles_article_revision_preview", lambda w: 1), **STORY_PAGE
    ),
    "admin/articles/article/": Rule(
        lambda w, s: reverse("admin:articles_article_changelist"), opens="writer"
    ),
    "admin/articles/article/add/": Rule(
        lambda w, s: reverse("admin:articles_article_add"), opens="writer"
    ),
    "admin/articles/article/<path:object_id>/history/": Rule(
        story_url("admin:articles_article_history"), **STORY_PAGE
    ),
    "admin/articles/article/<path:object_id>/delete/": Rule(
        story_url("admin:articles_article_delete"), story=True, opens="chief", refuses="editor"
    ),
    "admin/articles/article/<path:object_id>/change/": Rule(
        story_url("admin:articles_article_change"), **STORY_PAGE
    ),
    "admin/articles/article/<path:object_id>/": Rule(
        lambda w, s: f"/admin/articles/article/{s.pk}/", story=True, opens="editor", answer=302
    ),
    **admin_model(
        "author",
        changelist="writer",
        add="editor",
        history="writer",
        delete="chief",
        change="writer",
        obj=lambda w: w.author.pk,
    ),
    **admin_model(
        "desk",
        changelist="writer",
        add="editor",
        history="writer",
        delete="editor",
        change="writer",
        obj=lambda w: w.desk.pk,
    ),
    **admin_model(
        "tag",
        changelist="writer",
        add="editor",
        history="writer",
        delete="editor",
        change="writer",
        obj=lambda w: w.tag.pk,
    ),
    **admin_model(
        "calltoaction",
        changelist="writer",
        add="editor",
        history="writer",
        delete="editor",
        change="writer",
        obj=lambda w: w.cta.pk,
    ),
    **admin_model(
        "notice",
        changelist="editor",
        add="editor",
        history="editor",
        delete="superuser",
        change="editor",
        refuses="writer",
        obj=lambda w: w.notice.pk,
    ),
    **admin_model(
        "previewlink",
        changelist="editor",
        add=None,  # links are made on the story's review page, never here
        history="editor",
        delete="superuser",
        change="editor",
        refuses="writer",
        obj=lambda w: w.link.pk,
    ),
    **admin_model(
        "pin",
        changelist="editor",
        add="editor",
        history="editor",
        delete="editor",
        change="editor",
        refuses="writer",
        obj=lambda w: w.pin.pk,
    ),
    **admin_model(
        "apikey",
        changelist="chief",
        add="chief",
        history="chief",
        delete=None,  # keys are revoked, never deleted
        change="chief",
        refuses="editor",
        obj=lambda w: w.key.pk,
    ),
    **admin_model(
        "webhook",
        changelist="chief",
        add="chief",
        history="chief",
        delete="chief",
        change="chief",
        refuses="editor",
        obj=lambda w: w.hook.pk,
    ),
    **admin_model(
        "webhookdelivery",
        changelist="chief",
        add=None,  # written by the sending alone
        history="chief",
        delete=None,
        change="chief",  # to read it: nobody may change it
        refuses="editor",
        obj=lambda w: w.delivery.pk,
    ),
    # The task queue itself (django-tasks-db's admin): Chiefs read what failed, and why.
    **admin_model(
        "dbtaskresult",
        app="django_tasks_database",
        changelist="chief",
        add=None,
        history="chief",
        delete=None,
        change="chief",
        refuses="editor",
        obj=lambda w: w.task.pk,
    ),
    "admin/articles/pin/story-autocomplete/": Rule(
        lambda w, s: (
            reverse("admin:articles_pin_story_autocomplete")
            + "?app_label=articles&model_name=pin&field_name=article&term=a"
        ),
        opens="editor",
    ),
    # --- The picture library: anyone who writes stories uses and adds to it; editors delete
    # a picture no story uses.
    "admin/articles/picture/": Rule(
        lambda w, s: reverse("admin:articles_picture_changelist"), opens="writer"
    ),
    "admin/articles/picture/add/": Rule(
        lambda w, s: reverse("admin:articles_picture_add"), opens="writer"
    ),
    "admin/articles/picture/choose/": Rule(
        lambda w, s: reverse("admin:articles_picture_choose"), opens="writer"
    ),
    "admin/articles/picture/upload/": Rule(
        lambda w, s: reverse("admin:articles_picture_upload"), post_only=True
    ),
    "admin/articles/article/link-chooser/": Rule(
        lambda w, s: reverse("admin:articles_article_link_choose"), opens="writer"
    ),
    "admin/articles/picture/<path:object_id>/history/": Rule(
        lambda w, s: reverse("admin:articles_picture_history", args=[w.picture.pk]),
        opens="writer",
    ),
    "admin/articles/picture/<path:object_id>/delete/": Rule(
        lambda w, s: reverse("admin:articles_picture_delete", args=[w.picture.pk]),
        opens="editor",
        refuses="writer",
    ),
    "admin/articles/picture/<path:object_id>/change/": Rule(
        lambda w, s: reverse("admin:articles_picture_change", args=[w.picture.pk]),
        opens="writer",
    ),
    "admin/articles/picture/<path:object_id>/": Rule(
        lambda w, s: f"/admin/articles/picture/{w.picture.pk}/", opens="writer", answer=302
    ),
    # --- The review queues.
    "review/": Rule(lambda w, s: reverse("review:index"), opens="writer"),
    "review/<int:pk>/": Rule(story_url("review:story"), **STORY_PAGE),
    "review/<int:pk>/preview/": Rule(story_url("review:preview"), **STORY_PAGE),
    "review/<int:pk>/links/": Rule(story_url("review:create_link"), **STORY_CHANGE),
    "review/<int:pk>/links/<int:link_pk>/revoke/": Rule(
        story_url("review:revoke_link", lambda w: w.link.pk), **STORY_CHANGE
    ),
    "^desk/(?P<rest>.*)$": Rule(lambda w, s: f"/desk/{s.pk}/", opens=ANYONE, answer=301),
    # --- Readers: open to everyone; drafts stay 404 (tests/reader/test_views.py).
    "": Rule(lambda w, s: "/", opens=ANYONE),
    "search/": Rule(lambda w, s: "/search/?q=story", opens=ANYONE),
    "stories/<slug:slug>/": Rule(lambda w, s: w.published.get_absolute_url(), opens=ANYONE),
    "desks/<slug:slug>/": Rule(lambda w, s: w.desk.get_absolute_url(), opens=ANYONE),
    r"^tags/(?P<slug>[-\w]+)/$": Rule(lambda w, s: w.tag.get_absolute_url(), opens=ANYONE),
    "authors/<slug:slug>/": Rule(lambda w, s: w.author.get_absolute_url(), opens=ANYONE),
    "preview/<str:token>/": Rule(lambda w, s: preview_link_url(w.link), opens=ANYONE),
    "favicon.ico": Rule(lambda w, s: "/favicon.ico", opens=ANYONE, answer=301),
    "feeds/rss/": Rule(lambda w, s: "/feeds/rss/", opens=ANYONE),
    "feeds/atom/": Rule(lambda w, s: "/feeds/atom/", opens=ANYONE),
    "feeds/desks/<slug:slug>/rss/": Rule(
        lambda w, s: f"/feeds/desks/{w.desk.slug}/rss/", opens=ANYONE
    ),
    "feeds/desks/<slug:slug>/atom/": Rule(
        lambda w, s: f"/feeds/desks/{w.desk.slug}/atom/", opens=ANYONE
    ),
    r"^feeds/tags/(?P<slug>[-\w]+)/rss/$": Rule(
        lambda w, s: f"/feeds/tags/{w.tag.slug}/rss/", opens=ANYONE
    ),
    r"^feeds/tags/(?P<slug>[-\w]+)/atom/$": Rule(
        lambda w, s: f"/feeds/tags/{w.tag.slug}/atom/", opens=ANYONE
    ),
    "feeds/authors/<slug:slug>/rss/": Rule(
        lambda w, s: f"/feeds/authors/{w.author.slug}/rss/", opens=ANYONE
    ),
    "feeds/authors/<slug:slug>/atom/": Rule(
        lambda w, s: f"/feeds/authors/{w.author.slug}/atom/", opens=ANYONE
    ),
    "sitemap.xml": Rule(lambda w, s: "/sitemap.xml", opens=ANYONE),
    "sitemap-news.xml": Rule(lambda w, s: "/sitemap-news.xml", opens=ANYONE),
    "sitemap-<section>.xml": Rule(lambda w, s: "/sitemap-articles.xml", opens=ANYONE),
    "robots.txt": Rule(lambda w, s: "/robots.txt", opens=ANYONE),
    # --- The read API: what readers see, to anyone (tests/api/ checks what it leaves out).
    "api/v1/schema/": Rule(lambda w, s: reverse("api:schema"), opens=ANYONE),
    "api/v1/^stories/$": Rule(lambda w, s: reverse("api:story-list"), opens=ANYONE),
    "api/v1/^stories/(?P<slug>[^/.]+)/$": Rule(
        lambda w, s: reverse("api:story-detail", args=[w.published.slug]), opens=ANYONE
    ),
    "api/v1/^authors/$": Rule(lambda w, s: reverse("api:author-list"), opens=ANYONE),
    "api/v1/^authors/(?P<slug>[^/.]+)/$": Rule(
        lambda w, s: reverse("api:author-detail", args=[w.author.slug]), opens=ANYONE
    ),
    "api/v1/^desks/$": Rule(lambda w, s: reverse("api:desk-list"), opens=ANYONE),
    "api/v1/^desks/(?P<slug>[^/.]+)/$": Rule(
        lambda w, s: reverse("api:desk-detail", args=[w.desk.slug]), opens=ANYONE
    ),
    "api/v1/^tags/$": Rule(lambda w, s: reverse("api:tag-list"), opens=ANYONE),
    "api/v1/^tags/(?P<slug>[^/.]+)/$": Rule(
        lambda w, s: reverse("api:tag-detail", args=[w.tag.slug]), opens=ANYONE
    ),
    "api/v1/^calls-to-action/$": Rule(
        lambda w, s: reverse("api:call-to-action-list"), opens=ANYONE
    ),
    # --- Ghost's Content API: the same, with a content key as Ghost's clients send it.
    "ghost/api/content/posts/": Rule(ghost(lambda w: "posts/"), opens=ANYONE),
    "ghost/api/content/posts/slug/<str:slug>/": Rule(
        ghost(lambda w: f"posts/slug/{w.published.slug}/"), opens=ANYONE
    ),
    "ghost/api/content/posts/<str:pk>/": Rule(
        ghost(lambda w: f"posts/{ghost_id(w.published.pk)}/"), opens=ANYONE
    ),
    "ghost/api/content/pages/": Rule(ghost(lambda w: "pages/"), opens=ANYONE),
    "ghost/api/content/pages/slug/<str:slug>/": Rule(
        ghost(lambda w: "pages/slug/about/"), opens=ANYONE, answer=404
    ),
    "ghost/api/content/pages/<str:pk>/": Rule(
        ghost(lambda w: f"pages/{ghost_id(1)}/"), opens=ANYONE, answer=404
    ),
    "ghost/api/content/authors/": Rule(ghost(lambda w: "authors/"), opens=ANYONE),
    "ghost/api/content/authors/slug/<str:slug>/": Rule(
        ghost(lambda w: f"authors/slug/{w.author.slug}/"), opens=ANYONE
    ),
    "ghost/api/content/authors/<str:pk>/": Rule(
        ghost(lambda w: f"authors/{ghost_id(w.author.pk)}/"), opens=ANYONE
    ),
    "ghost/api/content/tags/": Rule(ghost(lambda w: "tags/"), opens=ANYONE),
    "ghost/api/content/tags/slug/<str:slug>/": Rule(
        ghost(lambda w: f"tags/slug/{w.tag.slug}/"), opens=ANYONE
    ),
    "ghost/api/content/tags/<str:pk>/": Rule(
        ghost(lambda w: f"tags/{ghost_id(w.tag.pk)}/"), opens=ANYONE
    ),
    "ghost/api/content/settings/": Rule(ghost(lambda w: "settings/"), opens=ANYONE),
    "^media/(?P<path>.*)$": Rule(
        lambda w, s: "/media/no-such-file.png", opens=ANYONE, answer=404, optional=True
    ),
}
STAFF_ROUTES = [route for route, rule in ROUTES.items() if rule.opens != ANYONE]
STORY_ROUTES = [route for route, rule in ROUTES.items() if rule.story]
# The read API changes nothing and has no form: no method but reading, no CSRF token to ask for.
API_ROUTES = [route for route in ROUTES if route.startswith(("api/", "ghost/api/"))]


def site_routes() -> set[str]:
    """Every URL pattern Django resolves, as its route text, prefixes included."""

    def walk(patterns, prefix=""):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, route)
            else:
                yield route

    return set(walk(get_resolver().url_patterns))


@pytest.fixture
def w(writer, other_writer, editor, chief, superuser):
    """A newsroom: Oscar's draft (Wendy must never reach it), Wendy's own, a published story,
    and one of everything the admin manages."""
    desk = make_desk(name="Science")
    author = make_author(name="Ana Ruiz")
    tag = Tag.objects.create(name="Climate", slug="climate")
    published = make_article(
        headline="A published story", desk=desk, tags=["Climate"], authors=[author]
    )
    theirs = make_article(
        headline=SECRET, status=Status.DRAFT, published_at=None, created_by=other_writer
    )
    mine = make_article(
        headline="Wendy's own draft", status=Status.DRAFT, published_at=None, created_by=writer
    )
    for story in (theirs, mine):
        revisions.record(story, by=story.created_by, summary="Created")
        story.refresh_from_db()
    link = PreviewLink.objects.create(
        article=theirs,
        label="Our lawyer",
        created_by=editor,
        expires_at=timezone.now() + timedelta(days=3),
    )
    hook = Webhook.objects.create(name="Site", url="https://example.com/hook", events=["x"])
    delivery = WebhookDelivery.objects.create(webhook=hook, event="story.published", payload={})
    return SimpleNamespace(
        writer=writer,
        other_writer=other_writer,
        editor=editor,
        chief=chief,
        superuser=superuser,
        desk=desk,
        author=author,
        tag=tag,
        published=published,
        theirs=theirs,
        mine=mine,
        link=link,
        notice=Notice.objects.create(article=published, kind="update", text="Updated."),
        cta=CallToAction.objects.first(),
        group=Group.objects.get(name="Writer"),
        pin=Pin.objects.create(article=published),
        key=ApiKey.issue(name="Mobile app", scope=ApiKey.Scope.PREVIEW, by=chief)[0],
        hook=hook,
        delivery=delivery,
        task=DBTaskResult.objects.get(pk=tasks.deliver.enqueue(delivery.pk).id),
        picture=Picture.objects.create(
            image="stories/2026/01/heron.png", width=60, height=40, alt="A heron"
        ),
    )


def client_for(w, role, **kwargs) -> Client:
    """A browser signed in as this role; a crash comes back as a 500, as on a server."""
    client = Client(raise_request_exception=False, **kwargs)
    if role != ANYONE:
        client.force_login(getattr(w, role))
    return client


def send(client, method, url, data=None, **kwargs):
    if method == "POST":
        return client.post(url, data or {}, **kwargs)
    if method in ("PUT", "PATCH", "DELETE"):
        body = urlencode(data or {}, doseq=True)
        form = "application/x-www-form-urlencoded"
        return getattr(client, method.lower())(url, body, content_type=form, **kwargs)
    return getattr(client, method.lower())(url, **kwargs)


def database_state() -> dict:
    """What an attacker could hope to change, read back from the database."""
    return {
        "articles": list(
            Article.objects.order_by("pk").values_list(
                "pk",
                "headline",
                "status",
                "published_at",
                "created_by",
                "assignee",
                "priority",
                "due_at",
                "version",
                "deleted_at",
            )
        ),
        "sections": list(Section.objects.order_by("pk").values_list("pk", "article", "body")),
        "bylines": list(Byline.objects.order_by("pk").values_list("pk", "article", "author")),
        "events": list(ArticleEvent.objects.order_by("pk").values_list("pk", "action", "note")),
        "revisions": Revision.objects.count(),
        "links": list(
            PreviewLink.objects.order_by("pk").values_list("pk", "expires_at", "revoked_at")
        ),
        "notices": list(Notice.objects.order_by("pk").values_list("pk", "text", "created_by")),
        "tags": list(Tag.objects.order_by("pk").values_list("pk", "name", "is_internal")),
        "authors": list(Author.objects.order_by("pk").values_list("pk", "name", "user")),
        "desks": list(Desk.objects.order_by("pk").values_list("pk", "name")),
        "ctas": list(CallToAction.objects.order_by("pk").values_list("pk", "text", "url")),
        "pins": list(Pin.objects.order_by("pk").values_list("pk", "article", "desk", "position")),
        "pictures": list(Picture.objects.order_by("pk").values_list("pk", "image", "alt")),
        "users": list(
            User.objects.order_by("pk").values_list(
                "pk", "username", "password", "is_active", "is_staff", "is_superuser"
            )
        ),
        "memberships": sorted(User.groups.through.objects.values_list("user", "group")),
        "grants": sorted(User.user_permissions.through.objects.values_list("user", "permission")),
        "groups": sorted(Group.permissions.through.objects.values_list("group", "permission")),
        "admin_log": LogEntry.objects.count(),
    }


def shows_the_secret(response) -> bool:
    """Whether the page, or any address it redirected through, names Oscar's draft."""
    hops = [url for url, _ in getattr(response, "redirect_chain", [])]
    text = " ".join(
        [response.content.decode(errors="replace"), response.get("Location", ""), *hops]
    )
    return SECRET.lower() in text.lower() or SECRET_SLUG in text


def is_login_redirect(response) -> bool:
    path = urlsplit(response.get("Location", "")).path
    return response.status_code == 302 and path in (LOGIN, reverse("admin:index"))


def without_slash(url: str) -> str:
    path, _, query = url.partition("?")
    return path.rstrip("/") + (f"?{query}" if query else "")


# --- The table covers the whole site ---------------------------------------------------------


def test_every_address_the_site_answers_has_a_rule():
    missing = site_routes() - set(ROUTES)
    assert not missing, f"add these URL patterns to ROUTES with their protection: {missing}"


def test_every_rule_is_still_an_address():
    stale = {route for route, rule in ROUTES.items() if not rule.optional} - site_routes()
    assert not stale, f"these rules name URL patterns that no longer exist: {stale}"


# --- Anonymous visitors ----------------------------------------------------------------------


@pytest.mark.parametrize("route", STAFF_ROUTES)
def test_anonymous_visitor_gets_only_the_login_page(w, route):
    client = client_for(w, ANYONE)
    url = ROUTES[route].url(w, w.theirs)
    before = database_state()
    for method in METHODS:
        response = send(client, method, url)
        assert is_login_redirect(response), (method, response.status_code)
        assert not shows_the_secret(response)
    assert database_state() == before


@pytest.mark.parametrize("route", STAFF_ROUTES)
def test_anonymous_visitor_gets_no_more_without_the_trailing_slash(w, route):
    url = without_slash(ROUTES[route].url(w, w.theirs))
    client = client_for(w, ANYONE)
    before = database_state()
    for method in METHODS:
        response = send(client, method, url)
        assert response.status_code in (301, 302, 404), method
        assert not shows_the_secret(response)
    final = client.get(url, follow=True)
    assert final.request["PATH_INFO"] == LOGIN or final.status_code == 404
    assert database_state() == before


# --- Who may open what -----------------------------------------------------------------------


@pytest.mark.parametrize("route", [r for r, rule in ROUTES.items() if rule.opens])
def test_the_role_it_is_for_gets_the_page(w, route):
    rule = ROUTES[route]
    response = client_for(w, rule.opens).get(rule.url(w, w.theirs))
    assert response.status_code == rule.answer


@pytest.mark.parametrize("route", [r for r, rule in ROUTES.items() if rule.refuses])
def test_a_role_it_is_not_for_is_refused_whatever_the_method(w, route):
    rule = ROUTES[route]
    client = client_for(w, rule.refuses)
    url = rule.url(w, w.theirs)
    before = database_state()
    for method in METHODS:
        response = send(client, method, url, {"post": "yes", "name": "Changed"})
        assert response.status_code in (403, 404), (method, response.status_code)
    assert database_state() == before


@pytest.mark.parametrize("route", STORY_ROUTES)
def test_a_writer_cannot_reach_another_writers_story_by_any_method(w, route):
    client = client_for(w, "writer")
    url = ROUTES[route].url(w, w.theirs)
    before = database_state()
    for method in METHODS:
        response = send(client, method, url, {"post": "yes", "headline": "Hijacked"}, follow=True)
        assert response.status_code in (403, 404, 405), (method, response.status_code)
        assert not shows_the_secret(response), method
    assert database_state() == before


@pytest.mark.parametrize("route", STORY_ROUTES)
def test_a_writer_cannot_reach_another_writers_story_without_the_trailing_slash(w, route):
    client = client_for(w, "writer")
    url = without_slash(ROUTES[route].url(w, w.theirs))
    before = database_state()
    for method in METHODS:
        response = send(client, method, url, {"post": "yes", "headline": "Hijacked"})
        assert response.status_code in (301, 403, 404, 405), (method, response.status_code)
        assert not shows_the_secret(response), method
    followed = client.get(url, follow=True)
    assert followed.status_code in (403, 404, 405)
    assert not shows_the_secret(followed)
    assert database_state() == before


@pytest.mark.parametrize("route", [r for r, rule in ROUTES.items() if rule.own])
def test_a_writer_opens_her_own_story(w, route):
    rule = ROUTES[route]
    assert client_for(w, "writer").get(rule.url(w, w.mine)).status_code == rule.answer


# The site's URLs with "view on site" routed to articles.editing.admin_guards.view_on_site, as
# the report asks newsroom/urls.py to do.
urlpatterns = [
    path("admin/r/<path:content_type_id>/<path:object_id>/", admin.site.admin_view(view_on_site)),
    path("", include("newsroom.urls")),
]


def view_on_site_url(article):
    return reverse(
        "admin:view_on_site", args=[ContentType.objects.get_for_model(Article).pk, article.pk]
    )


@pytest.mark.urls(__name__)
def test_checked_view_on_site_hides_another_writers_story(w):
    response = client_for(w, "writer").get(view_on_site_url(w.theirs))
    assert response.status_code == 404
    assert not shows_the_secret(response)


@pytest.mark.urls(__name__)
def test_checked_view_on_site_still_opens_what_the_user_may_see(w):
    assert client_for(w, "writer").get(view_on_site_url(w.mine)).status_code == 302
    response = client_for(w, "editor").get(view_on_site_url(w.theirs))
    assert urlsplit(response["Location"]).path == w.theirs.get_absolute_url()


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("address", ["1/abc", "abc/1", "99999999999999999999/1", "1/%00"])
def test_checked_view_on_site_answers_odd_addresses_with_a_404(w, address):
    assert client_for(w, "editor").get(f"/admin/r/{address}/").status_code == 404


def test_a_staff_member_without_a_role_opens_no_story_page(w):
    nobody = make_user("staff-without-role")
    client = Client(raise_request_exception=False)
    client.force_login(nobody)
    for route in STORY_ROUTES:
        response = client.get(ROUTES[route].url(w, w.mine), follow=True)
        assert response.status_code in (403, 404, 405), route
    tags = client.get(reverse("admin:articles_article_tag_suggestions"), {"term": "c"})
    assert tags.status_code == 403


def test_a_deactivated_editor_is_sent_to_log_in(w):
    client = client_for(w, "editor")
    User.objects.filter(pk=w.editor.pk).update(is_active=False)
    for route in [*STORY_ROUTES, "review/", "admin/"]:
        response = client.get(ROUTES[route].url(w, w.theirs))
        assert is_login_redirect(response), route


# --- HTTP methods ----------------------------------------------------------------------------


@pytest.mark.parametrize("route", [r for r, rule in ROUTES.items() if rule.post_only])
def test_a_state_change_refuses_every_method_but_post(w, route):
    client = client_for(w, "editor")
    url = ROUTES[route].url(w, w.theirs)
    before = database_state()
    for method in NOT_POST:
        response = send(client, method, url, {"label": "x", "days": "3"})
        # Django's logout view answers OPTIONS with the methods it allows, and nothing else.
        allowed = (405, 200) if method == "OPTIONS" and route == "admin/logout/" else (405,)
        assert response.status_code in allowed, (method, response.status_code)
    assert database_state() == before
    assert client.get(reverse("admin:index")).status_code == 200  # still signed in


@pytest.mark.parametrize("route", list(ROUTES))
def test_no_method_but_post_changes_anything_or_crashes(w, route):
    rule = ROUTES[route]
    client = client_for(w, rule.opens or "superuser")
    url = rule.url(w, w.theirs)
    before = database_state()
    for method in NOT_POST:
        response = send(client, method, url, {"post": "yes", "headline": "Changed"})
        assert response.status_code < 500, (method, response.status_code)
    assert database_state() == before


@pytest.mark.parametrize("route", [route for route in ROUTES if route not in API_ROUTES])
def test_unsafe_methods_without_a_csrf_token_are_refused(w, route):
    rule = ROUTES[route]
    client = client_for(w, rule.opens or "superuser", enforce_csrf_checks=True)
    url = rule.url(w, w.theirs)
    before = database_state()
    for method in ["POST", "PUT", "PATCH", "DELETE"]:
        response = send(client, method, url, {"post": "yes", "headline": "Changed"})
        assert response.status_code == 403, (method, response.status_code)
        assert "CSRF" in response.content.decode(), method
    assert database_state() == before


@pytest.mark.parametrize("route", API_ROUTES)
def test_the_api_answers_only_reading_methods(w, route):
    client = client_for(w, ANYONE, enforce_csrf_checks=True)
    url = ROUTES[route].url(w, w.theirs)
    before = database_state()
    for method in ["POST", "PUT", "PATCH", "DELETE"]:
        assert send(client, method, url, {"headline": "Changed"}).status_code == 405, method
    assert database_state() == before


@pytest.mark.parametrize(
    "route, allowed",
    [
        ("review/", {"GET", "HEAD"}),
        ("review/<int:pk>/", {"GET", "HEAD", "POST"}),
        ("review/<int:pk>/preview/", {"GET", "HEAD"}),
        ("preview/<str:token>/", {"GET", "HEAD", "POST"}),
    ],
)
def test_review_and_preview_pages_answer_only_the_methods_they_use(w, route, allowed):
    client = client_for(w, "editor")
    url = ROUTES[route].url(w, w.theirs)
    for method in set(METHODS) - allowed:
        assert send(client, method, url).status_code == 405, method


# --- The same requests with a token do work: the refusals above are not accidents ----------


def csrf_client(w, role, page):
    """A browser that opened `page` first, as a person would, and so holds a CSRF token."""
    client = client_for(w, role, enforce_csrf_checks=True)
    client.get(page)
    return client, client.cookies["csrftoken"].value


def test_publish_button_needs_the_csrf_token(w):
    url = reverse("admin:articles_article_transition", args=[w.theirs.pk, "publish"])
    client, token = csrf_client(
        w, "editor", reverse("admin:articles_article_change", args=[w.theirs.pk])
    )
    assert client.post(url).status_code == 403
    w.theirs.refresh_from_db()
    assert w.theirs.status == Status.DRAFT
    client.post(url, {"csrfmiddlewaretoken": token})
    w.theirs.refresh_from_db()
    assert w.theirs.status == Status.PUBLISHED


def test_review_decision_needs_the_csrf_token(w):
    url = reverse("review:story", args=[w.theirs.pk])
    client, token = csrf_client(w, "editor", url)
    decision = {"decision": "publish", "seen": f"draft:{w.theirs.version}", "note": ""}
    assert client.post(url, decision).status_code == 403
    w.theirs.refresh_from_db()
    assert w.theirs.status == Status.DRAFT
    client.post(url, {**decision, "csrfmiddlewaretoken": token})
    w.theirs.refresh_from_db()
    assert w.theirs.status == Status.PUBLISHED


def test_revision_restore_needs_the_csrf_token(w):
    url = reverse("admin:articles_article_revision_restore", args=[w.theirs.pk, 1])
    client, token = csrf_client(
        w, "editor", reverse("admin:articles_article_history", args=[w.theirs.pk])
    )
    assert client.post(url).status_code == 403
    assert w.theirs.revisions.count() == 1
    client.post(url, {"csrfmiddlewaretoken": token})
    assert w.theirs.revisions.count() == 2


def test_making_and_revoking_a_preview_link_need_the_csrf_token(w):
    client, token = csrf_client(w, "editor", reverse("review:story", args=[w.theirs.pk]))
    make = reverse("review:create_link", args=[w.theirs.pk])
    revoke = reverse("review:revoke_link", args=[w.theirs.pk, w.link.pk])
    assert client.post(make, {"label": "Source", "days": "3"}).status_code == 403
    assert client.post(revoke).status_code == 403
    assert PreviewLink.objects.filter(revoked_at=None).count() == 1
    client.post(make, {"label": "Source", "days": "3", "csrfmiddlewaretoken": token})
    client.post(revoke, {"csrfmiddlewaretoken": token})
    assert set(PreviewLink.objects.filter(revoked_at=None).values_list("label", flat=True)) == {
        "Source"
    }


def test_reviewer_comment_needs_the_csrf_token(w):
    url = preview_link_url(w.link)
    reviewer = Client(enforce_csrf_checks=True)
    reviewer.get(url)
    comment = {"name": "Ana", "comment": "Paragraph two is wrong."}
    assert reviewer.post(url, comment).status_code == 403
    assert not w.theirs.events.filter(action="comment").exists()
    reviewer.post(url, {**comment, "csrfmiddlewaretoken": reviewer.cookies["csrftoken"].value})
    assert w.theirs.events.filter(action="comment").count() == 1


def test_trashing_a_story_needs_the_csrf_token(w):
    url = reverse("admin:articles_article_delete", args=[w.theirs.pk])
    client, token = csrf_client(w, "chief", url)
    assert client.post(url, {"post": "yes"}).status_code == 403
    w.theirs.refresh_from_db()
    assert w.theirs.deleted_at is None
    client.post(url, {"post": "yes", "csrfmiddlewaretoken": token})
    w.theirs.refresh_from_db()
    assert w.theirs.deleted_at is not None


def test_a_chief_trashes_a_story_that_has_revisions_history_and_preview_links(w):
    """Trashing deletes nothing, so it needs no permission to delete a story's revisions."""
    w.theirs.events.create(action="comment", note="Checked.")
    client = client_for(w, "chief")
    url = reverse("admin:articles_article_delete", args=[w.theirs.pk])
    assert "Cannot delete" not in client.get(url).content.decode()
    assert client.post(url, {"post": "yes"}).status_code == 302
    w.theirs.refresh_from_db()
    assert w.theirs.deleted_at is not None
    assert (w.theirs.revisions.count(), w.theirs.preview_links.count()) == (1, 1)


def test_logging_out_needs_the_csrf_token(w):
    client, token = csrf_client(w, "writer", reverse("admin:index"))
    assert client.post(reverse("admin:logout")).status_code == 403
    assert client.get(reverse("admin:index")).status_code == 200
    client.post(reverse("admin:logout"), {"csrfmiddlewaretoken": token})
    assert is_login_redirect(client.get(reverse("admin:index")))


# --- Mass assignment: fields a writer's POST cannot set ----------------------------------------

FORBIDDEN_FIELDS = {
    "status": "published",
    "published_at": "2020-01-01 00:00",
    "published_at_0": "2020-01-01",
    "published_at_1": "00:00",
    "created_by": "OTHER",
    "assignee": "OTHER",
    "due_at_0": "2030-01-01",
    "due_at_1": "09:00",
    "priority": "4",
    "version": "99",
    "deleted_at": "2020-01-01 00:00",
    "word_count": "99999",
    "body_text": "injected",
    "search_vector": "injected",
    "hero_renditions": '{"800": "/etc/passwd"}',
    "notice_kind": "retraction",
    "notice_text": "Retracted by a writer.",
}


def story_post(w, headline, **extra):
    """A minimal story as the admin's add form sends it."""
    return {
        "headline": headline,
        "slug": slugify(headline),
        "dek": "",
        "hero_focus_x": "50",
        "hero_focus_y": "50",
        "priority": "2",
        **inline_rows("bylines", [{"author": w.author.pk, "position": 1}]),
        **inline_rows("sections", [{"heading": "", "body": "<p>Text.</p>", "position": 1}]),
        **inline_rows("takeaways", []),
        **inline_rows("credits", []),
        **inline_rows("cta_placements", []),
        **inline_rows("read_next", []),
        **extra,
    }


def forbidden_fields(w):
    return {
        name: str(w.other_writer.pk) if value == "OTHER" else value
        for name, value in FORBIDDEN_FIELDS.items()
    }


def test_a_writers_new_story_ignores_status_owner_and_publication_fields(w):
    client = client_for(w, "writer")
    data = story_post(w, "Writer made this", **forbidden_fields(w))
    response = client.post(reverse("admin:articles_article_add"), data)
    assert response.status_code == 302
    story = Article.objects.get(headline="Writer made this")
    assert (story.status, story.published_at, story.deleted_at) == (Status.DRAFT, None, None)
    assert (story.created_by, story.assignee, story.due_at) == (w.writer, None, None)
    assert story.priority == Article.Priority.NORMAL
    assert story.version == 1  # the revision the save recorded, not the POSTed 99
    assert story.hero_renditions == {}
    assert not story.notices.exists()
    assert client.get(story.get_absolute_url()).context["is_preview"]  # not published


def test_a_writers_edit_ignores_status_owner_and_publication_fields(w):
    client = client_for(w, "writer")
    url = reverse("admin:articles_article_change", args=[w.mine.pk])
    data = story_post(w, "Wendy edited her draft", **forbidden_fields(w))
    data["loaded_version"] = str(w.mine.version)
    assert client.post(url, data).status_code == 302
    w.mine.refresh_from_db()
    assert w.mine.headline == "Wendy edited her draft"
    assert (w.mine.status, w.mine.published_at, w.mine.deleted_at) == (Status.DRAFT, None, None)
    assert (w.mine.created_by, w.mine.assignee, w.mine.due_at) == (w.writer, None, None)
    assert w.mine.priority == Article.Priority.NORMAL
    assert not w.mine.notices.exists()


def test_a_writer_cannot_move_another_stories_parts_into_her_own(w):
    """Rows of Oscar's story, named by id in Wendy's form, are neither changed nor taken."""
    client = client_for(w, "writer")
    their_section = w.theirs.sections.first()
    their_byline = w.theirs.bylines.first()
    before = database_state()
    data = story_post(w, "Wendy renamed her draft")
    data |= inline_rows(
        "sections",
        [{"id": their_section.pk, "heading": "", "body": "<p>Overwritten.</p>", "position": 1}],
        initial=1,
    )
    data |= inline_rows(
        "bylines", [{"id": their_byline.pk, "author": w.author.pk, "position": 1}], initial=1
    )
    data["loaded_version"] = str(w.mine.version)
    response = client.post(reverse("admin:articles_article_change", args=[w.mine.pk]), data)
    # Django skips a row whose id is not one of this story's (a form error would do too).
    assert response.status_code in (200, 302)
    after = database_state()
    assert [row for row in after["sections"] if row[1] == w.theirs.pk] == [
        row for row in before["sections"] if row[1] == w.theirs.pk
    ]
    assert [row for row in after["bylines"] if row[1] == w.theirs.pk] == [
        row for row in before["bylines"] if row[1] == w.theirs.pk
    ]


def test_save_as_new_on_another_writers_story_copies_nothing_of_it(w):
    """Django answers "_saveasnew" even where the button is not shown: it must be a plain add."""
    client = client_for(w, "writer")
    url = reverse("admin:articles_article_change", args=[w.theirs.pk])
    before = database_state()
    client.post(url, story_post(w, "Wendy made a copy", _saveasnew="Save as new"))
    after = database_state()
    assert [row for row in after["articles"] if row[0] == w.theirs.pk] == [
        row for row in before["articles"] if row[0] == w.theirs.pk
    ]
    for copy in Article.objects.exclude(pk__in=[row[0] for row in before["articles"]]):
        assert (copy.created_by, copy.status) == (w.writer, Status.DRAFT)
        assert SECRET not in copy.headline + copy.body_text


def test_save_as_new_of_a_published_story_is_an_unpublished_draft(w):
    client = client_for(w, "editor")
    url = reverse("admin:articles_article_change", args=[w.published.pk])
    client.post(url, story_post(w, "An editor made a copy", _saveasnew="Save as new"))
    copy = Article.objects.get(headline="An editor made a copy")
    assert (copy.status, copy.published_at, copy.created_by) == (Status.DRAFT, None, w.editor)
    assert Client().get(copy.get_absolute_url()).status_code == 404


def test_preview_link_form_ignores_story_owner_and_revocation_fields(w):
    client = client_for(w, "editor")
    before = timezone.now()
    client.post(
        reverse("review:create_link", args=[w.mine.pk]),
        {
            "label": "Source",
            "days": "3",
            "article": w.theirs.pk,
            "created_by": w.other_writer.pk,
            "expires_at": "2999-01-01 00:00",
            "revoked_at": "2020-01-01 00:00",
        },
    )
    link = PreviewLink.objects.get(label="Source")
    assert (link.article, link.created_by, link.revoked_at) == (w.mine, w.editor, None)
    assert before + timedelta(days=3) <= link.expires_at <= timezone.now() + timedelta(days=3)


@pytest.mark.parametrize("days", ["0", "31", "99999", "-1", "1e9", ""])
def test_preview_links_last_from_one_to_thirty_days(w, days):
    client = client_for(w, "editor")
    response = client.post(
        reverse("review:create_link", args=[w.mine.pk]), {"label": "Source", "days": days}
    )
    assert response.status_code == 200  # the review page again, with the form's error
    assert not PreviewLink.objects.filter(label="Source").exists()


def test_a_reviewer_comment_can_only_add_a_comment(w):
    reviewer = Client()
    reviewer.post(
        preview_link_url(w.link),
        {
            "name": "Ana",
            "comment": "Looks right.",
            "action": "publish",
            "decision": "publish",
            "to_status": "published",
            "article": w.mine.pk,
            "actor": w.chief.pk,
        },
    )
    w.theirs.refresh_from_db()
    assert w.theirs.status == Status.DRAFT
    assert list(ArticleEvent.objects.values_list("article", "action", "actor")) == [
        (w.theirs.pk, "comment", None)
    ]


def test_a_revoked_link_can_leave_no_comment(w):
    PreviewLink.objects.filter(pk=w.link.pk).update(revoked_at=timezone.now())
    response = Client().post(preview_link_url(w.link), {"name": "Ana", "comment": "Hello."})
    assert response.status_code == 404
    assert not ArticleEvent.objects.exists()


def test_a_notice_is_signed_by_whoever_adds_it(w):
    client = client_for(w, "editor")
    client.post(
        reverse("admin:articles_notice_add"),
        {
            "article": w.published.pk,
            "kind": "correction",
            "text": "Fixed a date.",
            "created_by": w.chief.pk,
        },
    )
    assert Notice.objects.get(text="Fixed a date.").created_by == w.editor


def test_a_revoked_link_stays_revoked_whatever_the_admin_form_says(w):
    PreviewLink.objects.filter(pk=w.link.pk).update(revoked_at=timezone.now())
    before = PreviewLink.objects.values_list("revoked_at", "expires_at", "article").get()
    client_for(w, "editor").post(
        reverse("admin:articles_previewlink_change", args=[w.link.pk]),
        {"revoked_at": "", "expires_at": "2999-01-01 00:00", "article": w.mine.pk},
    )
    assert PreviewLink.objects.values_list("revoked_at", "expires_at", "article").get() == before


# --- Staff accounts: a chief manages staff but cannot become more than a chief ---------------


def user_change_post(user, **changes):
    return {
        "username": user.username,
        "email": user.email,
        "first_name": "",
        "last_name": "",
        "is_active": "on",
        "is_staff": "on",
        "groups": [g.pk for g in user.groups.all()],
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2024-01-01",
        "date_joined_1": "00:00",
        **changes,
    }


def test_a_chief_cannot_make_herself_a_superuser(w):
    client = client_for(w, "chief")
    every_permission = list(
        User.user_permissions.field.related_model.objects.values_list("pk", flat=True)
    )
    response = client.post(
        reverse("admin:auth_user_change", args=[w.chief.pk]),
        user_change_post(w.chief, is_superuser="on", user_permissions=every_permission),
    )
    assert response.status_code == 302  # the rest of the form was saved
    w.chief.refresh_from_db()
    assert not w.chief.is_superuser
    assert not w.chief.user_permissions.exists()


def test_a_chief_does_not_see_the_superuser_box(w):
    client = client_for(w, "chief")
    html = client.get(reverse("admin:auth_user_change", args=[w.writer.pk])).content.decode()
    assert 'name="groups"' in html
    assert 'name="is_superuser"' not in html
    assert 'name="user_permissions"' not in html


def test_a_chief_cannot_set_a_superusers_password(w):
    client = client_for(w, "chief")
    url = reverse("admin:auth_user_password_change", args=[w.superuser.pk])
    before = database_state()
    new = {"password1": "a-new-long-password-1", "password2": "a-new-long-password-1"}
    assert client.get(url).status_code == 403
    assert client.post(url, new).status_code == 403
    assert database_state() == before


def test_a_chief_cannot_change_or_delete_a_superuser(w):
    client = client_for(w, "chief")
    before = database_state()
    change = reverse("admin:auth_user_change", args=[w.superuser.pk])
    delete = reverse("admin:auth_user_delete", args=[w.superuser.pk])
    assert client.post(change, user_change_post(w.superuser, is_active="")).status_code == 403
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert database_state() == before


def test_a_chief_still_gives_a_writer_the_editor_role(w):
    client = client_for(w, "chief")
    editors = Group.objects.get(name="Editor")
    client.post(
        reverse("admin:auth_user_change", args=[w.writer.pk]),
        user_change_post(w.writer, groups=[editors.pk]),
    )
    assert list(w.writer.groups.values_list("name", flat=True)) == ["Editor"]


def test_a_superuser_still_makes_a_superuser(w):
    client = client_for(w, "superuser")
    client.post(
        reverse("admin:auth_user_change", args=[w.chief.pk]),
        user_change_post(w.chief, is_superuser="on"),
    )
    w.chief.refresh_from_db()
    assert w.chief.is_superuser


# --- Bulk actions ----------------------------------------------------------------------------


def run_action(client, url, action, ids, **extra):
    data = {"action": action, "_selected_action": [str(pk) for pk in ids], "post": "yes"}
    return client.post(url, {**data, **extra})


@pytest.mark.parametrize(
    "role, action",
    [
        ("writer", "delete_selected"),
        ("writer", "restore_selected"),
        ("editor", "delete_selected"),
        ("editor", "restore_selected"),
        ("writer", "delete_model"),
        ("writer", "restore_from_trash"),
        ("writer", "publish"),
        ("editor", "__init__"),
        ("editor", "get_queryset"),
    ],
)
def test_a_bulk_action_beyond_the_role_changes_nothing(w, role, action):
    trashed = make_article(headline="In the trash", created_by=w.writer)
    Article.objects.filter(pk=trashed.pk).update(deleted_at=timezone.now())
    ids = [w.mine.pk, w.theirs.pk, w.published.pk, trashed.pk]
    client = client_for(w, role)
    changelist = reverse("admin:articles_article_changelist")
    before = database_state()
    for url in [changelist, f"{changelist}?trash=yes"]:
        response = run_action(client, url, action, ids)
        assert response.status_code in (200, 302, 400, 403), url
        response = run_action(client, url, action, [], select_across="1", index="0")
        assert response.status_code in (200, 302, 400, 403), url
    assert database_state() == before


def test_the_chief_still_trashes_and_restores_in_bulk(w):
    client = client_for(w, "chief")
    changelist = reverse("admin:articles_article_changelist")
    run_action(client, changelist, "delete_selected", [w.mine.pk, w.theirs.pk])
    assert Article.objects.filter(deleted_at__isnull=False).count() == 2
    run_action(client, f"{changelist}?trash=yes", "restore_selected", [w.mine.pk, w.theirs.pk])
    assert not Article.objects.filter(deleted_at__isnull=False).exists()


def test_a_writer_cannot_merge_tags(w):
    Tag.objects.create(name="ClimateChange", slug="climatechange")
    client = client_for(w, "writer")
    before = database_state()
    ids = list(Tag.objects.values_list("pk", flat=True))
    run_action(client, reverse("admin:articles_tag_changelist"), "merge_tags", ids)
    assert database_state() == before


def test_an_editor_merges_tags(w):
    Tag.objects.create(name="ClimateChange", slug="climatechange")
    ids = list(Tag.objects.values_list("pk", flat=True))
    run_action(client_for(w, "editor"), reverse("admin:articles_tag_changelist"), "merge_tags", ids)
    assert list(Tag.objects.values_list("name", flat=True)) == ["Climate"]


# --- Autocomplete and suggestions ------------------------------------------------------------


def autocomplete(client, model, field, term="", **extra):
    params = {"app_label": "articles", "model_name": model, "field_name": field, "term": term}
    return client.get(reverse("admin:autocomplete"), {**params, **extra})


@pytest.mark.parametrize(
    "model, field",
    [
        ("notice", "article"),
        ("revision", "article"),
        ("articleevent", "article"),
        ("previewlink", "article"),
        ("byline", "article"),
        ("section", "article"),
    ],
)
def test_story_autocomplete_shows_a_writer_only_her_own_stories(w, model, field):
    response = autocomplete(client_for(w, "writer"), model, field)
    assert response.status_code == 200
    found = [result["text"] for result in response.json()["results"]]
    assert "Wendy's own draft" in found
    assert SECRET not in found
    assert "A published story" not in found  # not hers either
    secret_search = autocomplete(client_for(w, "writer"), model, field, term="merger")
    assert secret_search.json()["results"] == []


@pytest.mark.parametrize(
    "model, field", [("article", "created_by"), ("article", "assignee"), ("author", "user")]
)
def test_autocomplete_of_staff_accounts_is_closed_to_writers_and_editors(w, model, field):
    for role in ["writer", "editor"]:
        assert autocomplete(client_for(w, role), model, field).status_code == 403, role


def test_assignee_autocomplete_lists_only_staff(w):
    make_user("a-reader", staff=False)
    response = autocomplete(client_for(w, "chief"), "article", "assignee")
    names = {result["text"] for result in response.json()["results"]}
    assert "wendy" in names
    assert "a-reader" not in names


def test_autocomplete_does_not_open_the_trash_to_an_editor(w):
    Article.objects.filter(pk=w.published.pk).update(deleted_at=timezone.now())
    response = autocomplete(client_for(w, "editor"), "notice", "article", trash="yes")
    assert "A published story" not in {r["text"] for r in response.json()["results"]}


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"app_label": "auth", "model_name": "user", "field_name": "groups"},
        {"app_label": "articles", "model_name": "article", "field_name": "headline"},
        {"app_label": "articles", "model_name": "nothing", "field_name": "article"},
        {"app_label": "sessions", "model_name": "session", "field_name": "session_key"},
        {"app_label": "articles", "model_name": "byline", "field_name": "author", "term": "\x00"},
    ],
)
def test_autocomplete_refuses_what_it_does_not_serve(w, params):
    response = client_for(w, "writer").get(reverse("admin:autocomplete"), params)
    assert response.status_code in (200, 403, 404)
    if response.status_code == 200:
        assert all(r["text"] != SECRET for r in response.json()["results"])


def test_refused_form_tells_the_person_what_happened_and_what_to_do(w):
    reviewer = Client(enforce_csrf_checks=True)
    response = reviewer.post(preview_link_url(w.link), {"name": "Ana", "comment": "Typo."})
    assert response.status_code == 403
    text = response.content.decode()
    assert "Your form was not sent" in text
    assert "reload the page and send the form again" in text
    assert "<style" not in text  # the site's CSP refuses inline styles
