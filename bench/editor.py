"""Time the editor's requests in-process: the edit page, a save, an autosave, a live preview.

    .venv/bin/python bench/editor.py [--sections 30 --pictures 10 --requests 30] [--profile]

Uses a throwaway SQLite database with the demo logins and one long story (30 sections by
default, a hero picture and 10 library pictures in its sections), so it measures Newsroom's
own Python, SQL and template cost for an editor, without a network or an HTTP server.
Targets (issue 13): the edit page < 150 ms median with a number of queries that does not grow
with the sections, a save < 300 ms, an autosave < 50 ms. CPU ms is the process's CPU time per
request: on a busy machine it still says what the request itself costs.
"""

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import tempfile
import time
from functools import partial
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
        call_command("run_worker", "--batch", verbosity=0)  # the pictures' renditions


def long_story(sections: int, pictures: int):
    """A story with this many sections of three paragraphs each, a hero picture and this many
    library pictures, one in each of the first sections."""
    from django.contrib.auth.models import User
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from articles.editing.stories import SectionPart, StoryParts, save_story
    from articles.models import Article, Author, Picture

    picture = io.BytesIO()
    Image.new("RGB", (1600, 900), (30, 90, 160)).save(picture, "JPEG")
    figures = [
        Picture.objects.create(
            image=SimpleUploadedFile(f"picture-{n}.jpg", picture.getvalue()),
            alt=f"Picture {n} of the bench story.",
        )
        for n in range(pictures)
    ]
    figures = [
        f'<figure class="figure"><img src="{each.image.url}" alt="{each.alt}"></figure>'
        for each in figures
    ]
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
            SectionPart(
                heading=f"Section {n}" if n else "",
                body=paragraph * 2 + (figures[n] if n < len(figures) else "") + paragraph,
            )
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


def timed(call, requests: int) -> tuple[list[float], list[float], object]:
    """Wall-clock and CPU milliseconds of each call: on a busy machine the CPU time still
    says what the request itself costs."""
    times, cpu_times, response = [], [], None
    for _ in range(requests):
        started, cpu_started = time.perf_counter(), time.process_time()
        response = call()
        times.append(1000 * (time.perf_counter() - started))
        cpu_times.append(1000 * (time.process_time() - cpu_started))
    return times, cpu_times, response


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", type=int, default=30)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--pictures", type=int, default=10)
    parser.add_argument(
        "--profile", action="store_true", help="print a cProfile of the edit page and stop"
    )
    args = parser.parse_args()
    setup(tempfile.mkdtemp(prefix="newsroom-bench-editor-"))
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    story = long_story(args.sections, args.pictures)
    client = Client(secure=True)
    client.force_login(User.objects.get(username="editor"))
    edit_url = reverse("admin:articles_article_change", args=[story.pk])
    client.get(edit_url)  # warm template loaders

    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(lambda: [client.get(edit_url) for _ in range(args.requests)])
        stats = pstats.Stats(profile).strip_dirs()
        stats.sort_stats("cumulative").print_stats(60)
        stats.sort_stats("tottime").print_stats(30)
        return

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
    print(
        f"{args.sections} sections, {args.pictures} pictures; "
        f"median and best of {args.requests} requests"
    )
    print(f"{'request':14} {'median ms':>10} {'best ms':>8} {'CPU ms':>8} {'queries':>8}")
    for name, call in requests.items():
        times, cpu_times, response = timed(call, args.requests)
        assert response.status_code == 200, (name, response.status_code)
        with CaptureQueriesContext(connection) as queries:
            call()
        print(
            f"{name:14} {statistics.median(times):10.1f} {min(times):8.1f} "
            f"{statistics.median(cpu_times):8.1f} {len(queries):8}"
        )
    # A save, timed alone: the GET that reads the form is not part of it.
    times, cpu_times = [], []
    for _ in range(max(3, args.requests // 5)):
        data = posted_form(client.get(edit_url).content.decode())
        data["_continue"] = ["Save and continue editing"]
        save_times, save_cpu_times, response = timed(partial(client.post, edit_url, data), 1)
        times += save_times
        cpu_times += save_cpu_times
        assert response.status_code == 302, response.content[:2000]
    print(
        f"{'save':14} {statistics.median(times):10.1f} {min(times):8.1f} "
        f"{statistics.median(cpu_times):8.1f}"
    )
    page = client.get(edit_url).content
    print(f"edit page: {len(page) / 1024:.0f} KB of HTML")


if __name__ == "__main__":
    main()
