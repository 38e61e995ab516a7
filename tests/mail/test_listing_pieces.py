"""LocalStack's `/_aws/ses` listing read and written in pieces: the pieces join to the one
answer (no entry lost or repeated at a piece's edge, even among messages stamped alike),
over HTTP too, and a listing its client leaves ends its reader."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import socket
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from poolmail.mail import mailbox, queries
from poolmail.mail.queries import MessageFilter
from poolmail.server.admin import mailbox_api
from poolmail.store import Database, open_database
from tests.mail.test_localstack import EVERYTHING, db, message
from tests.ses.helpers import advance, production_access, verify
from tests.support import coroutines
from tests.support.server import ServerProcess

__all__ = ["db"]  # the fixture, shared with test_localstack


@pytest.fixture
def small_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    # A first page of 3 entries, then 16 (the least a page holds): edges everywhere.
    monkeypatch.setattr(queries, "_FIRST_PIECE_ENTRIES", 3)
    monkeypatch.setattr(queries, "LISTING_PIECE_BYTES", 1)


def fill(db: Database, count: int) -> list[str]:
    """``count`` listed messages, four to each moment (so pages end among messages
    stamped alike), every fifth a raw send (its entry made when listed), with SES's own
    mail and rejected sends between them; their ids in listing order."""
    listed: list[tuple[float, str]] = []
    with db.transaction() as tx:
        for n in range(count):
            stored = message(n // 4, raw=n % 5 == 0)
            mailbox.store(tx, stored)
            listed.append((stored.created_at, stored.id))
            mailbox.store(tx, message(n // 4, kind="ses-verification"))
            if n % 7 == 0:
                rejected = message(n // 4)
                mailbox.store(tx, dataclasses.replace(rejected, status="rejected"))
    return [message_id for _, message_id in sorted(listed)]


def pieces(db: Database, where: MessageFilter) -> list[bytes]:
    with db.transaction(readonly=True) as tx:
        return list(queries.localstack_listing(tx, where, db.dialect))


def test_pieces_join_to_the_whole_listing(db: Database, small_pieces: None) -> None:
    ids = fill(db, 70)
    read = pieces(db, EVERYTHING)
    if db.dialect == "sqlite":
        assert len(read) == 6  # 3 + 16 * 4 + 3
    entries = json.loads(b"[" + b"".join(read) + b"]")
    assert [entry["Id"] for entry in entries] == ids
    assert sum("RawData" in entry for entry in entries) == 14
    # The same bytes as one piece.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(queries, "_FIRST_PIECE_ENTRIES", 10_000)
        assert b"".join(pieces(db, EVERYTHING)) == b"".join(read)


def test_pieces_of_a_sender_s_listing(db: Database, small_pieces: None) -> None:
    ids = fill(db, 40)
    with db.transaction() as tx:
        other = message(100, raw=True)
        mailbox.store(tx, dataclasses.replace(other, source="else@example.com"))
    where = MessageFilter(
        sender="sender@example.com", include_rejected=False, exclude_kinds=("ses-verification",)
    )
    entries = json.loads(b"[" + b"".join(pieces(db, where)) + b"]")
    assert [entry["Id"] for entry in entries] == ids


def test_an_empty_listing_has_no_piece(db: Database) -> None:
    assert pieces(db, EVERYTHING) == []


def test_a_listing_left_by_its_client_ends_its_reader(tmp_path: Path, small_pieces: None) -> None:
    database = open_database(data_dir=str(tmp_path))
    try:
        with database.transaction() as tx:
            for n in range(200):
                mailbox.store(tx, message(n))
        services: Any = SimpleNamespace(db=database)
        sent: list[dict[str, Any]] = []

        async def gone(event: dict[str, Any]) -> None:
            sent.append(event)
            if len(sent) == 3:
                raise OSError("the client went away")

        async def leave() -> bool:
            response = await mailbox_api._listing(services, EVERYTHING)
            assert isinstance(response, mailbox_api._PiecesResponse)
            reader = response._pieces.reader
            assert reader is not None
            with pytest.raises(OSError):
                await response({"type": "http"}, _no_receive, gone)
            await asyncio.wait_for(reader, timeout=mailbox_api.SLOW_CLIENT_SECONDS / 2)
            return reader.done()

        assert coroutines.run(leave())
        # Its read transaction is over: a checkpoint gets to the end of the WAL.
        with database.transaction() as tx:
            mailbox.store(tx, message(1000))
        with contextlib.closing(_raw_connection(tmp_path)) as connection:
            busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        assert busy == 0
    finally:
        database.close()


def test_an_in_memory_listing_waits_for_no_client(small_pieces: None) -> None:
    # Its transaction holds the one connection everyone takes in turn: it reads on to the
    # end though nobody writes its pieces yet.
    database = open_database(data_dir=":memory:")
    try:
        with database.transaction() as tx:
            for n in range(200):
                mailbox.store(tx, message(n))
        services: Any = SimpleNamespace(db=database)

        async def unwritten() -> int:
            response = await mailbox_api._listing(services, EVERYTHING)
            assert isinstance(response, mailbox_api._PiecesResponse)
            reader = response._pieces.reader
            assert reader is not None
            await asyncio.wait_for(reader, timeout=mailbox_api.SLOW_CLIENT_SECONDS / 2)
            with database.transaction(readonly=True) as tx:
                counted = tx.fetchone("SELECT COUNT(*) FROM messages")
            assert counted is not None
            return int(counted[0])

        assert coroutines.run(unwritten()) == 200
    finally:
        database.close()


async def _no_receive() -> dict[str, Any]:
    await asyncio.sleep(3600)
    return {"type": "http.disconnect"}


def _raw_connection(data_dir: Path) -> Any:
    import sqlite3

    (path,) = data_dir.glob("*.sqlite3")
    return sqlite3.connect(path, timeout=5)


# -- over HTTP --------------------------------------------------------------------------------


def send_many(live: ServerProcess, count: int) -> list[str]:
    production_access(live)
    verify(live, "sender@example.com")
    ses = live.client("ses")
    sent = []
    for n in range(count):
        if n % 10 == 9:
            advance(live, 1.0)  # within the sending rate
        sent.append(
            ses.send_email(
                Source="sender@example.com",
                Destination={"ToAddresses": [f"user{n}@example.com"]},
                Message={"Subject": {"Data": f"Mail {n}"}, "Body": {"Text": {"Data": "Ünïcode"}}},
            )["MessageId"]
        )
    return sent


def test_a_long_listing_over_http(live: ServerProcess) -> None:
    # More than the first piece (64 entries): on SQLite, written as it is read.
    sent = send_many(live, 90)
    answer = httpx.get(f"{live.url}/_aws/ses")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    listed = answer.json()["messages"]
    assert [entry["Id"] for entry in listed] == sent
    assert listed[89]["Body"]["text_part"] == "Ünïcode"
    # Exactly the entries' JSON joined by commas, as before it came in pieces.
    assert (
        answer.content
        == json.dumps({"messages": listed}, ensure_ascii=False, separators=(",", ":")).encode()
    )
    # A short one still goes out whole, with its length.
    one = httpx.get(f"{live.url}/_aws/ses", params={"id": sent[3]})
    assert one.headers["content-length"] == str(len(one.content))
    assert [entry["Id"] for entry in one.json()["messages"]] == [sent[3]]


def test_a_client_that_leaves_a_long_listing(live: ServerProcess) -> None:
    send_many(live, 90)
    host, port = live.url.removeprefix("http://").split(":")
    for _ in range(3):
        with socket.create_connection((host, int(port)), timeout=5) as raw:
            raw.sendall(f"GET /_aws/ses HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
            assert raw.recv(64).startswith(b"HTTP/1.1 200")
    time.sleep(0.2)
    # The server carries on: listings and sends alike.
    assert len(httpx.get(f"{live.url}/_aws/ses").json()["messages"]) == 90
    send_many(live, 1)
    assert len(httpx.get(f"{live.url}/_aws/ses").json()["messages"]) == 91
