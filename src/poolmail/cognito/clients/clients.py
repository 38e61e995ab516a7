"""User pool app clients: the records unsigned calls (SignUp, InitiateAuth) are scoped by,
with create, describe, update, delete and list.

A client's ``data`` holds DescribeUserPoolClient's members besides the ids, name and
creation date, which have columns.
"""

from __future__ import annotations

import copy
import json
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from poolmail.cognito.clients.resource_servers import check_client_scopes
from poolmail.cognito.federation.identity_providers import check_supported
from poolmail.cognito.pools import tiers
from poolmail.cognito.pools.custom_attributes import check_client_attributes
from poolmail.cognito.pools.user_pools import load_pool
from poolmail.context import RequestContext
from poolmail.operations import Handler, local_only
from poolmail.paging import keyset_page
from poolmail.protocol import fast_json
from poolmail.protocol.errors import AwsError
from poolmail.store import Transaction

# Real ids and secrets are lowercase base-32 numbers (digits and a-v): ids of 25 or 26
# characters (`26cb2c60kq7nbmas7rbme9b6pp`), secrets of 51 or 52, as AWS CLI examples show.
_BASE32 = "0123456789abcdefghijklmnopqrstuv"
CLIENT_ID_LENGTH = 26

# What DescribeUserPoolClient shows for a client created with a name only (real output,
# 2024-11: RefreshTokenValidity 30, TokenValidityUnits {}, AllowedOAuthFlowsUserPoolClient
# false, EnableTokenRevocation true, EnablePropagateAdditionalUserContextData false,
# AuthSessionValidity 3). Other members are absent until set.
DEFAULTS: dict[str, Any] = {
    "RefreshTokenValidity": 30,
    "TokenValidityUnits": {},
    "AllowedOAuthFlowsUserPoolClient": False,
    "EnableTokenRevocation": True,
    "EnablePropagateAdditionalUserContextData": False,
    "AuthSessionValidity": 3,
}

# Members a request sets (and UpdateUserPoolClient resets to DEFAULTS, or removes, when
# omitted: "If you don't provide a value for an attribute, Amazon Cognito sets it to its
# default value." [model] UpdateUserPoolClient).
SETTABLE = (
    "RefreshTokenValidity",
    "AccessTokenValidity",
    "IdTokenValidity",
    "TokenValidityUnits",
    "ReadAttributes",
    "WriteAttributes",
    "ExplicitAuthFlows",
    "SupportedIdentityProviders",
    "CallbackURLs",
    "LogoutURLs",
    "DefaultRedirectURI",
    "AllowedOAuthFlows",
    "AllowedOAuthScopes",
    "AllowedOAuthFlowsUserPoolClient",
    "AnalyticsConfiguration",
    "PreventUserExistenceErrors",
    "EnableTokenRevocation",
    "EnablePropagateAdditionalUserContextData",
    "AuthSessionValidity",
    "RefreshTokenRotation",
)

# Keys of a client's ``data`` that UpdateUserPoolClient keeps: its secrets (client_secrets.py
# keeps rotated ones under ``secrets``) and what the client's own operations set.
OWN_KEYS = ("ClientSecret", "secrets", "session_configuration")

# What a client does when the member is absent [model]: the flows engineer reads these.
DEFAULT_AUTH_FLOWS = ("ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH")
DEFAULT_PREVENT_USER_EXISTENCE_ERRORS = "LEGACY"  # "Defaults to LEGACY." [model]

_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
# Member -> (its TokenValidityUnits key, default unit, allowed range in seconds): access
# and ID tokens 5 minutes to 1 day, refresh tokens 60 minutes to 10 years [doc].
_VALIDITY = {
    "AccessTokenValidity": ("AccessToken", "hours", 300, 86400),
    "IdTokenValidity": ("IdToken", "hours", 300, 86400),
    "RefreshTokenValidity": ("RefreshToken", "days", 3600, 3650 * 86400),
}
# AWS's text (aws-samples/cloudfront-authorization-at-edge#144).
INVALID_VALIDITY = "Invalid range for token validity."

# Refresh-token rotation "is available for Amazon Cognito customers using the Essentials or
# Plus tiers" (AWS's announcement, 2025-04). The name the tier refusal lists; Choice, as
# the other names in tiers.py.
REFRESH_TOKEN_ROTATION = "Refresh token rotation"
# "Refresh token rotation isn't compatible with the authentication flow REFRESH_TOKEN_AUTH.
# To implement refresh token rotation, you must disable this authentication flow in your
# app client" (cognito amazon-cognito-user-pools-using-the-refresh-token.html, as quoted in
# aws-amplify/amplify-android#3113; CDK's UserPoolClient leaves ALLOW_REFRESH_TOKEN_AUTH out
# of a rotating client for this). Not found: AWS's text of the refusal.
ROTATION_WITH_REFRESH_FLOW = (
    "ALLOW_REFRESH_TOKEN_AUTH can't be enabled in an app client with refresh token rotation."
)


