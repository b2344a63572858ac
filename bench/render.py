"""Render reader pages in-process and report requests/s and SQL queries per page.

    .venv/bin/python bench/render.py [--requests 300] [--profile article]

Uses a throwaway SQLite database with the demo stories, so it measures Newsroom's own
Python and template cost, without a network or an HTTP server. The HTTP benchmarks
against gunicorn, nginx and a Wagtail peer live beside this file as they are added.
"""

import argparse
import cProfile
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]


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
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument(
        "--profile", metavar="PAGE", help="print a cProfile of this page (home, article, desk)"
    )
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="newsroom-bench-")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="newsroom.settings",
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
    articles = list(Article.objects.published().select_related("desk"))
    client = Client(secure=True)
    pages = {
        "home": "/",
        "article": articles[0].get_absolute_url(),
        "desk": articles[0].desk.get_absolute_url(),
    }
    print(f"{'page':10} {'requests/s':>11} {'ms/request':>11} {'queries':>8} {'bytes':>8}")
    for name, url in pages.items():
        for _ in range(20):  # warm caches and template loaders
            client.get(url)
        response, queries = get_counting_queries(client, url, connection)
        assert response.status_code == 200, (url, response.status_code)
        started = time.perf_counter()
        for _ in range(args.requests):
            client.get(url)
        elapsed = time.perf_counter() - started
        print(
            f"{name:10} {args.requests / elapsed:11.0f} {1000 * elapsed / args.requests:11.2f} "
            f"{queries:8} {len(response.content):8}"
        )
    if args.profile:
        profile = cProfile.Profile()
        profile.runcall(lambda: [client.get(pages[args.profile]) for _ in range(args.requests)])
        stats = pstats.Stats(profile).strip_dirs()
        stats.sort_stats("cumulative").print_stats(45)
        stats.sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    main()
