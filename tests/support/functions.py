"""Functions for `poolmail serve --functions FILE`, written by a test.

    from tests.support.functions import write_functions

    toml = write_functions(tmp_path, {
        "pre-signup": ("python3.12", "app.handler", {
            "app.py": "def handler(event, context):\n"
                      "    event['response']['autoConfirmUser'] = True\n"
                      "    return event\n",
        }),
        "custom-message": ("nodejs20.x", "index.handler", {
            "index.mjs": "export const handler = async (event) => event;\n",
        }),
    }, timeout={"pre-signup": 2}, environment={"pre-signup": {"STAGE": "test"}})
    server = ServerProcess(["--data-dir", ":memory:", "--functions", str(toml)]).start()

Each function gets its own code directory `<directory>/<name>/` holding the files given
(names may contain `/` for subdirectories), and a `[functions.<name>]` table naming it;
`functions.toml` is written in `directory` and its path returned. The function's ARN is
then `arn:aws:lambda:<any region>:<any account>:function:<name>` (plain names work too).
Rewriting a file of a code directory later is picked up by the running server.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

# {name: (runtime, handler, {file name: source})}
FunctionSources = Mapping[str, tuple[str, str, Mapping[str, str]]]


def write_functions(
    directory: Path,
    functions: FunctionSources,
    *,
    timeout: Mapping[str, float] | None = None,
    environment: Mapping[str, Mapping[str, str]] | None = None,
    memory: Mapping[str, int] | None = None,
) -> Path:
    """Write the code directories and the TOML file; return the TOML file's path."""
    directory.mkdir(parents=True, exist_ok=True)
    tables: list[str] = []
    for name, (runtime, handler, files) in functions.items():
        code = directory / name
        for file_name, source in files.items():
            path = code / file_name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(source)
        code.mkdir(parents=True, exist_ok=True)
        # JSON strings are valid TOML basic strings.
        lines = [
            f"[functions.{json.dumps(name)}]",
            f"runtime = {json.dumps(runtime)}",
            f"handler = {json.dumps(handler)}",
            f"code = {json.dumps(name)}",
        ]
        if timeout and name in timeout:
            lines.append(f"timeout = {timeout[name]}")
        if memory and name in memory:
            lines.append(f"memory = {memory[name]}")
        if environment and name in environment:
            pairs = ", ".join(
                f"{json.dumps(key)} = {json.dumps(value)}"
                for key, value in environment[name].items()
            )
            lines.append(f"environment = {{ {pairs} }}")
        tables.append("\n".join(lines))
    path = directory / "functions.toml"
    path.write_text("\n\n".join(tables) + "\n")
    return path


class LambdaDouble:
    """A stand-in for Lambda's Invoke API (`POST /2015-03-31/functions/{name}/invocations`)
    on a free loopback port, as `sam local start-lambda` serves it: each function is a
    Python callable from event to result; raising `FunctionFailure` answers as a function
    error (200 with `X-Amz-Function-Error: Unhandled`), an unknown name as Lambda's 404.

        with LambdaDouble({"pre-signup": lambda event: event}) as double:
            ServerProcess([..., "--lambda-endpoint-url", double.url])

    `calls` lists (function name, invocation type header, event) as they arrive.
    """

    def __init__(self, functions: Mapping[str, Callable[[Any], Any]]) -> None:
        self.functions = dict(functions)
        self.calls: list[tuple[str, str | None, Any]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        # A test that stopped waiting for a slow function does not wait for it at the end.
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> LambdaDouble:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class FunctionFailure(Exception):
    """Raised by a LambdaDouble function: the payload's errorType and errorMessage."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message


def _handler_for(double: LambdaDouble) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            match = re.fullmatch(r"/2015-03-31/functions/([^/]+)/invocations", self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if match is None:
                self._answer(404, {"Type": "User", "Message": "no such route"}, "UnknownOperation")
                return
            requested = unquote(match.group(1))
            name = requested.split(":function:")[-1].split(":")[0]
            event = json.loads(body or b"{}")
            double.calls.append((name, self.headers.get("X-Amz-Invocation-Type"), event))
            function = double.functions.get(name)
            if function is None:
                message = f"Function not found: {requested}"
                self._answer(404, {"Type": "User", "Message": message}, "ResourceNotFoundException")
                return
            try:
                result = function(event)
            except FunctionFailure as failure:
                payload = {
                    "errorMessage": failure.message,
                    "errorType": failure.error_type,
                    "stackTrace": [],
                }
                self._answer(200, payload, function_error="Unhandled")
                return
            self._answer(200, result)

        def _answer(
            self,
            status: int,
            document: Any,
            error_type: str | None = None,
            function_error: str | None = None,
        ) -> None:
            data = json.dumps(document).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.send_header("X-Amz-Executed-Version", "$LATEST")
                if error_type:
                    self.send_header("x-amzn-ErrorType", error_type)
                if function_error:
                    self.send_header("X-Amz-Function-Error", function_error)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client stopped waiting (a read timeout under test)

    return Handler
