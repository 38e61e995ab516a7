"""Signed-in sessions: minting ID, access and refresh tokens, refreshing them, checking an
access token for the token-authorised user operations, and RevokeToken (signing out
everywhere is `sign_out`'s).

Every sign-in is one row of `cognito_refresh_tokens` (a "token session" of
ListUserSessions): its refresh token (stored hashed) and the `origin_jti` its ID and access
tokens carry, so revoking the row revokes them all. Refresh-token rotation replaces the
row's token and keeps the tokens it replaced in the row's ``data`` (``rotated``), each
usable until its grace period ends; a refresh token carries its sign-in's `origin_jti`, so
a rotated-out token still finds its row.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import json
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from poolmail.cognito.clients import client_secrets
from poolmail.cognito.clients.clients import ClientRecord, find_client, grace_period, rotates
from poolmail.cognito.pools import session_configuration
from poolmail.cognito.pools.user_pools import StoredPool, load_pool, not_found
from poolmail.cognito.signin import challenges, tokens
from poolmail.cognito.triggers import token_generation
from poolmail.cognito.users import groups
from poolmail.cognito.users.users import (
    StoredUser,
    check_secret_hash,
    find_user,
)
from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.protocol import fast_json
from poolmail.protocol.errors import AwsError
from poolmail.store import Transaction

# AWS's texts, as clients report them (amplify-android#2481, amplify-swift#3344,
# amplify-js#2205, aws-sdk-ios#1409).
ACCESS_EXPIRED = "Access Token has expired"
ACCESS_REVOKED = "Access Token has been revoked"
ACCESS_INVALID = "Invalid Access Token"
# AWS's text for a token without aws.cognito.signin.user.admin (amplify-js#1906).
ACCESS_SCOPE = "Access Token does not have required scopes"
REFRESH_REVOKED = "Refresh Token has been revoked"
REFRESH_INVALID = "Invalid Refresh Token"
REFRESH_EXPIRED = "Refresh Token has expired"
# Not found: AWS's text for RefreshTokenReuseException ("your application requests token
# refresh with a refresh token that has been invalidated by refresh-token rotation" [model]).
# Choice: a sentence in the style of the texts above.
REFRESH_REUSED = "Refresh Token has already been used"
# The flow-not-enabled text of InitiateAuth (auth.py), for REFRESH_TOKEN_AUTH on a client
# that may not refresh that way.
REFRESH_FLOW_OFF = "REFRESH_TOKEN_AUTH flow not enabled for this client"
# Choice: how many rotated-out tokens a sign-in remembers to answer their reuse with
# RefreshTokenReuseException; an older one is just an invalid token.
_REMEMBERED_ROTATIONS = 100

_SECONDS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
# Member -> (TokenValidityUnits key, default unit, default value): an hour for access and
# ID tokens, 30 days for refresh tokens (CreateUserPoolClient [model]).
_VALIDITY = {
    "AccessTokenValidity": ("AccessToken", "hours", 1),
    "IdTokenValidity": ("IdToken", "hours", 1),
    "RefreshTokenValidity": ("RefreshToken", "days", 30),
}
# Real refresh tokens are JWEs; clients treat them as opaque, so this one only looks alike.
_JWE_SEGMENT = tokens.b64url(b'{"cty":"JWT","enc":"A256GCM","alg":"RSA-OAEP"}')


def lifetime(client: ClientRecord, member: str) -> int:
    """A token's validity in seconds, from the app client's settings."""
    unit_key, default_unit, default = _VALIDITY[member]
    units = client.settings.get("TokenValidityUnits") or {}
    value = client.settings.get(member) or default
    return int(value) * _SECONDS[units.get(unit_key) or default_unit]


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_refresh_token(origin_jti: str) -> str:
    # The first part (a JWE's encrypted key) opens with the sign-in's origin_jti, so that a
    # token rotation replaced still leads to its sign-in; the rest is random.
    # One read of the system's random source for the four random parts (the encrypted
    # key's 240 other bytes, a 12-byte IV, 512 of ciphertext, a 16-byte tag).
    random = secrets.token_bytes(780)
    parts = (
        uuid.UUID(origin_jti).bytes + random[:240],
        random[240:252],
        random[252:764],
        random[764:],
    )
    return ".".join([_JWE_SEGMENT, *(tokens.b64url(part) for part in parts)])


def _origin_of(token: str) -> str | None:
    parts = token.split(".")
    if len(parts) != 5:
        return None
    try:
        key = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
    except (binascii.Error, ValueError):
        return None
    return str(uuid.UUID(bytes=key[:16])) if len(key) >= 16 else None


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
    # What the pool's PreTokenGeneration function changes in these tokens: every minter
    # applies it right before signing (token_generation.apply).
    changes: token_generation.TokenChanges | None = None


def _mint(
    ctx: RequestContext,
    tx: Transaction,
    keys: list[tokens.SigningKey],
    client: ClientRecord,
    user: StoredUser,
    sign_in: SignIn,
) -> dict[str, Any]:
    membership = groups.group_claims(groups.user_groups(tx, client.pool_id, user.sub))
    return _signed(ctx, keys, client, user, sign_in, membership)


def _signed(
    ctx: RequestContext,
    keys: list[tokens.SigningKey],
    client: ClientRecord,
    user: StoredUser,
    sign_in: SignIn,
    membership: dict[str, Any],
) -> dict[str, Any]:
    """The ID and access tokens of a sign-in, given the user's group claims."""
    now = int(ctx.clock.now().timestamp())
    issuer = f"{ctx.base_url}/{client.pool_id}"
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
    token_generation.apply(sign_in.changes, id_claims, access_claims, client.id)
    access_token, id_token = tokens.sign_pair(
        (tokens.active_key(keys, tokens.ACCESS), access_claims),
        (tokens.active_key(keys, tokens.ID), id_claims),
    )
    return {
        "AccessToken": access_token,
        "ExpiresIn": access_life,
        "TokenType": "Bearer",
        "IdToken": id_token,
    }


