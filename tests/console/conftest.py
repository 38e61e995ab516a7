"""Console fixtures: one SQLite server and one headless Chromium for the session.

The console's pages read the same storage interface as every API, so the contract suite
covers PostgreSQL; the browser tests run on SQLite only. Chromium is Debian's `chromium`
package, driven by Playwright through `executable_path` (no downloaded browsers).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, ViewportSize

from tests.support.dns import Dnsmasq, free_dns_port
from tests.support.server import ServerProcess

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
VIEWPORT: ViewportSize = {"width": 1100, "height": 720}


@pytest.fixture(scope="session")
def console_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    # An empty dnsmasq as the DNS server: a pending domain is answered "no such name" at
    # once, offline; poolmail's local zone (asked first) is what the tests publish into.
    data_dir = tmp_path_factory.mktemp("console-data")
    with Dnsmasq(free_dns_port()) as dns:
        running = ServerProcess(["--data-dir", str(data_dir), "--dns-server", dns.server])
        running.start()
        yield running
        running.stop()


@pytest.fixture
def site(console_server: ServerProcess) -> ServerProcess:
    console_server.reset()
    return console_server


@pytest.fixture
def page(browser: Browser, site: ServerProcess) -> Iterator[Page]:
    context = browser.new_context(base_url=site.url, viewport=VIEWPORT)
    context.set_default_timeout(10_000)
    opened = context.new_page()
    yield opened
    context.close()


def screenshot(page: Page, name: str) -> None:
    """Keep a picture of the page for the docs when POOLMAIL_SCREENSHOTS=1."""
    if os.environ.get("POOLMAIL_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
