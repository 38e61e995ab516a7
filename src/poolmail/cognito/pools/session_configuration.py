"""Session configuration: a pool's session tracking and its limit of token sessions per
user (Get/SetUserPoolSessionConfiguration), and an app client's SSO session reuse
(Get/SetUserPoolClientSessionConfiguration).

The pool's configuration is kept in its ``data`` and the client's in the client's, each
under ``session_configuration``. What acts on them:

- ``MaxPerUser``: "When a user reaches this limit, the next successful authentication
  automatically evicts that user's least recently used token session before it creates
  the new session. Lowering this value doesn't evict existing sessions on its own" [model
  UserPoolTokenSessionConfigType]. ``make_room`` does that; sessions.sign_in calls it in
  the transaction that stores the new sign-in.
- ``SSOSession.MaxValidityMinutes`` governs the silent reuse of a managed login SSO
  session [model ClientSSOSessionConfigType]: managed login asks ``sso_reuse_minutes``
  how long its session (cognito/oauth/hosted_sessions.py) serves a client.
"""

from __future__ import annotations

import json
from typing import Any

from poolmail.cognito.clients.clients import ClientRecord, client_not_found, find_client
from poolmail.cognito.pools import tiers
from poolmail.cognito.pools.user_pools import load_pool, save_pool
from poolmail.context import RequestContext
from poolmail.operations import Handler, local_only
from poolmail.protocol.errors import AwsError
from poolmail.store import Transaction

KEY = "session_configuration"
ENABLED = "ENABLED"
# The defaults of a pool or client never configured: "UserSessionTracking as DISABLED and a
# MaxPerUser value of 20" [model GetUserPoolSessionConfiguration]; "the default SSO session
# maximum validity of 60 minutes" [model GetUserPoolClientSessionConfiguration].
POOL_DEFAULT: dict[str, Any] = {
    "UserSessionTracking": "DISABLED",
    "TokenSession": {"MaxPerUser": 20},
}
CLIENT_DEFAULT: dict[str, Any] = {"SSOSession": {"MaxValidityMinutes": 60}}

# Not found: AWS's text when a client is configured while the pool does not track sessions
# ("session tracking must be enabled for the user pool" [model
# SetUserPoolClientSessionConfiguration]); Choice: that sentence, as InvalidParameter.
TRACKING_OFF = "Session tracking must be enabled for the user pool."


def pool_configuration(settings: dict[str, Any]) -> dict[str, Any]:
    return dict(settings.get(KEY) or POOL_DEFAULT)


def client_configuration(client: ClientRecord) -> dict[str, Any]:
    return dict(client.settings.get(KEY) or CLIENT_DEFAULT)


def tracks(settings: dict[str, Any]) -> bool:
    return bool(pool_configuration(settings)["UserSessionTracking"] == ENABLED)


def sso_reuse_minutes(pool_settings: dict[str, Any], client: ClientRecord) -> int:
    """How long the client silently reuses a managed login SSO session: its setting while
    the pool tracks sessions; "When you set this value to DISABLED ... existing
    client-level session configurations are retained but dormant" [model], so the default
    otherwise."""
    configuration = client_configuration(client) if tracks(pool_settings) else CLIENT_DEFAULT
    return int(configuration["SSOSession"]["MaxValidityMinutes"])


def make_room(tx: Transaction, pool_id: str, sub: str, now: float) -> None:
    """Before a user's new sign-in is stored: with tracking on, revoke the user's least
    recently used token sessions until one more fits under MaxPerUser."""
    # By id alone: sign-in already found the pool (and its account and region).
    row = tx.fetchone("SELECT data FROM user_pools WHERE id = ?", (pool_id,))
    if row is None or f'"{KEY}"' not in row[0]:
        # Never configured: the default does not track (and the pool's JSON, a few KB,
        # need not be decoded at every sign-in to find that out).
        return
    settings: dict[str, Any] = json.loads(row[0])
    if not tracks(settings):
        return
    # sessions imports this module for its call here; the import waits until it is used.
    from poolmail.cognito.signin import sessions

    # One sign-in of the user at a time from here to its commit, across replicas: two at
    # once would each make room for one and together exceed the limit.
    tx.lock(f"poolmail:session-limit:{pool_id}:{sub}")
    limit = int(pool_configuration(settings)["TokenSession"]["MaxPerUser"])
    active = sessions.active_sessions(tx, pool_id, sub, now)
    # Least recently used: last refreshed, or begun when never refreshed (user_sessions.py
    # shows the same time as LastActiveDate).
    active.sort(key=lambda session: float(session.data.get("last_active") or session.created_at))
    for session in active[: max(0, len(active) - limit + 1)]:
        sessions.revoke_session(tx, session.origin_jti, now)


def _load_client(tx: Transaction, ctx: RequestContext, params: dict[str, Any]) -> ClientRecord:
    load_pool(tx, ctx, params["UserPoolId"])
    client = find_client(tx, params["ClientId"])
    if client is None or client.pool_id != params["UserPoolId"]:
        raise client_not_found(params["ClientId"])
    return client


# ---- operations -------------------------------------------------------------------------


@local_only
def get_user_pool_session_configuration(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    with ctx.db.transaction(readonly=True) as tx:
        pool = load_pool(tx, ctx, params["UserPoolId"])
    return {"UserPoolId": pool.id, **pool_configuration(pool.settings)}


def set_user_pool_session_configuration(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    # "This operation performs a full replacement of the pool-level session configuration;
    # every request parameter is required" [model] (the protocol layer checks presence).
    configuration = {
        "UserSessionTracking": params["UserSessionTracking"],
        "TokenSession": {"MaxPerUser": params["TokenSession"]["MaxPerUser"]},
    }
    with ctx.db.transaction() as tx:
        pool = load_pool(tx, ctx, params["UserPoolId"])
        # "The user pool must be in the Essentials or Plus tier. Otherwise, this operation
        # returns a FeatureUnavailableInTierException." [model]
        tiers.require(pool.settings, tiers.ESSENTIALS, tiers.SESSION_TRACKING)
        pool.settings[KEY] = configuration
        save_pool(tx, pool)
    return {"UserPoolId": pool.id, **configuration}


@local_only
def get_user_pool_client_session_configuration(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    with ctx.db.transaction(readonly=True) as tx:
        client = _load_client(tx, ctx, params)
    return {"UserPoolId": client.pool_id, "ClientId": client.id, **client_configuration(client)}


def set_user_pool_client_session_configuration(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    configuration = {
        "SSOSession": {"MaxValidityMinutes": params["SSOSession"]["MaxValidityMinutes"]}
    }
    with ctx.db.transaction() as tx:
        client = _load_client(tx, ctx, params)
        pool = load_pool(tx, ctx, client.pool_id)
        tiers.require(pool.settings, tiers.ESSENTIALS, tiers.SESSION_TRACKING)
        if not tracks(pool.settings):
            raise AwsError("InvalidParameterException", TRACKING_OFF)
        client.settings[KEY] = configuration
        tx.execute(
            "UPDATE user_pool_clients SET data = ? WHERE id = ?",
            (json.dumps(client.settings), client.id),
        )
    return {"UserPoolId": client.pool_id, "ClientId": client.id, **configuration}


OPERATIONS: dict[str, Handler] = {
    "GetUserPoolSessionConfiguration": get_user_pool_session_configuration,
    "SetUserPoolSessionConfiguration": set_user_pool_session_configuration,
    "GetUserPoolClientSessionConfiguration": get_user_pool_client_session_configuration,
    "SetUserPoolClientSessionConfiguration": set_user_pool_client_session_configuration,
}
