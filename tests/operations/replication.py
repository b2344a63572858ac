"""A PostgreSQL primary and its streaming replica, of their own, on 127.0.0.1: started from
Debian's PostgreSQL binaries (initdb, pg_basebackup, pg_ctl) in folders of their own, and
removed when stopped."""

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

BINARIES = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)), None)
MISSING = (
    "PostgreSQL's server binaries are not here (apt-get install -y postgresql)"
    if BINARIES is None or not (BINARIES / "pg_basebackup").exists()
    else ""
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def as_owner(*command) -> list[str]:
    """PostgreSQL refuses to run as root: run its tools as the postgres user instead."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *map(str, command)]
    return [str(part) for part in command]


def run(*command) -> None:
    subprocess.run(as_owner(*command), check=True, capture_output=True, text=True)


class Server:
    def __init__(self, folder: Path, port: int):
        self.folder, self.port = folder, port

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
        run(BINARIES / "pg_ctl", "-D", self.folder / "data", "-o", options,
            "-l", self.folder / "log", "-w", "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        run(BINARIES / "pg_ctl", "-D", self.folder / "data", "-m", mode, "-w", "stop")


def owned_folder() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="newsroom-pg-"))
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(folder, owner.pw_uid, owner.pw_gid)
    return folder


def start_primary() -> Server:
    primary = Server(owned_folder(), free_port())
    # initdb's pg_hba.conf with trust lets 127.0.0.1 connect and replicate.
    run(BINARIES / "initdb", "-D", primary.folder / "data", "-U", "postgres", "--auth=trust")
    primary.start()
    return primary


def start_replica(primary: Server) -> Server:
    replica = Server(owned_folder(), free_port())
    # -R writes the standby's settings: it follows the primary from the copy on. A fast
    # checkpoint: the default spreads it over minutes.
    try:
        run(BINARIES / "pg_basebackup", "-h", "127.0.0.1", "-p", primary.port, "-U", "postgres",
            "-D", replica.folder / "data", "-R", "-X", "stream", "--checkpoint=fast")  # fmt: skip
        replica.start()
    except BaseException:  # a failed copy, or Ctrl+C during it: leave no folder behind
        remove(replica)
        raise
    return replica


def wait_until_streaming(replica: Server, seconds: float = 30) -> None:
    """Wait until the replica (just started) streams from its primary again."""
    import psycopg

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with psycopg.connect(replica.url, autocommit=True) as connection:
                row = connection.execute("SELECT status FROM pg_stat_wal_receiver").fetchone()
            if row and row[0] == "streaming":
                return
        except psycopg.OperationalError:
            pass  # still starting
        time.sleep(0.1)
    raise AssertionError(f"the replica on {replica.port} did not stream within {seconds} s")


def remove(*servers: Server) -> None:
    for server in servers:
        try:
            server.stop("immediate")
        except subprocess.CalledProcessError:
            pass  # stopped already
        shutil.rmtree(server.folder, ignore_errors=True)
