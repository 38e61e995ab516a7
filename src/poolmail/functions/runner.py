"""The embedded runner: the functions of a `--functions` file, each run by a small pool of
warm worker processes (worker.py), with Lambda's timeout, environment and log lines.

Pools are process state, keyed by the file and created at first use; `shutdown()` stops
every worker (the server's lifespan calls it, and atexit does for any other user).
"""

from __future__ import annotations

import atexit
import datetime as dt
import functools
import math
import os
import secrets
import shutil
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from poolmail.functions.config import FunctionSpec, load_functions
from poolmail.functions.worker import Worker, WorkerDied

# Workers per function (and region and account): concurrent calls beyond this wait.
MAX_WORKERS = 4
# How long a worker may take to load its handler (Lambda's init phase is limited to 10 s).
INIT_LIMIT = 10.0
_BOOTSTRAP = Path(__file__).parent / "bootstrap"
# Never part of a code directory's signature: dependencies (too many files to stat on
# every call) and what interpreters write themselves.
_SKIPPED_DIRECTORIES = {"node_modules", "__pycache__", ".git"}


@dataclass(slots=True)
class Outcome:
    """What one embedded invocation gave: a result, a function error (errorType,
    errorMessage), or no answer within the caller's deadline (``caller_timeout``)."""

    result: Any = None
    error: tuple[str, str] | None = None
    caller_timeout: bool = False
    log: str = ""


def runtime_command(spec: FunctionSpec) -> list[str] | None:
    """The interpreter and bootstrap for the function's runtime; None when the runtime's
    program is not on PATH."""
    if spec.language == "python":
        return [_python(), "-u", str(_BOOTSTRAP / "python_worker.py")]
    node = shutil.which("node")
    return None if node is None else [node, str(_BOOTSTRAP / "node_worker.mjs")]


