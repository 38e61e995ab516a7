"""A real SMTP server for `--relay` (aiosmtpd on a loopback port) that keeps what it is
handed, and the fixtures on it (registered by tests/conftest.py): `relay_inbox`, one per
test process, and `relaying`, poolmail relaying there with the sandbox off, on each store,
shared by the modules that need nothing else, reset and its inbox emptied for each test."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.support.server import BACKENDS, ServerPool, ServerProcess


class Inbox:
    """The handler of the SMTP server: (envelope sender, recipients, data) of each mail."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        self.received.append((envelope.mail_from or "", list(envelope.rcpt_tos), content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def smtp_inbox() -> Iterator[tuple[Inbox, int]]:
    """An SMTP server on a free loopback port while the block runs: its inbox and port."""
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, port
    finally:
        controller.stop()


@pytest.fixture(scope="session")
def relay_inbox() -> Iterator[tuple[Inbox, int]]:
    with smtp_inbox() as running:
        yield running


@pytest.fixture(params=BACKENDS)
def relaying(
    request: pytest.FixtureRequest, servers: ServerPool, relay_inbox: tuple[Inbox, int]
) -> tuple[ServerProcess, Inbox]:
    """poolmail relaying all mail to `relay_inbox`; mail a test before relayed late may
    still arrive, so a test picks its own out of the inbox by sender or recipient."""
    handler, port = relay_inbox
    options = ["--relay", f"smtp://127.0.0.1:{port}", "--ses-sandbox", "off"]
    server = servers.get(request.param, options)
    server.reset()
    handler.received.clear()
    return server, handler
