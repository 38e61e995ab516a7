"""Cognito's API request rate quotas, per account and region ("Each Amazon Cognito quota
represents a maximum volume of requests in one AWS Region in one AWS account", cognito
quotas.html): GetProvisionedLimit and UpdateProvisionedLimit, and their enforcement.

Enforcement is an explicit option, `--cognito-rate-limits on` (default off: a local
server answering at the rate of AWS's free tier would only slow tests down). With it on,
every operation that AWS's quotas page lists is counted in its category (``CATEGORY_OF``)
and refused with TooManyRequestsException above the category's rate: the provisioned
value where the category can be provisioned, else AWS's fixed default rate. With it off,
provisioned values are stored and reported only.
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


# Categories whose rate cannot be provisioned (GetProvisionedLimit names none of them) but
# which AWS still enforces account-wide, at these default rates (quotas.html). AWS adds a
# per-pool constraint of 5 requests a second for each operation of the four UserPool*
# categories; poolmail does not enforce that one (Choice: account-wide rates only).
UNPROVISIONED: dict[str, int] = {
    "UserPoolResourceRead": 20,
    "UserPoolResourceUpdate": 15,
    "UserPoolClientRead": 15,
    "UserPoolClientUpdate": 15,
    "ClientAuthentication": 150,
    "LimitManagement": 1,
}

# Which category each operation counts toward: the table "Amazon Cognito user pools
# per-category request rate quotas" of quotas.html. Operations it does not list are not
# limited (Choice: AWS names no category for them). UserFederation names no API operation
# (its requests come through federation endpoints, which are not counted here).
CATEGORY_OF: dict[str, str] = {
    **dict.fromkeys(
        (
            "InitiateAuth",
            "RespondToAuthChallenge",
            "AdminInitiateAuth",
            "AdminRespondToAuthChallenge",
            "GetTokensFromRefreshToken",
        ),
        "UserAuthentication",
    ),
    **dict.fromkeys(
        ("SignUp", "ConfirmSignUp", "AdminCreateUser", "AdminConfirmSignUp"), "UserCreation"
    ),
    **dict.fromkeys(
        (
            "ChangePassword",
            "ConfirmForgotPassword",
            "ForgotPassword",
            "AdminResetUserPassword",
            "AdminSetUserPassword",
        ),
        "UserAccountRecovery",
    ),
    **dict.fromkeys(("AdminGetUser", "AdminGetUserAuthFactors", "GetUser"), "UserRead"),
    **dict.fromkeys(
        (
            "AdminAddUserToGroup",
            "AdminDeleteUserAttributes",
            "AdminUpdateUserAttributes",
            "AdminDeleteUser",
            "AdminDisableUser",
            "AdminEnableUser",
            "AdminLinkProviderForUser",
            "AdminDisableProviderForUser",
            "VerifyUserAttribute",
            "DeleteUser",
            "DeleteUserAttributes",
            "UpdateUserAttributes",
            "AdminUserGlobalSignOut",
            "GlobalSignOut",
            "AdminRemoveUserFromGroup",
        ),
        "UserUpdate",
    ),
    "RevokeToken": "UserToken",
    **dict.fromkeys(
        (
            "AdminGetDevice",
            "AdminListGroupsForUser",
            "AdminListDevices",
            "GetDevice",
            "ListDevices",
            "GetUserAttributeVerificationCode",
            "ResendConfirmationCode",
            "AdminListUserAuthEvents",
        ),
        "UserResourceRead",
    ),
    **dict.fromkeys(
        (
            "AdminForgetDevice",
            "AdminUpdateAuthEventFeedback",
            "AdminSetUserMFAPreference",
            "AdminDeleteSoftwareToken",
            "AdminSetUserSettings",
            "AdminUpdateDeviceStatus",
            "UpdateDeviceStatus",
            "UpdateAuthEventFeedback",
            "ConfirmDevice",
            "SetUserMFAPreference",
            "SetUserSettings",
            "VerifySoftwareToken",
            "AssociateSoftwareToken",
            "ForgetDevice",
        ),
        "UserResourceUpdate",
    ),
    **dict.fromkeys(("ListUsers", "ListUsersInGroup"), "UserList"),
    **dict.fromkeys(("DescribeUserPool", "ListUserPools"), "UserPoolRead"),
    **dict.fromkeys(("CreateUserPool", "UpdateUserPool", "DeleteUserPool"), "UserPoolUpdate"),
    **dict.fromkeys(
        (
            "DescribeIdentityProvider",
            "DescribeResourceServer",
            "DescribeUserImportJob",
            "DescribeUserPoolDomain",
            "GetCSVHeader",
            "GetGroup",
            "GetSigningCertificate",
            "GetIdentityProviderByIdentifier",
            "GetUserPoolMfaConfig",
            "ListGroups",
            "ListIdentityProviders",
            "ListResourceServers",
            "ListTagsForResource",
            "ListUserImportJobs",
            "DescribeRiskConfiguration",
            "GetUICustomization",
            "DescribeManagedLoginBranding",
            "DescribeManagedLoginBrandingByClient",
        ),
        "UserPoolResourceRead",
    ),
    **dict.fromkeys(
        (
            "AddCustomAttributes",
            "CreateGroup",
            "CreateIdentityProvider",
            "CreateResourceServer",
            "CreateUserImportJob",
            "CreateUserPoolDomain",
            "DeleteGroup",
            "DeleteIdentityProvider",
            "DeleteResourceServer",
            "DeleteUserPoolDomain",
            "SetUserPoolMfaConfig",
            "StartUserImportJob",
            "StopUserImportJob",
            "UpdateGroup",
            "UpdateIdentityProvider",
            "UpdateResourceServer",
            "UpdateUserPoolDomain",
            "SetRiskConfiguration",
            "SetUICustomization",
            "TagResource",
            "UntagResource",
            "CreateManagedLoginBranding",
            "UpdateManagedLoginBranding",
            "DeleteManagedLoginBranding",
        ),
        "UserPoolResourceUpdate",
    ),
    **dict.fromkeys(("DescribeUserPoolClient", "ListUserPoolClients"), "UserPoolClientRead"),
    **dict.fromkeys(
        ("CreateUserPoolClient", "DeleteUserPoolClient", "UpdateUserPoolClient"),
        "UserPoolClientUpdate",
    ),
    "GetClientToken": "ClientAuthentication",
    **dict.fromkeys(("GetProvisionedLimit", "UpdateProvisionedLimit"), "LimitManagement"),
}
# "A RespondToAuthChallenge or AdminRespondToAuthChallenge response with a ChallengeName of
# NEW_PASSWORD_REQUIRED counts toward the UserAccountRecovery category." [quotas.html]
RECOVERY_CHALLENGE = "NEW_PASSWORD_REQUIRED"

# AWS's answer to a throttled Cognito request: TooManyRequestsException "Rate exceeded"
# (seen in boto/boto3#2517 for AdminGetUser, aws-amplify/amplify-js#3554 for sign-in).
THROTTLED = "Rate exceeded"


def category_of(operation: str, params: dict[str, Any]) -> str | None:
    """The rate category ``operation`` counts toward, or None when AWS lists it in none."""
    category = CATEGORY_OF.get(operation)
    if category == "UserAuthentication" and params.get("ChallengeName") == RECOVERY_CHALLENGE:
        return "UserAccountRecovery"
    return category


# The count of one category in its current window, in one statement: a request of a
# newer second opens a new window at 1; one of the current second (or stamped earlier, by
# a replica whose clock runs behind) adds 1 while the count is below the rate. A refused
# request matches the DO UPDATE's WHERE with nothing, so it returns no row and writes
# nothing. The rate is the provisioned value, read in the same statement, else the default.
_COUNT = """
INSERT INTO cognito_rate_windows (account, region, category, window_start, requests)
VALUES (?, ?, ?, ?, 1)
ON CONFLICT (account, region, category) DO UPDATE SET
    requests = CASE WHEN excluded.window_start > cognito_rate_windows.window_start
        THEN 1 ELSE cognito_rate_windows.requests + 1 END,
    window_start = CASE WHEN excluded.window_start > cognito_rate_windows.window_start
        THEN excluded.window_start ELSE cognito_rate_windows.window_start END