# Mints the ID and access tokens of a sign-in (AuthenticationResult's members) from the
# sign-in's stored data: managed login's OAuth tokens (cognito/oauth/issuance.py) carry
# scopes and claims that the API's do not.
Minter = Callable[
    [
        RequestContext,
        Transaction,
        list[tokens.SigningKey],
        ClientRecord,
        StoredUser,
        SignIn,
        dict[str, Any],
    ],
    dict[str, Any],
]


def sign_in(
    ctx: RequestContext,
    client: ClientRecord,
    user: StoredUser,
    device_key: str | None = None,
    *,
    extra: dict[str, Any] | None = None,
    mint: Minter | None = None,
    pool: StoredPool | None = None,
    source: str = token_generation.AUTHENTICATION,
    metadata: dict[str, str] | None = None,
    scopes: list[str] | None = None,
    reads: tokens.TokenReads | None = None,
    closing: challenges.Pending | None = None,
) -> dict[str, Any]:
    """AuthenticationResult of a completed sign-in: a new refresh token and its tokens.

    ``device_key``: the remembered device the sign-in came from (its access tokens carry
    it as the `device_key` claim). ``extra``: more of the sign-in to store with it (what an
    OAuth sign-in granted), which ``mint`` (by default the API's tokens) reads.

    ``source``, ``metadata`` and ``scopes`` (the access token's, by default the API's one
    scope) go to the pool's PreTokenGeneration function, which runs before anything is
    stored: its failure leaves no sign-in behind. ``pool``: the client's, if at hand.
    ``reads``: the API tokens' reads, if the caller made them (``read_for_tokens``).
    ``closing``: the answered challenge that led here, closed in the same write."""
    now = ctx.clock.now().timestamp()
    changes = _token_changes(ctx, pool, client, user, source, metadata, scopes)
    session = SignIn(tokens.new_jti(), int(now), device_key, changes)
    refresh = _new_refresh_token(session.origin_jti)
    if mint is None:
        # The API's tokens from one read (the pool's keys, the user's groups), signed
        # before the writing transaction, so its two RSA signatures hold up no writer.
        result = _api_tokens(ctx, client, user, session, now, reads)
    else:
        keys = tokens.pool_keys(ctx.db, client.pool_id, now)
    with ctx.db.transaction() as tx:
        if closing is not None:
            challenges.close_in(tx, closing)
        # MaxPerUser: the least recently used sessions make way (session_configuration.py).
        session_configuration.make_room(tx, client.pool_id, user.sub, now)
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
                fast_json.dumps(
                    {
                        "auth_time": session.auth_time,
                        "username": user.username,
                        "device_key": device_key,
                        **(extra or {}),
                    }
                ).decode(),
            ),
        )
    if mint is not None:
        # Signing (two RSA signatures) happens outside the writing transaction, so it
        # does not hold up other writers.
        with ctx.db.transaction(readonly=True) as tx:
            result = mint(ctx, tx, keys, client, user, session, extra or {})
    return {**result, "RefreshToken": refresh}


