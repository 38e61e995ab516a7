"""Black-box fixtures: the real server, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.postgres import fresh_database
from tests.support.server import ServerProcess

BACKENDS = [pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """One server per backend for the session; each test starts from empty state."""
    if request.param == "sqlite":
        data_dir = tmp_path_factory.mktemp("poolmail-data")
        running = ServerProcess(["--data-dir", str(data_dir)]).start()
        yield running
        running.stop()
        return
    with fresh_database() as url:
        running = ServerProcess(["--database-url", url]).start()
        yield running
        running.stop()


@pytest.fixture
def live(server: ServerProcess) -> ServerProcess:
    server.reset()
    return server


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"
