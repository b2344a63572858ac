"""Load and soak test: real HTTP against gunicorn with production settings, PostgreSQL and Redis.

    .venv/bin/python bench/load.py [--seconds 60 --connections 64 --soak-minutes 10]

1. Fills a PostgreSQL database (DATABASE_URL, default newsroom_bench_load on 127.0.0.1; its
   name must contain "bench": it is emptied) with the demo and --stories generated stories,
   and starts gunicorn (--workers, production settings, Redis page cache on REDIS_URL,
   default redis://127.0.0.1:6379/15).
2. Load: wrk with --connections for --seconds against a mix of home, story, tag and search
   pages (random stories, tags, search words and page numbers, so most requests miss the
   page cache). Half-way it publishes a story and then unpublishes it, and measures how long
   until readers get it (200) and lose it (404).
3. Soak: the same mix for --soak-minutes at --soak-connections, sampling every worker's RSS.

Passes (exit 0) when the load gives no socket error and no 5xx or other non-2xx answer,
readers see the publication and the unpublication within a second, and no worker's memory
grows more than 10% from the end of the first soak minute to the end, nor passes 150 MB.
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from run import (
    PROJECT,
    PYTHON,
    ensure_database,
    environment,
    manage,
    seconds_until,
    start,
    status_of,
    wait_for,
)

PORT = 8110
SITE = f"http://127.0.0.1:{PORT}"
MAX_GROWTH = 0.10
MAX_RSS_MB = 150
MAX_VISIBILITY_SECONDS = 1.0
SEARCH_WORDS = "ai artists newsroom video policy climate data readers guidelines sora".split()

WRK_SCRIPT = """
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
local stories = {%(stories)s}
local tags = {%(tags)s}
local words = {%(words)s}
local media = {%(media)s}
request = function()
  local pick = math.random(100)
  local path
  if #media > 0 and math.random(100) <= 5 then
    path = media[math.random(#media)]
  elseif pick <= 15 then
    path = "/?page=" .. math.random(3)
  elseif pick <= 70 then
    path = "/stories/" .. stories[math.random(#stories)] .. "/"
  elseif pick <= 85 then
    path = "/tags/" .. tags[math.random(#tags)] .. "/"
  else
    path = "/search/?q=" .. words[math.random(#words)] .. "&page=" .. math.random(2)
  end
  return wrk.format("GET", path)
end

-- Count each answer's status per thread, and print the totals of the non-2xx ones at the end.
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) statuses = {} end
function response(status, headers, body)
  if status >= 300 then statuses[status] = (statuses[status] or 0) + 1 end
end
function done(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      totals[status] = (totals[status] or 0) + count
    end
  end
  for status, count in pairs(totals) do io.write("status " .. status .. ": " .. count .. "\\n") end
end
"""


def lua_list(items) -> str:
    return ", ".join(f'"{item}"' for item in items)


def write_mix(script: Path, stories, tags, pictures=()) -> Path:
    """Write wrk's script for the mix: these stories, tags and picture addresses."""
    lists = {"stories": stories, "tags": tags, "words": SEARCH_WORDS, "media": pictures}
    script.write_text(WRK_SCRIPT % {name: lua_list(items) for name, items in lists.items()})
    return script


def wrk_command(script: Path, seconds: int, connections: int, site: str) -> list[str]:
    return ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s", "--latency",
            "-s", str(script), site]  # fmt: skip


def wrk_numbers(output: str) -> dict:
    """Requests, requests/s, p50 and p99, socket errors and non-2xx answers from wrk's output."""
    # By kind, so a failed run says where to look: connect (refused), read (a connection
    # closed mid-answer), write, or timeout (an answer slower than --timeout).
    socket_errors = re.search(
        r"Socket errors: connect (?P<connect>\d+), read (?P<read>\d+), "
        r"write (?P<write>\d+), timeout (?P<timeout>\d+)",
        output,
    )
    socket_error_kinds = (
        {kind: int(n) for kind, n in socket_errors.groupdict().items()} if socket_errors else {}
    )
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", output, re.M))
    return {
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": latency.get("50", "?"),
        "p99": latency.get("99", "?"),
        "socket_errors": sum(socket_error_kinds.values()),
        "socket_error_kinds": socket_error_kinds,
        "non_2xx": int(non_2xx.group(1)) if non_2xx else 0,
        "statuses": {
            int(code): int(n) for code, n in re.findall(r"^status (\d+): (\d+)$", output, re.M)
        },
    }


def run_wrk(script: Path, seconds: int, connections: int, site: str = SITE) -> dict:
    command = wrk_command(script, seconds, connections, site)
    return wrk_numbers(subprocess.run(command, capture_output=True, text=True, check=True).stdout)


def worker_rss_mb(master: int) -> dict[int, float]:
    """Resident memory of each gunicorn worker (the master's children)."""
    sizes = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":", 1) for line in status.read_text().splitlines() if ":" in line
            )
        except OSError:
            continue
        if int(fields["PPid"]) == master and "VmRSS" in fields:
            sizes[int(fields["Pid"])] = int(fields["VmRSS"].split()[0]) / 1024
    return sizes


def publish_and_unpublish(results: dict, delay: float) -> None:
    """Half-way through the load: publish a story, then unpublish it, as an editor would."""
    from django.test.utils import override_settings

    from articles.models import Article
    from articles.moderation import workflow

    time.sleep(delay)
    # The writer's notification emails are not the test: keep them out of the report.
    quiet_mail = override_settings(
        MAILERS={"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    )
    quiet_mail.enable()
    story = Article.objects.filter(status=Article.Status.APPROVED).first() or (
        Article.objects.filter(status=Article.Status.IN_REVIEW).first()
    )
    if story.status == Article.Status.IN_REVIEW:
        story = workflow.take("approve", story, by=None)
    url = f"http://127.0.0.1:{PORT}{story.get_absolute_url()}"
    results["before_publish"] = status_of(url)
    workflow.take("publish", story, by=None)
    results["publish_seconds"] = seconds_until(url, 200)
    time.sleep(2)
    workflow.take("unpublish", story, by=None, note="Load test: taken down again.")
    results["unpublish_seconds"] = seconds_until(url, 404)


def main():
    parser = argparse.ArgumentParser(description="Load and soak test over real HTTP.")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--soak-minutes", type=float, default=10)
    parser.add_argument("--soak-connections", type=int, default=16)
    parser.add_argument("--stories", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("load: wrk is not installed (apt-get install -y wrk)")
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/newsroom_bench_load")
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")

    run_dir = Path(tempfile.mkdtemp(prefix="newsroom-load-"))
    env = environment(run_dir)
    ensure_database(env["DATABASE_URL"])
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "flush", "--noinput")
    manage(env, "collectstatic", "--noinput", "-v0")
    manage({**env, "DEBUG": "1"}, "load_demo")
    manage(env, "run_worker", "--batch")  # the pictures' renditions
    manage(env, "generate_articles", str(args.stories))
    os.environ.update(env)
    sys.path.insert(0, str(PROJECT))
    import django

    django.setup()
    from django.core.cache import cache

    from articles.models import Article, Tag

    cache.clear()
    stories = list(Article.objects.published().values_list("slug", flat=True)[:500])
    tags = list(Tag.objects.public().values_list("slug", flat=True)[:100])
    script = write_mix(run_dir / "mix.lua", stories, tags)
    server = start(
        [PYTHON, "-m", "gunicorn", "newsroom.wsgi", "--workers", str(args.workers),
         "--no-control-socket", "--max-requests", "0", "--bind", f"127.0.0.1:{PORT}"],
        env,
    )  # fmt: skip
    failures = []
    try:
        wait_for(f"http://127.0.0.1:{PORT}/")
        visibility: dict = {}
        editor = threading.Thread(
            target=publish_and_unpublish, args=(visibility, args.seconds / 3), daemon=True
        )
        editor.start()
        load = run_wrk(script, args.seconds, args.connections)
        editor.join()
        print(
            f"load: {args.seconds} s at {args.connections} connections, {args.workers} workers: "
            f"{load['requests']} requests, {load['rps']:.0f}/s, p50 {load['p50']}, "
            f"p99 {load['p99']}, socket errors {load['socket_errors']}, "
            f"non-2xx {load['non_2xx']}"
        )
        print(
            f"load: a story published under load was readable after "
            f"{visibility['publish_seconds']:.2f} s (was {visibility['before_publish']} before); "
            f"unpublished, it was gone after {visibility['unpublish_seconds']:.2f} s"
        )
        if load["socket_errors"] or load["non_2xx"]:
            failures.append("errors under load")
        if max(visibility["publish_seconds"], visibility["unpublish_seconds"]) > (
            MAX_VISIBILITY_SECONDS
        ):
            failures.append("publication not visible within a second")
        if args.soak_minutes:
            failures += soak(script, server.pid, args)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
        shutil.rmtree(run_dir, ignore_errors=True)
    if failures:
        sys.exit("load: FAILED: " + "; ".join(failures))
    print("load: passed")


def soak(script: Path, master: int, args) -> list[str]:
    """Run the mix for the soak time in one-minute rounds, sampling worker memory."""
    samples = []
    errors = 0
    requests = 0
    for minute in range(1, int(args.soak_minutes) + 1):
        result = run_wrk(script, 60, args.soak_connections)
        errors += result["socket_errors"] + result["non_2xx"]
        requests += result["requests"]
        samples.append(worker_rss_mb(master))
        sizes = ", ".join(f"{mb:.1f}" for mb in sorted(samples[-1].values()))
        print(f"soak: minute {minute}: {result['rps']:.0f} requests/s, worker RSS MB: {sizes}")
    first, last = samples[0], samples[-1]
    growth = max(last[pid] / first[pid] - 1 for pid in last if pid in first)
    largest = max(max(sample.values()) for sample in samples)
    print(
        f"soak: {requests} requests, {errors} errors; largest worker {largest:.1f} MB; "
        f"largest growth after minute 1: {100 * growth:.1f}%"
    )
    failures = []
    if errors:
        failures.append("errors during the soak")
    if growth > MAX_GROWTH:
        failures.append(f"worker memory grew {100 * growth:.1f}%")
    if largest > MAX_RSS_MB:
        failures.append(f"a worker used {largest:.0f} MB")
    return failures


if __name__ == "__main__":
    main()
