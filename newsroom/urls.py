from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.contrib.sitemaps import views as sitemap_views
from django.templatetags.static import static as static_url
from django.urls import include, path, re_path
from django.utils.functional import lazy
from django.views.generic import RedirectView, TemplateView

from articles.api.urls import ghost_urlpatterns
from articles.delivery.cache import reader_page
from articles.editing.admin_guards import view_on_site
from articles.moderation.urls import legacy_urlpatterns
from articles.reader import feeds
from articles.reader.sitemaps import NewsSitemap, sitemaps
from newsroom import auth
from newsroom.storage import serve_media

admin.site.site_header = "Newsroom"
admin.site.site_title = "Newsroom admin"
admin.site.index_title = "Newsroom"
admin.site.login_form = auth.ThrottledLoginForm

urlpatterns = [
    # Sign-in pages before the admin's URLs, which have their own login/ and end in a catch-all.
    path("admin/login/", auth.login),
    # The admin's login page links to "admin_password_reset" once that name exists.
    path(
        "admin/password-reset/",
        auth.PasswordResetView.as_view(),
        name="admin_password_reset",
    ),
    path(
        "admin/password-reset/done/",
        auth.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "admin/password-reset/<uidb64>/<token>/",
        auth.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "admin/password-reset/complete/",
        auth.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    # "View on site" only for stories this user may see: ahead of the admin's own route.
    path(
        "admin/r/<path:content_type_id>/<path:object_id>/",
        admin.site.admin_view(view_on_site),
        name="view_on_site",
    ),
    path("admin/", admin.site.urls),
    path("api/v1/", include("articles.api.urls")),
    # Ghost's Content API, for front ends written for Ghost (articles/api/ghost.py).
    path("ghost/api/content/", include((ghost_urlpatterns, "ghost"))),
    # Browsers ask for /favicon.ico whatever the page says; answer instead of a 404.
    path(
        "favicon.ico",
        RedirectView.as_view(url=lazy(static_url, str)("img/favicon.svg"), permanent=True),
    ),
    path("review/", include("articles.moderation.urls")),
    *legacy_urlpatterns,  # /desk/… → /review/…, for old bookmarks
    path("feeds/rss/", reader_page(feeds.LatestStoriesFeed()), name="feed_rss"),
    path("feeds/atom/", reader_page(feeds.LatestStoriesAtomFeed()), name="feed_atom"),
    path("feeds/desks/<slug:slug>/rss/", reader_page(feeds.DeskFeed()), name="desk_feed_rss"),
    path("feeds/desks/<slug:slug>/atom/", reader_page(feeds.DeskAtomFeed()), name="desk_feed_atom"),
    # Tag slugs as in articles/reader/urls.py.
    re_path(
        r"^feeds/tags/(?P<slug>[-\w]+)/rss/$", reader_page(feeds.TagFeed()), name="tag_feed_rss"
    ),
    re_path(
        r"^feeds/tags/(?P<slug>[-\w]+)/atom/$",
        reader_page(feeds.TagAtomFeed()),
        name="tag_feed_atom",
    ),
    path("feeds/authors/<slug:slug>/rss/", reader_page(feeds.AuthorFeed()), name="author_feed_rss"),
    path(
        "feeds/authors/<slug:slug>/atom/",
        reader_page(feeds.AuthorAtomFeed()),
        name="author_feed_atom",
    ),
    path(
        "sitemap.xml",
        reader_page(sitemap_views.index),
        # The index also lists the news sitemap: "sitemaps" reverses to /sitemap-news.xml,
        # which the news pattern below answers because it comes first.
        {"sitemaps": {**sitemaps, "news": NewsSitemap}, "sitemap_url_name": "sitemaps"},
        name="sitemap_index",
    ),
    path(
        "sitemap-news.xml",
        reader_page(sitemap_views.sitemap),
        {
            "sitemaps": {"news": NewsSitemap},
            "section": "news",
            "template_name": "reader/sitemaps/news.xml",
        },
        name="news_sitemap",
    ),
    path(
        "sitemap-<section>.xml",
        reader_page(sitemap_views.sitemap),
        {"sitemaps": sitemaps},
        name="sitemaps",
    ),
    path(
        "robots.txt",
        TemplateView.as_view(
            template_name="robots.txt",
            content_type="text/plain",
            # Crawlers need absolute sitemap addresses: the public one, not the request's.
            extra_context={"SITE_URL": settings.SITE_URL},
        ),
        name="robots_txt",
    ),
    path("", include("articles.reader.urls")),
]
# Uploads in development (DEBUG only): production serves MEDIA_URL from the web server, which
# reads MEDIA_ROOT or the bucket, or from a CDN.
urlpatterns += static(settings.MEDIA_URL, view=serve_media)
