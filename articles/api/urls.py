from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import SimpleRouter

from articles.api import views

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
