"""Time the editor's requests in-process: the edit page, a save, an autosave, a live preview.

    .venv/bin/python bench/editor.py [--sections 30 --requests 30]

Uses a throwaway SQLite database with the demo logins and one long story (30 sections by
default, a hero picture), so it measures Newsroom's own Python, SQL and template cost for an
editor, without a network or an HTTP server. Targets (issue 13): the edit page < 150 ms median
with a number of queries that does not grow with the sections, a save < 300 ms, an autosave
< 50 ms.
"""

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]


def setup(workdir: str) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="newsroom.settings",
        DATABASE_URL=f"sqlite:///{workdir}/bench.sqlite3",
        MEDIA_ROOT=f"{workdir}/media",
        DEBUG="0",
        SECRET_KEY="bench-only-secret-key-" + "x" * 40,
        ALLOWED_HOSTS="testserver",
        SECURE_SSL_REDIRECT="0",
        STATIC_ROOT=f"{workdir}/static",
    )
    sys.path.insert(0, str(PROJECT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.test.utils import override_settings

    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    with override_settings(DEBUG=True):  # the demo makes demo logins, which need DEBUG
        call_command("load_demo", stdout=open(os.devnull, "w"))


def long_story(sections: int):
    """A story with this many sections of three paragraphs each and a hero picture."""
    from django.contrib.auth.models import User
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from articles.editing.stories import SectionPart, StoryParts, save_story
    from articles.models import Article, Author

    picture = io.BytesIO()
    Image.new("RGB", (1600, 900), (30, 90, 160)).save(picture, "JPEG")
    story = Article(
        headline="A very long story",
        slug="a-very-long-story",
        dek="Thirty sections.",
        hero_image=SimpleUploadedFile("hero.jpg", picture.getvalue()),
        hero_alt="A blue picture.",
        created_by=User.objects.get(username="editor"),
    )
    paragraph = "<p>" + "Words of a paragraph in a long section. " * 12 + "</p>"
    parts = StoryParts(
        sections=[
            SectionPart(heading=f"Section {n}" if n else "", body=paragraph * 3)
            for n in range(sections)
        ],
        takeaways=[f"Takeaway {n}." for n in range(5)],
        credits=[{"role": "Reporting", "name": "Ana Ruiz", "organisation": "", "url": ""}],
        byline_author_ids=list(Author.objects.values_list("pk", flat=True)[:2]),
        tags=["Bench", "LongReads"],
    )
    save_story(story, parts, by=story.created_by, summary="Bench story")
    return story


def posted_form(html: str) -> dict:
    """The change form's fields as a browser would post them unchanged (no files)."""
    import lxml.html

    form = lxml.html.fromstring(html).get_element_by_id("article_form")
    data = {}
    for name, value in form.form_values():
        data.setdefault(name, []).append(value)
    return data


def timed(call, requests: int) -> tuple[list[float], object]:
    times, response = [], None
    for _ in range(requests):
        started = time.perf_counter()
        response = call()
        times.append(1000 * (time.perf_counter() - started))
    return times, response


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", type=int, default=30)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    setup(tempfile.mkdtemp(prefix="newsroom-bench-editor-"))
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    story = long_story(args.sections)
    client = Client(secure=True)
    client.force_login(User.objects.get(username="editor"))
    edit_url = reverse("admin:articles_article_change", args=[story.pk])
    client.get(edit_url)  # warm template loaders

    form = posted_form(client.get(edit_url).content.decode())
    requests = {
        "edit page": lambda: client.get(edit_url),
        "autosave": lambda: client.post(
            reverse("admin:articles_article_autosave", args=[story.pk]), form
        ),
        "live preview": lambda: client.post(
            reverse("admin:articles_article_live_preview", args=[story.pk]), form
        ),
    }
    print(f"{args.sections} sections; median and best of {args.requests} requests")
    print(f"{'request':14} {'median ms':>10} {'best ms':>8} {'queries':>8}")
    for name, call in requests.items():
        times, response = timed(call, args.requests)
        assert response.status_code == 200, (name, response.status_code)
        with CaptureQueriesContext(connection) as queries:
            call()
        print(f"{name:14} {statistics.median(times):10.1f} {min(times):8.1f} {len(queries):8}")
    # A save, timed alone: the GET that reads the form is not part of it.
    times = []
    for _ in range(max(3, args.requests // 5)):
        data = posted_form(client.get(edit_url).content.decode())
        data["_continue"] = ["Save and continue editing"]
        started = time.perf_counter()
        response = client.post(edit_url, data)
        times.append(1000 * (time.perf_counter() - started))
        assert response.status_code == 302, response.content[:2000]
    print(f"{'save':14} {statistics.median(times):10.1f} {min(times):8.1f}")


if __name__ == "__main__":
    main()
