"""Managed login branding styles: CreateManagedLoginBranding, DescribeManagedLoginBranding,
DescribeManagedLoginBrandingByClient, UpdateManagedLoginBranding,
DeleteManagedLoginBranding; one style per app client, one row of
``cognito_managed_login_branding`` each.

A style is Cognito's defaults (`UseCognitoProvidedValues`) or a `Settings` document plus
image `Assets`. poolmail stores what it is given and merges it with Cognito's defaults
(managed_login_defaults.py) for `ReturnMergedResources`; the pages that would wear the
style are issue 15's.
"""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

from poolmail.cognito.branding.managed_login_defaults import default_settings, merged
from poolmail.cognito.clients.clients import client_not_found, find_client
from poolmail.cognito.pools import tiers
from poolmail.cognito.pools.user_pools import load_pool
from poolmail.context import RequestContext
from poolmail.operations import Handler, local_only
from poolmail.protocol.errors import AwsError
from poolmail.store import Row, Transaction

# The branding editor is a feature of the Essentials and Plus plans; on Lite "the classic
# hosted UI is your only option" (cognito-user-pools-managed-login.html,
# cognito-sign-in-feature-plans.html). Choice: the name the refusal lists.
BRANDING_EDITOR = "Managed login branding editor"

# AWS's text, measured against the live API for a create that names neither
# (floci-io/floci#2869); the model gives the same rule for `true` with Settings or Assets.
NOT_BOTH = "useCognitoProvidedValues or settings should be specified (but not both)"
# AWS answers a `Settings` that is no JSON object with a 500 InternalErrorException
# "Internal server error." (floci-io/floci#2869, measured). Choice: a client error, since
# poolmail answers no well-formed request with a 5xx (tests/reliability); docs record it.
SETTINGS_NOT_OBJECT = "Settings must be a JSON object."
# Not found: AWS's texts for these; Choice: Cognito's "... does not exist." style.
NOT_FOUND = "Managed login branding {branding_id} does not exist."
NOT_FOUND_BY_CLIENT = "Managed login branding does not exist for client {client_id}."
EXISTS = "Managed login branding already exists for client {client_id}."
NULL_ASSET = "Assets must not contain null elements."
WRONG_EXTENSION = "Asset category {category} needs extension {extension}, not {given}."
TOO_LARGE = "The request exceeds the 2 MB size limit; split it into several requests."
NULL_MEMBER = (
    "1 validation error detected: Value null at '{member}' failed to satisfy constraint: "
    "Member must not be null"
)

# "This operation has a 2-megabyte request-size limit" [model]. Choice: 2 MiB, measured
# as the JSON the SDKs send (blobs in base64), since operations never see the raw body.
REQUEST_LIMIT = 2 * 2**20
# The favicon categories name their file type; AWS refused an SVG as FAVICON_ICO
# (lgallard/terraform-aws-cognito-user-pool#238, "AWS requires ICO format").
_CATEGORY_EXTENSION = {"FAVICON_ICO": "ICO", "FAVICON_SVG": "SVG"}

_COLUMNS = "id, pool_id, client_id, created_at, modified_at, data"


def _shape(row: Row, *, merge_defaults: bool = False) -> dict[str, Any]:
    data = json.loads(row[5])
    settings = data.get("Settings")
    if merge_defaults:
        settings = merged(default_settings(), settings or {})
    shape: dict[str, Any] = {
        "ManagedLoginBrandingId": str(row[0]),
        "UserPoolId": str(row[1]),
        "UseCognitoProvidedValues": bool(data["UseCognitoProvidedValues"]),
        # AWS quirk: `Assets` always comes back (empty when none), `Settings` only when
        # the style has some or defaults are merged in (floci-io/floci#2869, measured).
        "Assets": [_asset_out(asset) for asset in data["Assets"]],
        "CreationDate": float(row[3]),
        "LastModifiedDate": float(row[4]),
    }
    if settings is not None:
        shape["Settings"] = settings
    return shape


def _asset_out(asset: dict[str, Any]) -> dict[str, Any]:
    out = {key: value for key, value in asset.items() if key != "Bytes"}
    if "Bytes" in asset:
        out["Bytes"] = base64.b64decode(asset["Bytes"])
    return out


def _asset_in(asset: dict[str, Any]) -> dict[str, Any]:
    stored = {key: value for key, value in asset.items() if key != "Bytes"}
    if asset.get("Bytes") is not None:
        stored["Bytes"] = base64.b64encode(asset["Bytes"]).decode()
    return stored


