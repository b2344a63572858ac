from django.urls import path

from articles import desk, views

app_name = "articles"

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("search/", views.SearchView.as_view(), name="search"),
    path("stories/<slug:slug>/", views.ArticleDetailView.as_view(), name="detail"),
    path("desks/<slug:slug>/", views.DeskView.as_view(), name="desk"),
    path("tags/<str:slug>/", views.TagView.as_view(), name="tag"),
    path("authors/<slug:slug>/", views.AuthorView.as_view(), name="author"),
    path("preview/<str:token>/", desk.shared_preview, name="shared_preview"),
]
