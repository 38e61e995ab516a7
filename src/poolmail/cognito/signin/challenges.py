"""Sign-ins halfway through a challenge: the SRP secret block of PASSWORD_VERIFIER and the
Session of NEW_PASSWORD_REQUIRED, kept server-side under a hash of what the client holds.

They last the app client's AuthSessionValidity (3 minutes unless set, 3 to 15 [model]).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any

from poolmail.cognito.clients.clients import ClientRecord
from poolmail.context import RequestContext
from poolmail.protocol.errors import AwsError
from poolmail.store import Transaction

# AWS's texts for an unknown and an expired session (seen in client reports:
# aws-samples/amazon-cognito-passwordless-email-auth#17 and many Amplify issues).
INVALID_SESSION = "Invalid session for the user."
EXPIRED_SESSION = "Invalid session for the user, session is expired."

PASSWORD_VERIFIER = "PASSWORD_VERIFIER"
NEW_PASSWORD_REQUIRED = "NEW_PASSWORD_REQUIRED"


@dataclass(slots=True)
class Pending:
    """One open challenge: whose sign-in it is and what the server must remember."""

    key: str
    username: str
    data: dict[str, Any]


def _key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_secret_block() -> str:
    # Clients Base64-decode SECRET_BLOCK and sign its bytes; real blocks run to ~1 KB.
    return base64.b64encode(secrets.token_bytes(512)).decode("ascii")


def new_session() -> str:
    return secrets.token_urlsafe(192)


def open_challenge(
    ctx: RequestContext,
    client: ClientRecord,
    token: str,
    username: str,
    challenge: str,
    data: dict[str, Any],
) -> None:
    now = ctx.clock.now().timestamp()
    minutes = int(client.settings.get("AuthSessionValidity") or 3)
    with ctx.db.transaction() as tx:
        # Old sessions of any pool go here: nothing else needs them once expired.
        tx.execute("DELETE FROM cognito_auth_sessions WHERE expires_at < ?", (now - 3600,))
        tx.execute(
            "INSERT INTO cognito_auth_sessions (id, pool_id, client_id, username, challenge, "
            "created_at, expires_at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                _key(token),
                client.pool_id,
                client.id,
                username,
                challenge,
                now,
                now + minutes * 60,
                json.dumps(data),
            ),
        )


def find_challenge(
    ctx: RequestContext, client: ClientRecord, token: str | None, challenge: str
) -> Pending:
    """The open challenge ``token`` stands for; NotAuthorizedException when there is none
    for this client and challenge, or it has expired."""
    if not token:
        raise AwsError("NotAuthorizedException", INVALID_SESSION)
    with ctx.db.transaction() as tx:
        return read_challenge(ctx, tx, client, token, challenge)


def read_challenge(
    ctx: RequestContext, tx: Transaction, client: ClientRecord, token: str | None, challenge: str
) -> Pending:
    """``find_challenge`` in the caller's transaction, which may read more with it."""
    if not token:
        raise AwsError("NotAuthorizedException", INVALID_SESSION)
    key = _key(token)
    row = tx.fetchone(
        "SELECT client_id, username, challenge, expires_at, data FROM cognito_auth_sessions "
        "WHERE id = ?",
        (key,),
    )
    if row is None or row[0] != client.id or row[2] != challenge:
        raise AwsError("NotAuthorizedException", INVALID_SESSION)
    if float(row[3]) <= ctx.clock.now().timestamp():
        raise AwsError("NotAuthorizedException", EXPIRED_SESSION)
    return Pending(key, str(row[1]), json.loads(row[4]))


def close_challenge(ctx: RequestContext, pending: Pending) -> None:
    with ctx.db.transaction() as tx:
        close_in(tx, pending)


def close_in(tx: Transaction, pending: Pending) -> None:
    """``close_challenge`` in the caller's writing transaction."""
    tx.execute("DELETE FROM cognito_auth_sessions WHERE id = ?", (pending.key,))


def update_challenge(ctx: RequestContext, pending: Pending, data: dict[str, Any]) -> None:
    """Keep ``data`` with the open challenge (a count of wrong answers, say)."""
    pending.data = data
    with ctx.db.transaction() as tx:
        tx.execute(
            "UPDATE cognito_auth_sessions SET data = ? WHERE id = ?",
            (json.dumps(data), pending.key),
        )


@dataclass(slots=True)
class Located:
    """An open challenge found by its session alone, with the pool and client it is for."""

    pending: Pending
    pool_id: str
    client_id: str


def locate_challenge(ctx: RequestContext, token: str | None, challenge: str) -> Located:
    """The open ``challenge`` that ``token`` stands for, for operations that carry a
    Session but no client id (AssociateSoftwareToken, VerifySoftwareToken)."""
    if not token:
        raise AwsError("NotAuthorizedException", INVALID_SESSION)
    with ctx.db.transaction(readonly=True) as tx:
        row = tx.fetchone(
            "SELECT pool_id, client_id, username, challenge, expires_at, data "
            "FROM cognito_auth_sessions WHERE id = ?",
            (_key(token),),
        )
    if row is None or row[3] != challenge:
        raise AwsError("NotAuthorizedException", INVALID_SESSION)
    if float(row[4]) <= ctx.clock.now().timestamp():
        raise AwsError("NotAuthorizedException", EXPIRED_SESSION)
    return Located(Pending(_key(token), str(row[2]), json.loads(row[5])), str(row[0]), str(row[1]))
