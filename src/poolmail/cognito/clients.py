"""User pool app clients: the records unsigned calls (SignUp, InitiateAuth) are scoped by."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from poolmail.operations import Handler
from poolmail.store import Transaction


@dataclass(slots=True)
class ClientRecord:
    id: str
    pool_id: str
    account: str
    region: str
    name: str
    created_at: float
    # DescribeUserPoolClient's members (ClientSecret, ExplicitAuthFlows, token validity...).
    settings: dict[str, Any]


def find_client(tx: Transaction, client_id: str) -> ClientRecord | None:
    """An app client by id in any account: client ids are globally unique, and a public
    call names only the client, not its account or region."""
    row = tx.fetchone(
        "SELECT id, pool_id, account, region, name, created_at, data FROM user_pool_clients "
        "WHERE id = ?",
        (client_id,),
    )
    if row is None:
        return None
    return ClientRecord(
        str(row[0]),
        str(row[1]),
        str(row[2]),
        str(row[3]),
        str(row[4]),
        float(row[5]),
        json.loads(row[6]),
    )


OPERATIONS: dict[str, Handler] = {}