# App-client OAuth settings: AWS's texts as users quote them (facts 2) ...
OAUTH_REQUIRED = (
    "AllowedOAuthFlows and AllowedOAuthScopes are required if user pool client is allowed "
    "to use OAuth flows."
)
CALLBACKS_REQUIRED = "CallbackUrls can not be empty when code flow or implicit flow is selected"
CLIENT_CREDENTIALS_ALONE = (
    "client_credentials flow can not be selected along with code flow or implicit flow."
)
CLIENT_CREDENTIALS_SECRET = (
    "client_credentials flow can not be selected if client does not have a client secret."
)
CLIENT_CREDENTIALS_SCOPE = "{scope} is not supported with client_credentials flow"
# ... and Choices where AWS's text was not found: email, phone or profile without openid
# ("Requires openid ... when adding email, phone and profile", quoted in IaC comments), a
# URL that is not absolute, has a fragment or uses http off the loopback ("Amazon Cognito
# requires HTTPS over HTTP except for http://localhost" [model CallbackURLs]), and a
# DefaultRedirectURI not listed ("Must be in the CallbackURLs list" [model]).
OPENID_REQUIRED = "The openid scope is required when email, phone or profile is requested."
BAD_URL = (
    "Invalid URL {url}: it must be absolute, without a fragment, and use HTTPS unless it "
    "is for localhost."
)
DEFAULT_REDIRECT_UNLISTED = "DefaultRedirectURI must be one of the CallbackURLs."
_RESERVED_SCOPES = ("openid", "email", "phone", "profile", "aws.cognito.signin.user.admin")
_LOOPBACK = ("localhost", "127.0.0.1", "::1")


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    loopback = parts.scheme == "http" and parts.hostname in _LOOPBACK
    if not parts.scheme or parts.fragment or (parts.scheme == "http" and not loopback):
        raise AwsError("InvalidParameterException", BAD_URL.format(url=url))


def _check_oauth(settings: dict[str, Any]) -> None:
    """The app client's OAuth settings, as AWS checks them (facts 2)."""
    flows = settings.get("AllowedOAuthFlows") or []
    scopes = settings.get("AllowedOAuthScopes") or []
    callbacks = settings.get("CallbackURLs") or []
    if settings.get("AllowedOAuthFlowsUserPoolClient") and (not flows or not scopes):
        raise AwsError("InvalidParameterException", OAUTH_REQUIRED)
    for url in [*callbacks, *(settings.get("LogoutURLs") or [])]:
        _check_url(url)
    default = settings.get("DefaultRedirectURI")
    if default is not None and default not in callbacks:
        raise AwsError("InvalidParameterException", DEFAULT_REDIRECT_UNLISTED)
    if "client_credentials" in flows:
        if {"code", "implicit"} & set(flows):
            raise AwsError("InvalidOAuthFlowException", CLIENT_CREDENTIALS_ALONE)
        if not (settings.get("ClientSecret") or settings.get("secrets")):
            raise AwsError("InvalidOAuthFlowException", CLIENT_CREDENTIALS_SECRET)
        for scope in scopes:
            if scope in _RESERVED_SCOPES:
                raise AwsError(
                    "InvalidOAuthFlowException", CLIENT_CREDENTIALS_SCOPE.format(scope=scope)
                )
    if {"code", "implicit"} & set(flows) and not callbacks:
        raise AwsError("InvalidOAuthFlowException", CALLBACKS_REQUIRED)
    if {"email", "phone", "profile"} & set(scopes) and "openid" not in scopes:
        raise AwsError("InvalidParameterException", OPENID_REQUIRED)


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
        fast_json.loads(row[6]),
    )


def client_not_found(client_id: str) -> AwsError:
    return AwsError("ResourceNotFoundException", f"User pool client {client_id} does not exist.")


def _base32(bits: int, least: int = 0) -> str:
    number = secrets.randbits(bits)
    while number < least:  # drawn again, not padded: uniform over what remains
        number = secrets.randbits(bits)
    digits = ""
    while number:
        number, digit = divmod(number, 32)
        digits = _BASE32[digit] + digits
    return digits or "0"


def new_client_id() -> str:
    return "".join(secrets.choice(_BASE32) for _ in range(CLIENT_ID_LENGTH))


