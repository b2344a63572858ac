"""Newsroom settings: one module, every deployment choice read from the environment.

The defaults suit development on a fresh clone (SQLite file, local-memory cache,
console email). Production sets DEBUG=0, SECRET_KEY, ALLOWED_HOSTS and usually
DATABASE_URL and REDIS_URL; see README.md for the full list.
"""

import os
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django_prose_editor.config import html_tags
from js_asset import static_lazy

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    """Read a yes/no variable; anything but a clear yes or no is a configuration error."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 1/0, true/false, yes/no or on/off, not {value!r}")


def env_list(name: str, default: list[str]) -> list[str]:
    """Read a comma-separated variable, ignoring spaces and empty items."""
    value = os.environ.get(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def object_storage(url: str) -> dict | None:
    """Return the S3 storage's options from MEDIA_STORAGE_URL, else from AWS_STORAGE_BUCKET_NAME
    and its AWS_S3_* companions; None when neither names a bucket. boto3 reads the keys
    (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) from the environment itself."""
    if url:
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        # Not the URL in the message: a mistaken one may hold a secret key.
        if (
            parts.scheme != "s3"
            or not parts.netloc
            or "@" in parts.netloc
            or parts.path.strip("/")
            or query.keys() - {"endpoint_url", "region"}
        ):
            raise ImproperlyConfigured(
                "MEDIA_STORAGE_URL must look like s3://BUCKET?endpoint_url=https://…&region=…; "
                "the keys go in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
            )
        bucket, endpoint, region = parts.netloc, query.get("endpoint_url"), query.get("region")
    else:
        bucket = os.environ.get("AWS_STORAGE_BUCKET_NAME", "")
        endpoint = os.environ.get("AWS_S3_ENDPOINT_URL")
        region = os.environ.get("AWS_S3_REGION_NAME")
    if not bucket:
        return None
    return {
        "bucket_name": bucket,
        "endpoint_url": endpoint or None,
        "region_name": region or None,
        # As on disk: a name that is taken gets a new one rather than replacing the file.
        "file_overwrite": False,
        # Pages show MEDIA_URL addresses (newsroom/storage.py), never signed ones.
        "querystring_auth": False,
    }


def origin(url: str) -> str:
    """Return "https://cdn.example.com" for an absolute address, "" for a path."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


DEBUG = env_bool("DEBUG", True)

# A development key is fine on a laptop; a production site without its own key must not start.
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"  # nosec B105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
SITE_NAME = os.environ.get("SITE_NAME", "Newsroom")
# The public address, for links in email (requests know their own host; email does not).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
# Off: feeds carry the dek only, so readers come to the site for the story.
FEEDS_FULL_TEXT = env_bool("FEEDS_FULL_TEXT", False)
# What a story without a picture shows when shared: a static file's path or a full address.
DEFAULT_SHARE_IMAGE = os.environ.get("DEFAULT_SHARE_IMAGE", "img/share-default.png")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",
    "django.contrib.sitemaps",
    "taggit",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_prose_editor",
    "adminsortable2",
    "rest_framework",
    "drf_spectacular",
    "django_filters",
    "corsheaders",
    "django_tasks_db",
    "articles",
]

MIDDLEWARE = [
    # Keeps anonymous readers' pages as the whole stack made them, headers and all, and
    # answers from them before the rest of the stack runs (articles/delivery/cache.py).
    "articles.delivery.cache.PageCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Answers the API's cross-origin preflights, for the origins API_CORS_ORIGINS names.
    "corsheaders.middleware.CorsMiddleware",
    # A database or media bucket that cannot be reached, anywhere below this line, gives a
    # static 503 page.
    "newsroom.middleware.ServiceUnavailableMiddleware",
    # Anonymous readers' requests read from a replica when there is one (newsroom/replicas.py).
    "newsroom.replicas.ReplicaReadsMiddleware",
    # Answers a conditional request whose ETag still matches with 304 Not Modified.
    "django.middleware.http.ConditionalGetMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # A body over the upload limits is refused with 413 before it is read (newsroom/middleware.py).
    "newsroom.middleware.RequestSizeLimitMiddleware",
]

