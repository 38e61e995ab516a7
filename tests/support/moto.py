"""moto's server in a subprocess on a free loopback port: the other AWS services (CloudWatch
Logs, S3, Firehose, ...) that poolmail delivers to through `--aws-endpoint-url`.

The fixtures here (registered by tests/conftest.py): `moto`, one server per test process
(per xdist worker) for the whole session, and `moto_server`, poolmail delivering to it, on
each store. moto is never reset: every test names its topics, queues, buckets, log groups
and keys uniquely (`unique`), so tests sharing it cannot see each other's resources."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import httpx
import pytest

from tests.support.server import BACKENDS, ServerPool, ServerProcess

# What a poolmail server delivering to moto needs in its environment: boto3's credential
# chain must find some keys; moto accepts any.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def wait_for(check: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def unique(prefix: str) -> str:
    """A resource name no other test of the session uses (moto is shared, never reset)."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Moto:
    """moto's server in a subprocess on a loopback port."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Moto:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

        def answers() -> bool:
            try:
                return httpx.get(f"{self.url}/moto-api/", timeout=1).status_code < 500
            except httpx.HTTPError:
                return False

        if not wait_for(answers, 30):
            self.stop()
            raise RuntimeError("moto's server did not start")
        return self

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=15)
            self.process = None

    def logs(self) -> Any:
        return self.client("logs")

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )


@pytest.fixture(scope="session")
def moto() -> Iterator[Moto]:
    """moto's server of this test process, shared by every test that delivers to it."""
    running = Moto(free_port()).start()
    yield running
    running.stop()


@pytest.fixture(params=BACKENDS)
def moto_server(request: pytest.FixtureRequest, servers: ServerPool, moto: Moto) -> ServerProcess:
    """poolmail delivering every other AWS service to `moto`, one per store for the session
    (shared by the modules that need nothing else), reset for each test."""
    server = servers.get(request.param, ["--aws-endpoint-url", moto.url], env=CREDENTIALS)
    server.reset()
    return server
