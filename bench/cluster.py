"""A Newsroom cluster on one machine, and the scenario that proves it holds under load.

    .venv/bin/python bench/cluster.py [--seconds 60 --connections 64] [--compare 30]
                                      [--soak-minutes 10] [--json results.json]

Starts, on 127.0.0.1 only, on free ports and in folders of its own:
  primary, replica  a PostgreSQL primary and its streaming replica (initdb, pg_basebackup)
  redis             a Redis of its own (no persistence)
  s3                moto's S3 server, holding the media bucket
  smtp              a mail server that keeps what it is sent
  node1, node2      gunicorn with production settings (DEBUG=0), readers on the replica
  worker            manage.py run_worker: mail, renditions, scheduled publication
  nginx             bench/nginx.conf: the two nodes, and /media/ from the bucket
fills the database with the demo and --stories generated stories, then:

  --compare N       N seconds of load on 1 node, 2 nodes, 2 nodes + replica (requests/s, p99)
  --soak-minutes M  M minutes of load at 16 connections, sampling each node's memory

waits for the worker to finish the demo's background work, warms the site for 15 s, and
runs the scenario: wrk (niced: it stands for readers' machines) at --connections for
--seconds on a mix of pages (home, stories, tags, search, pictures) through nginx, while
  1. an editor approves and publishes a story on the primary, and unpublishes it 10 s after
     readers saw it: readers, on the replica, must see each within 2 s;
  2. node1 is killed (SIGKILL): nginx must answer every request 2xx all the same;
  3. the worker is killed; the story is scheduled to go out while it is down, and writers
     are emailed; the worker is started again: every email must arrive exactly once and
     the story be published once, not before its time;
  4. the replica is stopped: reader pages must keep answering 200, each within 3 s.
At the end it stops exactly what it started and removes its folders. Exit 0 when every
check holds; otherwise 1, with what failed. tests/operations/test_cluster.py runs it.
"""

import argparse
import email
import email.policy
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

from load import SEARCH_WORDS, worker_rss_mb, write_mix, wrk_command, wrk_numbers
from run import PROJECT, PYTHON, status_of, wait_for, write_nginx_config

sys.path.insert(0, str(PROJECT))

from articles.operations.progress import progress_bar
from tests.operations import replication
from tests.s3 import moto_missing, start_s3_server
from tests.smtp import SMTPServer

BUCKET = "newsroom-media"
MAX_VISIBILITY_SECONDS = 2.0
MAX_FAILOVER_SECONDS = 3.0
WARM_UP_SECONDS = 15
TOOLS = {"wrk": "wrk", "nginx": "nginx-light", "redis-server": "redis-server"}


def missing_tools() -> str:
    """Why the cluster cannot start on this machine, or "" if it can."""
    if problem := replication.MISSING or moto_missing():
        return problem
    absent = [tool for tool in TOOLS if not shutil.which(tool)]
    if absent:
        packages = " ".join(TOOLS[tool] for tool in absent)
        return f"{', '.join(absent)} not installed (apt-get install -y {packages})"
    return ""


def say(message: str) -> None:
    print(f"cluster: {message}", flush=True)


