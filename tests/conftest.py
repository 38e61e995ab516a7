"""Black-box fixtures: the real server, on SQLite and on PostgreSQL; and the session's end:
the suite's own PostgreSQL stopped, one block on tests skipped for missing programs."""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator
from itertools import islice
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from tests.support import postgres
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.programs import MISSING_PROGRAM, SkipLedger, require_program
from tests.support.server import BACKENDS, ServerPool, ServerProcess

# Fixtures shared across folders: moto's server and poolmail delivering to it; an SMTP
# server and poolmail relaying to it; a database before its migrations.
pytest_plugins = ["tests.support.moto", "tests.support.relay", "tests.support.unmigrated"]

__all__ = ["BACKENDS"]


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerPool]:
    """The servers this test process shares between modules, stopped when it ends."""
    pool = ServerPool(str(tmp_path_factory.mktemp("servers")))
    yield pool
    pool.close()


@pytest.fixture(scope="session", params=BACKENDS)
def server(request: pytest.FixtureRequest, servers: ServerPool) -> ServerProcess:
    """One server per backend for the session; each test starts from empty state."""
    return servers.get(request.param, [])


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


# The longest tests (minutes of pip installs, nested pytest runs, the AWS CLI, big imports),
# by node id prefix. Under pytest-xdist they go first, one to each worker in turn: worksteal
# hands each worker a contiguous share of the collection and steals from a share's end, so a
# long test left at the end of a share keeps the whole run waiting for it.
LONGEST_FIRST = (
    "tests/test_botocore_range.py",
    "tests/cognito/imports/test_user_import.py::test_a_replica_killed_mid_import",
    "tests/plugin/test_sample_project.py",
    "tests/ses/test_awscli_ses.py",
    "tests/ses/sending/test_mime.py::test_simple_messages_are_written",
    "tests/ses/account/test_account.py::test_the_cli_sees_the_sandbox",
    "tests/docs/test_walkthrough.py",
    "tests/bench/test_bench_smoke.py",
    "tests/ses/sending/test_mime.py::test_the_direct_writer_matches",
    "tests/cognito/imports/test_user_import.py::test_ten_thousand_users",
    "tests/ses/sending/test_sending.py::test_the_sandbox_sends_200_a_day",
)


@pytest.hookimpl(trylast=True)  # after pytest groups the tests by their fixtures' params
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0"))
    if workers < 2:
        return

    def rank(item: pytest.Item) -> int:
        for index, prefix in enumerate(LONGEST_FIRST):
            if item.nodeid.startswith(prefix):
                return index
        return len(LONGEST_FIRST)

    longest = sorted((item for item in items if rank(item) < len(LONGEST_FIRST)), key=rank)
    if not longest:
        return
    chosen = {id(item) for item in longest}
    rest = iter([item for item in items if id(item) not in chosen])
    # The shares worksteal's first round hands out, as it computes them.
    sizes, left = [], len(items)
    for index in range(workers):
        sizes.append(left // (workers - index))
        left -= sizes[-1]
    # A prefix's tests stay together, on one worker: they share what they set up (the
    # botocore range's three tests one environment, built once).
    heads: list[list[pytest.Item]] = [[] for _ in range(workers)]
    for index in range(len(LONGEST_FIRST)):
        heads[index % workers].extend(item for item in longest if rank(item) == index)
    ordered: list[pytest.Item] = []
    for head, size in zip(heads, sizes, strict=True):
        ordered.extend(head)
        ordered.extend(islice(rest, max(size - len(head), 0)))
    ordered.extend(rest)
    items[:] = ordered


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
    if report.failed and call.when == "call":
        # A server's answer of InternalError says nothing of its cause: its log does.
        shown: set[int] = set()
        for name, value in getattr(item, "funcargs", {}).items():
            if isinstance(value, ServerProcess) and id(value) not in shown:
                shown.add(id(value))
                report.sections.append((f"poolmail log ({name})", value.log()[-SERVER_LOG_TAIL:]))
    return report


# What a failure report shows of each poolmail server the test used: its log's end.
SERVER_LOG_TAIL = 6000


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
