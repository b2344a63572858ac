from django.urls import path

from articles.delivery.cache import reader_page
from articles.moderation.views import shared_preview
from articles.reader import converters, views  # noqa: F401 (converters registers <tagslug:>)

app_name = "articles"

urlpatterns = [
    path("", reader_page(views.HomeView.as_view()), name="home"),
    path("search/", reader_page(views.SearchView.as_view()), name="search"),
    path("stories/<slug:slug>/", reader_page(views.ArticleDetailView.as_view()), name="detail"),
    path("desks/<slug:slug>/", reader_page(views.DeskView.as_view()), name="desk"),
    path("tags/<tagslug:slug>/", reader_page(views.TagView.as_view()), name="tag"),
    path("authors/<slug:slug>/", reader_page(views.AuthorView.as_view()), name="author"),
    path("preview/<str:token>/", shared_preview, name="shared_preview"),
]