def _api_tokens(
    ctx: RequestContext,
    client: ClientRecord,
    user: StoredUser,
    session: SignIn,
    now: float,
    reads: tokens.TokenReads | None,
) -> dict[str, Any]:
    if reads is not None and reads.sub == user.sub:
        return _signed(ctx, reads.keys, client, user, session, reads.group_claims)
    with ctx.db.transaction(readonly=True) as tx:
        keys = tokens.stored_keys(tx, client.pool_id)
        membership = groups.group_claims(groups.user_groups(tx, client.pool_id, user.sub))
    if not tokens.has_active(keys):
        keys = tokens.pool_keys(ctx.db, client.pool_id, now)  # the pool's first pair
    return _signed(ctx, keys, client, user, session, membership)


def read_for_tokens(
    tx: Transaction, pool: StoredPool, user: StoredUser
) -> tokens.TokenReads | None:
    """The API tokens' reads, made in the caller's transaction (the one that found the
    user), for a pool where no function runs before the tokens: a PostAuthentication or
    PreTokenGeneration function may change the user's groups in between. None when the
    pool has functions, or no keys yet."""
    if any((pool.settings.get("LambdaConfig") or {}).values()):
        return None
    keys = tokens.stored_keys(tx, pool.id)
    if not tokens.has_active(keys):
        return None
    membership = groups.group_claims(groups.user_groups(tx, pool.id, user.sub))
    return tokens.TokenReads(user.sub, keys, membership)


def refresh(
    ctx: RequestContext, pool: StoredPool, client: ClientRecord, token: str, secret_hash: str | None
) -> dict[str, Any]:
    """REFRESH_TOKEN_AUTH: new ID and access tokens of the same sign-in, no new refresh
    token, with the user's current groups and attributes."""
    # "You can't authenticate with REFRESH_TOKEN_AUTH in app clients with refresh token
    # rotation enabled." (cognito amazon-cognito-user-pools-using-the-refresh-token.html)
    # Choice: refused as the flow is when the client does not enable it.
    if rotates(client.settings):
        raise AwsError("InvalidParameterException", REFRESH_FLOW_OFF)

    def check(user: StoredUser) -> None:
        # The secret hash of a refresh is over the user's own username, not an alias.
        check_secret_hash(client, user.username, secret_hash)

    return renew(ctx, pool, client, token, check, rotate=False)


@dataclass(slots=True)
class Session:
    """One sign-in's row of `cognito_refresh_tokens`."""

    token_hash: str
    origin_jti: str
    client_id: str
    sub: str
    created_at: float
    expires_at: float
    revoked_at: float | None
    data: dict[str, Any]


_SESSION_COLUMNS = (
    "token_hash, origin_jti, client_id, sub, created_at, expires_at, revoked_at, data"
)
# How a presented refresh token stands in its sign-in.
CURRENT, GRACE, SPENT = "current", "grace", "spent"


def _session_of(row: tuple[Any, ...]) -> Session:
    return Session(
        str(row[0]),
        str(row[1]),
        str(row[2]),
        str(row[3]),
        float(row[4]),
        float(row[5]),
        None if row[6] is None else float(row[6]),
        json.loads(row[7]),
    )


def _find(tx: Transaction, token: str, now: float) -> tuple[Session, str] | None:
    """The sign-in of a refresh token, and whether the token is its current one, one
    rotation replaced that is still in its grace period, or one whose grace is over."""
    digest = _hash(token)
    row = tx.fetchone(
        f"SELECT {_SESSION_COLUMNS} FROM cognito_refresh_tokens WHERE token_hash = ?", (digest,)
    )
    if row is not None:
        return _session_of(row), CURRENT
    origin = _origin_of(token)
    if origin is None:
        return None
    row = tx.fetchone(
        f"SELECT {_SESSION_COLUMNS} FROM cognito_refresh_tokens WHERE origin_jti = ?", (origin,)
    )
    if row is None:
        return None
    session = _session_of(row)
    for entry in session.data.get("rotated") or []:
        if secrets.compare_digest(str(entry["hash"]), digest):
            return session, GRACE if float(entry["until"]) > now else SPENT
    return None


def stored_data(tx: Transaction, token: str, now: float) -> dict[str, Any] | None:
    """What a refresh token's sign-in stored (``sign_in``'s ``extra``: an OAuth grant's
    scopes, say), for the caller of ``renew`` to tell the pre-token function."""
    found = _find(tx, token, now)
    return None if found is None else found[0].data


