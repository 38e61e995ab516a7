"""Provisioned API rate limits: GetProvisionedLimit and UpdateProvisionedLimit, per
account and region ("Each Amazon Cognito quota represents a maximum volume of requests in
one AWS Region in one AWS account", cognito quotas.html).

poolmail does not throttle Cognito requests by category (a local server answering at the
rate of AWS's free tier would only slow tests down), so a provisioned value is stored and
reported, never enforced.
"""

from __future__ import annotations

import json
from typing import Any

from poolmail.context import RequestContext
from poolmail.operations import Handler, local_only
from poolmail.protocol.errors import AwsError
from poolmail.store import Transaction

API_CATEGORY = "API_CATEGORY"
CATEGORY = "Category"

# The default (free) rate of each account-wide category in requests per second, and
# whether Service Quotas lets it be raised: the quotas "Rate of <Category> requests" of
# the service code cognito-idp as Service Quotas lists them (UserAuthentication 120,
# UserCreation 50, UserFederation 25, UserRead 120, UserResourceRead 50, UserToken 120
# adjustable; the others fixed). Categories with per-pool rates (UserPoolClientRead, ...)
# are left out: a limit here names no pool.
FREE: dict[str, tuple[int, bool]] = {
    "UserAuthentication": (120, True),
    "UserCreation": (50, True),
    "UserFederation": (25, True),
    "UserRead": (120, True),
    "UserResourceRead": (50, True),
    "UserToken": (120, True),
    "UserAccountRecovery": (30, False),
    "UserList": (30, False),
    "UserUpdate": (25, False),
    "UserResourceUpdate": (25, False),
    "UserPoolRead": (15, False),
    "UserPoolUpdate": (15, False),
}
# "The value must be between the default limit and your account-level maximum limit in
# Service Quotas" [model UpdateProvisionedLimit]. Not found: the maximum of an account
# that never asked Service Quotas for more; Choice: ten times the free rate.
MAX_FACTOR = 10
# "Managed login user pools don't support adjustments to the UserAuthentication or
# UserFederation categories." [model]
NOT_FOR_MANAGED_LOGIN = ("UserAuthentication", "UserFederation")

# Not found: AWS's texts for these refusals; Choice: sentences that name the rule.
BAD_DEFINITION = "LimitDefinition.Attributes must contain exactly one key, Category."
UNKNOWN_CATEGORY = "No provisioned limit exists for category {category}."
FIXED = "The limit of category {category} cannot be adjusted."
BELOW_FREE = "RequestedLimitValue must be at least the default limit of {free}."
ABOVE_MAX = "RequestedLimitValue exceeds the account-level maximum of {maximum}."
MANAGED_LOGIN = (
    "Managed login user pools don't support adjustments to the {category} category. "
    "Submit a Service Quotas increase request instead."
)


def _category(definition: dict[str, Any]) -> str:
    attributes = definition.get("Attributes") or {}
    if definition.get("LimitClass") != API_CATEGORY or set(attributes) != {CATEGORY}:
        raise AwsError("InvalidParameterException", BAD_DEFINITION)
    category = str(attributes[CATEGORY])
    if category not in FREE:
        raise AwsError("ResourceNotFoundException", UNKNOWN_CATEGORY.format(category=category))
    return category


def provisioned(tx: Transaction, ctx: RequestContext, category: str) -> int:
    """The rate the account has in the request's region: its provisioned value, or the
    free one."""
    row = tx.fetchone(
        "SELECT value FROM cognito_provisioned_limits "
        "WHERE account = ? AND region = ? AND category = ?",
        (ctx.account_id, ctx.region, category),
    )
    return int(row[0]) if row is not None else FREE[category][0]


def _uses_managed_login(tx: Transaction, ctx: RequestContext) -> bool:
    # A pool domain with ManagedLoginVersion 2 makes its pool a managed login pool
    # (domains.py keeps the version in the domain's data); 1 is the classic hosted UI.
    rows = tx.fetchall(
        "SELECT data FROM user_pool_domains WHERE account = ? AND region = ?",
        (ctx.account_id, ctx.region),
    )
    return any(json.loads(row[0]).get("ManagedLoginVersion") == 2 for row in rows)


def _limit(category: str, value: int) -> dict[str, Any]:
    return {
        "Limit": {
            "LimitDefinition": {"LimitClass": API_CATEGORY, "Attributes": {CATEGORY: category}},
            "ProvisionedLimitValue": value,
            "FreeLimitValue": FREE[category][0],
        }
    }


@local_only
def get_provisioned_limit(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    category = _category(params["LimitDefinition"])
    with ctx.db.transaction(readonly=True) as tx:
        value = provisioned(tx, ctx, category)
    return _limit(category, value)


def update_provisioned_limit(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    category = _category(params["LimitDefinition"])
    free, adjustable = FREE[category]
    if not adjustable:
        raise AwsError("InvalidParameterException", FIXED.format(category=category))
    value = int(params["RequestedLimitValue"])
    if value < free:
        raise AwsError("InvalidParameterException", BELOW_FREE.format(free=free))
    if value > free * MAX_FACTOR:
        raise AwsError("ServiceQuotaExceededException", ABOVE_MAX.format(maximum=free * MAX_FACTOR))
    with ctx.db.transaction() as tx:
        if category in NOT_FOR_MANAGED_LOGIN and _uses_managed_login(tx, ctx):
            raise AwsError("InvalidParameterException", MANAGED_LOGIN.format(category=category))
        tx.execute(
            "INSERT INTO cognito_provisioned_limits (account, region, category, value) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (account, region, category) "
            "DO UPDATE SET value = excluded.value",
            (ctx.account_id, ctx.region, category, value),
        )
    return _limit(category, value)


OPERATIONS: dict[str, Handler] = {
    "GetProvisionedLimit": get_provisioned_limit,
    "UpdateProvisionedLimit": update_provisioned_limit,
}
