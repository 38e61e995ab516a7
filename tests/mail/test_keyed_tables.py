"""Migration 16: message recipients and events kept in their primary keys' B-trees on
SQLite (WITHOUT ROWID), no index of recipients by message id; the messages stored before
it read back the same and delete whole, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from poolmail.mail import mailbox, queries
from poolmail.mail.queries import MessageFilter
from poolmail.store import Database
from poolmail.store.migrations import MIGRATIONS, migrate
from poolmail.store.sqlite import SqliteDatabase

NOW = 1_750_000_000.0


def _message(number: int, recipients: list[str]) -> mailbox.StoredMessage:
    at = NOW + number
    return mailbox.StoredMessage(
        id=mailbox.new_message_id(at),
        account="123456789012",
        region="us-east-1",
        created_at=at,
        status="delivered",
        origin="ses",
        source="news@shop.example.com",
        recipients=recipients,
        subject=f"Message {number}",
        raw=b"Subject: x\r\n\r\nbody\r\n",
        details={"body": {"text": f"body {number}"}},
        events=[
            mailbox.Event("Send", at, {}),
            mailbox.Event("Delivery", at + 0.5, {"recipient": recipients[0]}),
        ],
    )


def _read(db: Database, ids: list[str]) -> dict[str, Any]:
    with db.transaction(readonly=True) as tx:
        return {
            "loaded": [mailbox.load(tx, message_id) for message_id in ids],
            "events": [queries.events(tx, message_id) for message_id in ids],
            "ann": [
                m["id"] for m in queries.list_messages(tx, MessageFilter(recipient="ANN@x.org"))
            ],
            "bob": [
                m["id"] for m in queries.list_messages(tx, MessageFilter(recipient="bob@x.org"))
            ],
        }


def test_messages_stored_before_read_back_the_same(unmigrated: Database) -> None:
    db = unmigrated
    assert migrate(db, MIGRATIONS[:15]) == list(range(1, 16))
    messages = [
        _message(1, ["Ann@x.org", "bob@x.org", "ann@X.org", "ÉDITH@X.ORG"]),
        _message(2, ["bob@x.org"]),
        _message(3, ["ann@x.org"]),
    ]
    with db.transaction() as tx:
        for message in messages:
            mailbox.store(tx, message)
        mailbox.append_events(tx, messages[0].id, [mailbox.Event("Open", NOW + 9, {"a": 1})])
    ids = [message.id for message in messages]
    before = _read(db, ids)
    assert migrate(db, MIGRATIONS[:16]) == [16]
    assert _read(db, ids) == before
    assert before["ann"] == [ids[2], ids[0]] and before["bob"] == [ids[1], ids[0]]
    assert [event["type"] for event in before["events"][0]] == ["Send", "Delivery", "Open"]
    if isinstance(db, SqliteDatabase):
        with db.transaction(readonly=True) as tx:
            tables = tx.fetchall(
                "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                "AND name IN ('message_recipients', 'message_events') ORDER BY name"
            )
            indexes = tx.fetchall(
                "SELECT name FROM sqlite_master WHERE type = 'index' "
                "AND tbl_name = 'message_recipients' AND sql IS NOT NULL"
            )
        assert [name for name, _ in tables] == ["message_events", "message_recipients"]
        assert all(sql.rstrip().endswith("WITHOUT ROWID") for _, sql in tables)
    else:
        with db.transaction(readonly=True) as tx:
            indexes = tx.fetchall(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'message_recipients' "
                "AND indexname <> 'message_recipients_pkey'"
            )
    assert indexes == []
    # New messages, appended events and deletions on the migrated tables; a recipient
    # row that migration 5 filled (SQL's LOWER) goes with its message too.
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO message_recipients (recipient, created_at, message_id) "
            "VALUES ('Édith@x.org', ?, ?)",
            (messages[0].created_at, ids[0]),
        )
    with db.transaction() as tx:
        fourth = _message(4, ["ann@x.org"])
        mailbox.store(tx, fourth)
        mailbox.append_events(tx, ids[0], [mailbox.Event("Click", NOW + 10, {})])
        assert queries.delete_messages(tx, ids[0]) == 1
    after = _read(db, [fourth.id, *ids[1:]])
    assert after["ann"] == [fourth.id, ids[2]] and after["bob"] == [ids[1]]
    assert after["loaded"][0] == fourth
    with db.transaction(readonly=True) as tx:
        for table in ("message_events", "message_recipients"):
            left = tx.fetchone(f"SELECT COUNT(*) FROM {table} WHERE message_id = ?", (ids[0],))
            assert left is not None and left[0] == 0
    with db.transaction() as tx:
        assert queries.delete_messages(tx, ids[0]) == 0
