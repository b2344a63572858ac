from django.urls import path

from articles import desk

app_name = "desk"

urlpatterns = [
    path("", desk.index, name="index"),
    path("<int:pk>/", desk.review, name="review"),
    path("<int:pk>/preview/", desk.preview, name="preview"),
    path("<int:pk>/links/", desk.create_preview_link, name="create_link"),
    path("<int:pk>/links/<int:link_pk>/revoke/", desk.revoke_preview_link, name="revoke_link"),
]
