"""The token endpoint's side of OAuth: client authentication (Basic header or body), the
authorization_code, refresh_token and client_credentials grants, and revocation, with
the errors Cognito answers [doc TOKEN, REVOKE; facts 1.4, 1.6].
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from poolmail.cognito.clients import client_secrets, resource_servers
from poolmail.cognito.clients.clients import ClientRecord, find_client, rotates
from poolmail.cognito.oauth import codes, issuance, metadata_clients
from poolmail.cognito.oauth.hosts import Domain
from poolmail.cognito.pools.user_pools import StoredPool, load_pool
from poolmail.cognito.signin import sessions, tokens
from poolmail.cognito.triggers import token_generation
from poolmail.cognito.triggers.events import leave_loop
from poolmail.cognito.users.users import StoredUser, find_user
from poolmail.context import RequestContext
from poolmail.protocol.errors import AwsError

INVALID_REQUEST = "invalid_request"
INVALID_CLIENT = "invalid_client"
INVALID_GRANT = "invalid_grant"
INVALID_SCOPE = "invalid_scope"
UNAUTHORIZED_CLIENT = "unauthorized_client"
UNSUPPORTED_GRANT_TYPE = "unsupported_grant_type"
UNSUPPORTED_TOKEN_TYPE = "unsupported_token_type"


class OAuthError(Exception):
    """An error of the token or revocation endpoint: JSON `{"error": ...}` with a status."""

    def __init__(self, error: str, description: str | None = None, status: int = 400) -> None:
        super().__init__(description or error)
        self.error = error
        self.description = description
        self.status = status

    def body(self) -> dict[str, str]:
        body = {"error": self.error}
        if self.description:
            body["error_description"] = self.description
        return body


@dataclass(frozen=True, slots=True)
class ClientAuth:
    """The client's credentials as a request presents them."""

    client_id: str | None
    secret: str | None
    # Whether they came in the Authorization header (client_secret_basic).
    basic: bool = False


