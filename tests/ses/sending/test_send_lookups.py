"""A send's one read of its optional features also finds the region's amazonses.com DKIM
key, the one `dkim_keys.amazonses_key` gives, once it exists."""

from __future__ import annotations

from poolmail.ses.authentication import dkim_keys
from poolmail.ses.sending import send_lookups
from poolmail.store import open_database

ACCOUNT = "123456789012"


def test_the_amazonses_key_is_read_with_the_features() -> None:
    db = open_database(data_dir=":memory:")
    try:
        with db.transaction() as tx:
            before = send_lookups.read(tx, ACCOUNT, "us-east-1", ["a@example.com"])
            assert before.amazonses_key is None
            made = dkim_keys.amazonses_key(tx, "us-east-1", 1_750_000_000.0)
            found = send_lookups.read(tx, ACCOUNT, "us-east-1", ["a@example.com", "B@x.org"])
            elsewhere = send_lookups.read(tx, ACCOUNT, "eu-west-1", ["a@example.com"])
            # Nothing else in the answer: the account has no features.
            assert (found.ips, found.delays, found.suppressed) == ([], [], [])
        assert found.amazonses_key == (made.selector, made.pem)
        assert elsewhere.amazonses_key is None
    finally:
        db.close()
