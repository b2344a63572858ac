"""Benchmark Newsroom's story page over real HTTP, side by side with its peers.

    make bench                      # or: .venv/bin/python bench/run.py [--seconds 5 --rounds 3]

Starts on 127.0.0.1, with production settings and throwaway data:
  newsroom-uncached   gunicorn, page cache off (PAGE_CACHE_SECONDS=0): the story drawn from its
                      parts on every request
  plain-django        gunicorn, page cache off, the same story drawn the plain Django way
                      (bench/plain_django/): the yardstick for rendering cost
  newsroom-cached     gunicorn, page cache on
  nginx-front-cache   nginx proxy_cache (bench/nginx.conf) in front of newsroom-cached
  nginx-static        nginx serving a saved copy of the same page: the ceiling
  gunicorn-bytes      gunicorn (same options) running a WSGI app that returns that saved copy:
                      the most any page cache behind gunicorn could do
  wagtail             Wagtail 8 serving the same story (bench/wagtail_peer/), if it can be set up
then runs wrk against each in turn, round after round, and prints requests/s, p50/p99
latency, server CPU per request and the ratios the targets are about. Every server is
stopped at the end. DATABASE_URL may name a PostgreSQL database whose name contains "bench".
"""

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
# One of the demo stories (~8 KB page): its slug, and the file both CMSs import it from.
STORY = "newsrooms-publish-public-guidelines-for-using-ai-tools"
STORY_FILE = (
    PROJECT / "articles" / "operations" / "demo_stories" / "newsrooms-adopt-ai-guidelines.txt"
)
PORTS = {"newsroom-uncached": 8101, "newsroom-cached": 8102, "nginx-static": 8103,
         "nginx-front-cache": 8104, "wagtail": 8105, "gunicorn-bytes": 8106,
         "plain-django": 8107}  # fmt: skip
# A WSGI app that does nothing but answer with the saved page.
BYTES_APP = """
from pathlib import Path
PAGE = (Path(__file__).parent / "story.html").read_bytes()
HEADERS = [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(PAGE)))]
def app(environ, start_response):
    start_response("200 OK", HEADERS)
    return [PAGE]
"""
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def environment(run_dir: Path, **extra) -> dict:
    database = os.environ.get("DATABASE_URL", f"sqlite:///{run_dir}/bench.sqlite3")
    if not database.startswith("sqlite") and "bench" not in database.rsplit("/", 1)[-1]:
        sys.exit("bench: DATABASE_URL must name a database with 'bench' in its name; it is emptied")
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "newsroom.settings",
        "DEBUG": "0",
        "SECRET_KEY": "benchmark-only-secret-key-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": database,
        "MEDIA_ROOT": str(run_dir / "media"),
        "PAGE_CACHE_GENERATION_FILE": str(run_dir / "page-cache-generation"),
        "STATIC_ROOT": str(run_dir / "static"),
        "LOG_LEVEL": "WARNING",
        "CONN_MAX_AGE": "60",  # as the production recipe runs it
        **extra,
    }


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database if it does not exist yet."""
    import psycopg

    name = url.rsplit("/", 1)[-1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as connection:
        if not connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone():
            connection.execute(f'CREATE DATABASE "{name}"')


def manage(env: dict, *args: str) -> None:
    subprocess.run(
        [PYTHON, "manage.py", *args], cwd=PROJECT, env=env, check=True, stdout=subprocess.DEVNULL
    )


def prepare(run_dir: Path) -> dict:
    env = environment(run_dir)
    if env["DATABASE_URL"].startswith("postgres"):
        ensure_database(env["DATABASE_URL"])
    manage(env, "flush", "--noinput")
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")
    # Loading the demo needs DEBUG (it makes demo logins); the servers run without it.
    manage({**env, "DEBUG": "1"}, "load_demo")
    manage(env, "run_worker", "--batch")  # the pictures' renditions
    return env


def start(command: list[str], env: dict | None = None, cwd: Path = PROJECT) -> subprocess.Popen:
    # Its own process group, so CPU time can be summed and everything stopped together.
    return subprocess.Popen(command, cwd=cwd, env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip


def wait_for(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer in {seconds:.0f} s")


def cpu_seconds(group: int) -> float:
    """CPU time (user + system) of every process in a process group."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group:  # pgrp
            total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / CLOCK_TICKS


def milliseconds(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def run_wrk(url: str, seconds: int, connections: int) -> dict:
    output = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", output, re.M))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "p50": milliseconds(latency["50"]),
        "p99": milliseconds(latency["99"]),
        "errors": int(errors.group(1)) if errors else 0,
    }


