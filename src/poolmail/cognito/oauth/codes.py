"""Authorization codes: "a one time use code that is valid for five minutes" [doc AUTH],
stored hashed with the authorization request and sign-in they stand for.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from poolmail.store import Transaction

LIFETIME_SECONDS = 300


def _hash(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def issue(
    tx: Transaction, pool_id: str, client_id: str, sub: str, now: float, data: dict[str, Any]
) -> str:
    """A new code for ``data`` (the request and the sign-in); expired codes make way."""
    # Cognito's codes are UUIDs (`?code=a1b2c3d4-5678-90ab-cdef-EXAMPLE11111` [doc AUTH]).
    code = str(uuid.uuid4())
    tx.execute("DELETE FROM cognito_oauth_codes WHERE expires_at <= ?", (now - 86400,))
    tx.execute(
        "INSERT INTO cognito_oauth_codes (code_hash, pool_id, client_id, sub, created_at, "
        "expires_at, used_at, data) VALUES (?, ?, ?, ?, ?, ?, NULL, ?)",
        (_hash(code), pool_id, client_id, sub, now, now + LIFETIME_SECONDS, json.dumps(data)),
    )
    return code


def pending(tx: Transaction, code: str, client_id: str, now: float) -> dict[str, Any] | None:
    """The data of a live, unused code of ``client_id``; None otherwise."""
    row = tx.fetchone(
        "SELECT data FROM cognito_oauth_codes "
        "WHERE code_hash = ? AND client_id = ? AND used_at IS NULL AND expires_at > ?",
        (_hash(code), client_id, now),
    )
    return None if row is None else dict(json.loads(row[0]))


def use(tx: Transaction, code: str, now: float) -> bool:
    """Use a code up; False when it was used meanwhile.

    The conditional update makes a code single-use even when two replicas redeem it at
    once: only one of them changes the row.
    """
    changed = tx.execute(
        "UPDATE cognito_oauth_codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL",
        (now, _hash(code)),
    )
    return changed == 1


def forget_user(tx: Transaction, pool_id: str, sub: str) -> None:
    tx.execute("DELETE FROM cognito_oauth_codes WHERE pool_id = ? AND sub = ?", (pool_id, sub))