WHERE excluded.window_start > cognito_rate_windows.window_start
    OR cognito_rate_windows.requests < COALESCE(
        (SELECT value FROM cognito_provisioned_limits AS p
         WHERE p.account = excluded.account AND p.region = excluded.region
           AND p.category = excluded.category),
        ?)
RETURNING requests
"""


def default_rate(category: str) -> int:
    return FREE[category][0] if category in FREE else UNPROVISIONED[category]


@local_only
def count_request(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Count ``ctx.operation`` in its category, or raise TooManyRequestsException (and
    count nothing) when the category's rate is used up in the current second.

    Choice: fixed one-second windows on the server clock's whole seconds. Unlike a token
    bucket or a sliding log, one UPSERT both checks and counts, exactly, for every replica
    sharing the database; the cost is that a burst straddling a second's boundary may see
    up to twice the rate within one second, as fixed windows allow. AWS does not document
    its algorithm.
    """
    category = category_of(ctx.operation, params)
    if category is None:
        return {}
    window = int(ctx.clock.now().timestamp())
    with ctx.db.transaction() as tx:
        counted = tx.fetchall(
            _COUNT,
            (ctx.account_id, ctx.region, category, window, default_rate(category)),
        )
    if not counted:
        raise AwsError("TooManyRequestsException", THROTTLED)
    return {}


def counted(handler: Handler) -> Handler:
    """``handler``, counted first by ``count_request``: for a worker thread's operation,
    whose count and work then share one hand-over to the thread."""

    def run(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        count_request(ctx, params)
        return handler(ctx, params)

    return run


OPERATIONS: dict[str, Handler] = {
    "GetProvisionedLimit": get_provisioned_limit,
    "UpdateProvisionedLimit": update_provisioned_limit,
}
