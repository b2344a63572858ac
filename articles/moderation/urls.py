from django.urls import path, re_path
from django.views.generic import RedirectView

from articles.moderation import views

app_name = "review"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.review, name="story"),
    path("<int:pk>/preview/", views.preview, name="preview"),
    path("<int:pk>/links/", views.create_preview_link, name="create_link"),
    path("<int:pk>/links/<int:link_pk>/revoke/", views.revoke_preview_link, name="revoke_link"),
]

# The review queues were once at /desk/; staff bookmarks and old emails still point there.
# Nameless, so a login's next= never treats an old address as a page of this site.
legacy_urlpatterns = [
    re_path(
        r"^desk/(?P<rest>.*)$",
        RedirectView.as_view(url="/review/%(rest)s", permanent=True, query_string=True),
    ),
]
