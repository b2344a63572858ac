from django.urls import path

from bench.plain_django.views import PlainStoryView
from newsroom.urls import urlpatterns as newsroom_urlpatterns

urlpatterns = [
    path("plain/<slug:slug>/", PlainStoryView.as_view(), name="plain_story"),
    *newsroom_urlpatterns,
]
