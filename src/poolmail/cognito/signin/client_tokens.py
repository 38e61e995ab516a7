"""GetClientToken: an access token for machine-to-machine authorisation, the API form of
the token endpoint's client_credentials grant.

"Your app client provides its client ID and secret, and receives an access token that
authorizes requests to your resource servers. To use this operation, you must configure
the app client with a client secret and enable the ALLOW_CLIENT_TOKEN_AUTH authentication
flow." [model GetClientToken]
"""

from __future__ import annotations

from typing import Any

from poolmail.cognito.clients import client_secrets, resource_servers
from poolmail.cognito.clients.clients import ClientRecord
from poolmail.cognito.pools.user_pools import load_pool
from poolmail.cognito.signin import sessions, tokens
from poolmail.cognito.triggers import token_generation
from poolmail.cognito.users.users import public_client
from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.protocol.errors import AwsError

CLIENT_TOKEN_FLOW = "ALLOW_CLIENT_TOKEN_AUTH"

# Not found: AWS's texts. Choice: InitiateAuth's "<flow> flow not enabled for this client"
# for the flow, RevokeToken's text for a wrong secret, and OAuth's invalid_scope meaning
# (RFC 6749 5.2) for scopes the client may not have.
FLOW_OFF = "CLIENT_TOKEN_AUTH flow not enabled for this client"
NO_SECRET = "Client {client_id} has no client secret."
BAD_SECRET = "Invalid client secret provided."
BAD_SCOPE = "Invalid scope requested: {scope}"
NO_SCOPE = "The client has no custom scopes to authorize."


def machine_client(client: ClientRecord) -> bool:
    """Whether the client may get tokens of its own: ALLOW_CLIENT_TOKEN_AUTH among its
    flows, or, since botocore's model does not yet list that value in
    ExplicitAuthFlowsType (so no client can be created with it), the client_credentials
    grant that the token endpoint's M2M clients have (AllowedOAuthFlows)."""
    flows = client.settings.get("ExplicitAuthFlows") or []
    grants = client.settings.get("AllowedOAuthFlows") or []
    oauth = bool(client.settings.get("AllowedOAuthFlowsUserPoolClient"))
    return CLIENT_TOKEN_FLOW in flows or (oauth and "client_credentials" in grants)


def _scopes(client: ClientRecord, requested: list[str] | None) -> list[str]:
    # Only custom scopes (`resource-server/scope`) authorise M2M requests: "Each scope
    # must belong to a resource server in your user pool" [model]. The client's
    # AllowedOAuthScopes list the ones it may have; "If you don't specify any scopes,
    # Amazon Cognito authorizes the scopes that are configured for the app client."
    allowed = [scope for scope in client.settings.get("AllowedOAuthScopes") or [] if "/" in scope]
    if not requested:
        if not allowed:
            raise AwsError("InvalidParameterException", NO_SCOPE)
        return allowed
    for scope in requested:
        if scope not in allowed:
            raise AwsError("InvalidParameterException", BAD_SCOPE.format(scope=scope))
    return list(dict.fromkeys(requested))


def get_client_token(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """An access token whose subject is the app client itself, as the token endpoint's
    client_credentials tokens are (`sub` and `client_id` both the client's ID, no user).

    ``ClientMetadata`` goes to the pool's PreTokenGeneration function, which sees
    machine-to-machine tokens with event version V3_0 only."""
    ctx, client = public_client(ctx, params["ClientId"])
    if not client_secrets.values(client):
        raise AwsError("InvalidParameterException", NO_SECRET.format(client_id=client.id))
    # Any active secret will do (client_secrets.py: rotation).
    if not client_secrets.matches(client, params["Secret"]):
        raise AwsError("NotAuthorizedException", BAD_SECRET)
    if not machine_client(client):
        raise AwsError("InvalidParameterException", FLOW_OFF)
    scopes = _scopes(client, params.get("Scopes"))
    with ctx.db.transaction(readonly=True) as tx:
        # A scope its resource server no longer defines stays on the client, inactive: it
        # is not granted (resource servers, facts §3).
        scopes = resource_servers.active_scopes(tx, client.pool_id, scopes)
        pool = load_pool(tx, ctx, client.pool_id)
    changes = token_generation.client_credentials(
        ctx, pool, client.id, scopes, params.get("ClientMetadata") or None
    )
    now = int(ctx.clock.now().timestamp())
    life = sessions.lifetime(client, "AccessTokenValidity")
    claims = {
        "sub": client.id,
        "token_use": tokens.ACCESS,
        "scope": " ".join(scopes),
        "auth_time": now,
        "iss": f"{ctx.base_url}/{client.pool_id}",
        "exp": now + life,
        "iat": now,
        "version": 2,
        "jti": tokens.new_jti(),
        "client_id": client.id,
    }
    token_generation.apply(changes, None, claims, client.id)
    keys = tokens.pool_keys(ctx.db, client.pool_id, now)
    token = tokens.sign(tokens.active_key(keys, tokens.ACCESS), claims)
    return {
        "ClientAuthenticationResult": {
            "AccessToken": token,
            "ExpiresIn": life,
            "TokenType": "Bearer",
        }
    }


OPERATIONS: dict[str, Handler] = {
    "GetClientToken": get_client_token,
}
