"""What a signed-in user does with their own access token: GetUser, UpdateUserAttributes,
DeleteUserAttributes, GetUserAttributeVerificationCode, VerifyUserAttribute,
ChangePassword and DeleteUser.
"""

from __future__ import annotations

from typing import Any

from poolmail.cognito import codes, groups, messages
from poolmail.cognito.clients import find_client
from poolmail.cognito.delivery import deliver
from poolmail.cognito.masking import email_delivery, phone_delivery
from poolmail.cognito.passwords import (
    RESET_PREFIX,
    check_password,
    password_matches,
    policy_of,
    set_password,
)
from poolmail.cognito.signin import sessions
from poolmail.cognito.users import (
    admin_delete_user_attributes,
    attribute_list,
    claim_aliases,
    require_user,
    save_user,
    update_attributes,
    users_lock,
)
from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.protocol.errors import AwsError

# AWS's text when the app client's WriteAttributes leave an attribute out.
UNAUTHORIZED_WRITE = "A client attempted to write unauthorized attribute"
INCORRECT = "Incorrect username or password."


def get_user(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    caller = sessions.authorize(ctx, params["AccessToken"])
    return {"Username": caller.user.username, "UserAttributes": attribute_list(caller.user)}


def update_user_attributes(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    caller = sessions.authorize(ctx, params["AccessToken"])
    given: list[dict[str, Any]] = params["UserAttributes"]
    with caller.ctx.db.transaction() as tx:
        client = find_client(tx, str(caller.claims.get("client_id", "")))
    writable = client.settings.get("WriteAttributes") if client is not None else None
    if writable and any(entry["Name"] not in writable for entry in given):
        raise AwsError("NotAuthorizedException", UNAUTHORIZED_WRITE)
    address = update_attributes(caller.ctx, caller.pool.id, caller.user.username, given)
    return {"CodeDeliveryDetailsList": [email_delivery(address)] if address else []}


def delete_user_attributes(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    caller = sessions.authorize(ctx, params["AccessToken"])
    admin_params = {
        "UserPoolId": caller.pool.id,
        "Username": caller.user.username,
        "UserAttributeNames": params["UserAttributeNames"],
    }
    return admin_delete_user_attributes(caller.ctx, admin_params)


def _email_to_verify(data: dict[str, Any], attributes: dict[str, str]) -> str | None:
    # An email held back until verified (AttributesRequireVerificationBeforeUpdate) is the
    # one a new code is for; otherwise the current one.
    pending: str | None = (data.get("pending") or {}).get("email")
    return pending or attributes.get("email")


def get_user_attribute_verification_code(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    """A fresh code for the email (or a note that an SMS went out, which poolmail does
    not deliver: the phone number's code reaches nobody)."""
    caller = sessions.authorize(ctx, params["AccessToken"])
    user, pool = caller.user, caller.pool
    name = params["AttributeName"]
    if name == "phone_number" and user.attributes.get("phone_number"):
        return {"CodeDeliveryDetails": phone_delivery(user.attributes["phone_number"])}
    address = _email_to_verify(user.data, user.attributes) if name == "email" else None
    if address is None:
        # Not found: AWS's text for an attribute that cannot be verified or is not set.
        raise AwsError("InvalidParameterException", f"There is no {name} to verify.")
    with caller.ctx.db.transaction() as tx:
        data = {"email": address}
        code = codes.issue(tx, caller.ctx, pool.id, user.username, codes.VERIFY_EMAIL, data)
    kind = "cognito-attribute-verification"
    email = messages.code_email(pool.settings, address, kind, pool.id, user.username, code)
    deliver(caller.ctx, pool.settings, email)
    return {"CodeDeliveryDetails": email_delivery(address)}


def verify_user_attribute(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """The code of the last verification mail marks its address verified; an address held
    back until verified takes its place now."""
    caller = sessions.authorize(ctx, params["AccessToken"])
    pool = caller.pool
    name = params["AttributeName"]
    now = ctx.clock.now().timestamp()
    with caller.ctx.db.transaction(lock=users_lock(pool.id)) as tx:
        user = require_user(tx, pool, caller.user.username)
        if name != "email":
            # Only email codes are ever mailed (poolmail sends no SMS).
            raise AwsError("ExpiredCodeException", codes.CODE_EXPIRED)
        stored = codes.check(
            tx, caller.ctx, pool.id, user.username, codes.VERIFY_EMAIL, params["Code"]
        )
        address = stored.get("email")
        pending = user.data.get("pending") or {}
        if address is not None and pending.get("email") == address:
            user.attributes["email"] = pending.pop("email")
        if address is not None and user.attributes.get("email") == address:
            user.attributes["email_verified"] = "true"
        claim_aliases(tx, pool, user, now, force=False)
        codes.discard(tx, pool.id, user.username, codes.VERIFY_EMAIL)
        save_user(tx, pool, user, now)
    return {}


def change_password(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    caller = sessions.authorize(ctx, params["AccessToken"])
    pool = caller.pool
    with caller.ctx.db.transaction(lock=users_lock(pool.id)) as tx:
        user = require_user(tx, pool, caller.user.username)
        if not password_matches(user, params["PreviousPassword"]):
            raise AwsError("NotAuthorizedException", INCORRECT)
        check_password(policy_of(pool), params["ProposedPassword"], RESET_PREFIX)
        now = ctx.clock.now().timestamp()
        set_password(user, pool, params["ProposedPassword"], now, temporary=False)
        save_user(tx, pool, user, now)
    return {}


def delete_user(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    caller = sessions.authorize(ctx, params["AccessToken"])
    pool, user = caller.pool, caller.user
    with caller.ctx.db.transaction(lock=users_lock(pool.id)) as tx:
        tx.execute("DELETE FROM users WHERE pool_id = ? AND username = ?", (pool.id, user.username))
        codes.forget_user(tx, pool.id, user.username)
        groups.forget_user(tx, pool.id, user.sub)
        sessions.forget_user(tx, pool.id, user.sub)
    return {}


OPERATIONS: dict[str, Handler] = {
    "GetUser": get_user,
    "UpdateUserAttributes": update_user_attributes,
    "DeleteUserAttributes": delete_user_attributes,
    "GetUserAttributeVerificationCode": get_user_attribute_verification_code,
    "VerifyUserAttribute": verify_user_attribute,
    "ChangePassword": change_password,
    "DeleteUser": delete_user,
}
