"""SIGKILL in the middle of a write load loses nothing that was acknowledged.

Writers create pools, users, SES identities and messages as fast as they can; the server
is killed without warning; a new server on the same state must show every write whose
answer reached a client, and the database must be consistent.
"""

from __future__ import annotations

import signal
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.support.postgres import fresh_database
from tests.support.server import ServerProcess

LOAD_SECONDS = 1.5
LOAD_DEADLINE = 60
WRITERS = 4
FAST = ["--ses-sandbox", "off", "--ses-max-send-rate", "1000000"]


@dataclass
class Acknowledged:
    pools: list[str] = field(default_factory=list)
    users: list[tuple[str, str]] = field(default_factory=list)
    identities: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def write_load(server: ServerProcess, done: Acknowledged, stop: threading.Event, n: int) -> None:
    cognito = server.client("cognito-idp")
    ses = server.client("ses")
    step = 0
    pool_id = None
    while not stop.is_set():
        step += 1
        try:
            if pool_id is None or step % 5 == 0:
                pool_id = cognito.create_user_pool(PoolName=f"w{n}-{step}")["UserPool"]["Id"]
                with done.lock:
                    done.pools.append(pool_id)
            elif step % 5 == 1:
                name = f"user-{n}-{step}"
                cognito.admin_create_user(
                    UserPoolId=pool_id, Username=name, MessageAction="SUPPRESS"
                )
                with done.lock:
                    done.users.append((pool_id, name))
            elif step % 5 == 2:
                domain = f"w{n}-{step}.example.com"
                ses.verify_domain_identity(Domain=domain)
                with done.lock:
                    done.identities.append(domain)
            else:
                message_id = ses.send_email(
                    Source="sender@example.com",
                    Destination={"ToAddresses": ["success@simulator.amazonses.com"]},
                    Message={"Subject": {"Data": "load"}, "Body": {"Text": {"Data": "x"}}},
                )["MessageId"]
                with done.lock:
                    done.messages.append(message_id)
        except Exception:
            # The kill cuts requests off mid-flight; those were never acknowledged.
            if stop.is_set():
                return
            time.sleep(0.01)


def kill_during_load(server: ServerProcess) -> Acknowledged:
    server.client("ses").verify_email_identity(EmailAddress="sender@example.com")
    httpx.post(
        f"{server.url}/_poolmail/ses/identities/verify",
        json={"identity": "sender@example.com"},
    ).raise_for_status()
    done = Acknowledged()
    stop = threading.Event()
    writers = [
        threading.Thread(target=write_load, args=(server, done, stop, n)) for n in range(WRITERS)
    ]
    for writer in writers:
        writer.start()
    # At least LOAD_SECONDS, and on a busy machine (parallel test workers) until the load
    # has written enough to test: the kill must land mid-load either way.
    began = time.monotonic()
    while time.monotonic() - began < LOAD_SECONDS or not enough_written(done):
        if time.monotonic() - began > LOAD_DEADLINE:
            break  # check_everything_survived says the load wrote too little
        time.sleep(0.05)
    assert server.stop(signal.SIGKILL) == -signal.SIGKILL
    stop.set()
    for writer in writers:
        writer.join(timeout=30)
    return done


def enough_written(done: Acknowledged) -> bool:
    with done.lock:
        return len(done.pools) > 5 and len(done.messages) > 5


def check_everything_survived(server: ServerProcess, done: Acknowledged) -> None:
    assert enough_written(done), "the load wrote too little to test"
    print(
        f"acknowledged before SIGKILL: {len(done.pools)} pools, {len(done.users)} users, "
        f"{len(done.identities)} identities, {len(done.messages)} messages"
    )
    cognito = server.client("cognito-idp")
    for pool_id in done.pools:
        cognito.describe_user_pool(UserPoolId=pool_id)
    for pool_id, name in done.users:
        assert cognito.admin_get_user(UserPoolId=pool_id, Username=name)["Username"] == name
    found = server.client("ses").get_identity_verification_attributes(
        Identities=done.identities[:100]
    )["VerificationAttributes"]
    assert set(done.identities[:100]) <= set(found)
    listed = set(server.client("ses").list_identities(IdentityType="Domain")["Identities"])
    assert set(done.identities) <= listed
    for message_id in done.messages:
        assert httpx.get(f"{server.url}/_poolmail/messages/{message_id}").status_code == 200


@pytest.fixture
def sqlite_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.mark.parametrize("sync", ["full", "normal"])
def test_sigkill_on_sqlite_loses_nothing_acknowledged(sqlite_dir: Path, sync: str) -> None:
    # `--sqlite-sync normal` gives up only what a power cut would take: a killed process
    # leaves its commits with the operating system, so it loses nothing either.
    server = ServerProcess(["--data-dir", str(sqlite_dir), "--sqlite-sync", sync, *FAST]).start()
    done = kill_during_load(server)
    with sqlite3.connect(sqlite_dir / "poolmail.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    server.start()
    try:
        check_everything_survived(server, done)
    finally:
        server.stop()


@pytest.mark.postgres
def test_sigkill_on_postgres_loses_nothing_acknowledged() -> None:
    with fresh_database() as url:
        server = ServerProcess(["--database-url", url, *FAST]).start()
        done = kill_during_load(server)
        server.start()
        try:
            check_everything_survived(server, done)
        finally:
            server.stop()
