"""GetDerivedToken: OAuth 2.0 Token Exchange (RFC 8693) through the API. A user's ID or
access token (the subject), and optionally an intermediary's (the actor), become a new
token of the same user, scoped down and bound to one audience or resource server.

The issued token keeps the subject's sign-in (`origin_jti`): revoking that sign-in,
disabling the user or signing them out everywhere ends the derived token too, as it ends
the tokens it came from.
"""

from __future__ import annotations

from typing import Any

from poolmail.cognito.clients import client_secrets
from poolmail.cognito.clients.clients import ClientRecord
from poolmail.cognito.pools.user_pools import load_pool
from poolmail.cognito.signin import sessions, tokens
from poolmail.cognito.users.users import StoredUser, find_user, public_client
from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.protocol.errors import AwsError

IMPERSONATION = "ALLOW_TOKEN_EXCHANGE_IMPERSONATION"
DELEGATION = "ALLOW_TOKEN_EXCHANGE_DELEGATION"
_TOKEN_USE = {"ACCESS_TOKEN": tokens.ACCESS, "ID_TOKEN": tokens.ID}

# Not found: AWS's texts. Choice: InitiateAuth's "<flow> flow not enabled for this client",
# the model's own sentences, and the access-token texts of sessions.py for tokens.
FLOW_OFF = "{flow} flow not enabled for this client"
SECRET_MISSING = "Client {client_id} is configured for secret but secret was not received"
BAD_SECRET = "Invalid client secret provided."
BOTH_TARGETS = "You can't request both Audiences and Resources in the same request."
ACTOR_TYPE = "ActorTokenType is required when you provide an ActorToken."
# poolmail's pools have no SAML or OIDC identity providers whose tokens it could check.
EXTERNAL = "Tokens of third-party identity providers are not supported."
INVALID = "Invalid {label}"
EXPIRED = "{label} has expired"
REVOKED = "{label} has been revoked"


def _check_client(client: ClientRecord, params: dict[str, Any]) -> None:
    # "you must present the requesting app client's ClientId and, if the client has a
    # secret, ClientSecret" [model]; any active secret will do (client_secrets.py).
    if client_secrets.values(client):
        given = params.get("ClientSecret")
        if not given:
            raise AwsError("NotAuthorizedException", SECRET_MISSING.format(client_id=client.id))
        if not client_secrets.matches(client, given):
            raise AwsError("NotAuthorizedException", BAD_SECRET)
    # "The requesting app client must have ALLOW_TOKEN_EXCHANGE_IMPERSONATION or
    # ALLOW_TOKEN_EXCHANGE_DELEGATION in its ExplicitAuthFlows (depending on whether you
    # include an ActorToken), or the request fails." [model]
    flow = DELEGATION if params.get("ActorToken") else IMPERSONATION
    if flow not in (client.settings.get("ExplicitAuthFlows") or []):
        raise AwsError(
            "InvalidParameterException", FLOW_OFF.format(flow=flow.removeprefix("ALLOW_"))
        )


def _verified(
    ctx: RequestContext, client: ClientRecord, token: str, token_type: str
) -> tuple[StoredUser, dict[str, Any]]:
    """The user and claims of a token of the client's pool that still counts."""
    label = "Access Token" if token_type == "ACCESS_TOKEN" else "Id Token"
    if token_type not in _TOKEN_USE:
        raise AwsError("InvalidParameterException", EXTERNAL)
    now = ctx.clock.now().timestamp()
    try:
        claims = tokens.verify(tokens.pool_keys(ctx.db, client.pool_id, now), token)
    except tokens.InvalidTokenError:
        raise AwsError("NotAuthorizedException", INVALID.format(label=label)) from None
    if claims.get("token_use") != _TOKEN_USE[token_type]:
        raise AwsError("NotAuthorizedException", INVALID.format(label=label))
    if float(claims.get("exp", 0)) <= now:
        raise AwsError("NotAuthorizedException", EXPIRED.format(label=label))
    username = claims.get("username") or claims.get("cognito:username") or ""
    with ctx.db.transaction(readonly=True) as tx:
        pool = load_pool(tx, ctx, client.pool_id)
        user = find_user(tx, pool, str(username))
        if user is None or user.sub != claims.get("sub"):
            raise AwsError("UserNotFoundException", "User does not exist.")
        if sessions.token_revoked(tx, user, claims):
            raise AwsError("NotAuthorizedException", REVOKED.format(label=label))
    return user, claims