def _usable(found: tuple[Session, str] | None, client: ClientRecord, now: float) -> Session:
    if found is None or found[0].client_id != client.id:
        raise AwsError("NotAuthorizedException", REFRESH_INVALID)
    session, standing = found
    if session.revoked_at is not None:
        raise AwsError("NotAuthorizedException", REFRESH_REVOKED)
    if session.expires_at <= now:
        raise AwsError("NotAuthorizedException", REFRESH_EXPIRED)
    if standing == SPENT:
        raise AwsError("RefreshTokenReuseException", REFRESH_REUSED)
    return session


def _session_lock(origin_jti: str) -> str:
    # One refresh of a sign-in at a time, across replicas: two requests with the same
    # token must not both rotate it past its grace period.
    return f"poolmail:cognito-session:{origin_jti}"


def renew(
    ctx: RequestContext,
    pool: StoredPool,
    client: ClientRecord,
    token: str,
    check: Callable[[StoredUser], None],
    *,
    rotate: bool,
    mint: Minter | None = None,
    source: str = token_generation.REFRESH_TOKENS,
    metadata: dict[str, str] | None = None,
    scopes: list[str] | None = None,
) -> dict[str, Any]:
    """New ID and access tokens of the sign-in ``token`` belongs to; with ``rotate``, a new
    refresh token too, the presented one usable for the client's grace period more.

    ``check`` sees the token's user before anything is issued (a secret hash, say). A
    rotated refresh token ends when the sign-in's first one would have: rotation does not
    extend the session (re:Post "Rotated Refresh Token Validity", AWS's accepted answer).
    """
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction(readonly=True) as tx:
        session = _usable(_find(tx, token, now), client, now)
    with ctx.db.transaction(lock=_session_lock(session.origin_jti)) as tx:
        # Again under the lock: a concurrent refresh may have rotated the token meanwhile.
        session = _usable(_find(tx, token, now), client, now)
        data = session.data
        user = find_user(tx, pool, str(data["username"]))
        if user is None or user.sub != session.sub:
            raise AwsError("NotAuthorizedException", REFRESH_REVOKED)
        check(user)
        if not user.enabled:
            raise AwsError("NotAuthorizedException", "User is disabled.")
        # ListUserSessions' LastActiveDate: "the most recent token refresh or rotation".
        data["last_active"] = now
        new_token = _new_refresh_token(session.origin_jti) if rotate else None
        new_hash = session.token_hash
        if new_token is not None:
            new_hash = _hash(new_token)
            rotated = [*(data.get("rotated") or [])]
            rotated.append({"hash": session.token_hash, "until": now + grace_period(client)})
            data["rotated"] = rotated[-_REMEMBERED_ROTATIONS:]
        tx.execute(
            "UPDATE cognito_refresh_tokens SET token_hash = ?, data = ? WHERE origin_jti = ?",
            (new_hash, json.dumps(data), session.origin_jti),
        )
    # Choice: the refresh is stored before the function runs (a rotated token stays
    # rotated when it fails); AWS does not say.
    changes = _token_changes(ctx, pool, client, user, source, metadata, scopes)
    sign_in = SignIn(session.origin_jti, int(data["auth_time"]), data.get("device_key"), changes)
    # Only once the refresh is good: the pool's first keys are made on first use, and a
    # refused request changes nothing.
    keys = tokens.pool_keys(ctx.db, client.pool_id, now)
    with ctx.db.transaction(readonly=True) as tx:
        if mint is None:
            result = _mint(ctx, tx, keys, client, user, sign_in)
        else:
            result = mint(ctx, tx, keys, client, user, sign_in, data)
    if new_token is not None:
        result["RefreshToken"] = new_token
    return result


def _token_changes(
    ctx: RequestContext,
    pool: StoredPool | None,
    client: ClientRecord,
    user: StoredUser,
    source: str,
    metadata: dict[str, str] | None,
    scopes: list[str] | None,
) -> token_generation.TokenChanges | None:
    """What the pool's PreTokenGeneration function (if any) changes; outside any
    transaction, as every function call."""
    if pool is None:
        with ctx.db.transaction(readonly=True) as tx:
            pool = load_pool(tx, ctx, client.pool_id)
    if not token_generation.configured(pool):
        return None
    with ctx.db.transaction(readonly=True) as tx:
        membership = groups.group_claims(groups.user_groups(tx, client.pool_id, user.sub))
    return token_generation.ask(
        ctx,
        pool,
        source,
        user,
        client.id,
        group_claims=membership,
        scopes=scopes or [tokens.ADMIN_SCOPE],
        metadata=metadata,
    )


