"""`/_aws/ses` entries kept with each message are exactly those made when listing, and the
recipient and kind filters run in SQL (before the limit)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from poolmail.mail import localstack, mailbox, queries
from poolmail.mail.queries import MessageFilter
from poolmail.ses.sending import mime
from poolmail.store import Database, Transaction, open_database
from tests.support.postgres import fresh_database

NOW = 1_750_000_000.0


@pytest.fixture(
    params=["sqlite-memory", "sqlite-file", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    # Every store: the listing is joined in SQL, from an index on SQLite files.
    with contextlib.ExitStack() as stack:
        if request.param == "postgres":
            database = open_database(database_url=stack.enter_context(fresh_database()))
        else:
            memory = request.param == "sqlite-memory"
            database = open_database(data_dir=":memory:" if memory else str(tmp_path))
        yield database
        database.close()


def message(
    n: int, *, kind: str = "ses-send", to: str = "Jane@Example.com", **details: object
) -> mailbox.StoredMessage:
    moment = NOW + n
    raw = mime.build(
        mime.Headers(sender="sender@example.com", to=[to]),
        mime.Content(f"Subject {n}", text=f"Text {n}", html=f"<p>Html {n}</p>"),
        f"id-{n}",
        mime.dt.datetime.fromtimestamp(moment, mime.dt.UTC),
    )
    return mailbox.StoredMessage(
        id=mailbox.new_message_id(moment),
        account="123456789012",
        region="eu-west-1",
        created_at=moment,
        status="delivered",
        origin="ses",
        source="sender@example.com",
        recipients=[to, "other@example.com"],
        subject=f"Subject {n}",
        raw=raw,
        details={"kind": kind, "destination": {"to": [to], "cc": [], "bcc": []}, **details},
    )


EVERYTHING = MessageFilter(include_rejected=False, exclude_kinds=("ses-verification",), limit=10**9)


def listing(tx: Transaction, where: MessageFilter, db: Database) -> str:
    """The listing's pieces joined: the inside of LocalStack's JSON array."""
    return b"".join(queries.localstack_listing(tx, where, db.dialect)).decode()


def test_stored_entries_are_those_made_when_listing(db: Database) -> None:
    with db.transaction() as tx:
        mailbox.store(tx, message(1, body={"text": "Given text", "html": None}))
        mailbox.store(tx, message(2, kind="cognito-sign-up"))  # bodies only in the MIME
        mailbox.store(tx, message(3, raw=True))  # RawData: made when listed
        mailbox.store(tx, message(4, template="Welcome", template_data="{}"))
        mailbox.store(tx, message(5, kind="ses-verification"))  # SES's own: never listed
    with db.transaction(readonly=True) as tx:
        stored = listing(tx, EVERYTHING, db)
    with db.transaction() as tx:
        tx.execute("UPDATE messages SET listing = NULL")
    with db.transaction(readonly=True) as tx:
        made = listing(tx, EVERYTHING, db)
    assert stored == made
    entries = json.loads(f"[{stored}]")
    assert [entry["Subject"] for entry in entries] == [f"Subject {n}" for n in (1, 2, 3, 4)]
    assert entries[0]["Body"] == {"text_part": "Given text", "html_part": None}
    assert entries[1]["Body"] == {"text_part": "Text 2\n", "html_part": "<p>Html 2</p>\n"}
    assert entries[2]["RawData"].startswith("From: sender@example.com")
    assert entries[3]["Template"] == "Welcome"
    assert entries[0]["Destination"]["ToAddresses"] == ["Jane@Example.com"]


def test_listing_by_sender_keeps_the_order_with_raw_sends_among_them(db: Database) -> None:
    # Raw sends (entries made when listed) between stored ones, in the sender filter's
    # index order, come back oldest first; so does an empty mailbox, as an empty text.
    with db.transaction(readonly=True) as tx:
        assert listing(tx, EVERYTHING, db) == ""
    with db.transaction() as tx:
        for n in range(6):
            mailbox.store(tx, message(n, raw=n % 2 == 1))
    only = MessageFilter(sender="sender@example.com", include_rejected=False, limit=1)
    with db.transaction(readonly=True) as tx:
        listed = json.loads("[" + listing(tx, only, db) + "]")
    assert ["raw" if "RawData" in entry else entry["Subject"] for entry in listed] == [
        "Subject 0",
        "raw",
        "Subject 2",
        "raw",
        "Subject 4",
        "raw",
    ]
    assert [entry["Id"] for entry in listed] == sorted(entry["Id"] for entry in listed)


def test_recipient_and_kind_filters_run_before_the_limit(db: Database) -> None:
    with db.transaction() as tx:
        for n in range(5):
            mailbox.store(tx, message(n, to=f"user{n}@example.com"))
        mailbox.store(tx, message(10, kind="cognito-sign-up", to="user1@example.com"))
        mailbox.store(tx, message(11, to="user2@example.com"))
    with db.transaction(readonly=True) as tx:
        # Any case finds the address; newest first.
        found = queries.list_messages(tx, MessageFilter(recipient="USER1@example.com"))
        assert [item["subject"] for item in found] == ["Subject 10", "Subject 1"]
        # The newest message of a kind, though a newer one of another kind exists.
        latest = queries.list_messages(tx, MessageFilter(kind="cognito-sign-up", limit=1))
        assert [item["subject"] for item in latest] == ["Subject 10"]
        assert queries.list_messages(tx, MessageFilter(recipient="nobody@example.com")) == []
    with db.transaction() as tx:
        queries.delete_messages(tx, found[0]["id"])
        assert tx.fetchone(
            "SELECT COUNT(*) FROM message_recipients WHERE message_id = ?", (found[0]["id"],)
        ) == (0,)


def test_entries_are_written_as_the_standard_library_writes_them() -> None:
    every = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    entries: list[dict[str, object]] = [
        {"Id": "x", "Subject": every, "Destination": {"ToAddresses": [every, "a@b.c"]}},
        {"Body": {"text_part": None, "html_part": '<p>\u2028\x7f\x00"\\</p>'}},
        {"Subject": "lone \ud800 surrogate"},  # orjson refuses it
        {"Template": "T", "TemplateData": 1e16},  # a number each would write its own way
        {"Subject": 2**70},
    ]
    for entry in entries:
        expected = json.dumps(entry, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        assert localstack.to_json(entry) == expected
