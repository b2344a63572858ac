from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.templatetags.static import static as static_url
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView

admin.site.site_header = "Newsroom"
admin.site.site_title = "Newsroom admin"
admin.site.index_title = "Newsroom"

urlpatterns = [
    path("admin/", admin.site.urls),
    # Browsers ask for /favicon.ico whatever the page says; answer instead of a 404.
    path(
        "favicon.ico",
        RedirectView.as_view(url=lazy(static_url, str)("img/favicon.svg"), permanent=True),
    ),
    path("desk/", include("articles.desk_urls")),
    path("", include("articles.urls")),
]
# Uploaded pictures; production serves MEDIA_ROOT from the web server or object storage.
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