# ---- sessions of a user -----------------------------------------------------------------


def session_id_of(origin_jti: str) -> str:
    """The SessionId of a sign-in: `tkn` and 25 lowercase letters and digits [model]."""
    digest = base64.b32encode(hashlib.sha256(origin_jti.encode()).digest()).decode().lower()
    return "tkn" + digest[:25]


def active_sessions(tx: Transaction, pool_id: str, sub: str, now: float) -> list[Session]:
    """A user's sign-ins that are neither revoked nor expired, newest first."""
    rows = tx.fetchall(
        f"SELECT {_SESSION_COLUMNS} FROM cognito_refresh_tokens "
        "WHERE pool_id = ? AND sub = ? AND revoked_at IS NULL AND expires_at > ? "
        "ORDER BY created_at DESC, origin_jti",
        (pool_id, sub, now),
    )
    return [_session_of(row) for row in rows]


def revoke_session(tx: Transaction, origin_jti: str, now: float) -> None:
    """Revoke a sign-in: its refresh token, and the access and ID tokens that carry its
    origin_jti."""
    tx.execute(
        "UPDATE cognito_refresh_tokens SET revoked_at = ? "
        "WHERE origin_jti = ? AND revoked_at IS NULL",
        (now, origin_jti),
    )


# ---- access tokens ----------------------------------------------------------------------


@dataclass(slots=True)
class Authorized:
    """The caller of a token-authorised operation: the pool's context, pool, user, claims."""

    ctx: RequestContext
    pool: StoredPool
    user: StoredUser
    claims: dict[str, Any]


def authorize(
    ctx: RequestContext, access_token: str, *, scope: str | None = tokens.ADMIN_SCOPE
) -> Authorized:
    """Check an access token as Cognito does for GetUser, ChangePassword and the like: they
    need ``scope`` (the user pools API's), which a managed login token has only when
    granted; /oauth2/userInfo asks for none here and checks `openid` itself."""
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
    if scope is not None and scope not in str(claims.get("scope") or "").split():
        raise AwsError("NotAuthorizedException", ACCESS_SCOPE)
    scoped = dataclasses.replace(ctx, account_id=str(row[0]), region=str(row[1]))
    with scoped.db.transaction(readonly=True) as tx:
        pool = load_pool(tx, scoped, pool_id)
        user = find_user(tx, pool, str(claims.get("username", "")))
        if user is None or user.sub != claims.get("sub"):
            raise AwsError("UserNotFoundException", "User does not exist.")
        if _revoked(tx, user, claims):
            raise AwsError("NotAuthorizedException", ACCESS_REVOKED)
    return Authorized(scoped, pool, user, claims)


def token_revoked(tx: Transaction, user: StoredUser, claims: dict[str, Any]) -> bool:
    """Whether a token of ``user`` no longer counts: its sign-in revoked, its user disabled
    or signed out everywhere since (token_exchange.py checks subject tokens so)."""
    return _revoked(tx, user, claims)


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


def forget_user(tx: Transaction, pool_id: str, sub: str) -> None:
    tx.execute("DELETE FROM cognito_refresh_tokens WHERE pool_id = ? AND sub = ?", (pool_id, sub))


# ---- operations -------------------------------------------------------------------------


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
    # Any active secret of the client will do (client_secrets.py: rotation).
    if client_secrets.values(client) and not client_secrets.matches(
        client, str(params.get("ClientSecret") or "")
    ):
        raise AwsError("UnauthorizedException", "Invalid client secret provided.")
    if not client.settings.get("EnableTokenRevocation"):
        raise AwsError(
            "UnsupportedOperationException", "Token revocation is not enabled for this client."
        )
    token = params["Token"]
    if token.count(".") == 2:
        raise AwsError("UnsupportedTokenTypeException", "Only refresh tokens can be revoked.")
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction() as tx:
        # A token rotation replaced still revokes its sign-in while it would still refresh.
        found = _find(tx, token, now)
        if found is not None and found[0].client_id == client.id and found[1] != SPENT:
            revoke_session(tx, found[0].origin_jti, now)
    return {}


OPERATIONS: dict[str, Handler] = {
    "RevokeToken": revoke_token,
}
