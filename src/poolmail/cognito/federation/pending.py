"""Sign-ins waiting at an external IdP: what poolmail sent the IdP (its own `state` or the
SAML AuthnRequest's RelayState) leads back to the authorization request to finish.

Each is used once: the callback takes it, so a replayed IdP response finds nothing. Cognito
keeps the same facts in a signed `state` it sends the IdP (facts 1.7); poolmail keeps them in
the database, so replicas behind one load balancer share them.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from poolmail.store import Database

# "Amazon Cognito cancels authentication requests that do not complete within 5 minutes"
# [doc cognito-user-pools-saml-idp-authentication]; OIDC IdPs alike (Choice).
LIFETIME = 5 * 60


@dataclass(slots=True)
class Pending:
    id: str
    pool_id: str
    provider_name: str
    created: float
    # The authorization request (its fields), the nonce and redirect URI sent to the IdP,
    # the domain URL the sign-in started on, the SAML request ID.
    data: dict[str, Any]


def remember(
    db: Database, pool_id: str, provider_name: str, data: dict[str, Any], now: float
) -> Pending:
    pending = Pending(secrets.token_urlsafe(32), pool_id, provider_name, now, data)
    with db.transaction() as tx:
        # Expired ones go as new ones come: no background job needed to keep the table small.
        tx.execute("DELETE FROM cognito_federation_pending WHERE expires_at < ?", (now,))
        tx.execute(
            "INSERT INTO cognito_federation_pending (id, pool_id, provider_name, created_at, "
            "expires_at, data) VALUES (?, ?, ?, ?, ?, ?)",
            (pending.id, pool_id, provider_name, now, now + LIFETIME, json.dumps(data)),
        )
    return pending


def take(db: Database, pending_id: str, now: float) -> Pending | None:
    """The sign-in ``pending_id`` names, removed so that it serves once; None when unknown or
    expired."""
    with db.transaction() as tx:
        row = tx.fetchone(
            "SELECT id, pool_id, provider_name, created_at, expires_at, data "
            "FROM cognito_federation_pending WHERE id = ?",
            (pending_id,),
        )
        if row is None:
            return None
        removed = tx.execute("DELETE FROM cognito_federation_pending WHERE id = ?", (pending_id,))
    if removed != 1 or float(row[4]) < now:
        return None  # another replica took it first, or it expired
    return Pending(str(row[0]), str(row[1]), str(row[2]), float(row[3]), json.loads(row[5]))
