"""SES identity (sending-authorisation) policies: v1 Put/Get/List/DeleteIdentityPolicy, v2
Create/Get/Update/DeleteEmailIdentityPolicy, and ``is_authorized`` for delegate senders.

Policies live in the identity's row, ``data["Policies"]`` (name -> policy text); the rest
of that row belongs to ``identities``/``verification``, so writes go through their lock.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.protocol.errors import AwsError
from poolmail.ses.identities import policy_document
from poolmail.ses.identities.coverage import IdentityRow, effective_status
from poolmail.ses.identities.verification import (
    identity_lock,
    load,
    normalize_identity,
    update_data,
)
from poolmail.store import Transaction

MAX_POLICIES = 20
# AWS quirk: "The policy name cannot exceed 64 characters and can only include
# alphanumeric characters, dashes, and underscores." [model]; the length is model-checked.
_NAME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


def identity_arn(region: str, account: str, identity: str) -> str:
    return f"arn:aws:ses:{region}:{account}:identity/{identity}"


def policies_of(tx: Transaction, account: str, region: str, identity: str) -> dict[str, str]:
    """The identity's policies by name; empty when it has none or does not exist."""
    row = load(tx, account, region, normalize_identity(identity)[0])
    return dict(row.data.get("Policies") or {}) if row is not None else {}


