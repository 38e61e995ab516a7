"""Signed-in sessions: minting ID, access and refresh tokens, refreshing them, checking an
access token for the token-authorised user operations, and revocation (RevokeToken,
GlobalSignOut, AdminUserGlobalSignOut).

Every sign-in is one row of `cognito_refresh_tokens`: its refresh token (stored hashed)
and the `origin_jti` its ID and access tokens carry, so revoking the row revokes them all.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any

from poolmail.cognito import groups
from poolmail.cognito.clients import ClientRecord, find_client
from poolmail.cognito.signin import tokens
from poolmail.cognito.user_pools import StoredPool, load_pool, not_found
from poolmail.cognito.users import (
    StoredUser,
    check_secret_hash,
    find_user,
    require_user,
    save_user,
    users_lock,
)
from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.protocol.errors import AwsError
from poolmail.store import Transaction

# AWS's texts, as clients report them (amplify-android#2481, amplify-swift#3344,
# amplify-js#2205, aws-sdk-ios#1409).
ACCESS_EXPIRED = "Access Token has expired"
ACCESS_REVOKED = "Access Token has been revoked"
ACCESS_INVALID = "Invalid Access Token"
REFRESH_REVOKED = "Refresh Token has been revoked"
REFRESH_INVALID = "Invalid Refresh Token"
REFRESH_EXPIRED = "Refresh Token has expired"

_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
# Member -> (TokenValidityUnits key, default unit, default value): an hour for access and
# ID tokens, 30 days for refresh tokens (CreateUserPoolClient [model]).
_VALIDITY = {
    "AccessTokenValidity": ("AccessToken", "hours", 1),
    "IdTokenValidity": ("IdToken", "hours", 1),
    "RefreshTokenValidity": ("RefreshToken", "days", 30),
}
# Real refresh tokens are JWEs; clients treat them as opaque, so this one only looks alike.
_JWE_HEADER = base64.urlsafe_b64encode(b'{"cty":"JWT","enc":"A256GCM","alg":"RSA-OAEP"}')


def lifetime(client: ClientRecord, member: str) -> int:
    """A token's validity in seconds, from the app client's settings."""
    unit_key, default_unit, default = _VALIDITY[member]
    units = client.settings.get("TokenValidityUnits") or {}
    value = client.settings.get(member) or default
    return int(value) * _SECONDS[units.get(unit_key) or default_unit]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_refresh_token() -> str:
    parts = [secrets.token_bytes(size) for size in (256, 12, 512, 16)]
    encoded = [base64.urlsafe_b64encode(part).rstrip(b"=").decode() for part in parts]
    return ".".join([_JWE_HEADER.rstrip(b"=").decode(), *encoded])


def _claim_value(name: str, value: str) -> Any:
    if name in ("email_verified", "phone_number_verified"):
        return value == "true"
    if name == "updated_at" and value.isdigit():
        return int(value)
    return value


def _attribute_claims(client: ClientRecord, user: StoredUser) -> dict[str, Any]:
    # An app client with ReadAttributes sees only those in its ID tokens; developer-only
    # attributes never appear (cognito user-pool-settings-attributes.md).
    readable = client.settings.get("ReadAttributes")
    return {
        name: _claim_value(name, value)
        for name, value in user.attributes.items()
        if not name.startswith("dev:") and (not readable or name in readable)
    }


@dataclass(slots=True)
class SignIn:
    """What the tokens of one sign-in share."""

    origin_jti: str
    auth_time: int
    device_key: str | None = None


def _mint(
    ctx: RequestContext,
    tx: Transaction,
    keys: list[tokens.SigningKey],
    client: ClientRecord,
    user: StoredUser,
    sign_in: SignIn,
) -> dict[str, Any]:
    now = int(ctx.clock.now().timestamp())
    issuer = f"{ctx.base_url}/{client.pool_id}"
    membership = groups.group_claims(groups.user_groups(tx, client.pool_id, user.sub))
    event_id = tokens.new_jti()
    # With token revocation off, Cognito leaves origin_jti out (EnableTokenRevocation).
    origin = (
        {"origin_jti": sign_in.origin_jti} if client.settings.get("EnableTokenRevocation") else {}
    )
    access_life = lifetime(client, "AccessTokenValidity")
    id_claims = {
        "sub": user.sub,
        **membership,
        **_attribute_claims(client, user),
        "iss": issuer,
        "cognito:username": user.username,
        **origin,
        "aud": client.id,
        "event_id": event_id,
        "token_use": tokens.ID,
        "auth_time": sign_in.auth_time,
        "exp": now + lifetime(client, "IdTokenValidity"),
        "iat": now,
        "jti": tokens.new_jti(),
    }
    access_claims = {
        "sub": user.sub,
        **({"cognito:groups": membership["cognito:groups"]} if membership else {}),
        "iss": issuer,
        "client_id": client.id,
        **origin,
        "event_id": event_id,
        "token_use": tokens.ACCESS,
        "scope": tokens.ADMIN_SCOPE,
        "auth_time": sign_in.auth_time,
        "exp": now + access_life,
        "iat": now,
        "jti": tokens.new_jti(),
        "username": user.username,
        **({"device_key": sign_in.device_key} if sign_in.device_key else {}),
    }
    return {
        "AccessToken": tokens.sign(tokens.active_key(keys, tokens.ACCESS), access_claims),
        "ExpiresIn": access_life,
        "TokenType": "Bearer",
        "IdToken": tokens.sign(tokens.active_key(keys, tokens.ID), id_claims),
    }


def sign_in(
    ctx: RequestContext, client: ClientRecord, user: StoredUser, device_key: str | None = None
) -> dict[str, Any]:
    """AuthenticationResult of a completed sign-in: a new refresh token and its tokens.

    ``device_key``: the remembered device the sign-in came from (its access tokens carry
    it as the `device_key` claim)."""
    now = ctx.clock.now().timestamp()
    session = SignIn(tokens.new_jti(), int(now), device_key)
    refresh = _new_refresh_token()
    keys = tokens.pool_keys(ctx.db, client.pool_id, now)
    with ctx.db.transaction() as tx:
        tx.execute(
            "INSERT INTO cognito_refresh_tokens (token_hash, origin_jti, pool_id, client_id, "
            "sub, created_at, expires_at, revoked_at, data) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?)",
            (
                _hash(refresh),
                session.origin_jti,
                client.pool_id,
                client.id,
                user.sub,
                now,
                now + lifetime(client, "RefreshTokenValidity"),
                json.dumps(
                    {
                        "auth_time": session.auth_time,
                        "username": user.username,
                        "device_key": device_key,
                    }
                ),
            ),
        )
    # Signing (two RSA signatures) happens outside the writing transaction, so it does
    # not hold up other writers.
    with ctx.db.transaction(readonly=True) as tx:
        result = _mint(ctx, tx, keys, client, user, session)
    return {**result, "RefreshToken": refresh}


def refresh(
    ctx: RequestContext, pool: StoredPool, client: ClientRecord, token: str, secret_hash: str | None
) -> dict[str, Any]:
    """REFRESH_TOKEN_AUTH: new ID and access tokens of the same sign-in, no new refresh
    token (Cognito without refresh-token rotation), with the user's current groups and
    attributes."""
    keys = tokens.pool_keys(ctx.db, client.pool_id, ctx.clock.now().timestamp())
    with ctx.db.transaction(readonly=True) as tx:
        row = tx.fetchone(
            "SELECT origin_jti, client_id, sub, expires_at, revoked_at, data "
            "FROM cognito_refresh_tokens WHERE token_hash = ?",
            (_hash(token),),
        )
        if row is None or row[1] != client.id:
            raise AwsError("NotAuthorizedException", REFRESH_INVALID)
        if row[4] is not None:
            raise AwsError("NotAuthorizedException", REFRESH_REVOKED)
        if float(row[3]) <= ctx.clock.now().timestamp():
            raise AwsError("NotAuthorizedException", REFRESH_EXPIRED)
        data = json.loads(row[5])
        user = find_user(tx, pool, str(data["username"]))
        if user is None or user.sub != row[2]:
            raise AwsError("NotAuthorizedException", REFRESH_REVOKED)
        # The secret hash of a refresh is over the user's own username, not an alias.
        check_secret_hash(client, user.username, secret_hash)
        if not user.enabled:
            raise AwsError("NotAuthorizedException", "User is disabled.")
        sign_in = SignIn(str(row[0]), int(data["auth_time"]), data.get("device_key"))
        return _mint(ctx, tx, keys, client, user, sign_in)


# ---- access tokens ----------------------------------------------------------------------


@dataclass(slots=True)
class Authorized:
    """The caller of a token-authorised operation: the pool's context, pool, user, claims."""

    ctx: RequestContext
    pool: StoredPool
    user: StoredUser
    claims: dict[str, Any]


