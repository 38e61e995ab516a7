"""Reading the mailbox: filtered listings, one message with its bodies and events."""

from __future__ import annotations

import json
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from poolmail.mail import localstack
from poolmail.mail.mailbox import kind_of
from poolmail.ses.sending.mime import bodies
from poolmail.store import Dialect, Row, Transaction
from poolmail.store.conditions import Conditions

_COLUMNS = "id, account, region, created_at, status, origin, source, recipients, subject, data"


@dataclass(frozen=True, slots=True)
class MessageFilter:
    recipient: str | None = None
    sender: str | None = None
    since: float | None = None
    until: float | None = None
    status: str | None = None
    kind: str | None = None
    account: str | None = None
    region: str | None = None
    message_id: str | None = None
    # Words (or "quoted phrases") that must all occur in the subject, an address or a body.
    search: str | None = None
    include_rejected: bool = True
    exclude_kinds: tuple[str, ...] = ()
    limit: int = 100


def list_messages(tx: Transaction, where: MessageFilter) -> list[dict[str, Any]]:
    """Matching messages, newest first, as summaries.

    Every filter runs in SQL, before the limit. A recipient filter starts from the
    recipient index (exact address, any case), so it costs the same with a hundred
    messages stored as with a million. A search reads each newer message's text until
    ``limit`` match: linear in the mailbox, as a local mailbox can afford.
    """
    return [summary(row) for row in tx.fetchall(*_select(where, _COLUMNS))]


# A LocalStack listing comes from SQLite in pieces of about this many bytes. glibc hands
# blocks of 128 KiB or more straight back to the system when freed (server/process.py), so
# one text of a whole mailbox (3.4 MB for ten thousand messages), and each copy of it, was
# new memory whose every page faulted in again at every listing: half its CPU. Pieces this
# size are reused from the heap, and a reader can send each before the next is read.
LISTING_PIECE_BYTES = 40 * 1024
_FIRST_PIECE_ENTRIES = 64


