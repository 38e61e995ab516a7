"""uvicorn's httptools protocol with each loop round's writes to a connection sent at once.

uvicorn writes a response's status line and headers, then its body, each with its own
``transport.write``, and uvloop sends each at once: two ``send`` calls and two TCP
segments for every answer, the second as costly in the kernel as the first. Here the
writes of one round of the event loop are joined and sent together at the end of it
(``call_soon``), before the loop waits for anything: what the client receives, and
when, is unchanged but for that microsecond.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class _JoinedWrites:
    """A transport whose writes wait for the end of the loop's round; everything else
    is the socket transport's own. Closing sends what waits first, as a transport's
    ``close`` sends its buffer."""

    __slots__ = ("_held", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: list[bytes] | None = None

    def write(self, data: bytes) -> None:
        if self._held is None:
            self._held = [data]
            self._loop.call_soon(self._flush)
        else:
            self._held.append(data)

    def _flush(self) -> None:
        held, self._held = self._held, None
        # A connection the peer dropped meanwhile takes nothing more, as uvicorn's own
        # writes stop once it hears of the loss.
        if held and not self._transport.is_closing():
            self._transport.write(held[0] if len(held) == 1 else b"".join(held))

    def close(self) -> None:
        self._flush()
        self._transport.close()

    # Called at every request (uvicorn's protocol and flow control): spelled out rather
    # than found through ``__getattr__``, which Python tries only after a failed lookup.
    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()

    def abort(self) -> None:
        self._held = None
        self._transport.abort()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class JoinedWritesProtocol(HttpToolsProtocol):
    """``http="httptools"`` with ``_JoinedWrites`` around each connection's transport."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        joined: Any = _JoinedWrites(transport, self.loop)
        super().connection_made(joined)
