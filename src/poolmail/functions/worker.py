"""One warm worker process of a function: the runtime's interpreter running poolmail's
bootstrap (functions/bootstrap/) with the function's handler loaded, one invocation at a time.

The two talk over a socket pair (frames: a 4-byte big-endian length, then UTF-8 JSON); the
worker's stdout and stderr are one pipe, read while waiting for an answer, so that what
the handler prints is the invocation's log and a chatty handler never blocks on a full pipe.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import socket
import struct
import subprocess
import time
from pathlib import Path
from typing import Any

# Past this, an invocation's log keeps its start and says it was cut.
MAX_LOG_BYTES = 1 << 20
_HEADER = struct.Struct(">I")


class WorkerDied(Exception):
    """The worker exited, or closed its end, before answering."""


class Worker:
    def __init__(
        self,
        command: list[str],
        code: Path,
        handler: str,
        environment: dict[str, str],
        signature: object,
    ) -> None:
        self.signature = signature
        ours, theirs = socket.socketpair()
        self.started = time.monotonic()
        try:
            self.process = subprocess.Popen(
                [*command, str(theirs.fileno()), str(code), handler, str(os.getpid())],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                pass_fds=(theirs.fileno(),),
                env=environment,
                cwd=code,
                # Its own session: a terminal's Ctrl-C reaches poolmail, which stops it.
                start_new_session=True,
            )
        finally:
            theirs.close()
        self._channel = ours
        self._channel.setblocking(False)
        assert self.process.stdout is not None
        self._output = self.process.stdout
        os.set_blocking(self._output.fileno(), False)
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._channel, selectors.EVENT_READ, "channel")
        self._selector.register(self._output, selectors.EVENT_READ, "output")
        self._received = bytearray()
        self._log = bytearray()
        self._log_cut = False
        self.init_ms: float | None = None
        self.log_stream = ""

    def exchange(self, message: dict[str, Any] | None, timeout: float) -> dict[str, Any] | None:
        """Send ``message`` (None: send nothing, wait for the ready frame) and return the
        answer, or None when ``timeout`` seconds pass first. Raises WorkerDied."""
        if message is not None:
            body = json.dumps(message).encode()
            self._channel.setblocking(True)
            try:
                self._channel.sendall(_HEADER.pack(len(body)) + body)
            except OSError:
                raise WorkerDied from None
            finally:
                self._channel.setblocking(False)
        until = time.monotonic() + timeout
        while True:
            answer = self._frame()
            if answer is not None:
                self._drain_output()
                return answer
            left = until - time.monotonic()
            if left <= 0:
                self._drain_output()
                return None
            for key, _ in self._selector.select(left):
                if key.data == "output":
                    self._drain_output()
                    continue
                try:
                    chunk = self._channel.recv(1 << 16)
                except BlockingIOError:
                    continue
                except OSError:
                    chunk = b""
                if not chunk:
                    self._drain_output()
                    raise WorkerDied
                self._received += chunk

    def _frame(self) -> dict[str, Any] | None:
        if len(self._received) < _HEADER.size:
            return None
        (size,) = _HEADER.unpack_from(self._received)
        if len(self._received) < _HEADER.size + size:
            return None
        body = bytes(self._received[_HEADER.size : _HEADER.size + size])
        del self._received[: _HEADER.size + size]
        answer: dict[str, Any] = json.loads(body)
        return answer

    def _drain_output(self) -> None:
        while True:
            try:
                chunk = os.read(self._output.fileno(), 1 << 16)
            except BlockingIOError:
                return
            except OSError:
                return
            if not chunk:
                if self._watching_output():
                    self._selector.unregister(self._output)
                return
            room = MAX_LOG_BYTES - len(self._log)
            if len(chunk) > room:
                self._log_cut = True
                chunk = chunk[: max(room, 0)]
            self._log += chunk

    def _watching_output(self) -> bool:
        try:
            self._selector.get_key(self._output)
        except KeyError:
            return False
        return True

    def take_log(self) -> str:
        """What the worker printed since the last call."""
        self._drain_output()
        text = self._log.decode("utf-8", "replace")
        if self._log_cut:
            text += "\n[poolmail: log cut at 1 MiB]\n"
        self._log.clear()
        self._log_cut = False
        return text

    def max_memory_mb(self) -> int | None:
        """Peak resident memory (Linux's VmHWM), for the REPORT line."""
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) // 1024
        return None

    def alive(self) -> bool:
        return self.process.poll() is None

    def kill(self) -> None:
        """Kill the worker and everything it started in its session."""
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.process.kill()

    def stop(self) -> None:
        """Kill the worker and release what talked to it."""
        self.kill()
        self.process.wait()
        self._selector.close()
        self._channel.close()
        self._output.close()
