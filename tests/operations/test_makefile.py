"""The Makefile's demo target, read with `make -n` (what it would run, without running it)."""

import shutil
import subprocess
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(not shutil.which("make"), reason="make is not installed")


def demo_commands(*variables: str, env: dict | None = None) -> list[str]:
    result = subprocess.run(
        ["make", "-n", "demo", *variables],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    return [line for line in result.stdout.splitlines() if "manage.py" in line]


def test_demo_on_another_port_gives_its_own_address_to_the_site():
    # Email links and robots.txt read SITE_URL; the printed links default to it.
    load, worker, serve = [line for line in demo_commands("PORT=58000") if "migrate" not in line]
    assert "SITE_URL='http://127.0.0.1:58000'" in load and "load_demo" in load
    assert "SITE_URL='http://127.0.0.1:58000'" in worker  # webhooks link to the stories
    assert "SITE_URL='http://127.0.0.1:58000'" in serve
    assert serve.endswith("runserver 127.0.0.1:58000")


def test_demo_keeps_a_site_address_set_in_the_environment():
    env = {"PATH": "/usr/bin:/bin", "SITE_URL": "https://demo.example.org"}
    serve = demo_commands(env=env)[-1]
    assert "SITE_URL='https://demo.example.org'" in serve


def test_demo_runs_the_task_worker_beside_the_dev_server_and_stops_it_with_it():
    recipe = subprocess.run(
        ["make", "-n", "demo"], cwd=PROJECT, capture_output=True, text=True, check=True
    ).stdout
    assert "manage.py run_worker & worker=$!" in recipe
    assert "trap 'kill $worker 2>/dev/null' EXIT INT TERM" in recipe
