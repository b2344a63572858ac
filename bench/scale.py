"""Time the reader listings, search and the admin story list with many stories.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/newsroom_bench \\
        .venv/bin/python bench/scale.py --stories 100000

Fills the named database (its name must contain "bench": it is migrated and filled) up to
--stories published stories with `generate_articles`, then renders each page in-process with
the page cache off and prints the median (p50) and 90th percentile time and the SQL query
count. Targets: reader pages p50 < 30 ms, the admin story list (filters, search) < 250 ms.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]


def count_queries(connection, client, url) -> int:
    queries = []

    def record(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        client.get(url)
    return len(queries)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    database = os.environ.get("DATABASE_URL", "")
    if "bench" not in database.rsplit("/", 1)[-1]:
        sys.exit("scale: set DATABASE_URL to a database whose name contains 'bench'")
    os.environ.update(
        DJANGO_SETTINGS_MODULE="newsroom.settings",
        DEBUG="0",
        SECRET_KEY="bench-only-secret-key-" + "x" * 40,
        ALLOWED_HOSTS="testserver",
        SECURE_SSL_REDIRECT="0",
        PAGE_CACHE_SECONDS="0",
        CONN_MAX_AGE="60",
        STATIC_ROOT=tempfile.mkdtemp(prefix="newsroom-scale-static-"),
    )
    sys.path.insert(0, str(PROJECT))
    import django

    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from articles.models import Article, Author, Desk, Tag
    from articles.operations.demo import generate_articles

    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    missing = args.stories - Article.objects.count()
    if missing > 0:
        started = time.perf_counter()
        generate_articles(missing)
        print(f"scale: added {missing:,} stories in {time.perf_counter() - started:.0f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE") if connection.vendor == "postgresql" else None

    desk, tag, author = Desk.objects.first(), Tag.objects.first(), Author.objects.first()
    reader = Client(secure=True)
    staff = Client(secure=True)
    chief, _ = User.objects.get_or_create(username="bench-chief", defaults={"is_superuser": True})
    chief.is_staff = chief.is_superuser = True
    chief.save()
    staff.force_login(chief)
    changelist = "/admin/articles/article/"
    pages = [
        ("home", reader, "/"),
        ("home, page 50", reader, "/?page=50"),
        ("desk", reader, desk.get_absolute_url()),
        ("tag", reader, tag.get_absolute_url()),
        ("author", reader, author.get_absolute_url()),
        ("search", reader, "/search/?q=library+robotics"),
        ("admin list", staff, changelist),
        ("admin list, filtered", staff,
         f"{changelist}?status__exact=published&desk__id__exact={desk.pk}"),
        ("admin list, search", staff, f"{changelist}?q=weather"),
    ]  # fmt: skip
    print(f"\n{Article.objects.count():,} stories, {connection.vendor}")
    print(f"{'page':22} {'p50 ms':>8} {'p90 ms':>8} {'queries':>8}")
    for name, client, url in pages:
        assert client.get(url).status_code == 200, url
        timings = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            client.get(url)
            timings.append(1000 * (time.perf_counter() - started))
        queries = count_queries(connection, client, url)
        timings.sort()
        p90 = timings[int(len(timings) * 0.9) - 1]
        print(f"{name:22} {statistics.median(timings):8.1f} {p90:8.1f} {queries:8}")


if __name__ == "__main__":
    main()
