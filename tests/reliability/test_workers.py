"""`poolmail serve --workers 2` behaves as one server: one state, exact quotas, every
write kept, a dead worker replaced, SIGTERM stopping everything; on SQLite and PostgreSQL.

The workers are told apart by their process ids (psutil): the server's children.
"""

from __future__ import annotations

import itertools
import signal
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest
from botocore.exceptions import ClientError

from poolmail.store.sqlite import SqliteDatabase
from tests.support.postgres import fresh_database
from tests.support.server import ServerProcess

BACKENDS = [pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)]
WORKERS = 2
WAIT_SECONDS = 30.0


def start(store: str, data_dir: Path, *options: str) -> Iterator[ServerProcess]:
    if store == "sqlite":
        server = ServerProcess(["--workers", str(WORKERS), "--data-dir", str(data_dir), *options])
        try:
            yield server.start()
        finally:
            server.stop()
        return
    with fresh_database() as url:
        server = ServerProcess(["--workers", str(WORKERS), "--database-url", url, *options])
        try:
            yield server.start()
        finally:
            server.stop()


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def server(store: str, tmp_path: Path) -> Iterator[ServerProcess]:
    yield from start(store, tmp_path / "data")


@pytest.fixture
def quota_server(store: str, tmp_path: Path) -> Iterator[ServerProcess]:
    yield from start(
        store,
        tmp_path / "data",
        "--ses-sandbox",
        "off",
        "--ses-max-24-hour-send",
        "20",
        "--ses-max-send-rate",
        "100000",
    )


def workers_of(server: ServerProcess) -> list[psutil.Process]:
    assert server.process is not None
    return psutil.Process(server.process.pid).children()


def hammer(calls: list[Callable[[], Any]], threads: int = 16) -> list[tuple[str, str] | None]:
    """Run the calls concurrently; None for each success, else (code, message)."""

    def attempt(call: Callable[[], Any]) -> tuple[str, str] | None:
        try:
            call()
        except ClientError as error:
            return str(error.response["Error"]["Code"]), str(error.response["Error"]["Message"])
        return None

    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(attempt, calls))


def verify(server: ServerProcess, identity: str) -> None:
    server.client("ses").verify_email_identity(EmailAddress=identity)
    httpx.post(
        f"{server.url}/_poolmail/ses/identities/verify", json={"identity": identity}
    ).raise_for_status()


def test_the_daily_quota_is_exact_across_workers(quota_server: ServerProcess) -> None:
    verify(quota_server, "sender@example.com")
    # A client per thread's turn, each with its own connections: the kernel hands them to
    # both workers.
    clients = [quota_server.client("ses") for _ in range(8)]

    def send(ses: Any) -> Callable[[], Any]:
        return lambda: ses.send_email(
            Source="sender@example.com",
            Destination={"ToAddresses": ["reader@example.org"]},
            Message={"Subject": {"Data": "q"}, "Body": {"Text": {"Data": "q"}}},
        )

    outcomes = hammer([send(ses) for ses, _ in zip(itertools.cycle(clients), range(60))])
    assert outcomes.count(None) == 20
    assert [o for o in outcomes if o is not None] == [
        ("Throttling", "Daily message quota exceeded.")
    ] * 40
    assert clients[0].get_send_quota()["SentLast24Hours"] == 20
    listed = httpx.get(f"{quota_server.url}/_aws/ses").json()["messages"]
    assert len(listed) == 20


def test_a_write_is_read_by_the_next_request_whichever_worker_answers(
    server: ServerProcess,
) -> None:
    cognito = server.client("cognito-idp")
    pool_id = cognito.create_user_pool(PoolName="shared")["UserPool"]["Id"]
    for n in range(30):
        # A new client, so a new connection, for each call: either worker may take it.
        server.client("cognito-idp").admin_create_user(
            UserPoolId=pool_id, Username=f"user{n}", MessageAction="SUPPRESS"
        )
        got = server.client("cognito-idp").admin_get_user(UserPoolId=pool_id, Username=f"user{n}")
        assert got["Username"] == f"user{n}"
    described = server.client("cognito-idp").describe_user_pool(UserPoolId=pool_id)
    assert described["UserPool"]["EstimatedNumberOfUsers"] == 30


def test_concurrent_writes_are_all_kept(server: ServerProcess, store: str, tmp_path: Path) -> None:
    cognito = server.client("cognito-idp")
    pool_id = cognito.create_user_pool(PoolName="many")["UserPool"]["Id"]
    clients = [server.client("cognito-idp") for _ in range(8)]

    def create(idp: Any, n: int) -> Callable[[], Any]:
        return lambda: idp.admin_create_user(
            UserPoolId=pool_id, Username=f"user{n}", MessageAction="SUPPRESS"
        )

    outcomes = hammer([create(idp, n) for n, idp in zip(range(200), itertools.cycle(clients))])
    assert outcomes == [None] * 200
    names: set[str] = set()
    for page in cognito.get_paginator("list_users").paginate(UserPoolId=pool_id):
        names.update(user["Username"] for user in page["Users"])
    assert names == {f"user{n}" for n in range(200)}
    if store == "sqlite":
        server.stop()  # every worker gone: the file is checked at rest
        with sqlite3.connect(tmp_path / "data" / "poolmail.sqlite3") as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            count = connection.execute("SELECT COUNT(*) FROM users").fetchone()
        assert count == (200,)


