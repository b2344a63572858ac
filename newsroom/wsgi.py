import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
django_application = get_wsgi_application()

from articles.delivery.cache import PageCacheApplication  # noqa: E402 (needs Django set up)

# Stored reader pages are answered before Django's request cycle starts
# (articles/delivery/cache.py).
application = PageCacheApplication(django_application)
