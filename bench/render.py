"""Render reader pages in-process and report requests/s and SQL queries per page.

    .venv/bin/python bench/render.py [--requests 200 --rounds 5] [--profile article]

Uses a throwaway SQLite database with the demo stories, so it measures Newsroom's own
Python and template cost, without a network or an HTTP server. The HTTP benchmarks
against gunicorn, nginx and a Wagtail peer live beside this file as they are added.
"""

import argparse
import cProfile
import json
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
# The story bench/run.py serves, and the Wagtail peer imports from the same file.
STORY = "newsrooms-publish-public-guidelines-for-using-ai-tools"
WAGTAIL_VENV = Path(os.environ.get("WAGTAIL_VENV", "/tmp/newsroom-wagtail-venv"))
WAGTAIL_SITE = Path(os.environ.get("WAGTAIL_SITE", "/tmp/newsroom-wagtail-site"))


def wagtail_story_ms(requests: int) -> float | None:
    """The Wagtail peer's story page timed in-process the same way (one round), in its own
    virtualenv: milliseconds per request."""
    if not (WAGTAIL_SITE / "db.sqlite3").exists():
        return None
    output = subprocess.run(
        [
            WAGTAIL_VENV / "bin" / "python",
            PROJECT / "bench" / "wagtail_peer" / "render.py",
            WAGTAIL_SITE,
            *("--requests", str(requests), "--rounds", "1"),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(output)["best"]


def get_counting_queries(client, url, connection):
    queries = []

    def record(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        response = client.get(url)
    return response, len(queries)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="per page and round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--profile", metavar="PAGE", help="print a cProfile of this page (home, article, desk)"
    )
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="newsroom-bench-")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="bench.plain_django.settings",
        DATABASE_URL=f"sqlite:///{workdir}/bench.sqlite3",
        MEDIA_ROOT=f"{workdir}/media",
        DEBUG="0",
        SECRET_KEY="bench-only-secret-key-" + "x" * 40,
        ALLOWED_HOSTS="testserver",
        SECURE_SSL_REDIRECT="0",
        STATIC_ROOT=f"{workdir}/static",
        PAGE_CACHE_SECONDS="0",  # measure rendering, not the page cache
    )
    sys.path.insert(0, str(PROJECT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import override_settings

    from articles.models import Article

    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    with override_settings(DEBUG=True):  # the demo makes demo logins, which need DEBUG
        call_command("load_demo", stdout=open(os.devnull, "w"))
        call_command("run_worker", "--batch", verbosity=0)  # the pictures' renditions
    story = Article.objects.select_related("desk").get(slug=STORY)
    client = Client(secure=True)
    pages = {
        "home": "/",
        "article": story.get_absolute_url(),
        "desk": story.desk.get_absolute_url(),
        # The same story drawn the plain Django way (bench/plain_django/): the yardstick.
        "plain": f"/plain/{story.slug}/",
    }
    columns = ("best ms", 8), ("median ms", 10), ("CPU ms", 7), ("queries", 8), ("bytes", 8)
    print(f"{'page':10} " + " ".join(f"{name:>{width}}" for name, width in columns))
    for url in pages.values():
        for _ in range(20):  # warm caches and template loaders
            client.get(url)
    # Round after round, the pages in turn, so that a busy moment of the machine falls on
    # all of them alike; the best round is the closest to the page's own cost.
    timings = {name: [] for name in pages}
    wagtail = []  # the Wagtail peer's story page, timed in the same rounds
    for _ in range(args.rounds):
        for name, url in pages.items():
            started, cpu_started = time.perf_counter(), time.process_time()
            for _ in range(args.requests):
                client.get(url)
            wall = 1000 * (time.perf_counter() - started) / args.requests
            cpu = 1000 * (time.process_time() - cpu_started) / args.requests
            timings[name].append((wall, cpu))
        peer = wagtail_story_ms(args.requests)
        if peer is not None:
            wagtail.append(peer)
    best = {}
    for name, url in pages.items():
        response, queries = get_counting_queries(client, url, connection)
        assert response.status_code == 200, (url, response.status_code)
        walls = [wall for wall, _ in timings[name]]
        best[name] = min(walls)
        print(
            f"{name:10} {best[name]:8.2f} {statistics.median(walls):10.2f} "
            f"{min(cpu for _, cpu in timings[name]):7.2f} {queries:8} {len(response.content):8}"
        )
    print(f"\nstory page / plain Django: {best['article'] / best['plain']:.2f}× (target ≤ 1.5)")
    if not wagtail:
        print(f"Wagtail peer left out: {WAGTAIL_SITE} is built by `make bench` the first time")
    else:
        print(
            f"Wagtail's story page: best {min(wagtail):.2f} ms, median "
            f"{statistics.median(wagtail):.2f} ms; Wagtail / story page: "
            f"{min(wagtail) / best['article']:.2f}× (target ≥ 1.5)"
        )
    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(lambda: [client.get(pages[args.profile]) for _ in range(args.requests)])
        stats = pstats.Stats(profile).strip_dirs()
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    main()
