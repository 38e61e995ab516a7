"""A closed-loop HTTP/1.1 load generator: pre-built requests over keep-alive connections.

Runs in its own process, so the system under test and the generator do not share an
interpreter. Each connection sends one request, waits for the whole response, and sends the
next; requests are raw bytes built before the clock starts (signed once, where signed), so
the generator does no per-request formatting or signing. Responses are parsed with
httptools (C); the event loop is uvloop's.

    python bench/loadgen.py --port 4747 --requests FILE --connections 16 --duration 5

FILE holds the requests as 4-byte big-endian lengths, each followed by that many bytes.
With ``--cycle`` the generator goes round them; otherwise it stops when they run out (a
sign-up workload needs a distinct user per request). Prints one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import struct
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, cast

import httptools

try:
    import uvloop
except ImportError:  # pragma: no cover - uvloop is in every venv the bench makes
    uvloop = None  # type: ignore[assignment]


def write_requests(path: Path, requests: Sequence[bytes]) -> None:
    with path.open("wb") as out:
        for request in requests:
            out.write(struct.pack(">I", len(request)))
            out.write(request)


def read_requests(path: Path) -> list[bytes]:
    data = path.read_bytes()
    requests: list[bytes] = []
    position = 0
    while position < len(data):
        (size,) = struct.unpack_from(">I", data, position)
        position += 4
        requests.append(data[position : position + size])
        position += size
    return requests


class Feed:
    """The shared supply of requests, and what the run has recorded so far."""

    def __init__(self, requests: list[bytes], cycle: bool) -> None:
        self.requests = requests
        self.cycle = cycle
        self.position = 0
        self.recording = False
        self.stopping = False
        self.latencies_ns: list[int] = []
        self.statuses: Counter[int] = Counter()
        self.error_sample: str | None = None
        self.connection_errors = 0
        self.completed = 0
        self.reconnects = 0
        self.tasks: set[asyncio.Task[None]] = set()

    def next_request(self) -> bytes | None:
        if self.stopping:
            return None
        if self.position >= len(self.requests):
            if not self.cycle:
                self.stopping = True
                return None
            self.position = 0
        request = self.requests[self.position]
        self.position += 1
        return request


class Connection(asyncio.Protocol):
    """One connection driving requests one after the other: kept alive, or opened again
    when the server closes it (a server that answers `Connection: close` pays for a new
    connection in the latency of the request that needs it)."""

    def __init__(
        self, feed: Feed, done: asyncio.Future[None], address: tuple[str, int], started: int = 0
    ) -> None:
        self.feed = feed
        self.done = done
        self.address = address
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.started = started
        self.status = 0
        self.body: list[bytes] = []
        self.closing = False
        self.replaced = False

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self.transport = cast(asyncio.Transport, transport)
        self._send_next(keep_clock=self.started != 0)

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self.feed.connection_errors += 1
            self._finish()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.replaced or self.done.done():
            return
        if self.feed.stopping:
            self.done.set_result(None)
            return
        # Closed under a request in flight: count it, and carry on on a new connection.
        self.feed.connection_errors += 1
        self._reconnect()

    # httptools callbacks
    def on_message_begin(self) -> None:
        self.body = []
        self.closing = False

    def on_header(self, name: bytes, value: bytes) -> None:
        if name.lower() == b"connection" and value.strip().lower() == b"close":
            self.closing = True

    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()

    def on_body(self, body: bytes) -> None:
        if self.status >= 400 and self.feed.error_sample is None:
            self.body.append(body)

    def on_message_complete(self) -> None:
        feed = self.feed
        feed.completed += 1
        if feed.recording:
            feed.latencies_ns.append(time.perf_counter_ns() - self.started)
            feed.statuses[self.status] += 1
            if self.status >= 400 and feed.error_sample is None and self.body:
                feed.error_sample = b"".join(self.body)[:400].decode("utf-8", "replace")
        if self.closing and not feed.stopping:
            feed.reconnects += 1
            self._reconnect()
            return
        self._send_next()

    def _reconnect(self) -> None:
        self.replaced = True
        if self.transport is not None:
            self.transport.close()
        loop = asyncio.get_running_loop()
        started = time.perf_counter_ns()

        async def connect() -> None:
            try:
                await loop.create_connection(
                    lambda: Connection(self.feed, self.done, self.address, started), *self.address
                )
            except OSError:
                self.feed.connection_errors += 1
                if not self.done.done():
                    self.done.set_result(None)

        self.feed.tasks.add(task := loop.create_task(connect()))
        task.add_done_callback(self.feed.tasks.discard)

    def _send_next(self, keep_clock: bool = False) -> None:
        request = self.feed.next_request()
        if request is None or self.transport is None:
            self._finish()
            return
        if not keep_clock:
            self.started = time.perf_counter_ns()
        self.transport.write(request)

    def _finish(self) -> None:
        if self.transport is not None:
            self.transport.close()
        if not self.done.done():
            self.done.set_result(None)


def _factory(
    feed: Feed, done: asyncio.Future[None], address: tuple[str, int]
) -> Callable[[], Connection]:
    return lambda: Connection(feed, done, address)


def percentile(sorted_values: Sequence[int], fraction: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, round(fraction * (len(sorted_values) - 1)))
    return sorted_values[index] / 1e6


async def drive(
    host: str,
    port: int,
    requests: list[bytes],
    *,
    connections: int,
    duration: float,
    warmup: float,
    cycle: bool,
) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    feed = Feed(requests, cycle)
    # Without a warm-up, record from the first request: a connection sends as soon as it
    # is open, and a fast server answers before the last connection is.
    feed.recording = warmup <= 0
    started = time.perf_counter()
    finished: list[asyncio.Future[None]] = []
    for _ in range(connections):
        done: asyncio.Future[None] = loop.create_future()
        await loop.create_connection(_factory(feed, done, (host, port)), host, port)
        finished.append(done)
    all_done = asyncio.gather(*finished)
    if warmup > 0:
        await asyncio.wait([all_done], timeout=warmup)
        feed.recording = True
        started = time.perf_counter()
    await asyncio.wait([all_done], timeout=duration)
    # A workload slower than the window (sixteen sign-ups queued behind slow password
    # hashes) would show nothing at all: record on until each connection has completed a
    # request, for at most ten windows more.
    deadline = started + duration * 10
    while (
        len(feed.latencies_ns) < connections
        and not all_done.done()
        and time.perf_counter() < deadline
    ):
        await asyncio.wait([all_done], timeout=0.05)
    feed.recording = False
    elapsed = time.perf_counter() - started
    feed.stopping = True
    # Let the requests in flight finish (they are not counted), then close.
    await asyncio.wait([all_done], timeout=10)
    latencies = sorted(feed.latencies_ns)
    count = len(latencies)
    ok = sum(n for status, n in feed.statuses.items() if status < 400)
    return {
        "connections": connections,
        "requests": count,
        "requests_total": feed.completed,
        "ok": ok,
        "seconds": round(elapsed, 4),
        "throughput": round(count / elapsed, 1) if elapsed > 0 else 0.0,
        "p50_ms": round(percentile(latencies, 0.50), 3),
        "p90_ms": round(percentile(latencies, 0.90), 3),
        "p99_ms": round(percentile(latencies, 0.99), 3),
        "max_ms": round(latencies[-1] / 1e6, 3) if latencies else 0.0,
        "statuses": {str(status): n for status, n in sorted(feed.statuses.items())},
        "error_sample": feed.error_sample,
        "connection_errors": feed.connection_errors,
        "reconnects": feed.reconnects,
        "exhausted": not cycle and feed.position >= len(requests),
    }


def run(
    host: str,
    port: int,
    requests: list[bytes],
    *,
    connections: int,
    duration: float,
    warmup: float = 0.0,
    cycle: bool = True,
) -> dict[str, Any]:
    coroutine = drive(
        host,
        port,
        requests,
        connections=connections,
        duration=duration,
        warmup=warmup,
        cycle=cycle,
    )
    if uvloop is not None:
        return uvloop.run(coroutine)
    return asyncio.run(coroutine)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--requests", type=Path, required=True)
    parser.add_argument("--connections", type=int, default=1)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=0.0)
    parser.add_argument("--cycle", action="store_true")
    args = parser.parse_args(argv)
    result = run(
        args.host,
        args.port,
        read_requests(args.requests),
        connections=args.connections,
        duration=args.duration,
        warmup=args.warmup,
        cycle=args.cycle,
    )
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