def main():
    parser = argparse.ArgumentParser(description="Benchmark the story page.")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--no-wagtail", action="store_true")
    parser.add_argument(
        "--workers",
        type=int,
        default=2 * (os.cpu_count() or 1) + 1,
        help="workers of every gunicorn server, Wagtail's too (default: gunicorn's advice, "
        "2 × cores + 1, as in the README's production recipe)",
    )
    args = parser.parse_args()
    for tool in ("wrk", "nginx"):
        if not shutil.which(tool):
            sys.exit(f"bench: {tool} is not installed (apt-get install -y wrk nginx-light)")

    run_dir = Path(tempfile.mkdtemp(prefix="newsroom-bench-"))
    run_dir.chmod(0o755)  # nginx's workers (nobody, when started as root) must reach it
    servers: dict[str, subprocess.Popen] = {}
    try:
        env = prepare(run_dir)
        gunicorn = [
            *(PYTHON, "-m", "gunicorn", "--workers", str(args.workers)),
            "--no-control-socket",  # gunicorn 27 shares one socket path between servers
        ]
        servers["newsroom-uncached"] = start(
            [*gunicorn, "--bind", f"127.0.0.1:{PORTS['newsroom-uncached']}", "newsroom.wsgi"],
            {**env, "PAGE_CACHE_SECONDS": "0"},
        )
        servers["plain-django"] = start(
            [*gunicorn, "--bind", f"127.0.0.1:{PORTS['plain-django']}", "newsroom.wsgi"],
            {
                **env,
                "PAGE_CACHE_SECONDS": "0",
                "DJANGO_SETTINGS_MODULE": "bench.plain_django.settings",
            },
        )
        servers["newsroom-cached"] = start(
            [*gunicorn, "--bind", f"127.0.0.1:{PORTS['newsroom-cached']}", "newsroom.wsgi"], env
        )
        path = f"/stories/{STORY}/"
        wait_for(f"http://127.0.0.1:{PORTS['newsroom-uncached']}{path}")
        wait_for(f"http://127.0.0.1:{PORTS['newsroom-cached']}{path}")
        plain_path = f"/plain/{STORY}/"
        wait_for(f"http://127.0.0.1:{PORTS['plain-django']}{plain_path}")

        static_root = run_dir / "page"
        static_root.mkdir()
        with urllib.request.urlopen(f"http://127.0.0.1:{PORTS['newsroom-uncached']}{path}") as page:
            (static_root / "story.html").write_bytes(page.read())
        (static_root / "bytes_app.py").write_text(BYTES_APP)
        servers["gunicorn-bytes"] = start(
            [*gunicorn, "--bind", f"127.0.0.1:{PORTS['gunicorn-bytes']}",
             "--chdir", str(static_root), "bytes_app:app"],
            env,
        )  # fmt: skip
        wait_for(f"http://127.0.0.1:{PORTS['gunicorn-bytes']}/")
        write_nginx_config(
            run_dir,
            app_ports=[PORTS["newsroom-cached"]],
            proxy_port=PORTS["nginx-front-cache"],
            static_port=PORTS["nginx-static"],
            static_root=static_root,
        )
        servers["nginx"] = start(["nginx", "-c", str(run_dir / "nginx.conf"), "-p", str(run_dir)])
        try:
            wait_for(f"http://127.0.0.1:{PORTS['nginx-front-cache']}{path}", seconds=20)
        except RuntimeError:
            log = run_dir / "nginx-error.log"
            sys.exit("bench: nginx did not answer:\n" + (log.read_text() if log.exists() else ""))

        urls = {
            "nginx-static": f"http://127.0.0.1:{PORTS['nginx-static']}/story.html",
            "nginx-front-cache": f"http://127.0.0.1:{PORTS['nginx-front-cache']}{path}",
            "gunicorn-bytes": f"http://127.0.0.1:{PORTS['gunicorn-bytes']}/",
            "newsroom-cached": f"http://127.0.0.1:{PORTS['newsroom-cached']}{path}",
            "newsroom-uncached": f"http://127.0.0.1:{PORTS['newsroom-uncached']}{path}",
            "plain-django": f"http://127.0.0.1:{PORTS['plain-django']}{plain_path}",
        }
        groups = {
            "nginx-static": servers["nginx"].pid,
            "nginx-front-cache": servers["nginx"].pid,
            "gunicorn-bytes": servers["gunicorn-bytes"].pid,
            "newsroom-cached": servers["newsroom-cached"].pid,
            "newsroom-uncached": servers["newsroom-uncached"].pid,
            "plain-django": servers["plain-django"].pid,
        }
        peer = PROJECT / "bench" / "wagtail_peer" / "setup_and_serve.sh"
        if not args.no_wagtail and peer.exists():
            print("bench: setting up the Wagtail peer (first time: a minute or two)…", flush=True)
            # The same dek and byline as Newsroom's demo story, so the pages match.
            details = {
                "STORY_DEK": "Forty-seven of 85 outlets surveyed now tell readers how their "
                "journalists may use AI tools, and what they promise never to do with them.",
                "STORY_BYLINE": "Daniel Brooks and Maya Okafor",
            }
            servers["wagtail"] = start(
                ["bash", str(peer), str(PORTS["wagtail"]), str(STORY_FILE)],
                {**os.environ, **details, "WORKERS": str(args.workers)},
            )
            try:
                wait_for(f"http://127.0.0.1:{PORTS['wagtail']}/story/", seconds=600)
                urls["wagtail"] = f"http://127.0.0.1:{PORTS['wagtail']}/story/"
                groups["wagtail"] = servers["wagtail"].pid
            except RuntimeError as error:
                print(f"bench: Wagtail peer left out: {error}")

        for url in urls.values():  # warm every server and cache
            run_wrk(url, 1, 4)
        results: dict[str, list[dict]] = {name: [] for name in urls}
        for round_number in range(1, args.rounds + 1):
            for name, url in urls.items():
                before = cpu_seconds(groups[name])
                result = run_wrk(url, args.seconds, args.connections)
                result["cpu_ms"] = (
                    1000 * (cpu_seconds(groups[name]) - before) / max(1, result["requests"])
                )
                results[name].append(result)
            print(f"bench: round {round_number} of {args.rounds} done", flush=True)
        report(results, args)
        gone = seconds_until_gone(env, urls["nginx-front-cache"])
        print(f"unpublished behind the front cache: gone for readers {gone:.2f} s after the commit "
              "(target < 1 s)")  # fmt: skip
    finally:
        for process in servers.values():
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for process in servers.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        shutil.rmtree(run_dir, ignore_errors=True)