def authorize(ctx: RequestContext, access_token: str) -> Authorized:
    """Check an access token as Cognito does for GetUser, ChangePassword and the like."""
    try:
        _, claims = tokens.unverified_claims(access_token)
        pool_id = tokens.pool_of_issuer(claims.get("iss"))
        if pool_id is None:
            raise tokens.InvalidTokenError("no issuer")
        with ctx.db.transaction(readonly=True) as tx:
            row = tx.fetchone("SELECT account, region FROM user_pools WHERE id = ?", (pool_id,))
        if row is None:
            raise not_found(pool_id)
        keys = tokens.pool_keys(ctx.db, pool_id, ctx.clock.now().timestamp())
        claims = tokens.verify(keys, access_token)
    except tokens.InvalidTokenError:
        raise AwsError("NotAuthorizedException", ACCESS_INVALID) from None
    if claims.get("token_use") != tokens.ACCESS:
        raise AwsError("NotAuthorizedException", ACCESS_INVALID)
    if float(claims.get("exp", 0)) <= ctx.clock.now().timestamp():
        raise AwsError("NotAuthorizedException", ACCESS_EXPIRED)
    scoped = dataclasses.replace(ctx, account_id=str(row[0]), region=str(row[1]))
    with scoped.db.transaction(readonly=True) as tx:
        pool = load_pool(tx, scoped, pool_id)
        user = find_user(tx, pool, str(claims.get("username", "")))
        if user is None or user.sub != claims.get("sub"):
            raise AwsError("UserNotFoundException", "User does not exist.")
        if _revoked(tx, user, claims):
            raise AwsError("NotAuthorizedException", ACCESS_REVOKED)
    return Authorized(scoped, pool, user, claims)


