import os
from importlib import import_module

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
application = get_wsgi_application()

# Import the URLconf, and with it every view, form and template tag module, as the worker
# starts. Django would do it at the first request that reaches a view, which under the page
# cache can come minutes into the worker's life: that reader waited 1.5 s instead of 80 ms,
# and the worker's memory jumped by 37 MB then (bench/README.md, "Cluster").
import_module(settings.ROOT_URLCONF)
