"""Opaque pagination tokens: keyset positions, so a page costs the same at any depth."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Any

from poolmail.protocol.errors import AwsError
from poolmail.store import Row, Transaction


def encode_token(position: list[Any]) -> str:
    raw = json.dumps(position, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii")


def decode_token(token: str, error_code: str, size: int) -> list[Any]:
    """The position a token stands for; a token poolmail did not issue is refused."""
    try:
        position = json.loads(base64.urlsafe_b64decode(token.encode("ascii")))
    except (ValueError, binascii.Error, UnicodeError) as exc:
        raise AwsError(error_code, "Invalid pagination token.") from exc
    if not isinstance(position, list) or len(position) != size:
        raise AwsError(error_code, "Invalid pagination token.")
    return position


def keyset_page(
    tx: Transaction,
    select: str,
    args: Sequence[Any],
    *,
    key: str,
    token: str | None,
    token_error: str,
    limit: int,
) -> tuple[list[Row], str | None]:
    """One page of ``select`` (whose first two columns are ``key`` and ``created_at``,
    and which ends in a WHERE clause) in (created_at, key) order, and the next token."""
    sql, values = select, list(args)
    if token is not None:
        after_created, after_key = decode_token(token, token_error, 2)
        sql += f" AND (created_at > ? OR (created_at = ? AND {key} > ?))"
        values += [after_created, after_created, after_key]
    sql += f" ORDER BY created_at, {key} LIMIT ?"
    rows = tx.fetchall(sql, [*values, limit + 1])
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], encode_token([float(last[1]), last[0]])