def _checked_assets(params: dict[str, Any]) -> list[dict[str, Any]]:
    """The request's assets, refused when AWS refuses them, one per category and colour
    mode: "if the (category, color) pair differs from existing ones, the API treats the
    asset as new" (hashicorp/terraform-provider-aws, managed_login_branding.go); so a pair
    named twice keeps the later one (Choice: AWS's answer to a repeat was not found)."""
    assets: dict[tuple[str, str], dict[str, Any]] = {}
    for asset in params.get("Assets") or []:
        if asset is None:
            raise AwsError("InvalidParameterException", NULL_ASSET)
        category, extension = asset["Category"], asset["Extension"]
        needed = _CATEGORY_EXTENSION.get(category)
        if needed is not None and extension != needed:
            raise AwsError(
                "InvalidParameterException",
                WRONG_EXTENSION.format(category=category, extension=needed, given=extension),
            )
        assets[(category, asset["ColorMode"])] = _asset_in(asset)
    return list(assets.values())


def _check_request(params: dict[str, Any], *, create: bool) -> None:
    use_defaults, settings = params.get("UseCognitoProvidedValues"), params.get("Settings")
    # A create must name one of the two; `true` excludes Settings and Assets [model].
    if create and use_defaults is None and settings is None:
        raise AwsError("InvalidParameterException", NOT_BOTH)
    if use_defaults and (settings is not None or params.get("Assets")):
        raise AwsError("InvalidParameterException", NOT_BOTH)
    if settings is not None and not isinstance(settings, dict):
        raise AwsError("InvalidParameterException", SETTINGS_NOT_OBJECT)
    size = len(json.dumps(params, default=lambda blob: base64.b64encode(blob).decode()))
    if size > REQUEST_LIMIT:
        raise AwsError("InvalidParameterException", TOO_LARGE)


def _client_of_pool(tx: Transaction, pool_id: str, client_id: str) -> None:
    client = find_client(tx, client_id)
    if client is None or client.pool_id != pool_id:
        raise client_not_found(client_id)


def _row(tx: Transaction, ctx: RequestContext, pool_id: str, branding_id: str) -> Row:
    load_pool(tx, ctx, pool_id)
    # Ids are lowercase UUIDs; the model's pattern lets callers write them in capitals.
    row = tx.fetchone(
        f"SELECT {_COLUMNS} FROM cognito_managed_login_branding WHERE id = ? AND pool_id = ?",
        (branding_id.lower(), pool_id),
    )
    if row is None:
        raise AwsError("ResourceNotFoundException", NOT_FOUND.format(branding_id=branding_id))
    return row


def _required(params: dict[str, Any], *members: str) -> None:
    # UpdateManagedLoginBranding's model marks nothing required; AWS still needs both ids.
    for member in members:
        if params.get(member) is None:
            wire = member[:1].lower() + member[1:]
            raise AwsError("InvalidParameterException", NULL_MEMBER.format(member=wire))


# ---- operations -------------------------------------------------------------------------


