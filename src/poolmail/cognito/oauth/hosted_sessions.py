"""Managed login sessions: the `cognito` cookie a pool domain sets after a sign-in, which
lets /oauth2/authorize return a code without the login page while it lives.

"Managed login sets session cookies valid 1 hour" and how long a client reuses the
session silently is its SSO session setting (session_configuration.sso_reuse_minutes).
A session is one row, keyed by the cookie value's hash.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any

from poolmail.store import Transaction

# Not found: the name of Cognito's session cookie [facts 1.1, inferred `cognito`].
COOKIE = "cognito"


@dataclass(frozen=True, slots=True)
class HostedSession:
    pool_id: str
    sub: str
    username: str
    auth_time: int
    created_at: float
    expires_at: float
    # How the user signed in: `amr` values and, for a federated sign-in, the provider.
    data: dict[str, Any]


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def start(
    tx: Transaction,
    pool_id: str,
    sub: str,
    username: str,
    auth_time: int,
    now: float,
    seconds: int,
    extra: dict[str, Any] | None = None,
) -> str:
    """A new session; the cookie value that names it."""
    value = secrets.token_urlsafe(32)
    data = {"username": username, "auth_time": auth_time, **(extra or {})}
    tx.execute("DELETE FROM cognito_hosted_sessions WHERE expires_at <= ?", (now - 86400,))
    tx.execute(
        "INSERT INTO cognito_hosted_sessions (session_hash, pool_id, sub, created_at, "
        "expires_at, data) VALUES (?, ?, ?, ?, ?, ?)",
        (_hash(value), pool_id, sub, now, now + seconds, json.dumps(data)),
    )
    return value


def find(tx: Transaction, pool_id: str, value: str, now: float) -> HostedSession | None:
    """The live session a cookie value names on a pool's domain."""
    if not value:
        return None
    row = tx.fetchone(
        "SELECT sub, created_at, expires_at, data FROM cognito_hosted_sessions "
        "WHERE session_hash = ? AND pool_id = ? AND expires_at > ?",
        (_hash(value), pool_id, now),
    )
    if row is None:
        return None
    data = json.loads(row[3])
    return HostedSession(
        pool_id,
        str(row[0]),
        str(data["username"]),
        int(data["auth_time"]),
        float(row[1]),
        float(row[2]),
        data,
    )


def end(tx: Transaction, value: str) -> None:
    """End the session a cookie names (/logout)."""
    tx.execute("DELETE FROM cognito_hosted_sessions WHERE session_hash = ?", (_hash(value),))


def end_for_user(tx: Transaction, pool_id: str, sub: str) -> None:
    """End every managed login session of a user (a global sign-out, a deleted user)."""
    tx.execute("DELETE FROM cognito_hosted_sessions WHERE pool_id = ? AND sub = ?", (pool_id, sub))