# Unpublish the benchmark's story as an editor would, and say when the change committed.
UNPUBLISH = f"""
import time
from articles.moderation import workflow
from articles.models import Article
workflow.take("unpublish", Article.objects.get(slug="{STORY}"), by=None, note="Benchmark.")
print("committed", time.time())
"""


def write_nginx_config(
    run_dir: Path,
    *,
    app_ports: list[int],
    proxy_port: int,
    static_port: int,
    static_root: Path,
    media: str = "",
) -> Path:
    """Fill bench/nginx.conf's placeholders into run_dir/nginx.conf: the app nodes nginx
    balances, its ports, and where /media/ comes from (an `alias` of a folder or a
    `proxy_pass` to the bucket; by default the app serves it)."""
    servers = " ".join(
        f"server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;" for port in app_ports
    )
    config = (PROJECT / "bench" / "nginx.conf").read_text()
    for name, value in {
        "run_dir": run_dir,
        "app_servers": servers,
        "static_port": static_port,
        "proxy_port": proxy_port,
        "static_root": static_root,
        "media": media or "proxy_pass http://newsroom;",
    }.items():
        config = config.replace("{" + name + "}", str(value))
    (run_dir / "nginx.conf").write_text(config)
    return run_dir / "nginx.conf"


def status_of(url: str, timeout: float = 10) -> int:
    """The status of a GET, or 0 if none came (refused, reset or slower than `timeout`):
    a measurement records a slow or failed answer rather than stopping at it."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def seconds_until(url: str, status: int, limit: float = 10) -> float:
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if status_of(url) == status:
            return time.monotonic() - started
        time.sleep(0.02)
    return float("inf")


def seconds_until_gone(env: dict, url: str) -> float:
    """How long readers behind the front cache still got the story after it was unpublished."""
    urllib.request.urlopen(url).close()  # in nginx's cache now
    output = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", UNPUBLISH],
        cwd=PROJECT, env=env, check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    committed = float(re.search(r"^committed (\S+)$", output, re.M).group(1))
    since_commit = time.time() - committed
    return since_commit + seconds_until(url, 404)


def report(results: dict, args) -> None:
    median = {
        name: {key: statistics.median(r[key] for r in runs) for key in runs[0]}
        for name, runs in results.items()
    }
    print(
        f"\nStory page, {args.connections} connections, {args.rounds} × {args.seconds} s each, "
        f"{args.workers} gunicorn workers (medians; CPU is the server's, per request)"
    )
    print(f"{'server':20} {'requests/s':>11} {'p50 ms':>8} {'p99 ms':>8} {'CPU ms/req':>11} errors")
    for name, m in median.items():
        print(
            f"{name:20} {m['rps']:11.0f} {m['p50']:8.2f} {m['p99']:8.2f} "
            f"{m['cpu_ms']:11.3f} {m['errors']:6.0f}"
        )
    rps = {name: m["rps"] for name, m in median.items()}
    ratios = [
        # Rendering from the parts costs at most 1.5× the plain Django way.
        ("uncached Newsroom / plain Django", "newsroom-uncached", "plain-django", "≥ 0.67"),
        ("uncached Newsroom / Wagtail", "newsroom-uncached", "wagtail", "≥ 1.5"),
        ("cached Newsroom / Wagtail", "newsroom-cached", "wagtail", "≥ 15"),
        ("nginx front cache / static file", "nginx-front-cache", "nginx-static", "≥ 0.7"),
        ("cached / uncached Newsroom", "newsroom-cached", "newsroom-uncached", ""),
        ("cached Newsroom / gunicorn-bytes", "newsroom-cached", "gunicorn-bytes", "(ceiling 1)"),
    ]
    print()
    for label, top, bottom, target in ratios:
        if top in rps and bottom in rps:
            goal = f"  (target {target})" if target else ""
            print(f"{label:34} {rps[top] / rps[bottom]:6.2f}×{goal}")
    print(f"uncached p99: {median['newsroom-uncached']['p99']:.1f} ms (target < 50)")


if __name__ == "__main__":
    main()