ROOT_URLCONF = "newsroom.urls"
WSGI_APPLICATION = "newsroom.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                # csp_nonce: the admin marks the scripts it writes inline (an import map).
                "django.template.context_processors.csp",
                "articles.reader.context_processors.site",
            ],
        },
    },
]


# SQLite file by default so a fresh clone runs with nothing installed;
# DATABASE_URL (postgres://user@host:5432/name) switches to PostgreSQL.
def database(url: str) -> dict:
    """One database's settings from its URL."""
    settings = dj_database_url.parse(
        url, conn_max_age=env_int("CONN_MAX_AGE", 0), conn_health_checks=True
    )
    # A stopped or unreachable PostgreSQL fails the request within 3 seconds rather than
    # hanging it (newsroom/middleware.py then answers 503); ?connect_timeout= in the URL
    # wins. One that hangs or crawls once connected gets 3 seconds per request in all:
    # Django's backend, plus that budget (newsroom/postgresql/base.py).
    if settings["ENGINE"] == "django.db.backends.postgresql":
        settings["ENGINE"] = "newsroom.postgresql"
        settings.setdefault("OPTIONS", {}).setdefault("connect_timeout", 3)
        # No JIT compiling: on a large archive the planner's cost estimates pass
        # jit_above_cost and PostgreSQL compiles a page's query to machine code first,
        # which no query of ours runs long enough to repay (at 1,000,000 stories the tag
        # page's check spent 13 ms compiling for 10 ms of work). ?options= in the URL wins.
        settings["OPTIONS"].setdefault("options", "-c jit=off")
    return settings