def _granted(
    client: ClientRecord, subject: dict[str, Any], requested: list[str] | None
) -> list[str]:
    # "Amazon Cognito issues a token with the intersection of these requested scopes, the
    # scopes of your SubjectToken, and the scopes that are allowed for the requesting app
    # client. If you don't specify any scopes, Amazon Cognito issues a token with the same
    # scopes as your SubjectToken." [model] An ID token carries no scope: none then. The
    # client's allowed scopes: its AllowedOAuthScopes, and the user-pools API scope every
    # API sign-in grants.
    held = str(subject.get("scope") or "").split()
    if not requested:
        return held
    allowed = {*(client.settings.get("AllowedOAuthScopes") or []), tokens.ADMIN_SCOPE}
    return [scope for scope in dict.fromkeys(requested) if scope in held and scope in allowed]


def get_derived_token(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    ctx, client = public_client(ctx, params["ClientId"])
    _check_client(client, params)
    if params.get("Audiences") and params.get("Resources"):
        raise AwsError("InvalidParameterException", BOTH_TARGETS)
    if params.get("SubjectTokenProviderName") or params.get("ActorTokenProviderName"):
        raise AwsError("InvalidParameterException", EXTERNAL)
    user, subject = _verified(ctx, client, params["SubjectToken"], params["SubjectTokenType"])
    actor: dict[str, Any] | None = None
    if params.get("ActorToken"):
        if not params.get("ActorTokenType"):
            raise AwsError("InvalidParameterException", ACTOR_TYPE)
        _, actor = _verified(ctx, client, params["ActorToken"], params["ActorTokenType"])
    # Choice: an access token unless asked otherwise (the model names no default).
    issued_type = params.get("RequestedTokenType") or "ACCESS_TOKEN"
    scopes = _granted(client, subject, params.get("Scopes"))
    now = int(ctx.clock.now().timestamp())
    member = "AccessTokenValidity" if issued_type == "ACCESS_TOKEN" else "IdTokenValidity"
    life = sessions.lifetime(client, member)
    # The user's own claims carry over from the subject (sub, username, groups, the
    # sign-in's origin_jti and auth_time); the rest is the new token's.
    kept = ("sub", "cognito:groups", "origin_jti", "auth_time", "username", "cognito:username")
    claims: dict[str, Any] = {key: subject[key] for key in kept if key in subject}
    claims.setdefault(
        "username" if issued_type == "ACCESS_TOKEN" else "cognito:username", user.username
    )
    target = (params.get("Audiences") or params.get("Resources") or [None])[0]
    claims.update(
        {
            "iss": f"{ctx.base_url}/{client.pool_id}",
            "client_id": client.id,
            "token_use": _TOKEN_USE[issued_type],
            "exp": now + life,
            "iat": now,
            "jti": tokens.new_jti(),
        }
    )
    if issued_type == "ACCESS_TOKEN":
        claims["scope"] = " ".join(scopes)
    # RFC 8693 4.1: "act" names the party acting for the subject.
    if actor is not None:
        claims["act"] = {"sub": actor["sub"]}
    # The target service is the audience; Choice: without one, an ID token's audience is
    # the requesting client (as a sign-in's ID token names its client) and an access token
    # has none (as Cognito's access tokens name their client in client_id instead).
    if target is not None or issued_type == "ID_TOKEN":
        claims["aud"] = target or client.id
    key = tokens.active_key(tokens.pool_keys(ctx.db, client.pool_id, now), claims["token_use"])
    answer: dict[str, Any] = {
        "IssuedToken": tokens.sign(key, claims),
        "IssuedTokenType": issued_type,
        # RFC 8693 2.2.1: "N_A" when the issued token is not an access token.
        "TokenType": "Bearer" if issued_type == "ACCESS_TOKEN" else "N_A",
        "ExpiresIn": life,
    }
    if issued_type == "ACCESS_TOKEN":
        answer["Scopes"] = scopes
    return answer


OPERATIONS: dict[str, Handler] = {
    "GetDerivedToken": get_derived_token,
}
