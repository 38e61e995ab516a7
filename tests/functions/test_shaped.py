"""Links from invocations to what they shaped: the caller's chosen id, links to deleted
messages left out, links dropped with the invocations that age out."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from poolmail import functions
from poolmail.clock import SystemClock
from poolmail.config import Settings
from poolmail.functions import Caller, InvokeError, shaped
from poolmail.functions import records as invocation_records
from poolmail.store import Database, open_database


@pytest.fixture
def db() -> Iterator[Database]:
    database = open_database(data_dir=":memory:")
    yield database
    database.close()


def _invoke(db: Database, owner: str, invocation_id: str) -> None:
    caller = Caller("123456789012", "us-east-1", "CustomMessage_SignUp", owner, invocation_id)
    with pytest.raises(InvokeError):
        functions.invoke(Settings(), db, SystemClock(), "gone", {}, caller)


def _text(db: Database, sms_id: str) -> None:
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO sms_messages (id, account, region, created_at, pool_id, destination, "
            "status, data) VALUES (?, 'a', 'r', 1, 'p', '+15555550100', 'delivered', '{}')",
            (sms_id,),
        )


def test_the_chosen_id_names_the_record(db: Database) -> None:
    _invoke(db, "pool-a", "chosen-id")
    with db.transaction(readonly=True) as tx:
        record = invocation_records.get(tx, "chosen-id")
    assert record is not None and record.owner == "pool-a"


def test_links_lead_only_to_messages_that_exist(db: Database) -> None:
    _invoke(db, "pool-a", "one")
    _text(db, "kept")
    with db.transaction() as tx:
        shaped.link(tx, "one", shaped.SMS, "kept", 1.0)
        shaped.link(tx, "one", shaped.SMS, "kept", 1.0)  # a second note changes nothing
        shaped.link(tx, "one", shaped.SMS, "deleted-since", 2.0)
        shaped.link(tx, "one", shaped.MAIL, "never-stored", 3.0)
    with db.transaction(readonly=True) as tx:
        found = shaped.shaped_by(tx, ["one", "other"])
    assert found == {"one": [shaped.Shaped(shaped.SMS, "kept")]}


def test_links_go_with_the_invocations_that_age_out(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(invocation_records, "KEEP_PER_OWNER", 2)
    _text(db, "text-1")
    _text(db, "text-3")
    for number in (1, 2, 3):
        _invoke(db, "pool-a", f"call-{number}")
        with db.transaction() as tx:
            shaped.link(tx, f"call-{number}", shaped.SMS, f"text-{number}", float(number))
    with db.transaction(readonly=True) as tx:
        rows = tx.fetchall("SELECT invocation_id FROM function_shaped ORDER BY invocation_id")
        found = shaped.shaped_by(tx, ["call-1", "call-2", "call-3"])
    assert [row[0] for row in rows] == ["call-2", "call-3"]
    assert found == {"call-3": [shaped.Shaped(shaped.SMS, "text-3")]}
