"""Two app nodes behind nginx, as bench/nginx.conf balances them: a node killed under load
costs readers nothing, because nginx sends what it failed to the other node."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from bench.run import write_nginx_config
from tests.operations.replication import free_port

PROJECT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    not shutil.which("nginx"), reason="nginx not installed (apt-get install -y nginx-light)"
)


def wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer in {seconds} s")


def start_node(port: int, environment: dict) -> subprocess.Popen:
    command = [sys.executable, "-m", "gunicorn", "--workers", "2", "--no-control-socket",
               "--bind", f"127.0.0.1:{port}", "newsroom.wsgi"]  # fmt: skip
    return subprocess.Popen(
        command, cwd=PROJECT, env=environment, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


@pytest.fixture
def two_nodes(tmp_path):
    """Two gunicorn nodes on one database, and nginx in front; stopped at the end."""
    environment = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "newsroom.settings",
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "media"),
        "PAGE_CACHE_GENERATION_FILE": str(tmp_path / "generation"),
        "LOG_LEVEL": "WARNING",
    }
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "-v0"], ["load_demo"]):
        subprocess.run([*manage, *command], cwd=PROJECT, env=environment, check=True,
                       capture_output=True)  # fmt: skip
    ports = [free_port(), free_port()]
    nodes = [start_node(port, environment) for port in ports]
    proxy_port = free_port()
    # nginx's workers run as nobody when it is started as root: its folder must be theirs to
    # reach, which pytest's own temporary folders are not.
    run_dir = Path(tempfile.mkdtemp(prefix="newsroom-nginx-"))
    run_dir.chmod(0o755)
    config = write_nginx_config(
        run_dir,
        app_ports=ports,
        proxy_port=proxy_port,
        static_port=free_port(),
        static_root=run_dir,
    )
    nginx = subprocess.Popen(
        ["nginx", "-c", str(config), "-p", str(run_dir)],
        start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for port in (*ports, proxy_port):
            wait_for(f"http://127.0.0.1:{port}/")
        yield f"http://127.0.0.1:{proxy_port}", nodes
    finally:
        for process in (*nodes, nginx):
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait()
        shutil.rmtree(run_dir, ignore_errors=True)


def test_a_node_killed_under_load_costs_readers_nothing(two_nodes):
    site, nodes = two_nodes
    statuses, stop = [], threading.Event()

    def reader(number: int) -> None:
        count = 0
        while not stop.is_set():
            count += 1
            # A new address each time: nginx's one-second cache would answer for a dead node.
            url = f"{site}/?reader={number}&n={count}"
            try:
                with urllib.request.urlopen(url, timeout=10) as response:
                    statuses.append(response.status)
            except urllib.error.HTTPError as error:
                statuses.append(error.code)
            except OSError as error:
                statuses.append(type(error).__name__)

    readers = [threading.Thread(target=reader, args=(n,)) for n in range(8)]
    for thread in readers:
        thread.start()
    time.sleep(2)
    served_before = len(statuses)
    os.killpg(nodes[0].pid, signal.SIGKILL)  # the node and its workers, mid-request
    time.sleep(4)
    stop.set()
    for thread in readers:
        thread.join()
    assert served_before > 20
    assert len(statuses) > served_before + 20  # the other node went on serving
    assert [status for status in statuses if status != 200] == []
