from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = "Newsroom"

    def ready(self):
        # Registers the system checks and the admin: Django's autodiscovery looks only for
        # articles/admin.py, and the story's admin, the library's (authors, desks, tags,
        # staff …), the front-page picks and the picture library live with the editing code;
        # the API keys' with the API.
        from articles import checks  # noqa: F401
        from articles.api import admin as api_admin  # noqa: F401
        from articles.editing import admin, curation_admin, library_admin, picture_admin  # noqa: F401