def is_authorized(
    tx: Transaction,
    *,
    owner_account: str,
    region: str,
    identity: str,
    principal_account: str | None,
    principal_service: str | None,
    action: str,
    context: dict[str, str | list[str]],
    now: float,
) -> bool:
    """Whether the identity's policies let the principal perform ``action`` (`ses:SendEmail`).

    IAM semantics: an explicit Deny wins, otherwise any matching Allow. ``context`` holds
    the request's condition keys (``ses:Recipients``, ``aws:SourceArn``, ...).
    """
    arn = identity_arn(region, owner_account, normalize_identity(identity)[0])
    full_context: dict[str, str | list[str]] = {
        "aws:CurrentTime": dt.datetime.fromtimestamp(now, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "aws:EpochTime": str(int(now)),
    }
    if principal_account is not None:
        full_context["aws:PrincipalAccount"] = principal_account
    if principal_service is not None:
        full_context["aws:PrincipalServiceName"] = principal_service
    full_context.update(context)
    statements = []
    for text in policies_of(tx, owner_account, region, identity).values():
        try:
            statements += policy_document.parse(text, arn)
        except policy_document.PolicyError:
            continue  # checked when stored; a policy that no longer parses grants nothing
    return policy_document.allows(
        statements,
        principal_account=principal_account,
        principal_service=principal_service,
        action=action,
        context=full_context,
    )


# --- the identity an operation names ----------------------------------------------------


def _identity_name(ctx: RequestContext, given: str) -> str:
    """The stored identity name; the v1 APIs also take the identity's ARN."""
    if given.startswith("arn:"):
        parts = given.split(":", 5)
        own = len(parts) == 6 and (parts[3], parts[4]) == (ctx.region, ctx.account_id)
        if own and parts[5].startswith("identity/"):
            return normalize_identity(parts[5].removeprefix("identity/"))[0]
        # Another account's (or region's) identity: only its owner may manage its
        # policies, so it is as unknown here as a name never verified.
        return given
    return normalize_identity(given)[0]


def _unusable(given: str, v2: bool, *, exists: bool) -> AwsError:
    if v2 and not exists:
        return AwsError("NotFoundException", f"Email identity {given} does not exist.")
    # AWS quirk: "This operation is for the identity owner only. If you have not verified
    # the identity, it returns an error." [model] The error itself was not found; poolmail
    # answers as SES's other owner-only v1 operations were recorded answering
    # (SetIdentityHeadersInNotificationsEnabled, LocalStack's AWS snapshot, AWS_FACTS §9).
    message = f"Identity {given} is not verified or does not exist."
    return AwsError("BadRequestException" if v2 else "MessageRejected", message)


def _row(
    tx: Transaction, ctx: RequestContext, given: str, v2: bool, *, verified: bool
) -> IdentityRow:
    row = load(tx, ctx.account_id, ctx.region, _identity_name(ctx, given))
    if row is None:
        raise _unusable(given, v2, exists=False)
    now = ctx.clock.now().timestamp()
    # The owner may read and delete the policies of an identity whose verification has
    # lapsed; only adding or changing one needs the identity verified (AWS_FACTS §8).
    if verified and effective_status(row.kind, row.data, now) != "Success":
        raise _unusable(given, v2, exists=True)
    return row


def _check_name(name: str, v2: bool) -> None:
    if not set(name) <= _NAME_CHARACTERS:
        code = "BadRequestException" if v2 else "InvalidParameterValue"
        raise AwsError(
            code,
            f"Invalid policy name {name}: only alphanumeric characters, '-' and '_' are allowed.",
            status=400,
        )


def _put(ctx: RequestContext, given: str, name: str, text: str, *, v2: bool, mode: str) -> None:
    """Store policy ``name``; ``mode`` is `create` (must be new), `update` or `put`."""
    _check_name(name, v2)
    identity = _identity_name(ctx, given)
    with ctx.db.transaction(lock=identity_lock(ctx.account_id, ctx.region, identity)) as tx:
        row = _row(tx, ctx, given, v2, verified=True)
        try:
            policy_document.parse(text, identity_arn(ctx.region, ctx.account_id, row.identity))
        except policy_document.PolicyError as error:
            code = "BadRequestException" if v2 else "InvalidPolicyException"
            raise AwsError(code, str(error)) from None
        policies = dict(row.data.get("Policies") or {})
        if mode == "create" and name in policies:
            raise AwsError(
                "AlreadyExistsException", f"Policy {name} already exists for identity {given}."
            )
        if name not in policies and len(policies) >= MAX_POLICIES:
            # AWS quirk: "You can attach up to 20 policies to an identity" [doc]
            # policy-anatomy.md; v1's modelled error is InvalidPolicy only, LimitExceeded
            # is SES v1's code for its other limits.
            raise AwsError(
                "LimitExceededException",
                f"Identity {given} already has the maximum of {MAX_POLICIES} policies.",
            )
        policies[name] = text
        update_data(tx, ctx.account_id, ctx.region, row.identity, {"Policies": policies})


def _delete(ctx: RequestContext, given: str, name: str, *, v2: bool) -> None:
    identity = _identity_name(ctx, given)
    with ctx.db.transaction(lock=identity_lock(ctx.account_id, ctx.region, identity)) as tx:
        row = _row(tx, ctx, given, v2, verified=False)
        policies = dict(row.data.get("Policies") or {})
        # AWS quirk: "returns successfully even if a policy with the specified name does
        # not exist" [model], both APIs.
        if policies.pop(name, None) is not None:
            update_data(
                tx, ctx.account_id, ctx.region, row.identity, {"Policies": policies or None}
            )


def _policies(ctx: RequestContext, given: str, *, v2: bool) -> dict[str, str]:
    with ctx.db.transaction(readonly=True) as tx:
        row = _row(tx, ctx, given, v2, verified=False)
    return dict(row.data.get("Policies") or {})


# --- SES v1 ---------------------------------------------------------------------------


def put_identity_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _put(ctx, params["Identity"], params["PolicyName"], params["Policy"], v2=False, mode="put")
    return {}


def get_identity_policies(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    policies = _policies(ctx, params["Identity"], v2=False)
    # Names without a policy are left out, as SES does, rather than refused.
    wanted = params["PolicyNames"]
    if len(wanted) > MAX_POLICIES:
        raise AwsError(
            "InvalidParameterValue",
            f"You can retrieve a maximum of {MAX_POLICIES} policies at a time.",
            status=400,
        )
    return {"Policies": {name: policies[name] for name in wanted if name in policies}}


def list_identity_policies(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"PolicyNames": sorted(_policies(ctx, params["Identity"], v2=False))}


def delete_identity_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _delete(ctx, params["Identity"], params["PolicyName"], v2=False)
    return {}


# --- SES v2 ---------------------------------------------------------------------------


def create_email_identity_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _put(
        ctx,
        params["EmailIdentity"],
        params["PolicyName"],
        params["Policy"],
        v2=True,
        mode="create",
    )
    return {}


def update_email_identity_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    # AWS quirk: "This API returns successfully even if a policy with the specified name
    # does not exist" [model]; poolmail then stores it, as v1's PutIdentityPolicy would.
    _put(
        ctx,
        params["EmailIdentity"],
        params["PolicyName"],
        params["Policy"],
        v2=True,
        mode="update",
    )
    return {}


def get_email_identity_policies(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"Policies": _policies(ctx, params["EmailIdentity"], v2=True)}


def delete_email_identity_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _delete(ctx, params["EmailIdentity"], params["PolicyName"], v2=True)
    return {}


V1: dict[str, Handler] = {
    "PutIdentityPolicy": put_identity_policy,
    "GetIdentityPolicies": get_identity_policies,
    "ListIdentityPolicies": list_identity_policies,
    "DeleteIdentityPolicy": delete_identity_policy,
}
V2: dict[str, Handler] = {
    "CreateEmailIdentityPolicy": create_email_identity_policy,
    "GetEmailIdentityPolicies": get_email_identity_policies,
    "UpdateEmailIdentityPolicy": update_email_identity_policy,
    "DeleteEmailIdentityPolicy": delete_email_identity_policy,
}
