"""The identity rows one send remembers (ses/identities/coverage.py `rows_remembered`): read once,
forgotten as soon as an identity row is written in the same block."""

from __future__ import annotations

from poolmail.ses.identities.coverage import identity_rows, rows_remembered
from poolmail.ses.identities.verification import insert_row, load, update_data
from poolmail.store import open_database


def test_rows_are_read_once_and_forgotten_on_write() -> None:
    db = open_database(data_dir=":memory:")
    try:
        with db.transaction() as tx:
            insert_row(tx, "111122223333", "us-east-1", "example.com", "Domain", {"a": 1}, 0.0)
        with db.transaction() as tx, rows_remembered():
            first = load(tx, "111122223333", "us-east-1", "example.com")
            assert first is not None and first.data == {"a": 1}
            # Another writer's change is not seen inside the block: the block is one
            # transaction, whose snapshot it would not see either...
            assert load(tx, "111122223333", "us-east-1", "example.com") is first
            # ... but this transaction's own write is.
            update_data(tx, "111122223333", "us-east-1", "example.com", {"a": 2})
            again = load(tx, "111122223333", "us-east-1", "example.com")
            assert again is not None and again.data == {"a": 2}
            # A name that is no identity is remembered as absent, and found once added.
            assert identity_rows(tx, "111122223333", "us-east-1", ["other.com"]) == {}
            insert_row(tx, "111122223333", "us-east-1", "other.com", "Domain", {}, 0.0)
            assert set(identity_rows(tx, "111122223333", "us-east-1", ["other.com"])) == {
                "other.com"
            }
        # Outside a block nothing is remembered.
        with db.transaction() as tx:
            update_data(tx, "111122223333", "us-east-1", "example.com", {"a": 3})
            found = load(tx, "111122223333", "us-east-1", "example.com")
            assert found is not None and found.data == {"a": 3}
    finally:
        db.close()
