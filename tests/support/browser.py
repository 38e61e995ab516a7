"""Headless Chromium for the browser tests: Debian's `chromium` package, driven by
Playwright through `executable_path` (no downloaded browsers).

One Playwright and one browser per test process (the session fixtures in tests/conftest.py):
Playwright's sync API runs one instance per thread, so two suites each holding their own
for the session would fail in whichever xdist worker runs both.
"""

from __future__ import annotations

import os

CHROMIUM = os.environ.get("POOLMAIL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