def test_a_killed_worker_is_replaced(server: ServerProcess) -> None:
    cognito = server.client("cognito-idp")
    pool_id = cognito.create_user_pool(PoolName="kept")["UserPool"]["Id"]
    first = workers_of(server)
    assert len(first) == WORKERS
    first[0].send_signal(signal.SIGKILL)
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        now = {worker.pid for worker in workers_of(server)}
        if len(now) == WORKERS and first[0].pid not in now:
            break
        time.sleep(0.1)
    assert len(now) == WORKERS and first[0].pid not in now and first[1].pid in now
    # Answers come from both, the new one included, with the state as it was.
    for _ in range(20):
        pool = server.client("cognito-idp").describe_user_pool(UserPoolId=pool_id)["UserPool"]
        assert pool["Name"] == "kept"
    assert "worker" in server.log() and "killed by signal 9" in server.log()


def test_sigterm_stops_every_worker(server: ServerProcess) -> None:
    workers = workers_of(server)
    assert len(workers) == WORKERS
    assert server.stop(signal.SIGTERM) == 0
    _, alive = psutil.wait_procs(workers, timeout=WAIT_SECONDS)
    assert alive == []


def test_the_kernel_hands_connections_to_every_worker(server: ServerProcess) -> None:
    port = int(server.url.rsplit(":", 1)[1])
    clients = [httpx.Client() for _ in range(16)]
    try:
        for client in clients:  # one connection each, kept open
            client.get(f"{server.url}/_poolmail/clock").raise_for_status()
        held = [
            sum(
                1
                for connection in worker.net_connections("tcp")
                if connection.status == psutil.CONN_ESTABLISHED and connection.laddr.port == port
            )
            for worker in workers_of(server)
        ]
    finally:
        for client in clients:
            client.close()
    assert sum(held) == 16
    assert all(held), held


def test_the_clock_moves_in_every_worker(server: ServerProcess) -> None:
    before = httpx.get(f"{server.url}/_poolmail/clock").json()["epoch"]
    httpx.post(f"{server.url}/_poolmail/clock", json={"advance_seconds": 86400})
    # New connections, so both workers answer some of these.
    seen = [httpx.get(f"{server.url}/_poolmail/clock").json()["epoch"] for _ in range(20)]
    assert all(epoch - before >= 86400 for epoch in seen)
    httpx.post(f"{server.url}/_poolmail/reset").raise_for_status()
    seen = [httpx.get(f"{server.url}/_poolmail/clock").json()["epoch"] for _ in range(20)]
    assert all(epoch - before < 3600 for epoch in seen)


def test_workers_need_shared_state(tmp_path: Path) -> None:
    server = ServerProcess(["--workers", "2", "--data-dir", ":memory:"])
    with pytest.raises(RuntimeError, match="--workers needs state its processes share"):
        server.start()


# --- the SQLite store's locks across processes, in-process: two stores on one file ------


def test_sqlite_writers_take_turns_on_the_lock_file(tmp_path: Path) -> None:
    path = str(tmp_path / "db.sqlite3")
    first, second = SqliteDatabase(path, shared=True), SqliteDatabase(path, shared=True)
    alone = SqliteDatabase(path)
    try:
        with first.transaction() as tx:
            tx.execute("CREATE TABLE counter (n INTEGER)")
            tx.execute("INSERT INTO counter VALUES (0)")
        done = threading.Event()

        def other_writer() -> None:
            with second.transaction() as tx:
                tx.execute("UPDATE counter SET n = n + 1")
            done.set()

        with first.transaction() as tx:
            tx.execute("UPDATE counter SET n = n + 1")
            assert not second.quiet()  # another open file holds the writers' lock
            # A store told it is the file's only server does not ask (nor wait, to ask).
            assert alone.quiet()
            thread = threading.Thread(target=other_writer)
            thread.start()
            thread.join(0.2)
            assert not done.is_set()  # waiting in the kernel for the lock
        thread.join()
        assert done.is_set() and second.quiet()
        with second.transaction(readonly=True) as tx:
            assert tx.fetchone("SELECT n FROM counter") == (2,)
    finally:
        first.close()
        second.close()
        alone.close()


def test_sqlite_try_lock_is_held_across_stores(tmp_path: Path) -> None:
    path = str(tmp_path / "db.sqlite3")
    first, second = SqliteDatabase(path), SqliteDatabase(path)
    try:
        with first.try_lock("poolmail:job:x") as mine:
            assert mine
            with second.try_lock("poolmail:job:x") as theirs:
                assert not theirs
            with second.try_lock("poolmail:job:y") as other:
                assert other
        with second.try_lock("poolmail:job:x") as theirs:
            assert theirs
    finally:
        first.close()
        second.close()
