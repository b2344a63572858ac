import os
import shutil
from pathlib import Path

import pytest

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
    (Path(__file__).resolve().parents[1] / "articles" / "demo_stories").glob("*.txt")
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


@pytest.fixture(autouse=True)
def empty_cache():
    from django.core.cache import cache

    cache.clear()


# The story's parts are separate models: the admin ignores inline rows a user has no
# permission for, so each role needs the parts' permissions as well as the story's.
STORY_PARTS = ["article", "byline", "section", "takeaway", "credit", "articlecalltoaction"]


@pytest.fixture
def writer(db):
    return make_user(
        "wendy",
        permissions=[
            f"{verb}_{model}"
            for model in STORY_PARTS
            for verb in ("add", "change", "view", "delete")
            if not (model == "article" and verb == "delete")
        ],
    )


@pytest.fixture
def editor(db):
    return make_user(
        "edgar",
        permissions=[
            *(
                f"{verb}_{model}"
                for model in STORY_PARTS
                for verb in ("add", "change", "view", "delete")
            ),
            "publish_article",
            "view_author",
            "add_author",
            "view_calltoaction",
            "add_calltoaction",
            "change_calltoaction",
        ],
    )


@pytest.fixture
def chief(db):
    return make_user("charlotte", superuser=True)


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client
