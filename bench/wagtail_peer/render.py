"""Time the Wagtail peer's story page in-process, as bench/render.py times Newsroom's.

    $WAGTAIL_VENV/bin/python bench/wagtail_peer/render.py SITE_DIR [--requests 200 --rounds 5]

SITE_DIR is the site setup_and_serve.sh built (default /tmp/newsroom-wagtail-site). Prints
the best and median milliseconds per request over the rounds, as one line of JSON.
"""

import argparse
import json
import os
import statistics
import sys
import time


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", nargs="?", default="/tmp/newsroom-wagtail-site")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    os.chdir(args.site)
    sys.path.insert(0, args.site)
    os.environ["DJANGO_SETTINGS_MODULE"] = "project.settings"
    import django

    django.setup()
    from django.test import Client

    client = Client(HTTP_HOST="localhost")
    for _ in range(20):  # warm the template loader and Wagtail's caches
        response = client.get("/story/")
    assert response.status_code == 200, response.status_code
    walls = []
    for _ in range(args.rounds):
        started = time.perf_counter()
        for _ in range(args.requests):
            client.get("/story/")
        walls.append(1000 * (time.perf_counter() - started) / args.requests)
    print(json.dumps({"best": min(walls), "median": statistics.median(walls)}))


if __name__ == "__main__":
    main()
