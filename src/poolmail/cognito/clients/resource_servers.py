"""OAuth 2.0 resource servers of a pool and their custom scopes (`<Identifier>/<ScopeName>`),
one row of ``cognito_resource_servers`` each; and the check app clients' scopes pass.

AWS's semantics (cognito-user-pools-define-resource-servers.html): deleting a scope from a
resource server keeps the app clients' associations with it, inactive: a client still
lists the scope, a token request for it is ignored and the token omits it, and re-adding
the scope revives the association. poolmail therefore never edits clients here; whoever
issues tokens asks ``active_scopes`` which of a client's scopes still exist.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from poolmail.cognito.pools.user_pools import load_pool
from poolmail.context import RequestContext
from poolmail.operations import Handler, local_only
from poolmail.paging import keyset_page
from poolmail.protocol.errors import AwsError
from poolmail.store import Transaction

# "Resource servers per user pool: 25" [doc limits.html]; 100 scopes each is the model's
# list maximum, which the protocol layer checks.
MAX_PER_POOL = 25

# Scopes Cognito defines itself, allowed on any client [doc RS, token-endpoint.html].
RESERVED_SCOPES = frozenset(
    {"openid", "email", "phone", "profile", "aws.cognito.signin.user.admin"}
)

# Not found: AWS's texts for a duplicate identifier, an unknown one and the per-pool
# limit. Choice: moto's wording for the duplicate, Cognito's "... does not exist." style
# for the unknown one, the quota's own words for the limit.
EXISTS = "{identifier} already exists in user pool {pool_id}."
NOT_FOUND = "Resource server {identifier} does not exist in user pool {pool_id}."
LIMIT = "The user pool already has the maximum of 25 resource servers."
# AWS's text: `Invalid scope requested: Cognito` for a bare word
# (awsdocs/aws-cloudformation-user-guide#564) and `Invalid scope requested:
# us-east-1_xxx|api/read` for an undefined custom scope (go-to-k/cdkd#930): custom scopes
# are named with the pool's id in front.
INVALID_SCOPE = "Invalid scope requested: {scope}"


def _shape(pool_id: str, identifier: str, name: str, data: dict[str, Any]) -> dict[str, Any]:
    server: dict[str, Any] = {"UserPoolId": pool_id, "Identifier": identifier, "Name": name}
    # Not found: whether AWS shows an empty `Scopes`. Choice: moto's answer, the member
    # only when the server has scopes (moto cognitoidp/models.py CognitoResourceServer).
    if data["Scopes"]:
        server["Scopes"] = data["Scopes"]
    return server


def _scopes(params: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {"ScopeName": scope["ScopeName"], "ScopeDescription": scope["ScopeDescription"]}
        for scope in params.get("Scopes") or []
    ]


def _load(tx: Transaction, pool_id: str, identifier: str) -> tuple[str, dict[str, Any]]:
    row = tx.fetchone(
        "SELECT name, data FROM cognito_resource_servers WHERE pool_id = ? AND identifier = ?",
        (pool_id, identifier),
    )
    if row is None:
        raise AwsError(
            "ResourceNotFoundException", NOT_FOUND.format(identifier=identifier, pool_id=pool_id)
        )
    return str(row[0]), json.loads(row[1])


def defined_scopes(tx: Transaction, pool_id: str) -> set[str]:
    """Every custom scope the pool's resource servers define, as `<Identifier>/<ScopeName>`."""
    rows = tx.fetchall(
        "SELECT identifier, data FROM cognito_resource_servers WHERE pool_id = ?", (pool_id,)
    )
    return {
        f"{identifier}/{scope['ScopeName']}"
        for identifier, data in rows
        for scope in json.loads(data)["Scopes"]
    }


def check_client_scopes(tx: Transaction, pool_id: str, scopes: Iterable[str]) -> None:
    """Refuse an app client's AllowedOAuthScopes naming a scope that is neither reserved nor
    defined by one of the pool's resource servers, as AWS does; the first one is named."""
    custom = [scope for scope in scopes if scope not in RESERVED_SCOPES]
    if not custom:
        return
    defined = defined_scopes(tx, pool_id)
    for scope in custom:
        if scope not in defined:
            # Choice: a scope in the custom form carries the pool's id, as cdkd#930
            # shows; a bare word is named alone, as aws-cloudformation-user-guide#564 shows.
            named = f"{pool_id}|{scope}" if "/" in scope else scope
            raise AwsError("ScopeDoesNotExistException", INVALID_SCOPE.format(scope=named))


