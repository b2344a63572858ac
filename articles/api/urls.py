from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from articles.api import ghost, views

app_name = "api"

router = SimpleRouter()
router.register("stories", views.StoryViewSet, basename="story")
router.register("authors", views.AuthorViewSet, basename="author")
router.register("desks", views.DeskViewSet, basename="desk")
router.register("tags", views.TagViewSet, basename="tag")
router.register("calls-to-action", views.CallToActionViewSet, basename="call-to-action")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("", include(router.urls)),
]


def ghost_resource(name, view):
    """Ghost's three addresses for a resource: browse, read by id, read by slug."""
    return [
        path(f"{name}/", view.as_view(), name=name),
        path(f"{name}/slug/<str:slug>/", view.as_view(), name=f"{name}-slug"),
        path(f"{name}/<str:pk>/", view.as_view(), name=f"{name}-id"),
    ]


ghost_urlpatterns = [
    *ghost_resource("posts", ghost.PostsView),
    *ghost_resource("pages", ghost.PagesView),
    *ghost_resource("authors", ghost.AuthorsView),
    *ghost_resource("tags", ghost.TagsView),
    path("settings/", ghost.SettingsView.as_view(), name="settings"),
]
