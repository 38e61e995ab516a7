"""A poolmail server for tests: `poolmail serve` in a subprocess on a free loopback port, or
one already running; its admin API called with the standard library only."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from poolmail.testing.errors import PoolmailError, ServerStartError

if TYPE_CHECKING:
    import urllib.request

READY_PREFIX = "poolmail ready on "
DEFAULT_REGION = "us-east-1"
# Any key that is not 12 digits acts as the server's default account (123456789012).
TEST_ACCESS_KEY = "test"
TEST_SECRET_KEY = "test"
STOP_SECONDS = 15.0
# botocore session variables (config name, env variables, default, conversion) that keep
# the helpers' clients away from the developer's AWS configuration.
ISOLATED_SESSION = {
    "profile": (None, None, None, None),
    "config_file": (None, None, os.devnull, None),
    "credentials_file": (None, None, os.devnull, None),
}

Params = Mapping[str, str | float | int | None]


class PoolmailServer:
    """A running server: `url`, `reset()`, `client()`, and `call()` for the admin API.

    `start()` launches one (stopped by `stop()`); `connect()` uses one already running.
    """

    def __init__(
        self,
        url: str,
        *,
        admin_token: str | None = None,
        region: str = DEFAULT_REGION,
        process: subprocess.Popen[bytes] | None = None,
        log_path: Path | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.admin_token = admin_token
        self.region = region
        self.process = process
        self.log_path = log_path
        self._opener: urllib.request.OpenerDirector | None = None
        self._session: Any = None

    @classmethod
    def start(
        cls,
        data_dir: Path,
        args: Sequence[str] = (),
        *,
        timeout: float = 20.0,
        admin_token: str | None = None,
        region: str = DEFAULT_REGION,
    ) -> PoolmailServer:
        """`poolmail serve` on a free loopback port with its SQLite state in `data_dir`;
        `args` come last, so they override these defaults. The server's output goes to
        `data_dir/server.log`. Its environment has no `POOLMAIL_*` variable: the options
        given here configure it, not a developer's shell settings for their own server."""
        data_dir.mkdir(parents=True, exist_ok=True)
        log_path = data_dir / "server.log"
        command = [
            sys.executable,
            "-m",
            "poolmail",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--data-dir",
            str(data_dir),
            *args,
        ]
        env = {
            name: value for name, value in os.environ.items() if not name.startswith("POOLMAIL_")
        }
        with log_path.open("wb") as log:  # the server writes to its own copy
            process = subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env
            )
        try:
            url = _await_ready(process, command, log_path, timeout)
        except BaseException:
            _end(process)
            raise
        server = cls(
            url,
            admin_token=admin_token or _token_in(args),
            region=region,
            process=process,
            log_path=log_path,
        )
        return server

    @classmethod
    def connect(
        cls, url: str, *, admin_token: str | None = None, region: str = DEFAULT_REGION
    ) -> PoolmailServer:
        """A server started elsewhere; its health endpoint must answer."""
        server = cls(url, admin_token=admin_token, region=region)
        server.health()
        return server

    def stop(self) -> int | None:
        """Stop a server that `start()` launched (SIGTERM, then kill after 15 s); its exit
        code. A connected server is left running."""
        code = None
        if self.process is not None:
            code = _end(self.process)
            self.process = None
        return code

    def log(self) -> str:
        """What a started server printed so far (empty for a connected one)."""
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")

    def health(self) -> dict[str, Any]:
        found: dict[str, Any] = self.call("GET", "/_poolmail/health")
        return found

    def reset(self) -> None:
        """Empty all state (pools, users, identities, mail, texts) and reset the clock."""
        self.call("POST", "/_poolmail/reset")

    def client(
        self, service: str, *, region: str | None = None, account: str | None = None, **kwargs: Any
    ) -> Any:
        """A boto3 client bound to this server: test credentials (the 12-digit `account`
        as access key acts as that account), no retries unless `config=` says otherwise."""
        import boto3.session
        import botocore.session
        from botocore.config import Config

        if self._session is None:
            # Hermetic: no profile, config or credentials file of the developer's applies
            # (AWS_PROFILE naming a profile this machine lacks would fail every client).
            core = botocore.session.Session(session_vars=ISOLATED_SESSION)
            self._session = boto3.session.Session(botocore_session=core)
        kwargs.setdefault("config", Config(retries={"total_max_attempts": 1}))
        return self._session.client(
            service,
            endpoint_url=self.url,
            region_name=region or self.region,
            aws_access_key_id=account or TEST_ACCESS_KEY,
            aws_secret_access_key=TEST_SECRET_KEY,
            **kwargs,
        )

    def call(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        body: Mapping[str, Any] | None = None,
        timeout: float = 30.0,
    ) -> Any:
        """The JSON answer of an admin call; PoolmailError (with status and error code) on
        any status but 2xx."""
        status, answer = self.request(method, path, params=params, body=body, timeout=timeout)
        return checked(f"{method} {path}", status, answer)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        body: Mapping[str, Any] | None = None,
        timeout: float = 30.0,
    ) -> tuple[int, Any]:
        """(status, JSON answer or text) of an admin call, whatever the status."""
        import urllib.error
        import urllib.parse
        import urllib.request

        url = self.url + path
        given = {key: str(value) for key, value in (params or {}).items() if value is not None}
        if given:
            url += "?" + urllib.parse.urlencode(given)
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.admin_token:
            headers["X-Poolmail-Token"] = self.admin_token
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        if self._opener is None:
            # Loopback, or a server named on purpose: never through an HTTP(S)_PROXY.
            self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with self._opener.open(request, timeout=timeout) as response:
                return response.status, _decoded(response.read())
        except urllib.error.HTTPError as error:
            with error:
                return error.code, _decoded(error.read())
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise PoolmailError(f"cannot reach poolmail at {self.url}: {reason}") from error

    def __repr__(self) -> str:
        return f"PoolmailServer({self.url!r})"