def new_client_secret() -> str:
    # A 256-bit number in base 32: 52 digits from 2**255 on, 51 below, as AWS's vary. One
    # below 2**250 would be 50 digits or fewer, a length AWS's never have: drawn again.
    return _base32(256, least=2**250)


def rotates(settings: dict[str, Any]) -> bool:
    """Whether the client's refreshes rotate the refresh token (RefreshTokenRotation)."""
    return bool((settings.get("RefreshTokenRotation") or {}).get("Feature") == "ENABLED")


def grace_period(client: ClientRecord) -> int:
    """Seconds a rotated-out refresh token still works (RetryGracePeriodSeconds, 0-60)."""
    return int(
        (client.settings.get("RefreshTokenRotation") or {}).get("RetryGracePeriodSeconds") or 0
    )


def _check_rotation(settings: dict[str, Any]) -> None:
    rotation = settings.get("RefreshTokenRotation")
    if rotation is None:
        return
    # A rotation given without a grace period reads back with 0, as AWS answers
    # (hashicorp/terraform-provider-aws#45646: "retry_grace_period_seconds: was null, but
    # now cty.NumberIntVal(0)").
    rotation.setdefault("RetryGracePeriodSeconds", 0)
    # Only the explicit ALLOW_ value conflicts: a client without ExplicitAuthFlows (CDK's
    # default) or with legacy values only may rotate, and then refuses REFRESH_TOKEN_AUTH.
    if rotates(settings) and "ALLOW_REFRESH_TOKEN_AUTH" in (
        settings.get("ExplicitAuthFlows") or []
    ):
        raise AwsError("InvalidParameterException", ROTATION_WITH_REFRESH_FLOW)


def _check_plan(pool_settings: dict[str, Any], settings: dict[str, Any]) -> None:
    if rotates(settings):
        tiers.require(pool_settings, tiers.ESSENTIALS, REFRESH_TOKEN_ROTATION)
    # ALLOW_USER_AUTH: "To activate this setting, your user pool must be in the Essentials
    # tier or higher." [model CreateUserPoolClient ExplicitAuthFlows]
    if "ALLOW_USER_AUTH" in (settings.get("ExplicitAuthFlows") or []):
        tiers.require(pool_settings, tiers.ESSENTIALS, tiers.CHOICE_BASED)


def _check_validity(settings: dict[str, Any]) -> None:
    units = settings.get("TokenValidityUnits") or {}
    for member, (unit_key, default_unit, low, high) in _VALIDITY.items():
        value = settings.get(member)
        if value is None:
            continue
        seconds = value * _SECONDS[units.get(unit_key, default_unit)]
        if not low <= seconds <= high:
            raise AwsError("InvalidParameterException", INVALID_VALIDITY)


def _settings(params: dict[str, Any]) -> dict[str, Any]:
    """The stored members for a create or update request: given ones, then the defaults."""
    settings = copy.deepcopy(DEFAULTS)
    for member in SETTABLE:
        if params.get(member) is not None:
            settings[member] = copy.deepcopy(params[member])
    # "You can't set RefreshTokenValidity to 0. If you do, Amazon Cognito overrides the
    # value with the default value of 30 days." [model]
    if settings["RefreshTokenValidity"] == 0:
        settings["RefreshTokenValidity"] = 30
        settings["TokenValidityUnits"] = {
            key: unit
            for key, unit in settings["TokenValidityUnits"].items()
            if key != "RefreshToken"
        }
    _check_validity(settings)
    _check_rotation(settings)
    return settings


def _describe(record: ClientRecord) -> dict[str, Any]:
    return {
        "UserPoolId": record.pool_id,
        "ClientName": record.name,
        "ClientId": record.id,
        **record.settings,
        "CreationDate": record.created_at,
    }


def _load(tx: Transaction, ctx: RequestContext, pool_id: str, client_id: str) -> ClientRecord:
    load_pool(tx, ctx, pool_id)
    record = find_client(tx, client_id)
    if record is None or record.pool_id != pool_id:
        raise client_not_found(client_id)
    return record