def localstack_listing(tx: Transaction, where: MessageFilter, dialect: Dialect) -> Iterator[bytes]:
    """Every matching message as LocalStack's `/_aws/ses` entries, oldest first as
    LocalStack lists them: the JSON texts joined by commas (the array's inside), in UTF-8,
    in pieces to be written one after the other.

    The store joins the stored entries itself, so ten thousand messages come back as a few
    texts rather than ten thousand rows (bench/notes.md, optimisation 38); on SQLite they
    are read from the `messages_listing` index, never from the rows, a page of entries at a
    time (keyset paging, in this one transaction: the same snapshot throughout). A message
    without a stored entry (a raw send, or one stored before entries were) comes back as
    its id between two U+0001 marks, which no JSON text holds unescaped, and its entry is
    made here. ``where.limit`` does not apply: LocalStack's listing has none.
    """
    marked = "COALESCE(m.listing, {mark} || m.id || {mark})"
    if dialect == "postgresql":
        # One round trip: each page would cost one more to the server.
        sql, args = _select(where, "listing, id, created_at", oldest_first=True)
        row = tx.fetchone(
            f"SELECT convert_to(string_agg({marked.format(mark='chr(1)')}, ',' "
            f"ORDER BY m.created_at, m.id), 'UTF8') FROM ({sql}) m",
            args,
        )
        if row is not None and row[0] is not None:
            yield _filled(tx, bytes(row[0]))
        return
    # The queries of the first page and of the pages after a key, built once: a page's
    # arguments are those of its query with the key's two (after the first) and the size.
    columns, key = "listing, id", ", ".join(_order_key(where))
    # SQLite before 3.44 takes no ORDER BY in an aggregate: it concatenates in the order
    # the ordered subquery yields its rows. As a BLOB, the text reaches Python as the
    # UTF-8 bytes that are sent, neither decoded nor encoded again.
    joined = (
        f"SELECT CAST(group_concat({marked.format(mark='char(1)')}, ',') AS BLOB), "
        "count(*) FROM ({}) m"
    )
    sql, args = _select(where, columns, oldest_first=True, page=0)
    first = joined.format(sql)
    following = joined.format(
        _select(where, columns, oldest_first=True, after=(0.0, ""), page=0)[0]
    )
    first_key = _select(where, key, oldest_first=True, page=0)[0] + " OFFSET ?"
    following_key = _select(where, key, oldest_first=True, after=(0.0, ""), page=0)[0]
    following_key += " OFFSET ?"
    fixed = args[:-1]
    after: list[Any] = []
    size = _FIRST_PIECE_ENTRIES
    while True:
        row = tx.fetchone(following if after else first, [*fixed, *after, size])
        assert row is not None  # an aggregate without GROUP BY has one row
        text, count = row
        if not count:
            return
        piece = _filled(tx, bytes(text))
        yield b"," + piece if after else piece
        if count < size:
            return
        # The last entry's key, to read on from: found again in the index (the page's
        # entries are in SQLite's cache now), not carried through the aggregate.
        last = tx.fetchone(following_key if after else first_key, [*fixed, *after, 1, size - 1])
        assert last is not None  # the page above held `size` rows in this snapshot
        after = [float(last[0]), str(last[1])]
        size = max(16, min(4096, LISTING_PIECE_BYTES * count // max(len(piece), 1)))


_MARK = b"\x01"
_MARKED = re.compile(b"\x01([^\x01]*)\x01")


def _filled(tx: Transaction, joined: bytes) -> bytes:
    """``joined`` with each marked message's entry made."""
    if _MARK not in joined:
        return joined
    return _MARKED.sub(lambda found: _made_entry(tx, found.group(1).decode()).encode(), joined)


def _made_entry(tx: Transaction, message_id: str) -> str:
    row = tx.fetchone(f"SELECT {_COLUMNS} FROM messages WHERE id = ?", (message_id,))
    # Listed in this same transaction: the row is there.
    assert row is not None
    message = summary(row)
    details = message["details"]
    raw = raw_message(tx, message["id"]) if localstack.needs_raw(details) else None
    entry = localstack.shape(
        message_id=message["id"],
        region=message["region"],
        created_at=message["created_at"],
        source=message["source"],
        recipients=message["recipients"],
        subject=message["subject"],
        details=details,
        raw=raw,
    )
    return localstack.to_json(entry)


def _order_key(where: MessageFilter) -> tuple[str, str]:
    """The columns ``where``'s listing is ordered by: (created_at, id) of the index it
    starts from."""
    if where.recipient is not None:
        return "r.created_at", "r.message_id"
    return "m.created_at", "m.id"


def _select(
    where: MessageFilter,
    columns: str,
    *,
    oldest_first: bool = False,
    after: tuple[float, str] | None = None,
    page: int | None = None,
) -> tuple[str, list[Any]]:
    """The query of ``where``'s messages, newest first up to ``where.limit``; with
    ``oldest_first``, oldest first: all of them, or ``page`` of them after the key
    ``after`` (see ``_order_key``). The arguments end with the key's two, then the page
    size. A column named with its table's alias is taken as it is; others are the
    message's."""
    conditions = Conditions().equal(
        ("m.id", where.message_id),
        ("m.status", where.status),
        ("m.account", where.account),
        ("m.region", where.region),
        ("m.source", where.sender),
        ("m.kind", where.kind),
    )
    conditions.window("m.created_at", where.since, where.until)
    if not where.include_rejected:
        conditions.add("m.status <> 'rejected'")
    if where.search:
        for term in search_terms(where.search):
            conditions.add("m.search_text LIKE ? ESCAPE '\\'", _containing(term))
    if where.exclude_kinds:
        marks = ", ".join("?" for _ in where.exclude_kinds)
        conditions.add(f"m.kind NOT IN ({marks})", *where.exclude_kinds)
    time_column, id_column = _order_key(where)
    if after is not None:
        # A row value: SQLite and PostgreSQL both search the index from that key.
        conditions.add(f"({time_column}, {id_column}) > (?, ?)", *after)
    selected = ", ".join(
        column if "." in column else f"m.{column}" for column in columns.split(", ")
    )
    args = conditions.args
    if where.recipient is not None:
        sql = (
            f"SELECT {selected} FROM message_recipients r "
            "JOIN messages m ON m.id = r.message_id WHERE r.recipient = ?"
        )
        args.insert(0, where.recipient.lower())
        sql += conditions.sql("AND")
    else:
        sql = f"SELECT {selected} FROM messages m{conditions.sql()}"
    if oldest_first:
        order = f" ORDER BY {time_column}, {id_column}"
        if page is None:
            return sql + order, args
        args.append(page)
        return sql + order + " LIMIT ?", args
    args.append(where.limit)
    return sql + f" ORDER BY {time_column} DESC, {id_column} DESC LIMIT ?", args


# A search has at most this many terms; more would only slow the scan.
MAX_TERMS = 10
_TERM = re.compile(r'"([^"]*)"|(\S+)')
_LIKE_SPECIAL = re.compile(r"[\\%_]")


def search_terms(query: str) -> list[str]:
    """The lower-cased terms of a search: words, and "quoted phrases" kept whole. Each must
    occur in a message's search text (`mailbox.search_text`), anywhere: `4711` finds the
    code 471122, `example.org` every address at that domain."""
    terms = [" ".join((phrase or word).lower().split()) for phrase, word in _TERM.findall(query)]
    return [term for term in dict.fromkeys(terms) if term][:MAX_TERMS]


def _containing(term: str) -> str:
    """A LIKE pattern (escaped with backslashes) matching any text that contains ``term``."""
    return "%" + _LIKE_SPECIAL.sub(lambda found: "\\" + found.group(), term) + "%"


def summary(row: Row) -> dict[str, Any]:
    message_id, account, region, created, status, origin, source, recipients, subject, data = row
    details = json.loads(data)
    return {
        "id": message_id,
        "account": account,
        "region": region,
        "timestamp": iso(float(created)),
        "created_at": float(created),
        "status": status,
        "origin": origin,
        "kind": kind_of(details),
        "source": source,
        "recipients": json.loads(recipients),
        "subject": subject,
        "details": details,
    }


iso = localstack.iso


def raw_message(tx: Transaction, message_id: str) -> bytes | None:
    row = tx.fetchone("SELECT raw FROM messages WHERE id = ?", (message_id,))
    if row is None or row[0] is None:
        return None
    return bytes(row[0])


def events(tx: Transaction, message_id: str) -> list[dict[str, Any]]:
    rows = tx.fetchall(
        "SELECT type, created_at, data FROM message_events WHERE message_id = ? ORDER BY position",
        (message_id,),
    )
    return [
        {"type": kind, "timestamp": iso(float(at)), **json.loads(data)} for kind, at, data in rows
    ]


def full_message(tx: Transaction, message_id: str) -> dict[str, Any] | None:
    found = list_messages(tx, MessageFilter(message_id=message_id, limit=1))
    if not found:
        return None
    message = found[0]
    raw = raw_message(tx, message_id)
    text, html = bodies(raw) if raw is not None else (None, None)
    message.update(text=text, html=html, events=events(tx, message_id))
    return message


def delete_messages(tx: Transaction, message_id: str | None = None) -> int:
    if message_id is None:
        tx.execute("DELETE FROM message_events")
        tx.execute("DELETE FROM message_recipients")
        return tx.execute("DELETE FROM messages")
    tx.execute("DELETE FROM message_events WHERE message_id = ?", (message_id,))
    row = tx.fetchone("SELECT created_at, recipients FROM messages WHERE id = ?", (message_id,))
    if row is None:
        return 0
    # The recipient rows by their whole key (no index on message_id: every send would
    # write one more B-tree). mailbox.store lower-cases with Python; migration 5 filled
    # the rows of older messages with SQL's LOWER, which SQLite's folds ASCII only.
    keys = {
        folded
        for address in json.loads(row[1])
        for folded in (address.lower(), address.translate(_ASCII_LOWER))
    }
    if keys:
        marks = ", ".join("?" for _ in keys)
        tx.execute(
            f"DELETE FROM message_recipients WHERE recipient IN ({marks}) "
            "AND created_at = ? AND message_id = ?",
            [*keys, row[0], message_id],
        )
    return tx.execute("DELETE FROM messages WHERE id = ?", (message_id,))


_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