def _revoked(tx: Transaction, user: StoredUser, claims: dict[str, Any]) -> bool:
    # AdminDisableUser "revokes all access tokens for the user" [model].
    if not user.enabled:
        return True
    origin = claims.get("origin_jti")
    if origin is not None:
        row = tx.fetchone(
            "SELECT revoked_at FROM cognito_refresh_tokens WHERE origin_jti = ?", (origin,)
        )
        return row is None or row[0] is not None
    # Tokens of clients without revocation carry no origin: a global sign-out still ends
    # every token issued before it. `iat` has whole seconds, so a token issued in the
    # very second of the sign-out counts as before it.
    signed_out = user.data.get("signed_out_at")
    return signed_out is not None and float(claims.get("iat", 0)) <= float(signed_out)


def sign_out_everywhere(tx: Transaction, pool: StoredPool, user: StoredUser, now: float) -> None:
    tx.execute(
        "UPDATE cognito_refresh_tokens SET revoked_at = ? "
        "WHERE pool_id = ? AND sub = ? AND revoked_at IS NULL",
        (now, pool.id, user.sub),
    )
    user.data["signed_out_at"] = now
    save_user(tx, pool, user, now)


def forget_user(tx: Transaction, pool_id: str, sub: str) -> None:
    tx.execute("DELETE FROM cognito_refresh_tokens WHERE pool_id = ? AND sub = ?", (pool_id, sub))


# ---- operations -------------------------------------------------------------------------


def global_sign_out(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    caller = authorize(ctx, params["AccessToken"])
    with caller.ctx.db.transaction(lock=users_lock(caller.pool.id)) as tx:
        user = require_user(tx, caller.pool, caller.user.username)
        sign_out_everywhere(tx, caller.pool, user, ctx.clock.now().timestamp())
    return {}


def admin_user_global_sign_out(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    pool_id = params["UserPoolId"]
    with ctx.db.transaction(lock=users_lock(pool_id)) as tx:
        pool = load_pool(tx, ctx, pool_id)
        user = require_user(tx, pool, params["Username"])
        sign_out_everywhere(tx, pool, user, ctx.clock.now().timestamp())
    return {}


def revoke_token(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Revoke a refresh token and every access and ID token of its sign-in.

    Not found in AWS's docs: the texts of these errors; each names what is wrong in the
    model's terms. A token poolmail never issued, or issued to another client, is no error:
    RFC 7009 (which Cognito's /oauth2/revoke follows) answers such a token with success.
    """
    with ctx.db.transaction() as tx:
        client = find_client(tx, params["ClientId"])
    if client is None:
        raise AwsError("UnauthorizedException", "Invalid client id provided.")
    secret = client.settings.get("ClientSecret")
    if secret and not secrets.compare_digest(str(params.get("ClientSecret") or ""), secret):
        raise AwsError("UnauthorizedException", "Invalid client secret provided.")
    if not client.settings.get("EnableTokenRevocation"):
        raise AwsError(
            "UnsupportedOperationException", "Token revocation is not enabled for this client."
        )
    token = params["Token"]
    if token.count(".") == 2:
        raise AwsError("UnsupportedTokenTypeException", "Only refresh tokens can be revoked.")
    with ctx.db.transaction() as tx:
        tx.execute(
            "UPDATE cognito_refresh_tokens SET revoked_at = ? "
            "WHERE token_hash = ? AND client_id = ? AND revoked_at IS NULL",
            (ctx.clock.now().timestamp(), _hash(token), client.id),
        )
    return {}


OPERATIONS: dict[str, Handler] = {
    "GlobalSignOut": global_sign_out,
    "AdminUserGlobalSignOut": admin_user_global_sign_out,
    "RevokeToken": revoke_token,
}
