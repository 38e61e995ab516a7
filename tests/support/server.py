"""Start the real `poolmail serve` in a subprocess on a free loopback port."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any

import boto3
import httpx
import pytest
from botocore.config import Config

from tests.support.postgres import fresh_database

READY_PREFIX = "poolmail ready on "
# The stores every black-box test runs against, as the ids of parametrized fixtures.
BACKENDS = [pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)]


@dataclass
class ServerProcess:
    args: list[str]
    env: dict[str, str] = field(default_factory=dict)
    python: str = sys.executable
    url: str = ""
    process: subprocess.Popen[str] | None = None
    _log: IO[str] | None = None

    def start(self, timeout: float = 60.0) -> ServerProcess:
        self._log = tempfile.TemporaryFile("w+")  # noqa: SIM115 - lives until stop()
        command = [self.python, "-m", "poolmail", "serve", "--port", "0", *self.args]
        self.process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            env={**os.environ, **self.env},
        )
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        line = self.process.stdout.readline() if ready else ""
        if not line.startswith(READY_PREFIX):
            output = self.log()
            self.stop()
            raise RuntimeError(f"server did not start: {line!r}\n{output}")
        self.url = line[len(READY_PREFIX) :].strip()
        return self

    def log(self) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        return self._log.read()

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process is None:
            return 0
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        if self._log is not None:
            self._log.close()
            self._log = None
        self.process = None
        return code

    def restart(self) -> ServerProcess:
        self.stop()
        return self.start()

    def reset(self) -> None:
        httpx.post(f"{self.url}/_poolmail/reset").raise_for_status()

    def client(
        self,
        service: str,
        *,
        region: str = "us-east-1",
        access_key: str = "AKIDPOOLMAILTEST",
        validate: bool = True,
    ) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=region,
            aws_access_key_id=access_key,
            aws_secret_access_key="secret",
            config=Config(parameter_validation=validate, retries={"total_max_attempts": 1}),
        )


@contextlib.contextmanager
def serving(
    store: str,
    options: list[str],
    *,
    env: dict[str, str] | None = None,
    data_dir: str = ":memory:",
) -> Iterator[ServerProcess]:
    """A server with ``options`` whose state is in ``store`` ("sqlite": ``data_dir``, in
    memory unless given; "postgres": a fresh database, dropped afterwards), stopped when
    the block ends. What a module needing its own options starts once per store."""
    if store == "sqlite":
        running = ServerProcess(["--data-dir", data_dir, *options], env=env or {}).start()
        try:
            yield running
        finally:
            running.stop()
        return
    with fresh_database() as url:
        running = ServerProcess(["--database-url", url, *options], env=env or {}).start()
        try:
            yield running
        finally:
            running.stop()


class ServerPool:
    """The servers of one test process (one per xdist worker), started at their first use
    and kept until the session ends, one per store, options and environment.

    A session-scoped fixture parametrized by store is torn down whenever the next test
    needs the other store, and worksteal hands a worker tests of both in any order; kept
    here instead, each server starts once per worker whatever the order."""

    def __init__(self, data_root: str) -> None:
        self.data_root = data_root
        self.running: dict[tuple[str, tuple[str, ...], tuple[tuple[str, str], ...]], ServerProcess]
        self.running = {}
        self.exits = contextlib.ExitStack()

    def get(
        self, store: str, options: list[str], env: Mapping[str, str] | None = None
    ) -> ServerProcess:
        key = (store, tuple(options), tuple(sorted((env or {}).items())))
        if key not in self.running:
            data_dir = tempfile.mkdtemp(prefix="poolmail-data-", dir=self.data_root)
            self.running[key] = self.exits.enter_context(
                serving(store, options, env=dict(env or {}), data_dir=data_dir)
            )
        return self.running[key]

    def close(self) -> None:
        self.running.clear()
        self.exits.close()