@functools.cache
def _python() -> str:
    """Choice: the `python3` on PATH, as close to Lambda's runtime as this machine has;
    poolmail's own interpreter only where there is none. Resolved once to the interpreter
    itself, so that a version manager's shim does not slow every worker's start."""
    found = shutil.which("python3")
    if found is None:
        return sys.executable
    try:
        answer = subprocess.run(
            [found, "-c", "import sys; print(sys.executable)"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return found
    real = answer.stdout.strip()
    return real if real and os.access(real, os.X_OK) else found


def code_signature(code: Path) -> tuple[tuple[str, int, int], ...]:
    """Names, sizes and modification times of the code directory's files: a change to any
    restarts the function's workers before the next call."""
    entries: list[tuple[str, int, int]] = []
    pending = [str(code)]
    while pending:
        try:
            scan = os.scandir(pending.pop())
        except OSError:
            continue
        with scan:
            for entry in scan:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in _SKIPPED_DIRECTORIES:
                        pending.append(entry.path)
                    continue
                try:
                    info = entry.stat()
                except OSError:
                    continue
                entries.append((entry.path, info.st_size, info.st_mtime_ns))
    entries.sort()
    return tuple(entries)


class FunctionPool:
    """The warm workers of one function in one region and account."""

    def __init__(self, spec: FunctionSpec, region: str, account: str) -> None:
        self.spec = spec
        self.region = region
        self.account = account
        self._idle: list[Worker] = []
        # Every live worker, busy ones too, so that closing stops them all.
        self._all: set[Worker] = set()
        self._count = 0
        self._signature: object = None
        self._closed = False
        self._changed = threading.Condition()

    def acquire(self, until: float) -> Worker | None:
        """An idle worker of the current code, or None when the caller should start one
        (a place is reserved for it); waits for one to come free, up to ``until``
        (monotonic), and raises TimeoutError past it."""
        signature = code_signature(self.spec.code)
        stale: list[Worker] = []
        with self._changed:
            if signature != self._signature:
                self._signature = signature
                stale, self._idle = self._idle, []
                self._count -= len(stale)
                self._all.difference_update(stale)
            try:
                while True:
                    if self._closed:
                        raise WorkerDied
                    if self._idle:
                        return self._idle.pop()
                    if self._count < MAX_WORKERS:
                        self._count += 1
                        return None
                    left = until - time.monotonic()
                    if left <= 0:
                        raise TimeoutError
                    self._changed.wait(left)
            finally:
                for worker in stale:
                    worker.stop()

    def release(self, worker: Worker | None, *, healthy: bool) -> None:
        """Give back the worker (or the place reserved for one): kept warm when healthy and
        of the current code, stopped otherwise."""
        with self._changed:
            keep = (
                worker is not None
                and healthy
                and not self._closed
                and worker.signature == self._signature
                and worker.alive()
            )
            if keep and worker is not None:
                self._idle.append(worker)
            else:
                self._count -= 1
                if worker is not None:
                    self._all.discard(worker)
            self._changed.notify()
        if worker is not None and not keep:
            worker.stop()

    def adopt(self, worker: Worker) -> None:
        with self._changed:
            self._all.add(worker)
            if self._closed:
                worker.kill()

    @property
    def signature(self) -> object:
        return self._signature

    def close(self) -> None:
        """Stop the idle workers, and kill the busy ones (their callers clean up)."""
        with self._changed:
            self._closed = True
            idle, self._idle = self._idle, []
            self._count -= len(idle)
            busy = self._all - set(idle)
            self._all.clear()
            self._changed.notify_all()
        for worker in idle:
            worker.stop()
        for worker in busy:
            worker.kill()


class Runner:
    """The functions of one `--functions` file and their pools."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.specs = load_functions(path)
        self._pools: dict[tuple[str, str, str], FunctionPool] = {}
        self._lock = threading.Lock()
        # Workers left finishing an invocation whose caller stopped waiting.
        self._lingering: set[threading.Thread] = set()

    def pool(self, name: str, region: str, account: str) -> FunctionPool:
        with self._lock:
            key = (name, region, account)
            if key not in self._pools:
                self._pools[key] = FunctionPool(self.specs[name], region, account)
            return self._pools[key]

    def close(self) -> None:
        with self._lock:
            pools = list(self._pools.values())
            self._pools.clear()
        for pool in pools:
            pool.close()

    def invoke(
        self,
        pool: FunctionPool,
        arn: str,
        request_id: str,
        event: Any,
        deadline: float,
        endpoints: dict[str, str],
    ) -> Outcome:
        """Run the function once; never raises for the function's own failures."""
        spec = pool.spec
        started = time.monotonic()
        caller_until = started + deadline
        try:
            worker = pool.acquire(caller_until)
        except TimeoutError:
            return Outcome(caller_timeout=True)
        except WorkerDied:
            return Outcome(error=("Runtime.ExitError", "poolmail is stopping"))
        prefix = ""
        if worker is None:
            worker, failure, prefix = self._start(pool, endpoints, caller_until)
            if worker is None:
                pool.release(None, healthy=False)
                if failure is None:
                    return Outcome(caller_timeout=True, log=prefix)
                return Outcome(error=failure, log=_lambda_log(request_id, spec, prefix, "", ""))
        init_ms, worker.init_ms = worker.init_ms, None
        called = time.monotonic()
        function_until = called + spec.timeout
        request = {
            "event": event,
            "deadline_ms": time.time() * 1000 + spec.timeout * 1000,
            "context": _context(spec, pool, arn, request_id, worker),
        }
        try:
            answer = worker.exchange(request, min(function_until, caller_until) - called)
        except WorkerDied:
            output = worker.take_log()
            code = worker.process.wait()
            pool.release(worker, healthy=False)
            message = (
                f"RequestId: {request_id} Error: Runtime exited with error: exit status {code}"
            )
            report = _report(request_id, spec, called, worker, init_ms, "error")
            return Outcome(
                error=("Runtime.ExitError", message),
                log=_lambda_log(request_id, spec, prefix, output, report),
            )
        if answer is None and time.monotonic() < function_until - 0.001:
            # The caller stops waiting; the function goes on to its own end, as on Lambda.
            self._linger(pool, worker, function_until)
            return Outcome(caller_timeout=True, log=prefix + worker.take_log())
        output = worker.take_log()
        if answer is None:
            pool.release(worker, healthy=False)
            elapsed = time.monotonic() - called
            stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            message = f"{stamp} {request_id} Task timed out after {elapsed:.2f} seconds"
            report = _report(request_id, spec, called, None, init_ms, "timeout")
            return Outcome(
                error=("Sandbox.Timedout", message),
                log=_lambda_log(request_id, spec, prefix, output + message + "\n", report),
            )
        report = _report(request_id, spec, called, worker, init_ms, None)
        pool.release(worker, healthy=True)
        log = _lambda_log(request_id, spec, prefix, output, report)
        if "error" in answer:
            error = answer["error"]
            return Outcome(error=(str(error["errorType"]), str(error["errorMessage"])), log=log)
        return Outcome(result=answer.get("result"), log=log)

    def _start(
        self, pool: FunctionPool, endpoints: dict[str, str], until: float
    ) -> tuple[Worker | None, tuple[str, str] | None, str]:
        """A new worker with its handler loaded; or None with the function's init error
        (None when the caller's deadline passed first), and what it printed."""
        spec = pool.spec
        command = runtime_command(spec)
        if command is None:
            return None, ("Runtime.InvalidRuntime", f"{spec.runtime}: no node on PATH"), ""
        environment = _environment(spec, pool, endpoints)
        worker = Worker(command, spec.code, spec.handler, environment, pool.signature)
        worker.log_stream = environment["AWS_LAMBDA_LOG_STREAM_NAME"]
        limit = min(INIT_LIMIT, until - time.monotonic())
        try:
            ready = worker.exchange(None, max(limit, 0))
        except WorkerDied:
            output = worker.take_log()
            code = worker.process.wait()
            worker.stop()
            message = f"Runtime exited with error: exit status {code}"
            return None, ("Runtime.ExitError", message), output
        output = worker.take_log()
        if ready is None:
            worker.stop()
            if time.monotonic() >= until:
                return None, None, output
            return None, ("Runtime.InitTimeout", "Init phase timed out"), output
        if not ready.get("ready"):
            worker.stop()
            error = ready["error"]
            return None, (str(error["errorType"]), str(error["errorMessage"])), output
        worker.init_ms = (time.monotonic() - worker.started) * 1000
        pool.adopt(worker)
        return worker, None, output

    def _linger(self, pool: FunctionPool, worker: Worker, until: float) -> None:
        def finish() -> None:
            try:
                answer = worker.exchange(None, max(until - time.monotonic(), 0))
            except WorkerDied:
                answer = None
            worker.take_log()
            pool.release(worker, healthy=answer is not None)
            self._lingering.discard(thread)

        thread = threading.Thread(target=finish, name="poolmail-function", daemon=True)
        self._lingering.add(thread)
        thread.start()


def _context(
    spec: FunctionSpec, pool: FunctionPool, arn: str, request_id: str, worker: Worker
) -> dict[str, str]:
    return {
        "aws_request_id": request_id,
        "function_name": spec.name,
        "function_version": "$LATEST",
        "invoked_function_arn": arn,
        "memory_limit_in_mb": str(spec.memory),
        "log_group_name": f"/aws/lambda/{spec.name}",
        "log_stream_name": worker.log_stream,
    }


def _environment(
    spec: FunctionSpec, pool: FunctionPool, endpoints: dict[str, str]
) -> dict[str, str]:
    """The server's environment without poolmail's own settings, then Lambda's reserved
    variables, then the endpoints (see docs/functions.md), then the function's own."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("POOLMAIL_")}
    stream = f"{dt.datetime.now(dt.UTC):%Y/%m/%d}/[$LATEST]{secrets.token_hex(16)}"
    environment.update(
        {
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": stream,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_REGION": pool.region,
            "AWS_DEFAULT_REGION": pool.region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "LAMBDA_TASK_ROOT": str(spec.code),
            "_HANDLER": spec.handler,
            "TZ": ":UTC",
            # Interpreters writing caches into the code directory would look like changes.
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    if "AWS_ACCESS_KEY_ID" not in os.environ:
        # Choice: a 12-digit access key selects that account on poolmail (DESIGN.md), so a
        # function calling back acts in the account it belongs to.
        environment["AWS_ACCESS_KEY_ID"] = pool.account
        environment["AWS_SECRET_ACCESS_KEY"] = "poolmail"
        environment.pop("AWS_SESSION_TOKEN", None)
    environment.update(endpoints)
    environment.update(spec.environment)
    return environment


def _report(
    request_id: str,
    spec: FunctionSpec,
    called: float,
    worker: Worker | None,
    init_ms: float | None,
    status: str | None,
) -> str:
    duration = (time.monotonic() - called) * 1000
    parts = [
        f"REPORT RequestId: {request_id}",
        f"Duration: {duration:.2f} ms",
        f"Billed Duration: {math.ceil(duration)} ms",
        f"Memory Size: {spec.memory} MB",
    ]
    used = worker.max_memory_mb() if worker is not None else None
    if used is not None:
        parts.append(f"Max Memory Used: {used} MB")
    if init_ms is not None:
        parts.append(f"Init Duration: {init_ms:.2f} ms")
    if status is not None:
        parts.append(f"Status: {status}")
    return "\t".join(parts)


def _lambda_log(request_id: str, spec: FunctionSpec, init: str, output: str, report: str) -> str:
    """The invocation's log as CloudWatch shows Lambda's: what init printed, START, what
    the handler printed, END and REPORT."""
    lines = [init.rstrip("\n")] if init else []
    lines.append(f"START RequestId: {request_id} Version: $LATEST")
    if output:
        lines.append(output.rstrip("\n"))
    lines.append(f"END RequestId: {request_id}")
    if report:
        lines.append(report)
    return "\n".join(lines) + "\n"


def new_request_id() -> str:
    return str(uuid.uuid4())


_runners: dict[str, Runner] = {}
_runners_lock = threading.Lock()


def runner_for(path: str) -> Runner:
    """The runner of a `--functions` file, made at first use."""
    with _runners_lock:
        runner = _runners.get(path)
        if runner is None:
            runner = _runners[path] = Runner(path)
        return runner


def shutdown() -> None:
    """Stop every worker of every runner (server stop)."""
    with _runners_lock:
        runners = list(_runners.values())
        _runners.clear()
    for runner in runners:
        runner.close()


atexit.register(shutdown)
