from django.urls import path

from articles.moderation import views

app_name = "desk"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.review, name="review"),
    path("<int:pk>/preview/", views.preview, name="preview"),
    path("<int:pk>/links/", views.create_preview_link, name="create_link"),
    path("<int:pk>/links/<int:link_pk>/revoke/", views.revoke_preview_link, name="revoke_link"),
]
