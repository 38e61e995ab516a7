"""Classic hosted UI branding (SetUICustomization, GetUICustomization): a pool's default
style (`ClientId` `ALL`) and per-client styles that override it, one row of
``cognito_ui_customizations`` each.

poolmail stores and returns the CSS and logo verbatim; ``customization_for`` is what a
classic login page shows for a client.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

from poolmail.cognito.clients.clients import client_not_found, find_client
from poolmail.cognito.pools.domains import pool_domain
from poolmail.cognito.pools.user_pools import load_pool
from poolmail.context import RequestContext
from poolmail.operations import Handler, local_only
from poolmail.protocol.errors import AwsError
from poolmail.store import Transaction

# "Set the default configuration for all clients with a ClientId of ALL." [model]
ALL = "ALL"

# AWS's text (amazon-connect/voicemail-for-amazon-connect#5): "Your user pool must have a
# domain." [model SetUICustomization]
NO_DOMAIN = "A domain must be associated with this user pool."

# "the request that sets your UI customization must not exceed 135 KB in size ...
# Amazon Cognito encodes the image file to Base64 ... If the request is too large, ...
# your SetUICustomization API request returns a `request parameters too large` error."
# (hosted-ui-classic-branding.html). Measured as the CSS plus the logo in base64, what the
# request carries besides a few names; Choice: InvalidParameterException, the code not
# being documented.
MAX_REQUEST = 135 * 1024
TOO_LARGE = "request parameters too large"
# "Property values can contain HTML, except for the following values: @import, @supports,
# @page, or @media statements, or Javascript." (same page). Not found: AWS's text; Choice.
FORBIDDEN_CSS = ("@import", "@supports", "@page", "@media", "<script", "javascript:")
BAD_CSS = "CSS must not contain @import, @supports, @page or @media statements, or JavaScript."


def _client_key(tx: Transaction, pool_id: str, client_id: str | None) -> str:
    """The row key for ``client_id``: ``ALL`` for the pool's default, else a client of the
    pool (an unknown one is refused as every client operation refuses it)."""
    if client_id is None or client_id == ALL:
        return ALL
    client = find_client(tx, client_id)
    if client is None or client.pool_id != pool_id:
        raise client_not_found(client_id)
    return client_id


def _row(tx: Transaction, pool_id: str, key: str) -> dict[str, Any] | None:
    row = tx.fetchone(
        "SELECT created_at, modified_at, data FROM cognito_ui_customizations "
        "WHERE pool_id = ? AND client_id = ?",
        (pool_id, key),
    )
    if row is None:
        return None
    data: dict[str, Any] = json.loads(row[2])
    data["CreationDate"] = float(row[0])
    data["LastModifiedDate"] = float(row[1])
    return data


def _shape(pool_id: str, key: str, stored: dict[str, Any]) -> dict[str, Any]:
    # The pool's default answers with ClientId `ALL`, as AWS's GetUICustomization example
    # shows (API_GetUICustomization.html, "inherits it from the user pool").
    shape: dict[str, Any] = {"UserPoolId": pool_id, "ClientId": key}
    for member in ("ImageUrl", "CSS", "CSSVersion", "LastModifiedDate", "CreationDate"):
        if stored.get(member) is not None:
            shape[member] = stored[member]
    return shape


def customization_for(tx: Transaction, pool_id: str, client_id: str) -> dict[str, Any] | None:
    """The client's style, else the pool's default, else None; ``Image`` holds the logo's
    bytes, base64-encoded, when one was set."""
    return _row(tx, pool_id, client_id) or _row(tx, pool_id, ALL)


def _check_request(css: str | None, image: bytes | None) -> None:
    # Unknown class names are not refused: "Added CSS keys will not be reflected in your
    # UI." (hosted-ui-classic-branding.html, console steps).
    lowered = (css or "").lower()
    if any(word in lowered for word in FORBIDDEN_CSS):
        raise AwsError("InvalidParameterException", BAD_CSS)
    size = len((css or "").encode()) + len(base64.b64encode(image or b""))
    if size > MAX_REQUEST:
        raise AwsError("InvalidParameterException", TOO_LARGE)


def set_ui_customization(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _check_request(params.get("CSS"), params.get("ImageFile"))
    now = ctx.clock.now()
    # Versions read like the domain's `Version`: the time of the change, `20210630174334`
    # in AWS's GetUICustomization example.
    version = now.astimezone(dt.UTC).strftime("%Y%m%d%H%M%S")
    pool_id = params["UserPoolId"]
    with ctx.db.transaction() as tx:
        pool = load_pool(tx, ctx, pool_id)
        host = pool_domain(tx, pool.id)
        if host is None:
            raise AwsError("InvalidParameterException", NO_DOMAIN)
        key = _client_key(tx, pool.id, params.get("ClientId"))
        previous = _row(tx, pool.id, key)
        # A request replaces the whole style (what it leaves out is cleared): "You can't
        # set CSS and logo customization separately." (hosted-ui-classic-branding.html)
        data: dict[str, Any] = {}
        if params.get("CSS") is not None:
            data["CSS"] = params["CSS"]
            data["CSSVersion"] = version
        image = params.get("ImageFile")
        if image:
            data["Image"] = base64.b64encode(image).decode("ascii")
            # Not found: the URL real answers give (they point at the assets' CDN); Choice:
            # AWS's example's path on the pool's domain (`https://auth.example.com/assets/
            # images/image.jpg`), below the client and version so each style's logo has its
            # own address.
            data["ImageUrl"] = f"https://{host}/{pool.id}/{key}/{version}/assets/images/image.jpg"
        created = previous["CreationDate"] if previous else now.timestamp()
        tx.execute(
            "INSERT INTO cognito_ui_customizations (pool_id, client_id, created_at, "
            "modified_at, data) VALUES (?, ?, ?, ?, ?) ON CONFLICT (pool_id, client_id) "
            "DO UPDATE SET modified_at = excluded.modified_at, data = excluded.data",
            (pool.id, key, created, now.timestamp(), json.dumps(data)),
        )
    stored = {**data, "CreationDate": created, "LastModifiedDate": now.timestamp()}
    return {"UICustomization": _shape(pool.id, key, stored)}


@local_only
def get_ui_customization(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    # "Returns user-pool level branding information if no app client branding is applied,
    # or if you don't specify an app client ID. Returns an empty object if you haven't
    # applied hosted UI branding to either the client or the user pool." [model]
    with ctx.db.transaction(readonly=True) as tx:
        pool = load_pool(tx, ctx, params["UserPoolId"])
        key = _client_key(tx, pool.id, params.get("ClientId"))
        stored = _row(tx, pool.id, key)
        if stored is None and key != ALL:
            key, stored = ALL, _row(tx, pool.id, ALL)
    if stored is None:
        return {"UICustomization": {}}
    return {"UICustomization": _shape(pool.id, key, stored)}


OPERATIONS: dict[str, Handler] = {
    "SetUICustomization": set_ui_customization,
    "GetUICustomization": get_ui_customization,
}