class Cluster:
    """Everything the scenario runs on; `stop()` ends exactly what `start()` began."""

    def __init__(self, workers_per_node: int):
        self.workers_per_node = workers_per_node
        self.folder = Path(tempfile.mkdtemp(prefix="newsroom-cluster-"))
        self.folder.chmod(0o755)  # nginx's workers (nobody, when started as root) read it
        self.processes: dict[str, subprocess.Popen] = {}
        self.databases: list = []
        self.ports = {name: replication.free_port() for name in ("node1", "node2", "nginx")}
        self.primary = self.replica = self.s3 = self.smtp = None
        # One key for every node: any of them may read a session or token another signed.
        self.secret_key = "cluster-only-" + secrets.token_hex(24)

    # Starting -------------------------------------------------------------------------

    def start(self, stories: int) -> None:
        self.primary = replication.start_primary()
        self.databases.append(self.primary)
        self.ports["redis"] = replication.free_port()
        self.spawn("redis", ["redis-server", "--port", str(self.ports["redis"]),
                             "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(self.folder)])  # fmt: skip
        self.s3 = start_s3_server()
        self.s3.create_bucket(BUCKET)
        self.smtp = SMTPServer()
        say(f"primary on :{self.primary.port}, redis on :{self.ports['redis']}, "
            f"S3 at {self.s3.endpoint}, SMTP on :{self.smtp.port}")  # fmt: skip
        self.manage("migrate", "--noinput", "-v0")
        self.manage("collectstatic", "--noinput", "-v0")
        self.manage("load_demo", debug=True)  # demo logins are refused with DEBUG off
        self.manage("generate_articles", str(stories))
        # Copied after the fill, so the replica starts with it and streams what follows.
        self.replica = replication.start_replica(self.primary)
        self.databases.append(self.replica)
        say(f"replica on :{self.replica.port}, streaming from the primary")
        self.start_nodes(["node1", "node2"], replica=True)
        self.start_worker()
        self.start_nginx(["node1", "node2"])

    def environment(self, *, replica: bool = False, debug: bool = False) -> dict:
        environment = {
            "PATH": os.environ["PATH"],
            "DJANGO_SETTINGS_MODULE": "newsroom.settings",
            "DEBUG": "1" if debug else "0",
            "SECRET_KEY": self.secret_key,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "DATABASE_URL": self.primary.url,
            "CONN_MAX_AGE": "60",
            "REDIS_URL": f"redis://127.0.0.1:{self.ports['redis']}/0",
            **self.s3.environment(BUCKET),
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(self.smtp.port),
            "SMTP_TLS": "0",
            "STATIC_ROOT": str(self.folder / "static"),
            "LOG_LEVEL": "WARNING",
        }
        if replica:
            environment["DATABASE_REPLICA_URLS"] = self.replica.url
            environment["REPLICA_MAX_LAG_SECONDS"] = "3"
        return environment

    def manage(self, *arguments: str, debug: bool = False) -> None:
        subprocess.run([PYTHON, "manage.py", *arguments], cwd=PROJECT, check=True,
                       env=self.environment(debug=debug), stdout=subprocess.DEVNULL)  # fmt: skip

    def spawn(self, name: str, command: list[str], environment: dict | None = None) -> None:
        # Its own process group, so that the process and its children are stopped together.
        log = (self.folder / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            command, cwd=PROJECT, env=environment, start_new_session=True,
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    def start_nodes(self, names: list[str], *, replica: bool) -> None:
        for name in names:
            self.spawn(name, [PYTHON, "-m", "gunicorn", "newsroom.wsgi",
                              "--workers", str(self.workers_per_node), "--no-control-socket",
                              "--bind", f"127.0.0.1:{self.ports[name]}"],
                       self.environment(replica=replica))  # fmt: skip
        for name in names:
            wait_for(f"http://127.0.0.1:{self.ports[name]}/")

    def start_worker(self) -> None:
        self.spawn("worker", [PYTHON, "manage.py", "run_worker"], self.environment())

    def start_nginx(self, nodes: list[str]) -> None:
        config = write_nginx_config(
            self.folder,
            app_ports=[self.ports[name] for name in nodes],
            proxy_port=self.ports["nginx"],
            static_port=replication.free_port(),
            static_root=self.folder,
            media=f"proxy_pass {self.s3.endpoint}/{BUCKET}/;",
        )
        self.spawn("nginx", ["nginx", "-c", str(config), "-p", str(self.folder)])
        wait_for(self.site + "/")

    @property
    def site(self) -> str:
        return f"http://127.0.0.1:{self.ports['nginx']}"

    # Stopping -------------------------------------------------------------------------

    def kill(self, name: str) -> None:
        process = self.processes.pop(name, None)
        if process is None:
            return  # not running
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass  # it had exited
        process.wait()

    def stop(self, keep_logs: Path | None = None) -> None:
        for name in list(self.processes):
            self.kill(name)
        if keep_logs:
            keep_logs.mkdir(parents=True, exist_ok=True)
            for log in self.folder.glob("*.log"):
                shutil.copy(log, keep_logs)
            for database in self.databases:
                shutil.copy(database.folder / "log", keep_logs / f"postgresql-{database.port}.log")
        replication.remove(*self.databases)
        if self.s3:
            self.s3.stop()
        if self.smtp:
            self.smtp.close()
        shutil.rmtree(self.folder, ignore_errors=True)


# Load -------------------------------------------------------------------------------------


def mix_for(cluster: Cluster) -> Path:
    """The wrk script: home, stories, tags, search and pictures, at random."""
    from django.conf import settings

    from articles.models import Article, Picture, Tag

    stories = Article.objects.published().values_list("slug", flat=True)[:500]
    tags = Tag.objects.public().values_list("slug", flat=True)[:100]
    pictures = [
        settings.MEDIA_URL + name for name in Picture.objects.values_list("image", flat=True)
    ]
    return write_mix(cluster.folder / "mix.lua", stories, tags, pictures)


def readers(cluster: Cluster, script: Path, seconds: int, connections: int) -> list[str]:
    """The wrk command. wrk stands for readers' own machines, yet here it shares the servers'
    two cores: at a lower priority it takes what nginx, the nodes and PostgreSQL leave, not
    the equal share that readers never take from a real server. (At the same priority, on
    a machine slowed to half by two busy loops, a nginx refresh waited behind wrk and an
    unpublication was seen after 2.91 s; niced, 0.53 s, with more requests/s.)"""
    return ["nice", "-n", "10", *wrk_command(script, seconds, connections, cluster.site)]


def load(cluster: Cluster, script: Path, seconds: int, connections: int) -> dict:
    command = readers(cluster, script, seconds, connections)
    return wrk_numbers(subprocess.run(command, capture_output=True, text=True, check=True).stdout)


def compare(cluster: Cluster, script: Path, seconds: int, connections: int) -> dict:
    """The same load on one node, two nodes, and two nodes reading from the replica."""
    results = {}
    set_ups = (
        ("1 node", ["node1"], False),
        ("2 nodes", ["node1", "node2"], False),
        ("2 nodes + replica", ["node1", "node2"], True),
    )
    for number, (label, nodes, replica) in enumerate(set_ups, start=1):
        for name in ("nginx", "node1", "node2"):
            cluster.kill(name)
        cluster.start_nodes(nodes, replica=replica)
        cluster.start_nginx(nodes)
        results[label] = load(cluster, script, seconds, connections)
        say(f"compare {number}/{len(set_ups)}, {label}: {describe(results[label])}")
    return results  # the last set-up, two nodes on the replica, is the scenario's


def soak(cluster: Cluster, script: Path, minutes: int) -> dict:
    """Load in one-minute rounds, noting each node's gunicorn workers' resident memory.

    Memory is sampled every 10 seconds, not once a minute, so a step shows when it came:
    a fresh worker grows once, the first time it draws each kind of page, and under the
    page cache that first drawing may come minutes into the load, when a cached page expires.
    """
    samples = {name: [] for name in ("node1", "node2")}
    started = time.monotonic()
    done = threading.Event()

    def sample() -> None:
        while not done.wait(10):
            for name, sizes in samples.items():
                rss = worker_rss_mb(cluster.processes[name].pid)
                sizes.append((round(time.monotonic() - started), round(sum(rss.values()), 1)))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        for minute in range(1, minutes + 1):
            result = load(cluster, script, 60, 16)
            say(f"soak, minute {minute}/{minutes} ({minutes - minute} left): {describe(result)}; "
                f"node memory (MB, all workers): "
                f"{', '.join(f'{n} {s[-1][1]}' for n, s in samples.items() if s)}")  # fmt: skip
    finally:
        done.set()
        sampler.join()
    return samples


def describe(result: dict) -> str:
    return (
        f"{result['rps']:.0f} requests/s, p50 {result['p50']}, p99 {result['p99']}, "
        f"non-2xx {result['non_2xx']} {result['statuses']}, "
        f"socket errors {result['socket_errors']} {result['socket_error_kinds']}"
    )


# The scenario -----------------------------------------------------------------------------


class ReplicaLag(threading.Thread):
    """Samples the primary's view of the replica twice a second: replay lag in seconds."""

    def __init__(self, primary):
        super().__init__(daemon=True)
        self.primary, self.samples, self.done = primary, [], threading.Event()

    def run(self):
        import psycopg

        with psycopg.connect(self.primary.url, autocommit=True) as connection:
            while not self.done.wait(0.5):
                row = connection.execute(
                    "SELECT COALESCE(EXTRACT(EPOCH FROM replay_lag), 0)::float, "
                    "pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::bigint "
                    "FROM pg_stat_replication"
                ).fetchone()
                if row:
                    self.samples.append(row)


def replica_transactions(replica) -> int:
    import psycopg

    with psycopg.connect(replica.url, autocommit=True) as connection:
        return connection.execute(
            "SELECT sum(xact_commit)::bigint FROM pg_stat_database"
        ).fetchone()[0]


def readers_while_replica_stops(cluster: Cluster, seconds: float) -> list:
    """Stop the replica, then ask for pages no cache holds: (status, seconds) for each."""
    answers = []
    cluster.replica.stop("immediate")
    deadline = time.monotonic() + seconds
    number = 0
    while time.monotonic() < deadline:
        number += 1
        word = SEARCH_WORDS[number % len(SEARCH_WORDS)]
        started = time.monotonic()
        answers.append((status_of(f"{cluster.site}/search/?q={word}&n={number}"),
                        time.monotonic() - started))  # fmt: skip
    return answers


def seen_after(url: str, status: int, limit: float = 10) -> float:
    """How long after now a reader's request first got `status`: a reader asks every 0.1 s,
    each without waiting for the one before, so a slow answer under load (that is the p99's
    business) does not hide when the change reached readers."""
    started = time.monotonic()
    answers: list[tuple[float, int]] = []

    def ask():
        sent = time.monotonic() - started
        answers.append((sent, status_of(url)))

    askers = []
    while time.monotonic() - started < limit and not any(s == status for _, s in answers):
        askers.append(threading.Thread(target=ask, daemon=True))
        askers[-1].start()
        time.sleep(0.1)
    for asker in askers:
        asker.join()
    return min((sent for sent, s in answers if s == status), default=float("inf"))


def editor_publishes_and_unpublishes(cluster: Cluster, results: dict) -> None:
    """Approve and publish the story in review, then unpublish it, timing what readers see."""
    from articles.models import Article
    from articles.moderation import workflow

    story = Article.objects.get(status=Article.Status.IN_REVIEW)
    url = cluster.site + story.get_absolute_url()
    results["before publication"] = status_of(url)
    story = workflow.take("approve", story, by=None)
    story = workflow.take("publish", story, by=None)
    results["seen published after"] = seen_after(url, 200)
    # Long enough for the nodes to have drawn every page again for the publication (seconds,
    # at this load on two cores), so the unpublication is timed on its own, not behind it.
    time.sleep(10)
    workflow.take("unpublish", story, by=None, note="Cluster scenario: taken down.")
    results["seen unpublished after"] = seen_after(url, 404)


def schedule_while_worker_is_down(results: dict, delay: float):
    """With no worker running, resubmit the story sent back for changes and schedule it for
    `delay` seconds from now: its writer's email waits, and so does its publication."""
    from django.utils import timezone

    from articles.models import Article
    from articles.moderation import workflow

    story = Article.objects.get(status=Article.Status.CHANGES_REQUESTED)
    story = workflow.take("submit", story, by=None, actor_name="Cluster scenario")
    when = timezone.now() + timedelta(seconds=delay)
    story = workflow.take("schedule", story, by=None, when=when)
    results["scheduled for"] = when.isoformat()
    return story, when


def tasks_waiting() -> int:
    """Tasks due now that the worker has not finished."""
    from django_tasks_db.models import DBTaskResult

    return (DBTaskResult.objects.ready() | DBTaskResult.objects.running()).count()


def tasks_left_after(seconds: float) -> int:
    """Wait up to `seconds` for the worker to finish what is due: how many tasks are left."""
    deadline = time.monotonic() + seconds
    while tasks_waiting() and time.monotonic() < deadline:
        time.sleep(0.5)
    return tasks_waiting()


def mail_check(smtp: SMTPServer) -> dict:
    """Every message the worker sent, against what the mail server got: each exactly once."""
    from django_tasks_db.models import DBTaskResult

    sent = Counter()
    for result in DBTaskResult.objects.successful().filter(task_path="newsroom.mail.send_message"):
        message = result.args_kwargs["args"][1]
        sent[
            (message["subject"], tuple(sorted(message["to"] + message["cc"] + message["bcc"])))
        ] += 1
    received = Counter()
    for recipients, text in smtp.received:
        subject = email.message_from_string(text, policy=email.policy.default)["subject"]
        received[(str(subject), tuple(sorted(recipients)))] += 1
    return {
        "sent": sum(sent.values()),
        "received": sum(received.values()),
        "lost": sum((sent - received).values()),
        "duplicated": sum((received - sent).values())
        + sum(n - 1 for n in received.values() if n > 1),
    }


def scenario(cluster: Cluster, script: Path, seconds: int, connections: int) -> dict:
    from articles.models import ArticleEvent

    results: dict = {"seconds": seconds, "connections": connections}
    lag = ReplicaLag(cluster.primary)
    lag.start()
    before = replica_transactions(cluster.replica)
    wrk = subprocess.Popen(readers(cluster, script, seconds, connections),
                           stdout=subprocess.PIPE, text=True)  # fmt: skip
    started = time.monotonic()
    bar = progress_bar(sys.stderr, total=seconds, unit="s", description="scenario")
    ticking = threading.Event()

    def tick():
        while not ticking.wait(1) and bar.n < seconds:
            bar.update(1)

    threading.Thread(target=tick, daemon=True).start()

    def at(fraction: float) -> None:
        time.sleep(max(0.0, started + fraction * seconds - time.monotonic()))

    def event(message: str) -> None:
        bar.write(f"cluster: {time.monotonic() - started:5.1f} s  {message}", file=sys.stdout)

    at(0.03)
    editor_publishes_and_unpublishes(cluster, results)
    event(f"published: readers saw it after {results['seen published after']:.2f} s; "
          f"unpublished: gone after {results['seen unpublished after']:.2f} s")  # fmt: skip
    at(0.3)
    cluster.kill("node1")
    event("node1 killed")
    at(0.35)
    cluster.kill("worker")
    story, when = schedule_while_worker_is_down(results, delay=0.1 * seconds)
    event(f"worker killed; a story scheduled for {when:%H:%M:%S}")
    at(0.5)
    results["tasks waiting at restart"] = tasks_waiting()
    cluster.start_worker()
    event(f"worker started again, {results['tasks waiting at restart']} tasks waiting")
    at(0.67)
    results["replica transactions"] = replica_transactions(cluster.replica) - before
    lag.done.set()
    answers = readers_while_replica_stops(cluster, seconds=min(6.0, 0.2 * seconds))
    results["after replica stop"] = {
        "answers": len(answers),
        "not 200": sum(status != 200 for status, _ in answers),
        "statuses": Counter(status for status, _ in answers),
        "slowest seconds": max(took for _, took in answers),
    }
    event(f"replica stopped: {len(answers)} uncached reader pages, "
          f"{results['after replica stop']['not 200']} not 200, slowest "
          f"{results['after replica stop']['slowest seconds']:.2f} s")  # fmt: skip
    results["load"] = wrk_numbers(wrk.communicate()[0])
    ticking.set()
    bar.close()
    results["replica lag"] = {
        "max seconds": max((s for s, _ in lag.samples), default=None),
        "max bytes": max((b for _, b in lag.samples), default=None),
        "samples": len(lag.samples),
    }
    results["tasks waiting at the end"] = tasks_left_after(30)
    results["mail"] = mail_check(cluster.smtp)
    publications = ArticleEvent.objects.filter(article=story, action="publish").order_by(
        "created_at"
    )
    results["scheduled publications"] = len(publications)
    results["scheduled published on time"] = all(event.created_at >= when for event in publications)
    return results


def failures(results: dict) -> list[str]:
    found = []
    load = results["load"]
    if load["non_2xx"] or load["socket_errors"]:
        found.append(f"load: {describe(load)}")
    for key in ("seen published after", "seen unpublished after"):
        if results[key] > MAX_VISIBILITY_SECONDS:
            found.append(f"{key} {results[key]:.2f} s (at most {MAX_VISIBILITY_SECONDS})")
    stop = results["after replica stop"]
    if stop["not 200"] or stop["slowest seconds"] > MAX_FAILOVER_SECONDS:
        found.append(f"after the replica stopped: {stop}")
    if results["replica transactions"] <= 0:
        found.append("the replica served no reader")
    mail = results["mail"]
    if mail["lost"] or mail["duplicated"] or results["tasks waiting at the end"]:
        found.append(f"mail: {mail}, {results['tasks waiting at the end']} tasks still waiting")
    if results["scheduled publications"] != 1 or not results["scheduled published on time"]:
        found.append(f"the scheduled story was published {results['scheduled publications']} times")
    return found


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60, help="the scenario's load")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--stories", type=int, default=300, help="generated stories")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per node")
    parser.add_argument(
        "--compare", type=int, default=0, metavar="SECONDS",
        help="first, load on 1 node, 2 nodes and 2 nodes + replica, this long each",
    )  # fmt: skip
    parser.add_argument("--soak-minutes", type=int, default=0)
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--logs", type=Path, help="keep every process's log in this folder")
    return parser.parse_args()


def main() -> int:
    args = arguments()
    if problem := missing_tools():
        sys.exit(f"cluster: cannot start: {problem}")
    cluster = Cluster(args.workers)
    # SIGTERM (a test's timeout, a CI job stopped) stops the cluster too, as Ctrl+C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("cluster: stopped (SIGTERM)"))
    results: dict = {"folder": str(cluster.folder)}
    try:
        cluster.start(args.stories)
        os.environ.update(cluster.environment(replica=True))
        import django

        django.setup()
        script = mix_for(cluster)
        # The demo's own background work done first: each search entry and set of picture
        # copies it refreshes makes the nodes draw every page again (13 times in its first
        # 10 s), which would weigh on whatever is measured first.
        say(f"demo's background work: {tasks_left_after(120)} tasks left")
        if args.compare:
            results["compare"] = compare(cluster, script, args.compare, args.connections)
        if args.soak_minutes:
            results["soak"] = soak(cluster, script, args.soak_minutes)
        # A site readers already use, every page drawn once and in nginx's cache, so that the
        # publication below is timed on a running site, not behind the start of a new one.
        say(f"warm-up: {describe(load(cluster, script, WARM_UP_SECONDS, args.connections))}")
        results.update(scenario(cluster, script, args.seconds, args.connections))
    finally:
        results["ports"] = {
            **cluster.ports,
            **{f"postgresql {d.port}": d.port for d in cluster.databases},
            "s3": cluster.s3 and int(cluster.s3.endpoint.rsplit(":", 1)[1]),
            "smtp": cluster.smtp and cluster.smtp.port,
        }
        cluster.stop(keep_logs=args.logs)
        say("stopped everything it started")
    say(f"load: {describe(results['load'])}")
    say(f"replica lag: {results['replica lag']}")
    say(f"replica: {results['replica transactions']} transactions during the scenario")
    say(f"mail: {results['mail']}")
    results["failures"] = failures(results)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))
    for failure in results["failures"]:
        say(f"FAILED: {failure}")
    if not results["failures"]:
        say("passed")
    return 1 if results["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