def client_auth(authorization: str | None, form: Mapping[str, str]) -> ClientAuth:
    """client_secret_basic (`Authorization: Basic base64(id:secret)`) or client_secret_post
    (`client_id`, `client_secret` in the body) [doc TOKEN]."""
    if authorization and authorization[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise OAuthError(INVALID_CLIENT) from None
        client_id, colon, secret = decoded.partition(":")
        if not colon:
            raise OAuthError(INVALID_CLIENT)
        # RFC 6749 2.3.1 form-encodes both before Base64; Cognito's ids and secrets have
        # nothing to encode, so decoding changes nothing for a client that did not.
        client_id, secret = unquote(client_id), unquote(secret)
        if "\x00" in client_id + secret:
            raise OAuthError(INVALID_CLIENT)
        if form.get("client_id") not in (None, client_id):
            raise OAuthError(INVALID_CLIENT)
        return ClientAuth(client_id, secret, basic=True)
    return ClientAuth(form.get("client_id") or None, form.get("client_secret") or None)


def authenticate(
    ctx: RequestContext, domain: Domain, auth: ClientAuth, status: int = 400
) -> ClientRecord:
    """The client the credentials prove, of the domain's pool; invalid_client otherwise:
    a client with a secret called without it [obs amplify-js#4426], a public client sent
    one [3p], a wrong secret. ``status``: 400 at the token endpoint (the doc lists all its
    errors as 400), 401 at the revocation endpoint [doc REVOKE]."""
    if not auth.client_id:
        raise OAuthError(INVALID_CLIENT, status=status)
    if metadata_clients.is_metadata_url(auth.client_id):
        # A CIMD client, public: no secret [doc CIMD].
        try:
            client = metadata_clients.resolve(ctx, domain.pool_id, auth.client_id)
        except metadata_clients.DocumentRefused:
            client = None
        if client is None or auth.secret:
            raise OAuthError(INVALID_CLIENT, status=status)
        return client
    with ctx.db.transaction(readonly=True) as tx:
        client = find_client(tx, auth.client_id)
    if client is None or client.pool_id != domain.pool_id:
        raise OAuthError(INVALID_CLIENT, status=status)
    if client_secrets.values(client):
        if not auth.secret or not client_secrets.matches(client, auth.secret):
            raise OAuthError(INVALID_CLIENT, status=status)
    elif auth.secret:
        raise OAuthError(INVALID_CLIENT, status=status)
    return client


def _pool(ctx: RequestContext, domain: Domain) -> tuple[RequestContext, StoredPool]:
    scoped = dataclasses.replace(ctx, account_id=domain.account, region=domain.region)
    with scoped.db.transaction(readonly=True) as tx:
        return scoped, load_pool(tx, scoped, domain.pool_id)


def _wire(result: dict[str, Any]) -> dict[str, Any]:
    """AuthenticationResult's members as the token endpoint names them, in its order."""
    body: dict[str, Any] = {"access_token": result["AccessToken"]}
    if "IdToken" in result:
        body["id_token"] = result["IdToken"]
    if "RefreshToken" in result:
        body["refresh_token"] = result["RefreshToken"]
    body["token_type"] = "Bearer"
    body["expires_in"] = result["ExpiresIn"]
    return body


def _trigger_refused(error: AwsError) -> OAuthError:
    # Choice (AWS's answer not found): a PreTokenGeneration failure is invalid_request
    # with the function's message, as federation's failures are described [doc AUTH].
    return OAuthError(INVALID_REQUEST, error.message)


def _verifier_matches(data: dict[str, Any], verifier: str | None) -> bool:
    challenge = data.get("code_challenge")
    if challenge is None:
        return True
    if not verifier:
        return False
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    computed = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return hmac.compare_digest(computed, str(challenge))


def _oauth_client(client: ClientRecord, flow: str, refusal: str) -> None:
    if not client.settings.get("AllowedOAuthFlowsUserPoolClient"):
        raise OAuthError(refusal)
    if flow not in (client.settings.get("AllowedOAuthFlows") or []):
        raise OAuthError(UNAUTHORIZED_CLIENT)


def authorization_code(
    ctx: RequestContext, domain: Domain, client: ClientRecord, form: Mapping[str, str]
) -> dict[str, Any]:
    code = form.get("code")
    redirect_uri = form.get("redirect_uri")
    if not code:
        raise OAuthError(INVALID_REQUEST)
    _oauth_client(client, "code", UNAUTHORIZED_CLIENT)
    ctx, pool = _pool(ctx, domain)
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction(readonly=True) as tx:
        # "consumed already or does not exist" [doc TOKEN].
        data = codes.pending(tx, code, client.id, now)
        # A code issued to a CIMD client is redeemed with its URL, and only then [choice].
        if data is None or data.get("client_metadata_url") != metadata_clients.metadata_url(client):
            raise OAuthError(INVALID_GRANT)
        # "redirect_uri ... must equal the authorize value" [doc TOKEN]: required when the
        # authorize request named one (RFC 6749 4.1.3), not when DefaultRedirectURI stood in.
        if redirect_uri is None and data.get("redirect_uri_given", True):
            raise OAuthError(INVALID_REQUEST)
        if redirect_uri is not None and data["redirect_uri"] != redirect_uri:
            # [doc TOKEN]: unauthorized_client, described as invalid_redirect.
            raise OAuthError(UNAUTHORIZED_CLIENT, "invalid_redirect")
        # Not found: AWS's answer to a wrong code_verifier. Choice: invalid_grant (RFC
        # 7636 4.6), the code left unused, as any refused request changes nothing.
        if not _verifier_matches(data, form.get("code_verifier")):
            raise OAuthError(INVALID_GRANT)
        user = find_user(tx, pool, str(data["username"]))
    if user is None or not user.enabled:
        raise OAuthError(INVALID_GRANT)
    with ctx.db.transaction() as tx:
        if not codes.use(tx, code, now):
            raise OAuthError(INVALID_GRANT)
    grant = issuance.Grant(tuple(data["scopes"]), data.get("nonce"), data.get("resource"))
    try:
        result = issuance.sign_in(ctx, pool, client, user, grant, int(data["auth_time"]))
    except AwsError as error:
        raise _trigger_refused(error) from None
    return _wire(result)


def refresh_token(
    ctx: RequestContext, domain: Domain, client: ClientRecord, form: Mapping[str, str]
) -> dict[str, Any]:
    """New tokens of the refresh token's sign-in (an API sign-in's too [doc TOKEN]); a new
    refresh token only when the client rotates them."""
    token = form.get("refresh_token")
    if not token:
        raise OAuthError(INVALID_REQUEST)
    if metadata_clients.metadata_url(client) is not None and "refresh_token" not in (
        client.settings.get(metadata_clients.GRANT_TYPES) or []
    ):
        # A grant the CIMD client's document does not list [doc CIMD].
        raise OAuthError(UNAUTHORIZED_CLIENT)
    ctx, pool = _pool(ctx, domain)
    with ctx.db.transaction(readonly=True) as tx:
        data = sessions.stored_data(tx, token, ctx.clock.now().timestamp())
    # The pre-token function sees the sign-in's granted scopes.
    scopes = list(issuance.Grant.of(data or {}).scopes)

    def check(user: StoredUser) -> None:
        return None  # the client authenticated above

    try:
        result = sessions.renew(
            ctx,
            pool,
            client,
            token,
            check,
            rotate=rotates(client.settings),
            mint=issuance.refresh_minter(),
            source=token_generation.REFRESH_TOKENS,
            scopes=scopes,
        )
    except AwsError as error:
        if error.code in ("NotAuthorizedException", "RefreshTokenReuseException"):
            # Revoked, expired, reused, unknown: "invalid_grant" [doc TOKEN].
            raise OAuthError(INVALID_GRANT) from None
        raise _trigger_refused(error) from None
    return _wire(result)


def client_credentials(
    ctx: RequestContext, domain: Domain, client: ClientRecord, form: Mapping[str, str]
) -> dict[str, Any]:
    """An access token with the resource servers' scopes the client may have: "unallowed
    scopes ignored; absent => all allowed" [doc TOKEN]."""
    if not client_secrets.values(client):
        raise OAuthError(INVALID_CLIENT)
    # A client made by API without AllowedOAuthFlowsUserPoolClient gets invalid_grant
    # [obs aws-sdk-js-v3#7158].
    _oauth_client(client, "client_credentials", INVALID_GRANT)
    allowed = list(client.settings.get("AllowedOAuthScopes") or [])
    requested = form.get("scope")
    wanted = allowed if requested is None else [s for s in requested.split() if s in allowed]
    ctx = dataclasses.replace(ctx, account_id=domain.account, region=domain.region)
    # The pool, its scopes and its signing keys in one read (a hot path: issue 20).
    with ctx.db.transaction(readonly=True) as tx:
        pool = load_pool(tx, ctx, domain.pool_id)
        # Served on the event loop (hosted/oauth_endpoints.py) unless a function may run.
        leave_loop(pool)
        scopes = tuple(resource_servers.active_scopes(tx, pool.id, dict.fromkeys(wanted)))
        keys = tokens.stored_keys(tx, client.pool_id)
    custom = tuple(scope for scope in scopes if scope not in resource_servers.RESERVED_SCOPES)
    if not custom:
        # Choice (AWS's answer not found): nothing left to grant is invalid_scope.
        raise OAuthError(INVALID_SCOPE)
    metadata = _client_metadata(form.get("aws_client_metadata"))
    try:
        result = issuance.client_credentials(ctx, pool, client, custom, metadata, keys)
    except AwsError as error:
        raise _trigger_refused(error) from None
    return {
        "access_token": result["AccessToken"],
        "expires_in": result["ExpiresIn"],
        "token_type": "Bearer",
    }


def _client_metadata(text: str | None) -> dict[str, str] | None:
    """`aws_client_metadata`: URL-encoded JSON for the V3 pre-token function [doc TOKEN]."""
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        raise OAuthError(INVALID_REQUEST) from None
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise OAuthError(INVALID_REQUEST)
    return {str(key): str(item) for key, item in value.items()}


GRANTS = {
    "authorization_code": authorization_code,
    "refresh_token": refresh_token,
    "client_credentials": client_credentials,
}


def token(
    ctx: RequestContext, domain: Domain, auth: ClientAuth, form: Mapping[str, str]
) -> dict[str, Any]:
    """The token endpoint: the grant's JSON body, or OAuthError."""
    grant_type = form.get("grant_type")
    if not grant_type:
        raise OAuthError(INVALID_REQUEST)
    grant = GRANTS.get(grant_type)
    if grant is None:
        raise OAuthError(UNSUPPORTED_GRANT_TYPE)
    client = authenticate(ctx, domain, auth)
    return grant(ctx, domain, client, form)


def revoke(ctx: RequestContext, domain: Domain, auth: ClientAuth, form: Mapping[str, str]) -> None:
    """/oauth2/revoke: RevokeToken's work, with the endpoint's errors [doc REVOKE]: 400
    invalid_request (no token, revocation off), 401 invalid_client, 400
    unsupported_token_type (not a refresh token); an unknown or revoked token is success."""
    token_value = form.get("token")
    if not token_value:
        raise OAuthError(INVALID_REQUEST)
    client = authenticate(ctx, domain, auth, status=401)
    params = {"ClientId": client.id, "ClientSecret": auth.secret, "Token": token_value}
    try:
        sessions.revoke_token(ctx, params)
    except AwsError as error:
        if error.code == "UnsupportedTokenTypeException":
            raise OAuthError(UNSUPPORTED_TOKEN_TYPE) from None
        if error.code == "UnauthorizedException":
            raise OAuthError(INVALID_CLIENT, status=401) from None
        raise OAuthError(INVALID_REQUEST) from None