def checked(what: str, status: int, answer: Any) -> Any:
    """`answer`, or PoolmailError with the admin API's error code and message."""
    if status < 300:
        return answer
    code = answer.get("error") if isinstance(answer, dict) else None
    message = answer.get("message") if isinstance(answer, dict) else answer
    raise PoolmailError(f"{what} answered {status}: {message or code}", status=status, code=code)


def _decoded(data: bytes) -> Any:
    text = data.decode("utf-8", errors="replace")
    try:
        return json.loads(text) if text else None
    except ValueError:
        return text


def _end(process: subprocess.Popen[bytes]) -> int:
    """Stop a server process: SIGTERM (a clean shutdown), then kill after 15 s."""
    if process.poll() is None:
        process.terminate()
    try:
        return process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


def _await_ready(
    process: subprocess.Popen[bytes], command: Sequence[str], log_path: Path, timeout: float
) -> str:
    """The URL from the server's ready line; ServerStartError with its log if it exits or
    stays silent past `timeout`. Reads the log file rather than a pipe: nothing has to
    drain the server's output afterwards, and it works the same on every platform."""
    deadline = time.monotonic() + timeout
    while True:
        for line in log_path.read_text(errors="replace").splitlines():
            if line.startswith(READY_PREFIX):
                return line[len(READY_PREFIX) :].strip()
        exited = process.poll()
        if exited is not None or time.monotonic() >= deadline:
            why = (
                f"exited with code {exited}"
                if exited is not None
                else f"not ready in {timeout:g} s"
            )
            output = log_path.read_text(errors="replace").strip() or "(no output)"
            raise ServerStartError(
                f"`poolmail {' '.join(command[3:])}` {why}\n"
                f"--- its output ({log_path}) ---\n{output}"
            )
        time.sleep(0.02)


def _token_in(args: Sequence[str]) -> str | None:
    """The `--admin-token` among serve arguments, so admin calls carry it too."""
    for position, arg in enumerate(args):
        if arg == "--admin-token" and position + 1 < len(args):
            return args[position + 1]
        if arg.startswith("--admin-token="):
            return arg.partition("=")[2]
    return None
