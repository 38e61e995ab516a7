"""Threat protection's settings: SetRiskConfiguration and DescribeRiskConfiguration, per
pool and per app client, and the pool's mode (`UserPoolAddOns.AdvancedSecurityMode`).

What the settings act on (auth events, compromised credentials, adaptive authentication)
is `risk_events`'s. A risk configuration is Plus-tier [model SetRiskConfiguration: "your
user pool must be on the Plus tier"]. It can be set while the mode is OFF: Terraform's
acceptance tests set one on a pool created with a name only
(terraform-provider-aws, internal/service/cognitoidp/risk_configuration_test.go); it acts
only once the mode is AUDIT or ENFORCED.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

from poolmail.cognito.clients.clients import client_not_found, find_client
from poolmail.cognito.messaging import email_config
from poolmail.cognito.pools import tiers
from poolmail.cognito.pools.user_pools import StoredPool, load_pool, pool_arn
from poolmail.context import RequestContext
from poolmail.operations import Handler, local_only
from poolmail.protocol.errors import AwsError
from poolmail.store import Transaction

OFF = "OFF"
AUDIT = "AUDIT"
ENFORCED = "ENFORCED"
_MEMBERS = (
    "CompromisedCredentialsRiskConfiguration",
    "AccountTakeoverRiskConfiguration",
    "RiskExceptionConfiguration",
)
_LEVELS = ("LowAction", "MediumAction", "HighAction")
# Not found: AWS's texts for these refusals; each names what is wrong (kept here, in one
# place, to correct when AWS's own are seen).
NOTIFY_NEEDS_CONFIGURATION = (
    "NotifyConfiguration is required when an account takeover action has Notify set."
)
BAD_RANGE = "{value} is not a valid IP address range in CIDR notation."


def mode_of(settings: dict[str, Any]) -> str:
    """OFF, AUDIT or ENFORCED: what threat protection does for the pool's sign-ins."""
    return str((settings.get("UserPoolAddOns") or {}).get("AdvancedSecurityMode") or OFF)


def active(pool: StoredPool) -> bool:
    """Whether threat protection watches the pool (AUDIT or ENFORCED). Pure: the sign-in
    path asks this before touching the database."""
    return mode_of(pool.settings) != OFF


def load_configuration(tx: Transaction, pool_id: str, client_id: str | None) -> dict[str, Any]:
    """The configuration that applies to ``client_id``: its own, else the pool's, else
    none ({}) [model SetRiskConfiguration ClientId: "When the client ID is null, the same
    risk configuration is applied to all the clients in the userPool"]."""
    keys = [client_id, ""] if client_id else [""]
    for key in keys:
        row = tx.fetchone(
            "SELECT data FROM cognito_risk_configurations WHERE pool_id = ? AND client_id = ?",
            (pool_id, key),
        )
        if row is not None:
            stored: dict[str, Any] = json.loads(row[0])
            return stored
    return {}


def _check_ranges(exceptions: dict[str, Any]) -> None:
    for name in ("BlockedIPRangeList", "SkippedIPRangeList"):
        for value in exceptions.get(name) or []:
            try:
                ipaddress.ip_network(value, strict=False)
            except ValueError:
                raise AwsError("InvalidParameterException", BAD_RANGE.format(value=value)) from None


def _check_notify(
    tx: Transaction, ctx: RequestContext, pool: StoredPool, takeover: dict[str, Any]
) -> None:
    actions = takeover.get("Actions") or {}
    notifies = any((actions.get(level) or {}).get("Notify") for level in _LEVELS)
    notify = takeover.get("NotifyConfiguration")
    if notify is None:
        if notifies:
            raise AwsError("InvalidParameterException", NOTIFY_NEEDS_CONFIGURATION)
        return
    # The identity is checked as the pool's own DEVELOPER email configuration is: it must
    # be the account's, verified, in a region the pool may use.
    email_config.validate(
        tx,
        ctx,
        pool_arn(ctx.region, ctx.account_id, pool.id),
        {
            "EmailSendingAccount": "DEVELOPER",
            "SourceArn": notify["SourceArn"],
            "From": notify.get("From"),
        },
    )


def _stored(params: dict[str, Any]) -> dict[str, Any]:
    return {name: params[name] for name in _MEMBERS if params.get(name) is not None}


def _answer(
    pool_id: str, client_id: str | None, data: dict[str, Any], modified: float | None
) -> dict[str, Any]:
    configuration: dict[str, Any] = {"UserPoolId": pool_id}
    if client_id:
        configuration["ClientId"] = client_id
    configuration.update(data)
    if modified is not None:
        configuration["LastModifiedDate"] = modified
    return {"RiskConfiguration": configuration}


def set_risk_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Store (or, with no settings, drop) the pool's or the client's configuration: "send
    this request with only the UserPoolId parameter" resets the pool's to defaults, and
    with ClientId the client's goes back to inheriting the pool's [model]."""
    pool_id = params["UserPoolId"]
    client_id = params.get("ClientId") or ""
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction() as tx:
        pool = load_pool(tx, ctx, pool_id)
        tiers.require(pool.settings, tiers.PLUS, tiers.THREAT_PROTECTION)
        if client_id:
            client = find_client(tx, client_id)
            if client is None or client.pool_id != pool.id:
                raise client_not_found(client_id)
        _check_ranges(params.get("RiskExceptionConfiguration") or {})
        takeover = params.get("AccountTakeoverRiskConfiguration")
        if takeover is not None:
            _check_notify(tx, ctx, pool, takeover)
        data = _stored(params)
        tx.execute(
            "DELETE FROM cognito_risk_configurations WHERE pool_id = ? AND client_id = ?",
            (pool.id, client_id),
        )
        if data:
            tx.execute(
                "INSERT INTO cognito_risk_configurations (pool_id, client_id, modified_at, data) "
                "VALUES (?, ?, ?, ?)",
                (pool.id, client_id, now, json.dumps(data)),
            )
    return _answer(pool_id, client_id or None, data, now)


@local_only
def describe_risk_configuration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """The client's own configuration, else the pool's (which a client without one
    follows); a pool with none answers its ID alone."""
    pool_id = params["UserPoolId"]
    client_id = params.get("ClientId") or ""
    with ctx.db.transaction(readonly=True) as tx:
        pool = load_pool(tx, ctx, pool_id)
        if client_id:
            client = find_client(tx, client_id)
            if client is None or client.pool_id != pool.id:
                raise client_not_found(client_id)
        rows = tx.fetchall(
            "SELECT client_id, modified_at, data FROM cognito_risk_configurations "
            "WHERE pool_id = ? AND client_id IN (?, '')",
            (pool.id, client_id),
        )
    found = {str(row[0]): row for row in rows}
    row = found.get(client_id) or found.get("")
    if row is None:
        return _answer(pool_id, client_id or None, {}, None)
    return _answer(pool_id, str(row[0]) or None, json.loads(row[2]), float(row[1]))


OPERATIONS: dict[str, Handler] = {
    "SetRiskConfiguration": set_risk_configuration,
    "DescribeRiskConfiguration": describe_risk_configuration,
}