DATABASES = {
    "default": database(os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
}
# PostgreSQL streaming replicas for anonymous readers' pages (newsroom/replicas.py). Tests
# read the primary through them: a test database has no replica.
for number, url in enumerate(env_list("DATABASE_REPLICA_URLS", []), start=1):
    DATABASES[f"replica{number}"] = {**database(url), "TEST": {"MIRROR": "default"}}
if len(DATABASES) > 1:
    DATABASE_ROUTERS = ["newsroom.replicas.ReplicaRouter"]
# A replica further behind the primary than this is not read until it catches up.
REPLICA_MAX_LAG_SECONDS = env_int("REPLICA_MAX_LAG_SECONDS", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
PAGE_CACHE_GENERATION_FILE = None
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's RedisCache, except that a stopped or hanging Redis costs at most half
            # a second and then reads as an empty cache (newsroom/cache_backends.py).
            "BACKEND": "newsroom.cache_backends.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "newsroom",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    # Sessions are read from Redis and kept in the database, so logins survive Redis.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # Each process caches pages in its own memory; which of them are current is said by this
    # file, which every process on the machine reads (articles/delivery/cache.py), so a change made
    # in one process is seen at once by all. With Redis, the generation lives in Redis.
    PAGE_CACHE_GENERATION_FILE = Path(
        os.environ.get("PAGE_CACHE_GENERATION_FILE", BASE_DIR / "var" / "page-cache-generation")
    )
    # Not cached_db here: each process has its own local memory, and one would go on
    # reading a session that another has logged out.
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

# Reader pages for anonymous visitors (articles/delivery/cache.py): kept this long in the server's
# cache (any change to what readers see drops them at once), and this long in shared caches
# such as nginx or a CDN, which cannot be told about changes. PAGE_CACHE_SECONDS=0 turns the
# server's page cache off (the headers stay).
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 300)
SHARED_CACHE_SECONDS = env_int("SHARED_CACHE_SECONDS", 1)
STALE_WHILE_REVALIDATE_SECONDS = env_int("STALE_WHILE_REVALIDATE_SECONDS", 30)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Argon2 for every new or changed password. PBKDF2 stays so older hashes still verify;
# each is rehashed with Argon2 at its owner's next log-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
]
# A staff session ends at the latest one working day after log-in (newsroom/auth.py fixes
# the end at log-in, so activity does not stretch it).
SESSION_COOKIE_AGE = 8 * 60 * 60
# Staff sign-in throttles (newsroom/auth.py), counted in the cache: past a limit, further
# tries are refused, without checking the password, until the window ends.
LOGIN_FAILURES_PER_USERNAME = 5
LOGIN_FAILURES_PER_IP = 20
LOGIN_THROTTLE_SECONDS = 15 * 60
PASSWORD_RESETS_PER_EMAIL = 3
PASSWORD_RESETS_PER_IP = 10
PASSWORD_RESET_THROTTLE_SECONDS = 60 * 60
# Behind a proxy every request comes from the proxy's address; name the header it sets to
# the visitor's address (X-Real-IP, or X-Forwarded-For, whose last entry is used).
THROTTLE_CLIENT_IP_HEADER = os.environ.get("THROTTLE_CLIENT_IP_HEADER", "")

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Where readers' browsers fetch uploads and renditions: this site's /media/ (served from
# MEDIA_ROOT or, with object storage, by nginx from the bucket), or a CDN's full address.
MEDIA_URL = os.environ.get("MEDIA_URL", "media/")
if not MEDIA_URL.endswith("/"):
    raise ImproperlyConfigured(f"MEDIA_URL must end with a slash, not {MEDIA_URL!r}")
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Uploads and renditions go to MEDIA_ROOT, or to an S3-compatible bucket when one is named.
media_bucket = object_storage(os.environ.get("MEDIA_STORAGE_URL", ""))
# The section editor's own Tiptap extensions: the "Picture" and "Link to a story" buttons,
# and paste cleaning. They make only tags the allow-list already has.
DJANGO_PROSE_EDITOR_EXTENSIONS = [
    {
        "js": [static_lazy("js/prose-library.js")],
        "extensions": {"LibraryPicture": html_tags([]), "StoryLink": html_tags([])},
    },
    # Word's and Google Docs' formatting turned into tags before the editor reads a paste.
    {"js": [static_lazy("js/prose-paste.js")], "extensions": {"CleanPaste": html_tags([])}},
]
STORAGES = {
    "default": (
        {"BACKEND": "newsroom.storage.MediaStorage", "OPTIONS": media_bucket}
        if media_bucket
        else {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    ),
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Pictures larger than this are refused by the image validator with a form error. A request
# larger than the story form with two such pictures is refused with 413 before it is read
# (newsroom/middleware.py); bench/nginx.conf's client_max_body_size says the same.
MAX_IMAGE_UPLOAD_BYTES = env_int("MAX_IMAGE_UPLOAD_BYTES", 10 * 1024 * 1024)
# How often the story editor keeps what an editor is typing as their unsaved changes
# (articles/editing/autosave.py): a closed tab or a failed save loses at most this much.
AUTOSAVE_SECONDS = env_int("AUTOSAVE_SECONDS", 15)

# Console email in development; SMTP_HOST switches to a real server.
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "newsroom@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if os.environ.get("SMTP_HOST"):
    MAILERS = {
        # Queues each message as a task that the worker sends through "smtp"
        # (newsroom/mail.py): no page waits for the mail server.
        "default": {
            "BACKEND": "newsroom.mail.TaskEmailBackend",
            "OPTIONS": {"mailer": "smtp"},
        },
        "smtp": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": os.environ["SMTP_HOST"],
                "port": env_int("SMTP_PORT", 587),
                "username": os.environ.get("SMTP_USER", ""),
                "password": os.environ.get("SMTP_PASSWORD", ""),
                "use_tls": env_bool("SMTP_TLS", True),
                "timeout": 5,
            },
        },
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}

LOGIN_URL = "admin:login"
# A login without a (safe) next= address lands on the review queues, not on a missing profile page.
LOGIN_REDIRECT_URL = "review:index"
# Staff reset links are valid for an hour, not Django's three days.
PASSWORD_RESET_TIMEOUT = 60 * 60

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# The read API (articles/api/): anyone may read what readers see, within a rate per address;
# a key (issued by Chiefs in the admin) gets its own rate, and a preview key reads drafts.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["articles.api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_THROTTLE_CLASSES": [
        "articles.api.throttling.PerKeyThrottle",
        "articles.api.throttling.PerAddressThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "key": os.environ.get("API_RATE_PER_KEY", "600/min"),
        "address": os.environ.get("API_RATE_PER_ADDRESS", "120/min"),
    },
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "articles.api.pagination.UncountedPagination",
}
SPECTACULAR_SETTINGS = {
    "TITLE": f"{SITE_NAME} API",
    "DESCRIPTION": "The published stories, their authors, desks, tags and calls to action.",
    "VERSION": "1",
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
}
# Background work (webhook deliveries) runs on Django's tasks framework. The tasks wait in
# the database until `manage.py run_worker` runs them: no broker to run, and a task is
# enqueued in the same transaction as the change that asks for it.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# Webhooks: seconds to wait for a receiver, and the waits before each retry (a failed
# delivery is retried for about 8.5 hours, then given up and marked failed in the admin).
WEBHOOK_TIMEOUT = env_int("WEBHOOK_TIMEOUT", 15)
WEBHOOK_RETRY_DELAYS = [60, 300, 1800, 7200, 21600]
# Receivers on private, loopback or link-local addresses are refused, so that a webhook
# cannot reach the newsroom's own network. Tests, and a receiver on the same machine, need this.
WEBHOOK_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", False)
# Mail the server refuses or does not take in time is tried again after each of these waits
# (seconds), then given up and shown to Chiefs (newsroom/mail.py).
MAIL_RETRY_DELAYS = [60, 300, 1800]
# A picture's renditions or thumbnail that storage would not take (articles/editing/tasks.py).
PICTURE_RETRY_DELAYS = [60, 300, 1800]
# A story's search entry and read-next lists that the database would not update.
INDEX_RETRY_DELAYS = [60, 300, 1800]

