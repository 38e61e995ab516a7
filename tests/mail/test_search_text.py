"""The search text kept with each message (mail/mailbox.py), the terms a search is made
of (mail/queries.py), and migration 8's backfill of messages stored before it, on SQLite
and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json

from poolmail.mail import mailbox, queries
from poolmail.mail.queries import MessageFilter
from poolmail.ses.sending import mime
from poolmail.store import Database
from poolmail.store.migrations import MIGRATIONS, migrate

NOW = 1_750_000_000.0


def stored(subject: str, details: dict[str, object], raw: bytes | None) -> mailbox.StoredMessage:
    return mailbox.StoredMessage(
        id=mailbox.new_message_id(NOW),
        account="123456789012",
        region="us-east-1",
        created_at=NOW,
        status="delivered",
        origin="ses",
        source="Shop <news@shop.example.com>",
        recipients=["Ann@Example.org"],
        subject=subject,
        raw=raw,
        details=details,
    )


def test_the_search_text_of_a_cognito_mail() -> None:
    html = "<p>Your code is <b>482913</b>.</p><style>p { color: red }</style>"
    message = stored("Your code", {"body": {"text": "Your code is 482913.", "html": html}}, b"")
    text = mailbox.search_text(message)
    assert text == "your code shop <news@shop.example.com> ann@example.org your code is 482913."


def test_the_search_text_of_a_raw_message_reads_its_decoded_bodies() -> None:
    raw = (
        b"From: a@example.com\r\nSubject: Hi\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"PGgxPkvDtmxuPC9oMT48c2NyaXB0PnZhciB4PTE8L3NjcmlwdD4=\r\n"
    )
    text = mailbox.search_text(stored("Hi", {"raw": True}, raw))
    assert text.endswith("ann@example.org köln")  # "<h1>Köln</h1><script>var x=1</script>"


def test_search_terms() -> None:
    assert queries.search_terms('Code  "Your   ORDER" 42 code') == ["code", "your order", "42"]
    assert queries.search_terms('"" ') == []
    assert len(queries.search_terms(" ".join(str(n) for n in range(30)))) == queries.MAX_TERMS


# ---- migration 8 fills the search text of messages stored before it -------------------------


def _insert_as_version_7(db: Database, message: mailbox.StoredMessage) -> None:
    # The INSERT mailbox.store made before migration 8: no search_text column.
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO messages (id, account, region, created_at, status, origin, source, "
            "recipients, subject, data, raw, kind, listing) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
            (
                message.id,
                message.account,
                message.region,
                message.created_at,
                message.status,
                message.origin,
                message.source,
                json.dumps(message.recipients),
                message.subject,
                json.dumps(message.details),
                message.raw,
                mailbox.kind_of(message.details),
            ),
        )


def test_messages_stored_before_are_searchable(unmigrated: Database) -> None:
    assert migrate(unmigrated, MIGRATIONS[:7]) == list(range(1, 8))
    sent = mime.build(
        mime.Headers(sender="news@shop.example.com", to=["ann@example.org"]),
        mime.Content("Spring sale", text="Fifty percent off boots"),
        "0001",
        dt.datetime.fromtimestamp(NOW, dt.UTC),
    )
    simple = stored("Spring sale", {"body": {"text": "Fifty percent off boots"}}, sent)
    raw = stored("Raw", {"raw": True}, sent.replace(b"boots", b"sandals"))
    cognito = stored(
        "Your verification code",
        {"kind": "cognito-sign-up", "code": "482913", "body": {"html": "Code <b>482913</b>"}},
        None,
    )
    for message in (simple, raw, cognito):
        _insert_as_version_7(unmigrated, message)
    assert migrate(unmigrated, MIGRATIONS[:8]) == [8]

    def found(q: str) -> list[str]:
        with unmigrated.transaction(readonly=True) as tx:
            return [m["subject"] for m in queries.list_messages(tx, MessageFilter(search=q))]

    assert found("boots") == ["Spring sale"]  # the body SES was given
    assert found("sandals") == ["Raw"]  # the MIME message as text
    assert found("482913") == ["Your verification code"]
    assert sorted(found("ann@example.org")) == ["Raw", "Spring sale", "Your verification code"]
    assert sorted(found("SHOP")) == ["Raw", "Spring sale", "Your verification code"]
