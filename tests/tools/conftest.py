"""One SQLite server for the tests of how the tools find their settings.

Those tests exercise the command line's resolution of profile, region, credentials and
endpoint, which the storage behind the server does not touch: one backend is enough.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.server import ServerProcess


@pytest.fixture(scope="session")
def settings_server() -> Iterator[ServerProcess]:
    running = ServerProcess(["--data-dir", ":memory:"]).start()
    yield running
    running.stop()


@pytest.fixture
def local(settings_server: ServerProcess) -> ServerProcess:
    settings_server.reset()
    return settings_server
