"""poolmail's worker for Lambda Python runtimes: runs one function's handler, one invocation
at a time, for the parent (poolmail/functions/worker.py) over the socket whose descriptor is
argv[1]. Frames are a 4-byte big-endian length and UTF-8 JSON.

Runs under the runtime's own python3 with the standard library only; the handler's prints
go to this process's stdout/stderr, which the parent captures into the invocation's log.
"""

from __future__ import annotations

import importlib
import json
import os
import socket
import struct
import sys
import threading
import time
import traceback
from typing import Any


def _receive(channel: socket.socket) -> Any:
    header = _read_exactly(channel, 4)
    if header is None:
        return None
    body = _read_exactly(channel, struct.unpack(">I", header)[0])
    return None if body is None else json.loads(body)


def _read_exactly(channel: socket.socket, size: int) -> bytes | None:
    chunks: list[bytes] = []
    while size:
        chunk = channel.recv(min(size, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _send(channel: socket.socket, message: dict[str, Any]) -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    body = json.dumps(message).encode()
    channel.sendall(struct.pack(">I", len(body)) + body)


def _watch_parent(parent: int) -> None:
    # Without its parent, nobody will ever ask this worker for anything: go.
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(0)


class _Failure(Exception):
    def __init__(self, error_type: str, message: str, trace: list[str] | None = None) -> None:
        super().__init__(message)
        self.payload = {"errorMessage": message, "errorType": error_type, "stackTrace": trace or []}


def _load(handler: str) -> Any:
    module_name, _, function_name = handler.rpartition(".")
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as error:
        raise _Failure(
            "Runtime.ImportModuleError", f"Unable to import module '{module_name}': {error}"
        ) from None
    except SyntaxError as error:
        raise _Failure(
            "Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {error}"
        ) from None
    except Exception as error:
        raise _Failure(type(error).__name__, str(error), _trace(error)) from None
    function = getattr(module, function_name, None)
    if function is None:
        raise _Failure(
            "Runtime.HandlerNotFound",
            f"Handler '{function_name}' missing on module '{module_name}'",
        )
    return function


def _trace(error: BaseException) -> list[str]:
    return traceback.format_tb(error.__traceback__)[1:]


class LambdaContext:
    def __init__(self, request: dict[str, Any]) -> None:
        context = request["context"]
        self.aws_request_id = context["aws_request_id"]
        self.function_name = context["function_name"]
        self.function_version = context["function_version"]
        self.invoked_function_arn = context["invoked_function_arn"]
        self.memory_limit_in_mb = context["memory_limit_in_mb"]
        self.log_group_name = context["log_group_name"]
        self.log_stream_name = context["log_stream_name"]
        self.identity = None
        self.client_context = None
        self._deadline_ms: float = request["deadline_ms"]

    def get_remaining_time_in_millis(self) -> int:
        return max(int(self._deadline_ms - time.time() * 1000), 0)


def _invoke(function: Any, request: dict[str, Any]) -> dict[str, Any]:
    context = LambdaContext(request)
    try:
        result = function(request["event"], context)
    except Exception as error:
        payload = {
            "errorMessage": str(error),
            "errorType": type(error).__name__,
            "requestId": context.aws_request_id,
            "stackTrace": _trace(error),
        }
        # As the Lambda runtime logs an unhandled error.
        print(
            f"[ERROR] {payload['errorType']}: {payload['errorMessage']}\n"
            "Traceback (most recent call last):\n" + "".join(payload["stackTrace"]),
            file=sys.stderr,
        )
        return {"error": payload}
    try:
        return {"result": json.loads(json.dumps(result))}
    except (TypeError, ValueError) as error:
        payload = {
            "errorMessage": f"Unable to marshal response: {error}",
            "errorType": "Runtime.MarshalError",
            "requestId": context.aws_request_id,
            "stackTrace": [],
        }
        print(f"[ERROR] Runtime.MarshalError: {payload['errorMessage']}", file=sys.stderr)
        return {"error": payload}


def main() -> None:
    channel = socket.socket(fileno=int(sys.argv[1]))
    task_root, handler, parent = sys.argv[2], sys.argv[3], int(sys.argv[4])
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    os.chdir(task_root)
    sys.path.insert(0, task_root)
    started = time.perf_counter()
    try:
        function = _load(handler)
    except _Failure as failure:
        print(
            f"[ERROR] {failure.payload['errorType']}: {failure.payload['errorMessage']}",
            file=sys.stderr,
        )
        _send(channel, {"ready": False, "error": failure.payload})
        return
    _send(channel, {"ready": True, "init_ms": (time.perf_counter() - started) * 1000})
    while True:
        request = _receive(channel)
        if request is None:
            return
        _send(channel, _invoke(function, request))


if __name__ == "__main__":
    main()
