"""Black-box fixtures: the real server, on SQLite and on PostgreSQL; and the session's end:
the suite's own PostgreSQL stopped, one block on tests skipped for missing programs."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from tests.support import postgres
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.programs import MISSING_PROGRAM, SkipLedger, require_program
from tests.support.server import ServerProcess, serving

BACKENDS = [pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """One server per backend for the session; each test starts from empty state."""
    data_dir = str(tmp_path_factory.mktemp("poolmail-data"))
    with serving(request.param, [], data_dir=data_dir) as running:
        yield running


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """The one headless Chromium of this test process (tests/support/browser.py)."""
    require_program("chromium", CHROMIUM)  # Playwright's downloaded browsers are not used
    launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield launched
    launched.close()


@pytest.fixture
def live(server: ServerProcess) -> ServerProcess:
    server.reset()
    return server


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


MISSING_PROGRAMS = SkipLedger()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    program = getattr(call.excinfo.value, MISSING_PROGRAM, None) if call.excinfo else None
    if program is not None:
        # On the report, not in this process: xdist hands reports to the controller.
        report.user_properties.append((MISSING_PROGRAM, program))
    return report


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    MISSING_PROGRAMS.record(report)


# The suite's own PostgreSQL servers of this run as (version, seconds to start): this
# process's, or under pytest-xdist each worker's, handed over when the worker ends.
LOCAL_POSTGRES: list[tuple[str, float]] = []
WORKER_OUTPUT_KEY = "poolmail_local_postgres"


def pytest_sessionfinish(session: pytest.Session) -> None:
    local = postgres.local_server()
    if local is None:
        return
    if hasattr(session.config, "workeroutput"):  # an xdist worker: the controller reports
        session.config.workeroutput[WORKER_OUTPUT_KEY] = (local.version, local.start_seconds)
    else:
        LOCAL_POSTGRES.append((local.version, local.start_seconds))


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    started = getattr(node, "workeroutput", {}).get(WORKER_OUTPUT_KEY)
    if started is not None:
        LOCAL_POSTGRES.append((str(started[0]), float(started[1])))


def pytest_unconfigure(config: pytest.Config) -> None:
    # After the terminal summary, which reports the server.
    postgres.stop_local_server()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> Generator[None]:
    # Outside the terminal reporter's own wrapper: printed after its short summary, last.
    yield
    if LOCAL_POSTGRES:
        versions = ", ".join(sorted({version for version, _ in LOCAL_POSTGRES}))
        slowest = max(seconds for _, seconds in LOCAL_POSTGRES)
        count = len(LOCAL_POSTGRES)
        started = (
            f"started in {slowest:.1f} s"
            if count == 1
            else f"one per test worker, {count} started in at most {slowest:.1f} s"
        )
        terminalreporter.write_line(
            f"PostgreSQL: nothing answered at {postgres.POSTGRES_URL}; the PostgreSQL cases "
            f"ran on the suite's own (pgserver, PostgreSQL {versions}, {started})"
        )
    lines = MISSING_PROGRAMS.summary()
    if lines:
        terminalreporter.write_sep("=", "tests skipped for missing programs", yellow=True)
        for line in lines:
            terminalreporter.write_line(line)
