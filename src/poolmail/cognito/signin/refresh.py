"""GetTokensFromRefreshToken: new tokens from a refresh token, and a new refresh token when
the app client rotates them (RefreshTokenRotation). The refresh-token store and rotation
itself are in sessions.py, which REFRESH_TOKEN_AUTH shares.
"""

from __future__ import annotations

from typing import Any

from poolmail.cognito.clients import client_secrets
from poolmail.cognito.clients.clients import DEFAULT_AUTH_FLOWS, ClientRecord, rotates
from poolmail.cognito.pools.user_pools import load_pool
from poolmail.cognito.signin import sessions
from poolmail.cognito.triggers import token_generation
from poolmail.cognito.triggers.events import client_metadata, leave_loop
from poolmail.cognito.users.users import StoredUser, public_client
from poolmail.context import RequestContext
from poolmail.operations import Handler, local_only
from poolmail.protocol.errors import AwsError


def _check_client_secret(client: ClientRecord, given: str | None) -> None:
    if not client_secrets.values(client):
        return
    # The texts InitiateAuth gives for a missing and a wrong SECRET_HASH. Not found: AWS's
    # texts for the ClientSecret member; Choice: the same ones.
    if not given:
        raise AwsError(
            "NotAuthorizedException",
            f"Client {client.id} is configured for secret but secret was not received",
        )
    # Any active secret of the client will do (client_secrets.py: rotation).
    if not client_secrets.matches(client, given):
        raise AwsError(
            "NotAuthorizedException", f"Unable to verify secret hash for client {client.id}"
        )


def _refresh_allowed(client: ClientRecord) -> bool:
    # "Refresh token rotation must be completed with GetTokensFromRefreshToken. With refresh
    # token rotation disabled, you can complete token refresh with GetTokensFromRefreshToken
    # and with REFRESH_TOKEN_AUTH" (API_RefreshTokenRotationType). A rotating client may not
    # list ALLOW_REFRESH_TOKEN_AUTH (clients.py), so rotation is its permission. Not found:
    # whether a client that neither rotates nor allows REFRESH_TOKEN_AUTH may refresh here;
    # Choice: no, as for REFRESH_TOKEN_AUTH (a client with only legacy values always may).
    if rotates(client.settings):
        return True
    flows = client.settings.get("ExplicitAuthFlows") or list(DEFAULT_AUTH_FLOWS)
    legacy = not any(value.startswith("ALLOW_") for value in flows)
    return legacy or "ALLOW_REFRESH_TOKEN_AUTH" in flows


@local_only
def get_tokens_from_refresh_token(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """New ID and access tokens of the refresh token's sign-in; with rotation, a new refresh
    token too, the presented one still good for RetryGracePeriodSeconds.

    Not built here: ``DeviceKey`` (device checks belong to remembered devices): accepted.
    ``ClientMetadata`` goes to the pool's PreTokenGeneration function.
    """
    ctx, client = public_client(ctx, params["ClientId"])
    _check_client_secret(client, params.get("ClientSecret"))
    if not _refresh_allowed(client):
        raise AwsError("InvalidParameterException", sessions.REFRESH_FLOW_OFF)
    with ctx.db.transaction(readonly=True) as tx:
        pool = load_pool(tx, ctx, client.pool_id)

    def check(user: StoredUser) -> None:
        return None  # the client secret was checked above, as the member itself

    leave_loop(pool)
    # Facts section 3: GetTokensFromRefreshToken fires TokenGeneration_Authentication,
    # with the request's ClientMetadata.
    result = sessions.renew(
        ctx,
        pool,
        client,
        params["RefreshToken"],
        check,
        rotate=rotates(client.settings),
        source=token_generation.AUTHENTICATION,
        metadata=client_metadata(params),
    )
    return {"AuthenticationResult": result}


OPERATIONS: dict[str, Handler] = {
    "GetTokensFromRefreshToken": get_tokens_from_refresh_token,
}