def active_scopes(tx: Transaction, pool_id: str, scopes: Iterable[str]) -> list[str]:
    """The client scopes that still count at runtime: reserved ones, and custom ones whose
    resource server still defines them (a deleted scope's association is inactive)."""
    defined = defined_scopes(tx, pool_id)
    return [scope for scope in scopes if scope in RESERVED_SCOPES or scope in defined]


# ---- operations -------------------------------------------------------------------------


def create_resource_server(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    identifier, name = params["Identifier"], params["Name"]
    data = {"Scopes": _scopes(params)}
    # One writer per pool, so two creates cannot both pass the count across replicas.
    with ctx.db.transaction(lock=f"resource-servers:{params['UserPoolId']}") as tx:
        pool = load_pool(tx, ctx, params["UserPoolId"])
        row = tx.fetchone(
            "SELECT COUNT(*) FROM cognito_resource_servers WHERE pool_id = ?", (pool.id,)
        )
        count = int(row[0]) if row else 0
        inserted = tx.execute(
            "INSERT INTO cognito_resource_servers (pool_id, identifier, name, created_at, data) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (pool.id, identifier, name, ctx.clock.now().timestamp(), json.dumps(data)),
        )
        if inserted == 0:
            raise AwsError(
                "InvalidParameterException", EXISTS.format(identifier=identifier, pool_id=pool.id)
            )
        if count >= MAX_PER_POOL:
            # Raising rolls the insert back.
            raise AwsError("LimitExceededException", LIMIT)
    return {"ResourceServer": _shape(pool.id, identifier, name, data)}


@local_only
def describe_resource_server(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    identifier = params["Identifier"]
    with ctx.db.transaction(readonly=True) as tx:
        pool = load_pool(tx, ctx, params["UserPoolId"])
        name, data = _load(tx, pool.id, identifier)
    return {"ResourceServer": _shape(pool.id, identifier, name, data)}


@local_only
def list_resource_servers(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    # Not found: AWS's page size without MaxResults; the model's maximum (50).
    limit = params.get("MaxResults") or 50
    with ctx.db.transaction(readonly=True) as tx:
        pool = load_pool(tx, ctx, params["UserPoolId"])
        rows, token = keyset_page(
            tx,
            "SELECT identifier, created_at, name, data FROM cognito_resource_servers "
            "WHERE pool_id = ?",
            [pool.id],
            key="identifier",
            token=params.get("NextToken"),
            token_error="InvalidParameterException",
            limit=limit,
        )
    servers = [
        _shape(pool.id, str(identifier), str(name), json.loads(data))
        for identifier, _, name, data in rows
    ]
    result: dict[str, Any] = {"ResourceServers": servers}
    if token:
        result["NextToken"] = token
    return result


def update_resource_server(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    # "If you don't provide a value for an attribute, it is set to the default value."
    # [model]: omitted Scopes leave the server without scopes (their client associations
    # turn inactive, as for a deleted scope).
    identifier, name = params["Identifier"], params["Name"]
    data = {"Scopes": _scopes(params)}
    with ctx.db.transaction() as tx:
        pool = load_pool(tx, ctx, params["UserPoolId"])
        _load(tx, pool.id, identifier)
        tx.execute(
            "UPDATE cognito_resource_servers SET name = ?, data = ? "
            "WHERE pool_id = ? AND identifier = ?",
            (name, json.dumps(data), pool.id, identifier),
        )
    return {"ResourceServer": _shape(pool.id, identifier, name, data)}


def delete_resource_server(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    # A server that clients still reference is deleted cleanly
    # (aws-cloudformation/cloudformation-coverage-roadmap#173); the clients keep listing
    # its scopes, inactive.
    identifier = params["Identifier"]
    with ctx.db.transaction() as tx:
        pool = load_pool(tx, ctx, params["UserPoolId"])
        _load(tx, pool.id, identifier)
        tx.execute(
            "DELETE FROM cognito_resource_servers WHERE pool_id = ? AND identifier = ?",
            (pool.id, identifier),
        )
    return {}


OPERATIONS: dict[str, Handler] = {
    "CreateResourceServer": create_resource_server,
    "DescribeResourceServer": describe_resource_server,
    "ListResourceServers": list_resource_servers,
    "UpdateResourceServer": update_resource_server,
    "DeleteResourceServer": delete_resource_server,
}