def create_managed_login_branding(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _check_request(params, create=True)
    pool_id, client_id = params["UserPoolId"], params["ClientId"]
    use_defaults = bool(params.get("UseCognitoProvidedValues"))
    data = {
        "UseCognitoProvidedValues": use_defaults,
        "Settings": params.get("Settings"),
        "Assets": _checked_assets(params),
    }
    now = ctx.clock.now().timestamp()
    # AWS issues version-4 UUIDs (the model's pattern for ManagedLoginBrandingId).
    branding_id = str(uuid.uuid4())
    # One writer per client, so two creates for one client cannot both pass the check.
    with ctx.db.transaction(lock=f"branding:{client_id}") as tx:
        tiers.require(load_pool(tx, ctx, pool_id).settings, tiers.ESSENTIALS, BRANDING_EDITOR)
        _client_of_pool(tx, pool_id, client_id)
        if tx.fetchone(
            "SELECT id FROM cognito_managed_login_branding WHERE client_id = ?", (client_id,)
        ):
            raise AwsError(
                "ManagedLoginBrandingExistsException", EXISTS.format(client_id=client_id)
            )
        tx.execute(
            "INSERT INTO cognito_managed_login_branding (id, pool_id, client_id, created_at, "
            "modified_at, data) VALUES (?, ?, ?, ?, ?, ?)",
            (branding_id, pool_id, client_id, now, now, json.dumps(data)),
        )
        row = _row(tx, ctx, pool_id, branding_id)
    return {"ManagedLoginBranding": _shape(row)}


@local_only
def describe_managed_login_branding(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with ctx.db.transaction(readonly=True) as tx:
        row = _row(tx, ctx, params["UserPoolId"], params["ManagedLoginBrandingId"])
    merge = bool(params.get("ReturnMergedResources"))
    return {"ManagedLoginBranding": _shape(row, merge_defaults=merge)}


@local_only
def describe_managed_login_branding_by_client(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    pool_id, client_id = params["UserPoolId"], params["ClientId"]
    with ctx.db.transaction(readonly=True) as tx:
        load_pool(tx, ctx, pool_id)
        _client_of_pool(tx, pool_id, client_id)
        row = tx.fetchone(
            f"SELECT {_COLUMNS} FROM cognito_managed_login_branding WHERE client_id = ?",
            (client_id,),
        )
    if row is None:
        raise AwsError("ResourceNotFoundException", NOT_FOUND_BY_CLIENT.format(client_id=client_id))
    merge = bool(params.get("ReturnMergedResources"))
    return {"ManagedLoginBranding": _shape(row, merge_defaults=merge)}


def update_managed_login_branding(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _required(params, "UserPoolId", "ManagedLoginBrandingId")
    _check_request(params, create=False)
    pool_id, branding_id = params["UserPoolId"], params["ManagedLoginBrandingId"].lower()
    assets = _checked_assets(params)
    with ctx.db.transaction(lock=f"branding-style:{branding_id}") as tx:
        pool = load_pool(tx, ctx, pool_id)
        tiers.require(pool.settings, tiers.ESSENTIALS, BRANDING_EDITOR)
        row = _row(tx, ctx, pool_id, branding_id)
        data = json.loads(row[5])
        if params.get("UseCognitoProvidedValues"):
            # "This option reverts to default style options" [model]: the style's own
            # values go.
            data = {"UseCognitoProvidedValues": True, "Settings": None, "Assets": []}
        else:
            # "Amazon Cognito ... preserves existing style settings that you don't
            # specify" [model]: settings merge in, assets replace their category and
            # colour mode's.
            if params.get("Settings") is not None:
                data["Settings"] = merged(data.get("Settings") or {}, params["Settings"])
            kept = {(a["Category"], a["ColorMode"]): a for a in data["Assets"]}
            kept.update({(a["Category"], a["ColorMode"]): a for a in assets})
            data["Assets"] = list(kept.values())
            # A style given values of its own no longer is Cognito's defaults.
            if "UseCognitoProvidedValues" in params or params.get("Settings") is not None or assets:
                data["UseCognitoProvidedValues"] = False
        tx.execute(
            "UPDATE cognito_managed_login_branding SET modified_at = ?, data = ? WHERE id = ?",
            (ctx.clock.now().timestamp(), json.dumps(data), branding_id),
        )
        row = _row(tx, ctx, pool_id, branding_id)
    return {"ManagedLoginBranding": _shape(row)}


def delete_managed_login_branding(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    # "When an app client doesn't have a style assigned, your managed login pages for
    # that app client are nonfunctional until you create a new style or switch the domain
    # branding version" [model]: the pages (issue 15) look the style up by client.
    with ctx.db.transaction() as tx:
        row = _row(tx, ctx, params["UserPoolId"], params["ManagedLoginBrandingId"])
        tx.execute("DELETE FROM cognito_managed_login_branding WHERE id = ?", (row[0],))
    return {}


def style_of_client(tx: Transaction, client_id: str) -> dict[str, Any] | None:
    """The style an app client's managed login pages wear, Cognito's defaults merged in;
    None when the client has none (its v2 pages are then unavailable)."""
    row = tx.fetchone(
        f"SELECT {_COLUMNS} FROM cognito_managed_login_branding WHERE client_id = ?",
        (client_id,),
    )
    return None if row is None else _shape(row, merge_defaults=True)


OPERATIONS: dict[str, Handler] = {
    "CreateManagedLoginBranding": create_managed_login_branding,
    "DescribeManagedLoginBranding": describe_managed_login_branding,
    "DescribeManagedLoginBrandingByClient": describe_managed_login_branding_by_client,
    "UpdateManagedLoginBranding": update_managed_login_branding,
    "DeleteManagedLoginBranding": delete_managed_login_branding,
}