def create_user_pool_client(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("GenerateSecret") and params.get("ClientSecret") is not None:
        # Not found: AWS's text; the model's own sentence says what is wrong.
        raise AwsError(
            "InvalidParameterException",
            "You cannot specify both GenerateSecret as true and provide a ClientSecret value.",
        )
    now = ctx.clock.now().timestamp()
    settings = _settings(params)
    if params.get("GenerateSecret"):
        settings["ClientSecret"] = new_client_secret()
    elif params.get("ClientSecret") is not None:
        settings["ClientSecret"] = params["ClientSecret"]
    settings["LastModifiedDate"] = now
    _check_oauth(settings)
    with ctx.db.transaction() as tx:
        pool = load_pool(tx, ctx, params["UserPoolId"])
        _check_plan(pool.settings, settings)
        check_client_attributes(pool.settings, settings, "creating")
        check_supported(tx, pool.id, settings.get("SupportedIdentityProviders"))
        check_client_scopes(tx, pool.id, settings.get("AllowedOAuthScopes") or [])
        record = ClientRecord(
            new_client_id(),
            pool.id,
            ctx.account_id,
            ctx.region,
            params["ClientName"],
            now,
            settings,
        )
        tx.execute(
            "INSERT INTO user_pool_clients (id, pool_id, account, region, name, created_at, "
            "data) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                record.id,
                pool.id,
                ctx.account_id,
                ctx.region,
                record.name,
                now,
                json.dumps(settings),
            ),
        )
    return {"UserPoolClient": _describe(record)}


@local_only
def describe_user_pool_client(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with ctx.db.transaction(readonly=True) as tx:
        record = _load(tx, ctx, params["UserPoolId"], params["ClientId"])
    return {"UserPoolClient": _describe(record)}


def update_user_pool_client(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with ctx.db.transaction() as tx:
        record = _load(tx, ctx, params["UserPoolId"], params["ClientId"])
        settings = _settings(params)
        pool_settings = load_pool(tx, ctx, record.pool_id).settings
        _check_plan(pool_settings, settings)
        check_client_attributes(pool_settings, settings, "updating")
        check_supported(tx, record.pool_id, settings.get("SupportedIdentityProviders"))
        check_client_scopes(tx, record.pool_id, settings.get("AllowedOAuthScopes") or [])
        # The secrets are the client's own, not settings: they stay (there is no way to
        # change them through this operation), as does what other operations set on the
        # client (OWN_KEYS). An omitted name stays too: "ClientName" is optional here and
        # names no default.
        for key in OWN_KEYS:
            if key in record.settings:
                settings[key] = record.settings[key]
        _check_oauth(settings)
        settings["LastModifiedDate"] = ctx.clock.now().timestamp()
        record.settings = settings
        record.name = params.get("ClientName") or record.name
        tx.execute(
            "UPDATE user_pool_clients SET name = ?, data = ? WHERE id = ?",
            (record.name, json.dumps(settings), record.id),
        )
    return {"UserPoolClient": _describe(record)}


def delete_user_pool_client(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with ctx.db.transaction() as tx:
        record = _load(tx, ctx, params["UserPoolId"], params["ClientId"])
        tx.execute("DELETE FROM user_pool_clients WHERE id = ?", (record.id,))
        # Its terms documents (terms.py) and UI customization go with it.
        tx.execute("DELETE FROM cognito_terms WHERE client_id = ?", (record.id,))
        tx.execute("DELETE FROM cognito_managed_login_branding WHERE client_id = ?", (record.id,))
        tx.execute(
            "DELETE FROM cognito_ui_customizations WHERE pool_id = ? AND client_id = ?",
            (record.pool_id, record.id),
        )
    return {}


@local_only
def list_user_pool_clients(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    # Not found: the page size AWS uses without MaxResults; the model's maximum (60).
    limit = params.get("MaxResults") or 60
    pool_id = params["UserPoolId"]
    with ctx.db.transaction(readonly=True) as tx:
        load_pool(tx, ctx, pool_id)
        rows, token = keyset_page(
            tx,
            "SELECT id, created_at, name FROM user_pool_clients WHERE pool_id = ?",
            [pool_id],
            key="id",
            token=params.get("NextToken"),
            token_error="InvalidParameterException",
            limit=limit,
        )
    # Every client poolmail makes is a REGULAR one; none comes from dynamic client
    # registration, so a DCR filter finds nothing.
    if params.get("ClientType") == "DCR":
        rows, token = [], None
    clients = [
        {"ClientId": client_id, "UserPoolId": pool_id, "ClientName": name}
        for client_id, _, name in rows
    ]
    result: dict[str, Any] = {"UserPoolClients": clients}
    if token:
        result["NextToken"] = token
    return result


OPERATIONS: dict[str, Handler] = {
    "CreateUserPoolClient": create_user_pool_client,
    "DescribeUserPoolClient": describe_user_pool_client,
    "UpdateUserPoolClient": update_user_pool_client,
    "DeleteUserPoolClient": delete_user_pool_client,
    "ListUserPoolClients": list_user_pool_clients,
}