# Browsers on these origins (an app's web front end, a partner's site) may read the API.
CORS_ALLOWED_ORIGINS = env_list("API_CORS_ORIGINS", [])
CORS_URLS_REGEX = r"^/(api|ghost/api)/"
CORS_ALLOW_METHODS = ["GET", "HEAD", "OPTIONS"]
CORS_EXPOSE_HEADERS = ["ETag", "Last-Modified", "Retry-After"]

# "#EthicalAI", "ethicalai" and "EthicalAI" are one tag.
TAGGIT_CASE_INSENSITIVE = True

# Production hardening; `manage.py check --deploy` reads these.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content Security Policy, enforced everywhere (reader pages, desk, admin): only this site's
# own scripts, styles, pictures and fonts. The only inline script is the admin's import map,
# allowed by nonce. The inline styles allowed by hash are the 500 page's (it must render with
# nothing else working; tests/security/test_headers.py checks the hash against the file) and
# the one the rich-text editor injects. The 503 page sends its own policy
# (newsroom/middleware.py).
INLINE_STYLE_HASHES = [
    "'sha256-t6C0L41rzTkU9sPqRBGD4TXwvFKZTVevWTaimbhG8Js='",  # templates/500.html
    "'sha256-PlumsSlvJ7vvWzjqibGAYKq92O3y/4JTxWWsWJvyUYA='",  # django-prose-editor
]
SECURE_CSP = {
    "default-src": [CSP.SELF],
    # NONCE only reaches the header on pages that use it: the admin's import map.
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, *INLINE_STYLE_HASHES],
    # data: for the icons Bootstrap's and the admin's style sheets draw inline; a CDN's
    # origin when MEDIA_URL is one.
    "img-src": [CSP.SELF, "data:", *filter(None, [origin(MEDIA_URL)])],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "frame-src": [CSP.SELF],  # the review page frames its own story preview
    "frame-ancestors": [CSP.NONE],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
}
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # A refused request (400, 403) is one line; a server error keeps its traceback.
    "filters": {"one_line_4xx": {"()": "newsroom.logs.OneLineClientErrors"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["one_line_4xx"]}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # Django's own handlers would write its records a second time, tracebacks and all.
    "loggers": {"django": {"handlers": []}},
}
