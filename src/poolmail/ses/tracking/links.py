"""The tracking tokens of sent mail: which message an open pixel or a rewritten link
belongs to, and where the link leads. The one writer of ``ses_tracking_links``."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Literal

from poolmail.store import Transaction

Kind = Literal["open", "click"]
PATH = "/_poolmail/ses/t/"


@dataclass(frozen=True, slots=True)
class Tracked:
    message_id: str
    kind: Kind
    link: str | None
    tags: dict[str, list[str]]


def url(base_url: str, kind: Kind, token: str) -> str:
    """The URL poolmail serves for ``token`` (the click redirect or the open pixel)."""
    return f"{base_url}{PATH}{kind}/{token}"


def add(
    tx: Transaction,
    message_id: str,
    kind: Kind,
    now: float,
    link: str | None = None,
    tags: dict[str, list[str]] | None = None,
) -> str:
    """A new token for ``message_id``'s pixel or one of its links."""
    token = secrets.token_urlsafe(18)
    tx.execute(
        "INSERT INTO ses_tracking_links (token, message_id, kind, link, tags, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (token, message_id, kind, link, json.dumps(tags or {}), now),
    )
    return token


def find(tx: Transaction, kind: Kind, token: str) -> Tracked | None:
    row = tx.fetchone(
        "SELECT message_id, link, tags FROM ses_tracking_links WHERE token = ? AND kind = ?",
        (token, kind),
    )
    if row is None:
        return None
    return Tracked(
        str(row[0]), kind, str(row[1]) if row[1] is not None else None, json.loads(row[2])
    )
