from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    # Everything else is Wagtail's page tree: /story/ is the StoryPage under the site root.
    path("", include(wagtail_urls)),
]
