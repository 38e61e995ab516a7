"""SES identities, one state behind both APIs: v1 ListIdentities, v2 ListEmailIdentities."""

from __future__ import annotations

import json
from typing import Any

from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.paging import decode_token, encode_token
from poolmail.store import Row

EMAIL_ADDRESS = "EmailAddress"
DOMAIN = "Domain"

# v1 speaks `EmailAddress`/`Domain` and `Pending`/`Success`; v2 the upper-case forms.
V2_TYPES = {EMAIL_ADDRESS: "EMAIL_ADDRESS", DOMAIN: "DOMAIN"}
V2_STATUS = {
    "Pending": "PENDING",
    "Success": "SUCCESS",
    "Failed": "FAILED",
    "TemporaryFailure": "TEMPORARY_FAILURE",
    "NotStarted": "NOT_STARTED",
}


def _page(
    ctx: RequestContext,
    *,
    kind: str | None,
    limit: int,
    token: str | None,
    token_error: str,
) -> tuple[list[Row], str | None]:
    sql = (
        "SELECT identity, kind, created_at, data FROM ses_identities "
        "WHERE account = ? AND region = ?"
    )
    args: list[Any] = [ctx.account_id, ctx.region]
    if kind is not None:
        sql += " AND kind = ?"
        args.append(kind)
    if token is not None:
        after_created, after_identity = decode_token(token, token_error, 2)
        sql += " AND (created_at > ? OR (created_at = ? AND identity > ?))"
        args += [after_created, after_created, after_identity]
    sql += " ORDER BY created_at, identity LIMIT ?"
    args.append(limit + 1)
    with ctx.db.transaction() as tx:
        rows = tx.fetchall(sql, args)
    next_token = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_token = encode_token([float(last[2]), last[0]])
    return rows[:limit], next_token


def list_identities(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    # AWS quirk: MaxItems is documented up to 1000; an absent value lists that many.
    limit = params.get("MaxItems") or 1000
    rows, token = _page(
        ctx,
        kind=params.get("IdentityType"),
        limit=min(limit, 1000),
        token=params.get("NextToken"),
        token_error="InvalidParameterValue",
    )
    result: dict[str, Any] = {"Identities": [row[0] for row in rows]}
    if token:
        result["NextToken"] = token
    return result


def list_email_identities(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    filters = params.get("Filter") or {}
    kind = {"EMAIL_ADDRESS": EMAIL_ADDRESS, "DOMAIN": DOMAIN}.get(filters.get("IdentityType", ""))
    rows, token = _page(
        ctx,
        kind=kind,
        limit=params.get("PageSize") or 1000,
        token=params.get("NextToken"),
        token_error="BadRequestException",
    )
    identities = []
    for identity, row_kind, _, data in rows:
        status = json.loads(data).get("VerificationStatus", "Pending")
        identities.append(
            {
                "IdentityType": V2_TYPES[row_kind],
                "IdentityName": identity,
                "SendingEnabled": status == "Success",
                "VerificationStatus": V2_STATUS.get(status, "PENDING"),
            }
        )
    result: dict[str, Any] = {"EmailIdentities": identities}
    if token:
        result["NextToken"] = token
    return result


V1: dict[str, Handler] = {"ListIdentities": list_identities}
V2: dict[str, Handler] = {"ListEmailIdentities": list_email_identities}
