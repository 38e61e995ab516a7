"""An app client's secrets: up to two at a time, for rotation without downtime
(AddUserPoolClientSecret, DeleteUserPoolClientSecret, ListUserPoolClientSecrets), and the
one question sign-in asks of them: does a presented secret or SECRET_HASH match any?

The secrets live in the client's ``data`` under ``secrets`` (lowercase: no AWS member is
named so, so DescribeUserPoolClient never shows the list). A client that never rotated
has no list: its one secret is the ``ClientSecret`` it was created with.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from poolmail.cognito.clients.clients import (
    ClientRecord,
    client_not_found,
    find_client,
    new_client_secret,
)
from poolmail.cognito.pools.user_pools import load_pool
from poolmail.context import RequestContext
from poolmail.operations import Handler, local_only
from poolmail.protocol.errors import AwsError
from poolmail.store import Transaction

SECRETS = "secrets"
# "Supports up to 2 active secrets per app client" [model AddUserPoolClientSecret].
MAX_SECRETS = 2

# Not found: AWS's texts for these refusals; Choice: sentences naming the rule the model
# states ("for an existing confidential user pool app client", "up to 2 active secrets",
# "You cannot delete the last remaining secret for an app client").
PUBLIC_CLIENT = (
    "Client {client_id} has no client secret: only a confidential app client can add one."
)
TOO_MANY = "Client {client_id} already has the maximum of 2 client secrets."
LAST_SECRET = "The last remaining client secret of client {client_id} cannot be deleted."
NO_SUCH_SECRET = "Client secret {secret_id} does not exist."


def _secret_id(client_id: str, created: float) -> str:
    # "This identifier follows the format <client-id>--<epoch-create-time>" [model
    # ClientSecretDescriptorType]. Not found: the epoch's unit; Choice: milliseconds, so
    # that a secret added in the second its client was created gets an id of its own.
    return f"{client_id}--{round(created * 1000)}"


def stored(client: ClientRecord) -> list[dict[str, Any]]:
    """The client's secrets, oldest first: ``{"id", "value", "created"}`` each."""
    listed = client.settings.get(SECRETS)
    if listed is not None:
        return list(listed)
    original = client.settings.get("ClientSecret")
    if not original:
        return []
    created = client.created_at
    return [{"id": _secret_id(client.id, created), "value": str(original), "created": created}]


def values(client: ClientRecord) -> list[str]:
    """Every active secret of the client; empty for a public client."""
    return [str(secret["value"]) for secret in stored(client)]


def matches(client: ClientRecord, given: str) -> bool:
    """Whether ``given`` is one of the client's secrets (the ClientSecret members of
    GetTokensFromRefreshToken and RevokeToken)."""
    return any(hmac.compare_digest(given.encode(), secret.encode()) for secret in values(client))


def hash_matches(client: ClientRecord, username: str, given: str) -> bool:
    """Whether ``given`` is Base64(HMAC-SHA256(secret, username + client id)) for one of
    the client's secrets: during a rotation both secrets sign in."""
    for secret in values(client):
        digest = hmac.new(secret.encode(), (username + client.id).encode(), hashlib.sha256)
        expected = base64.b64encode(digest.digest()).decode()
        if hmac.compare_digest(expected, given):
            return True
    return False


def _descriptor(secret: dict[str, Any]) -> dict[str, Any]:
    return {"ClientSecretId": secret["id"], "ClientSecretCreateDate": secret["created"]}


def _load(tx: Transaction, ctx: RequestContext, params: dict[str, Any]) -> ClientRecord:
    load_pool(tx, ctx, params["UserPoolId"])
    client = find_client(tx, params["ClientId"])
    if client is None or client.pool_id != params["UserPoolId"]:
        raise client_not_found(params["ClientId"])
    return client


def _save(tx: Transaction, ctx: RequestContext, client: ClientRecord, kept: list[Any]) -> None:
    client.settings[SECRETS] = kept
    # DescribeUserPoolClient's ClientSecret is the secret the client was created with, while
    # it lasts: a secret added later is not promoted to it when the first is deleted, and
    # the member is then absent ("no secrets get promoted and no secrets are returned with
    # DescribeUserPoolClient in this scenario", floci-io/floci#345, checked against AWS).
    original = client.settings.get("ClientSecret")
    if original is not None and all(secret["value"] != original for secret in kept):
        del client.settings["ClientSecret"]
    client.settings["LastModifiedDate"] = ctx.clock.now().timestamp()
    tx.execute(
        "UPDATE user_pool_clients SET data = ? WHERE id = ?",
        (json.dumps(client.settings), client.id),
    )


# ---- operations -------------------------------------------------------------------------


def add_user_pool_client_secret(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    client_id = params["ClientId"]
    # One writer per client at a time, so two concurrent adds cannot both find room.
    with ctx.db.transaction(lock=f"client-secrets:{client_id}") as tx:
        client = _load(tx, ctx, params)
        secrets = stored(client)
        if not secrets:
            # "Creates a new client secret for an existing confidential user pool app
            # client" [model]: a public client stays public.
            raise AwsError("InvalidParameterException", PUBLIC_CLIENT.format(client_id=client_id))
        if len(secrets) >= MAX_SECRETS:
            raise AwsError("LimitExceededException", TOO_MANY.format(client_id=client_id))
        created = ctx.clock.now().timestamp()
        taken = {secret["id"] for secret in secrets}
        while _secret_id(client_id, created) in taken:
            created += 0.001
        given = params.get("ClientSecret")
        secret = {
            "id": _secret_id(client_id, created),
            "value": given or new_client_secret(),
            "created": created,
        }
        _save(tx, ctx, client, [*secrets, secret])
    descriptor = _descriptor(secret)
    # "The ClientSecretValue is only returned when Amazon Cognito generates the secret"
    # [model ClientSecretDescriptorType].
    if given is None:
        descriptor["ClientSecretValue"] = secret["value"]
    return {"ClientSecretDescriptor": descriptor}


def delete_user_pool_client_secret(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    client_id = params["ClientId"]
    with ctx.db.transaction(lock=f"client-secrets:{client_id}") as tx:
        client = _load(tx, ctx, params)
        secrets = stored(client)
        kept = [secret for secret in secrets if secret["id"] != params["ClientSecretId"]]
        if len(kept) == len(secrets):
            raise AwsError(
                "ResourceNotFoundException",
                NO_SUCH_SECRET.format(secret_id=params["ClientSecretId"]),
            )
        if not kept:
            raise AwsError("InvalidParameterException", LAST_SECRET.format(client_id=client_id))
        _save(tx, ctx, client, kept)
    return {}


@local_only
def list_user_pool_client_secrets(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    # "The response does not include pagination tokens as there are only 2 secrets at any
    # given time and we return both with every ListUserPoolClientSecrets call" [model]: a
    # NextToken is accepted and changes nothing. The values never appear here [model].
    with ctx.db.transaction(readonly=True) as tx:
        client = _load(tx, ctx, params)
    return {"ClientSecrets": [_descriptor(secret) for secret in stored(client)]}


OPERATIONS: dict[str, Handler] = {
    "AddUserPoolClientSecret": add_user_pool_client_secret,
    "DeleteUserPoolClientSecret": delete_user_pool_client_secret,
    "ListUserPoolClientSecrets": list_user_pool_client_secrets,
}
