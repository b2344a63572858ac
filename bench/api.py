"""Benchmark the read API over real HTTP, beside the HTML story page it serves the same story as.

    .venv/bin/python bench/api.py [--seconds 10 --rounds 3 --connections 16]

Starts gunicorn on 127.0.0.1 with production settings and the demo stories (bench/run.py's
set-up: DATABASE_URL may name a PostgreSQL database whose name contains "bench"), then runs
wrk against, in turn:
  api-list        /api/v1/stories/?limit=20: a page of 20 stories
  api-detail      /api/v1/stories/<slug>/: one story with all its parts
  ghost-list      /ghost/api/content/posts/?limit=20&include=authors,tags: Ghost's list,
                  each post with its html, and the total Ghost's pagination needs
  ghost-read      /ghost/api/content/posts/slug/<slug>/: Ghost's read of the story
  html-uncached   the same story's page, drawn from its parts (page cache off)
  html-cached     the same page from the page cache
The API's rate limits are raised out of the way (they would answer 429 within a second) but
still counted, as in production. Prints requests/s and p50/p99 latency, the median of
--rounds rounds, and stops every server it started.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from run import PORTS, PROJECT, PYTHON, STORY, prepare, run_wrk, start, wait_for

TARGETS = {
    "api-list": ("uncached", "/api/v1/stories/?limit=20"),
    "api-detail": ("uncached", f"/api/v1/stories/{STORY}/"),
    "ghost-list": ("uncached", "/ghost/api/content/posts/?limit=20&include=authors,tags&key={key}"),
    "ghost-read": ("uncached", f"/ghost/api/content/posts/slug/{STORY}/?key={{key}}"),
    "html-uncached": ("uncached", f"/stories/{STORY}/"),
    "html-cached": ("cached", f"/stories/{STORY}/"),
}
ISSUE_KEY = (
    "from articles.models import ApiKey; "
    "print(ApiKey.issue(name='Benchmark', scope=ApiKey.Scope.PUBLISHED)[1])"
)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("bench: wrk is not installed (apt-get install -y wrk)")

    run_dir = Path(tempfile.mkdtemp(prefix="newsroom-bench-api-"))
    servers = {}
    try:
        env = {
            **prepare(run_dir),
            "API_RATE_PER_ADDRESS": "100000000/min",
            "API_RATE_PER_KEY": "100000000/min",
        }
        # Ghost's API takes a key, as Ghost's clients send it.
        key = subprocess.run(
            [PYTHON, "manage.py", "shell", "-v0", "-c", ISSUE_KEY],
            cwd=PROJECT, env=env, capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        gunicorn = [PYTHON, "-m", "gunicorn", "--workers", str(args.workers), "--no-control-socket"]
        ports = {"uncached": PORTS["newsroom-uncached"], "cached": PORTS["newsroom-cached"]}
        servers["uncached"] = start(
            [*gunicorn, "--bind", f"127.0.0.1:{ports['uncached']}", "newsroom.wsgi"],
            {**env, "PAGE_CACHE_SECONDS": "0"},
        )
        servers["cached"] = start(
            [*gunicorn, "--bind", f"127.0.0.1:{ports['cached']}", "newsroom.wsgi"], env
        )
        urls = {
            name: f"http://127.0.0.1:{ports[server]}{path.format(key=key)}"
            for name, (server, path) in TARGETS.items()
        }
        for url in urls.values():
            wait_for(url)
            run_wrk(url, 1, 4)  # warm the workers
        results = {name: [] for name in urls}
        for _ in range(args.rounds):
            for name, url in urls.items():
                results[name].append(run_wrk(url, args.seconds, args.connections))
        report(results, args)
    finally:
        for server in servers.values():
            os.killpg(server.pid, 15)
            server.wait()
        shutil.rmtree(run_dir, ignore_errors=True)


def report(results: dict, args) -> None:
    print(
        f"\n{args.connections} connections, {args.seconds} s a run, median of {args.rounds}"
        f" rounds, gunicorn {args.workers} workers\n"
    )
    print(f"{'target':14} {'requests/s':>11} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}")
    for name, runs in results.items():
        median = {key: statistics.median(run[key] for run in runs) for key in ("rps", "p50", "p99")}
        errors = sum(run["errors"] for run in runs)
        print(
            f"{name:14} {median['rps']:11.0f} {median['p50']:8.1f} {median['p99']:8.1f} {errors:8d}"
        )


if __name__ == "__main__":
    main()
