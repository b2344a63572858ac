from django.urls import path, re_path

from articles.delivery.cache import reader_page
from articles.moderation.views import shared_preview
from articles.reader import story, views

app_name = "articles"

urlpatterns = [
    path("", reader_page(views.HomeView.as_view()), name="home"),
    path("search/", reader_page(views.SearchView.as_view()), name="search"),
    path("stories/<slug:slug>/", reader_page(story.ArticleDetailView.as_view()), name="detail"),
    path("desks/<slug:slug>/", reader_page(views.DeskView.as_view()), name="desk"),
    # A tag's slug may be in any script (\w), but nothing else: a NUL byte, which PostgreSQL
    # would refuse, is a 404 before it reaches the database.
    re_path(r"^tags/(?P<slug>[-\w]+)/$", reader_page(views.TagView.as_view()), name="tag"),
    path("authors/<slug:slug>/", reader_page(views.AuthorView.as_view()), name="author"),
    path("preview/<str:token>/", shared_preview, name="shared_preview"),
]
