"""A real S3-protocol server on 127.0.0.1 (moto's standalone server), for tests and demos.

    server = start_s3_server()
    bucket = server.create_bucket()  # or create_bucket(server.endpoint, "media")
    environment = server.environment(bucket)  # MEDIA_STORAGE_URL and the keys, for a process
    ...
    server.stop()

Nothing here needs Django: bench/ starts it for a cluster of app nodes too.
"""

import importlib.util
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field

import boto3
from botocore.exceptions import BotoCoreError, ClientError

# moto takes any keys (until refuse_keys()); these only stop boto3 looking for real ones
# (~/.aws, the environment).
ACCESS_KEY = "newsroom-test"
SECRET_KEY = "newsroom-test-secret"  # nosec B105: moto's server checks no signature
REGION = "us-east-1"


def moto_missing() -> str:
    """Return why the server cannot start here, or "" when it can."""
    if importlib.util.find_spec("moto") is None:
        return "moto is not installed (pip install -e '.[dev]' brings moto[server])"
    return ""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def client(endpoint: str):
    """Return a boto3 S3 client for the server at endpoint."""
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )


def create_bucket(endpoint: str, name: str = "", *, public_read: bool = True) -> str:
    """Create an empty bucket (a new random name unless one is given); return its name.

    public_read: anyone may GET its objects, as a production bucket's policy allows, so that
    nginx can serve MEDIA_URL from it without keys (`proxy_pass ENDPOINT/BUCKET/;`).
    """
    name = name or f"newsroom-{uuid.uuid4().hex[:12]}"
    s3 = client(endpoint)
    s3.create_bucket(Bucket=name)
    if public_read:
        s3.put_bucket_policy(Bucket=name, Policy=json.dumps(public_read_policy(name)))
    return name


def public_read_policy(bucket: str) -> dict:
    """Return the bucket policy that lets anyone read, and only read, the bucket's objects."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ],
    }


@dataclass
class S3Server:
    endpoint: str  # http://127.0.0.1:PORT
    process: subprocess.Popen = field(repr=False)

    def client(self):
        """Return a boto3 S3 client for this server."""
        return client(self.endpoint)

    def create_bucket(self, name: str = "", *, public_read: bool = True) -> str:
        """Create an empty bucket; see create_bucket()."""
        return create_bucket(self.endpoint, name, public_read=public_read)

    def storage_url(self, bucket: str) -> str:
        """Return MEDIA_STORAGE_URL for a bucket on this server."""
        return f"s3://{bucket}?endpoint_url={self.endpoint}&region={REGION}"

    def environment(self, bucket: str) -> dict[str, str]:
        """Return the variables that point a Newsroom process's media at a bucket here."""
        return {
            "MEDIA_STORAGE_URL": self.storage_url(bucket),
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        }

    @contextmanager
    def refusing_keys(self):
        """Within the block, the server checks keys as AWS does, and refuses ours: it knows no
        user with them, as S3 knows no user with keys revoked or mistyped."""
        self.check_keys(after=0)
        try:
            yield
        finally:
            self.check_keys(after=float("inf"))

    def check_keys(self, *, after: float) -> None:
        # moto's own switch: check the keys of every request after this many more.
        request = urllib.request.Request(
            f"{self.endpoint}/moto-api/reset-auth",
            data=str(after).encode(),
            headers={"Content-Type": "text/plain"},  # read as the body, not as a form
        )
        urllib.request.urlopen(request).close()

    def stop(self) -> None:
        """Stop the server (and forget every bucket: moto keeps them in memory)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_s3_server(*, timeout: float = 30) -> S3Server:
    """Start moto's server on a free port of 127.0.0.1 and return once it answers."""
    if reason := moto_missing():
        raise RuntimeError(reason)
    port = free_port()
    # Its request log goes to a file, read only to say why it did not start: a pipe nobody
    # reads would fill up and stall the server.
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        # Its own keys and region, not whatever AWS_* this process happens to have.
        env={**os.environ, "AWS_DEFAULT_REGION": REGION},
    )
    server = S3Server(endpoint=f"http://127.0.0.1:{port}", process=process)
    deadline = time.monotonic() + timeout
    with log:
        while True:
            try:
                server.client().list_buckets()
                return server
            except (BotoCoreError, ClientError):
                if process.poll() is not None or time.monotonic() > deadline:
                    server.stop()
                    log.seek(0)
                    output = log.read().decode(errors="replace")[-2000:]
                    raise RuntimeError(
                        f"moto's S3 server did not start on port {port}:\n{output}"
                    ) from None
                time.sleep(0.1)
