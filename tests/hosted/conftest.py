"""Managed login page fixtures: sites whose HTTP clients close after each test."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tests.console.conftest import VIEWPORT
from tests.hosted.helpers import Site, make_site
from tests.support.server import ServerProcess


@pytest.fixture
def new_site(live: ServerProcess) -> Iterator[Callable[..., Site]]:
    """``new_site(pool_settings, **client_settings)``: a pool with a domain and a client."""
    made: list[Site] = []

    def make(pool: dict[str, Any] | None = None, *, version: int = 1, **client: Any) -> Site:
        site = make_site(live, pool, version=version, **client)
        made.append(site)
        return site

    yield make
    for site in made:
        site.http.close()


class _App(BaseHTTPRequestHandler):
    """The app the browser returns to: any GET answers with a small page."""

    def do_GET(self) -> None:
        body = b"<!doctype html><title>app</title><p>signed in</p>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def app_callback() -> Iterator[str]:
    """The callback URL of an app served on the loopback address (`http://localhost` is a
    callback Cognito accepts over plain HTTP)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _App)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{server.server_address[1]}/callback"
    server.shutdown()
    server.server_close()


@pytest.fixture
def tab(browser: Browser) -> Iterator[Page]:
    """A fresh browser context's page."""
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(10_000)
    opened = context.new_page()
    yield opened
    context.close()
