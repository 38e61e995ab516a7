"""The tokens of managed login's OAuth flows: ID and access tokens with the scopes a
request was granted, `nonce`, `at_hash` and `identities` (facts 4), refresh tokens
through the API's sign-in store (signin/sessions.py, so RevokeToken, rotation and
ListUserSessions treat them alike), and client_credentials access tokens.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from typing import Any

from poolmail.cognito.clients.clients import ClientRecord
from poolmail.cognito.federation.linked_users import IDENTITIES, token_identities
from poolmail.cognito.pools.user_pools import StoredPool
from poolmail.cognito.signin import sessions, tokens
from poolmail.cognito.triggers import token_generation
from poolmail.cognito.users import groups
from poolmail.cognito.users.users import StoredUser
from poolmail.context import RequestContext
from poolmail.store import Transaction

# The key of a sign-in's stored data (cognito_refresh_tokens.data) that holds its grant.
GRANT = "oauth"
OPENID = "openid"


@dataclass(frozen=True, slots=True)
class Grant:
    """What an authorization granted: scopes in the client's order, and the request's
    `nonce` and `resource` (the access token's audience)."""

    scopes: tuple[str, ...]
    nonce: str | None = None
    resource: str | None = None

    def stored(self) -> dict[str, Any]:
        return {GRANT: {"scopes": list(self.scopes), "resource": self.resource}}

    @classmethod
    def of(cls, data: dict[str, Any]) -> Grant:
        """The grant stored with a sign-in; an API sign-in's is the admin scope only."""
        grant = data.get(GRANT)
        if not isinstance(grant, dict):
            return cls((tokens.ADMIN_SCOPE,))
        return cls(tuple(grant.get("scopes") or ()), None, grant.get("resource"))


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def at_hash(access_token: str) -> str:
    """OpenID Connect's at_hash for RS256: the left half of SHA-256, base64url."""
    return _b64url(hashlib.sha256(access_token.encode("ascii")).digest()[:16])


def _claim_value(name: str, value: str) -> Any:
    if name in ("email_verified", "phone_number_verified"):
        return value == "true"
    if name == "updated_at" and value.isdigit():
        return int(value)
    return value


def attribute_claims(client: ClientRecord, user: StoredUser) -> dict[str, Any]:
    """The user's attributes the client may read, as ID token claims; `identities` as the
    array Cognito puts in tokens [doc IDT]."""
    readable = client.settings.get("ReadAttributes")
    claims: dict[str, Any] = {}
    for name, value in user.attributes.items():
        if name.startswith("dev:") or (readable and name not in readable):
            continue
        if name == IDENTITIES:
            claims[name] = token_identities(user)
            continue
        claims[name] = _claim_value(name, value)
    return claims


def user_tokens(
    ctx: RequestContext,
    tx: Transaction,
    keys: list[tokens.SigningKey],
    client: ClientRecord,
    user: StoredUser,
    auth_time: int,
    origin_jti: str | None,
    grant: Grant,
    changes: token_generation.TokenChanges | None = None,
) -> dict[str, Any]:
    """AuthenticationResult-shaped tokens of a user's OAuth sign-in: an ID token only with
    `openid` [doc AUTH]; ``changes``: the pool's PreTokenGeneration function's."""
    now = int(ctx.clock.now().timestamp())
    issuer = f"{ctx.base_url}/{client.pool_id}"
    membership = groups.group_claims(groups.user_groups(tx, client.pool_id, user.sub))
    event_id = tokens.new_jti()
    origin = {"origin_jti": origin_jti} if origin_jti else {}
    access_life = sessions.lifetime(client, "AccessTokenValidity")
    access_claims: dict[str, Any] = {
        "sub": user.sub,
        **({"cognito:groups": membership["cognito:groups"]} if membership else {}),
        "iss": issuer,
        # OAuth access tokens carry `version: 2` [obs, facts 4].
        "version": 2,
        "client_id": client.id,
        **origin,
        "event_id": event_id,
        "token_use": tokens.ACCESS,
        "scope": " ".join(grant.scopes),
        "auth_time": auth_time,
        "exp": now + access_life,
        "iat": now,
        "jti": tokens.new_jti(),
        "username": user.username,
    }
    if grant.resource:
        access_claims["aud"] = grant.resource
    id_claims: dict[str, Any] | None = None
    if OPENID in grant.scopes:
        id_claims = {
            "sub": user.sub,
            **membership,
            **attribute_claims(client, user),
            "iss": issuer,
            "cognito:username": user.username,
            **({"nonce": grant.nonce} if grant.nonce else {}),
            **origin,
            "aud": client.id,
            "event_id": event_id,
            "token_use": tokens.ID,
            "auth_time": auth_time,
            "exp": now + sessions.lifetime(client, "IdTokenValidity"),
            "iat": now,
            "jti": tokens.new_jti(),
        }
    token_generation.apply(changes, id_claims, access_claims, client.id)
    access_token = tokens.sign(tokens.active_key(keys, tokens.ACCESS), access_claims)
    result: dict[str, Any] = {
        "AccessToken": access_token,
        "ExpiresIn": access_life,
        "TokenType": "Bearer",
    }
    if id_claims is not None:
        # First, as in Cognito's tokens [obs facts 4]; over the token as finally signed.
        id_claims = {"at_hash": at_hash(access_token), **id_claims}
        result["IdToken"] = tokens.sign(tokens.active_key(keys, tokens.ID), id_claims)
    return result


def _mint_stored(
    ctx: RequestContext,
    tx: Transaction,
    keys: list[tokens.SigningKey],
    client: ClientRecord,
    user: StoredUser,
    sign_in: sessions.SignIn,
    data: dict[str, Any],
    nonce: str | None = None,
) -> dict[str, Any]:
    grant = Grant.of(data)
    if nonce is not None:
        grant = Grant(grant.scopes, nonce, grant.resource)
    origin = sign_in.origin_jti if client.settings.get("EnableTokenRevocation") else None
    # An OAuth sign-in stores when the user authenticated on the page, which may be
    # minutes before the code was redeemed.
    auth_time = int(data.get("auth_time", sign_in.auth_time))
    return user_tokens(ctx, tx, keys, client, user, auth_time, origin, grant, sign_in.changes)


def sign_in(
    ctx: RequestContext,
    pool: StoredPool,
    client: ClientRecord,
    user: StoredUser,
    grant: Grant,
    auth_time: int,
) -> dict[str, Any]:
    """A code's tokens: a new sign-in with its refresh token (AuthenticationResult's
    members), through the pool's PreTokenGeneration function as TokenGeneration_HostedAuth
    ("authenticates the user from your hosted UI sign-in page" [doc TRIG])."""

    def mint(
        ctx: RequestContext,
        tx: Transaction,
        keys: list[tokens.SigningKey],
        client: ClientRecord,
        user: StoredUser,
        sign_in: sessions.SignIn,
        data: dict[str, Any],
    ) -> dict[str, Any]:
        return _mint_stored(ctx, tx, keys, client, user, sign_in, data, grant.nonce)

    return sessions.sign_in(
        ctx,
        client,
        user,
        extra={**grant.stored(), "auth_time": auth_time},
        mint=mint,
        pool=pool,
        source=token_generation.HOSTED_AUTH,
        scopes=list(grant.scopes),
    )


def implicit(
    ctx: RequestContext,
    pool: StoredPool,
    client: ClientRecord,
    user: StoredUser,
    auth_time: int,
    grant: Grant,
) -> dict[str, Any]:
    """The implicit grant's tokens: no refresh token, so no sign-in row (and no
    `origin_jti`: nothing could revoke it)."""
    now = ctx.clock.now().timestamp()
    keys = tokens.pool_keys(ctx.db, client.pool_id, now)
    changes = None
    if token_generation.configured(pool):
        with ctx.db.transaction(readonly=True) as tx:
            membership = groups.group_claims(groups.user_groups(tx, pool.id, user.sub))
        changes = token_generation.ask(
            ctx,
            pool,
            token_generation.HOSTED_AUTH,
            user,
            client.id,
            group_claims=membership,
            scopes=list(grant.scopes),
        )
    with ctx.db.transaction(readonly=True) as tx:
        return user_tokens(ctx, tx, keys, client, user, auth_time, None, grant, changes)


def refresh_minter() -> sessions.Minter:
    """How a refresh through the token endpoint mints: with the sign-in's stored grant."""
    return _mint_stored


def client_credentials(
    ctx: RequestContext,
    pool: StoredPool,
    client: ClientRecord,
    scopes: tuple[str, ...],
    metadata: dict[str, str] | None = None,
    keys: list[tokens.SigningKey] | None = None,
) -> dict[str, Any]:
    """A machine-to-machine access token: `sub` is the client id, no username [facts 4].

    The pool's PreTokenGeneration function (event version V3_0 only) sees it as
    TokenGeneration_ClientCredentials with ``metadata`` (the request's
    `aws_client_metadata`). ``keys``: the pool's, when the caller read them already."""
    changes = token_generation.ask(
        ctx,
        pool,
        token_generation.CLIENT_CREDENTIALS,
        None,
        client.id,
        group_claims={},
        scopes=list(scopes),
        metadata=metadata,
    )
    now = ctx.clock.now().timestamp()
    if keys is None or not tokens.has_active(keys):
        keys = tokens.pool_keys(ctx.db, client.pool_id, now)
    life = sessions.lifetime(client, "AccessTokenValidity")
    claims = {
        "sub": client.id,
        "token_use": tokens.ACCESS,
        "scope": " ".join(scopes),
        "auth_time": int(now),
        "iss": f"{ctx.base_url}/{client.pool_id}",
        "exp": int(now) + life,
        "iat": int(now),
        "version": 2,
        "jti": tokens.new_jti(),
        "client_id": client.id,
    }
    token_generation.apply(changes, None, claims, client.id)
    token = tokens.sign(tokens.active_key(keys, tokens.ACCESS), claims)
    return {"AccessToken": token, "ExpiresIn": life, "TokenType": "Bearer"}
