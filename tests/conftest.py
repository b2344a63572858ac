import os
import shutil
import socket
from pathlib import Path

import pytest

from newsroom.settings import object_storage
from tests import s3
from tests.factories import make_user

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls in
# the same test would otherwise raise SynchronousOnlyOperation.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Any request off this machine fails at once; the live server on loopback is not proxied.
    "--proxy-server=http://127.0.0.1:9",
]
REFERENCE_STORY = (
    Path(__file__).resolve().parents[2]
    / "shared"
    / "seed"
    / "ai-revolution-artists-protest-sora.txt"
)
DEMO_STORIES = sorted(
    (Path(__file__).resolve().parents[1] / "articles" / "operations" / "demo_stories").glob("*.txt")
)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [*browser_type_launch_args.get("args", []), *CHROMIUM_ARGS],
    }


@pytest.fixture
def reference_story_text():
    if not REFERENCE_STORY.exists():
        pytest.skip(f"the reference story is not here ({REFERENCE_STORY})")
    return REFERENCE_STORY.read_text(encoding="utf-8")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Keep uploaded pictures out of the project's media folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(scope="session")
def s3_server():
    """A real S3-protocol server on 127.0.0.1 (moto's), one for the whole run."""
    if reason := s3.moto_missing():
        pytest.skip(reason)
    server = s3.start_s3_server()
    yield server
    server.stop()


@pytest.fixture
def s3_bucket(s3_server, settings) -> str:
    """An empty bucket, with the default storage pointed at it as MEDIA_STORAGE_URL would."""
    bucket = s3_server.create_bucket()
    options = object_storage(s3_server.storage_url(bucket))
    # Given here rather than in the environment, where boto3 would look for them.
    options |= {"access_key": s3.ACCESS_KEY, "secret_key": s3.SECRET_KEY}
    # Django's setting_changed handler drops the cached default_storage, now and after.
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "newsroom.storage.MediaStorage", "OPTIONS": options},
    }
    return bucket


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The production hasher is slow on purpose; tests make many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def page_cache_off(settings, tmp_path):
    # A test runs inside a transaction that never commits, so the page cache would never
    # hear of its changes; `page_cache_on` turns it on where it is the subject.
    settings.PAGE_CACHE_SECONDS = 0
    if settings.PAGE_CACHE_GENERATION_FILE:  # each test its own, out of the project folder
        settings.PAGE_CACHE_GENERATION_FILE = tmp_path / "page-cache-generation"


def redis_answers() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.fixture(
    params=[
        "locmem",
        pytest.param(
            "redis",
            marks=pytest.mark.skipif(not redis_answers(), reason="no Redis on 127.0.0.1:6379"),
        ),
    ]
)
def page_cache_on(request, settings):
    """The page cache on, as in production: in local memory, then in a real Redis."""
    from django.core.cache import cache

    if request.param == "redis":
        settings.PAGE_CACHE_GENERATION_FILE = None  # in Redis, as with REDIS_URL
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": "redis://127.0.0.1:6379/13",
                # Per process: two suites running at once must not share a generation.
                "KEY_PREFIX": f"newsroom-tests-{os.getpid()}",
            }
        }
    settings.PAGE_CACHE_SECONDS = 300
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def empty_cache():
    from django.core.cache import cache

    cache.clear()


# Personas in the roles the migration creates: their permissions are the real ones.
@pytest.fixture
def writer(db):
    return make_user("wendy", groups=["Writer"])


@pytest.fixture
def other_writer(db):
    return make_user("oscar", groups=["Writer"])


@pytest.fixture
def editor(db):
    return make_user("edgar", groups=["Editor"])


@pytest.fixture
def chief(db):
    return make_user("charlotte", groups=["Chief"])


@pytest.fixture
def superuser(db):
    return make_user("root", superuser=True)


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client
