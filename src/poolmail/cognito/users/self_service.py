"""What a signed-in user does with their own access token: GetUser, UpdateUserAttributes,
DeleteUserAttributes, GetUserAttributeVerificationCode, VerifyUserAttribute,
ChangePassword and DeleteUser.
"""

from __future__ import annotations

from typing import Any

from poolmail.cognito.clients.clients import find_client
from poolmail.cognito.messaging import messages, sms_messages
from poolmail.cognito.messaging.delivery import deliver
from poolmail.cognito.messaging.masking import email_delivery, phone_delivery
from poolmail.cognito.mfa.state import user_mfa_members
from poolmail.cognito.pools.custom_attributes import check_client_write
from poolmail.cognito.signin import sessions
from poolmail.cognito.signin.auth_factors import has_password
from poolmail.cognito.threats import risk_events, risk_responses
from poolmail.cognito.triggers import custom_message
from poolmail.cognito.users import codes
from poolmail.cognito.users.passwords import (
    RESET_PREFIX,
    check_password,
    password_matches,
    policy_of,
    set_password,
)
from poolmail.cognito.users.users import (
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
from poolmail.sms.outbox import Sms

INCORRECT = "Incorrect username or password."


def get_user(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    caller = sessions.authorize(ctx, params["AccessToken"])
    return {
        "Username": caller.user.username,
        "UserAttributes": attribute_list(caller.user),
        **user_mfa_members(caller.user),
    }


def update_user_attributes(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    caller = sessions.authorize(ctx, params["AccessToken"])
    given: list[dict[str, Any]] = params["UserAttributes"]
    with caller.ctx.db.transaction() as tx:
        client = find_client(tx, str(caller.claims.get("client_id", "")))
    client_settings = client.settings if client is not None else {}
    check_client_write(caller.pool.settings, client_settings, [e["Name"] for e in given])
    metadata = params.get("ClientMetadata") or None
    sent = update_attributes(caller.ctx, caller.pool.id, caller.user.username, given, metadata)
    return {"CodeDeliveryDetailsList": sent}


def delete_user_attributes(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    caller = sessions.authorize(ctx, params["AccessToken"])
    admin_params = {
        "UserPoolId": caller.pool.id,
        "Username": caller.user.username,
        "UserAttributeNames": params["UserAttributeNames"],
    }
    return admin_delete_user_attributes(caller.ctx, admin_params)


# The code purpose of each attribute a user verifies.
_PURPOSES = {"email": codes.VERIFY_EMAIL, "phone_number": codes.VERIFY_PHONE}


def _value_to_verify(name: str, data: dict[str, Any], attributes: dict[str, str]) -> str | None:
    # A value held back until verified (AttributesRequireVerificationBeforeUpdate) is the
    # one a new code is for; otherwise the current one.
    pending: str | None = (data.get("pending") or {}).get(name)
    return pending or attributes.get(name)


def get_user_attribute_verification_code(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    """A fresh code for the email (by mail) or the phone number (by SMS)."""
    caller = sessions.authorize(ctx, params["AccessToken"])
    user, pool = caller.user, caller.pool
    name = params["AttributeName"]
    value = _value_to_verify(name, user.data, user.attributes) if name in _PURPOSES else None
    if value is None:
        # Not found: AWS's text for an attribute that cannot be verified or is not set.
        raise AwsError("InvalidParameterException", f"There is no {name} to verify.")
    with caller.ctx.db.transaction() as tx:
        code = codes.issue(tx, caller.ctx, pool.id, user.username, _PURPOSES[name], {name: value})
    kind = "cognito-attribute-verification"
    # CustomMessage_VerifyUserAttribute, with the request's ClientMetadata.
    source, metadata = custom_message.VERIFY_USER_ATTRIBUTE, params.get("ClientMetadata") or None
    if name == "phone_number":
        text = sms_messages.verification_text(pool.settings, code)
        shaped = custom_message.text(caller.ctx, pool, source, user, text, code, metadata=metadata)
        sms = Sms(value, shaped.text, kind, pool.id, user.username, code)
        sms.shaped_by = shaped.shaped_by
        sms_messages.send_text(caller.ctx, pool.settings, sms)
        return {"CodeDeliveryDetails": phone_delivery(value)}
    email = messages.code_email(pool.settings, value, kind, pool.id, user.username, code)
    email = custom_message.email(caller.ctx, pool, source, user, email, metadata=metadata)
    deliver(caller.ctx, pool.settings, email)
    return {"CodeDeliveryDetails": email_delivery(value)}


def verify_user_attribute(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """The code of the last verification mail or SMS marks its address or number
    verified; a value held back until verified takes its place now."""
    caller = sessions.authorize(ctx, params["AccessToken"])
    pool = caller.pool
    name = params["AttributeName"]
    now = ctx.clock.now().timestamp()
    with caller.ctx.db.transaction(lock=users_lock(pool.id)) as tx:
        user = require_user(tx, pool, caller.user.username)
        purpose = _PURPOSES.get(name)
        if purpose is None:
            # No code is ever sent for another attribute.
            raise AwsError("ExpiredCodeException", codes.CODE_EXPIRED)
        stored = codes.check(tx, caller.ctx, pool.id, user.username, purpose, params["Code"])
        value = stored.get(name)
        pending = user.data.get("pending") or {}
        if value is not None and pending.get(name) == value:
            user.attributes[name] = pending.pop(name)
        if value is not None and user.attributes.get(name) == value:
            user.attributes[f"{name}_verified"] = "true"
        claim_aliases(tx, pool, user, now, force=False)
        codes.discard(tx, pool.id, user.username, purpose)
        save_user(tx, pool, user, now)
    return {}


def change_password(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    caller = sessions.authorize(ctx, params["AccessToken"])
    pool = caller.pool
    with caller.ctx.db.transaction(lock=users_lock(pool.id)) as tx:
        user = require_user(tx, pool, caller.user.username)
        # PreviousPassword: "Required if the user has a password. If the user has no
        # password and only signs in with passwordless authentication options, you can omit
        # this parameter." [model ChangePassword]
        previous = params.get("PreviousPassword")
        if has_password(user) and not previous:
            raise AwsError(
                "InvalidParameterException", "Missing required parameter PreviousPassword"
            )
        if has_password(user) and not password_matches(user, str(previous)):
            raise AwsError("NotAuthorizedException", INCORRECT)
        check_password(policy_of(pool), params["ProposedPassword"], RESET_PREFIX)
        risk_responses.check_new_password(
            ctx, tx, pool, None, user.username, "PASSWORD_CHANGE", params["ProposedPassword"]
        )
        now = ctx.clock.now().timestamp()
        set_password(user, pool, params["ProposedPassword"], now, temporary=False)
        save_user(tx, pool, user, now)
    risk_events.record(caller.ctx, pool, user, risk_events.PASSWORD_CHANGE)
    return {}


OPERATIONS: dict[str, Handler] = {
    "GetUser": get_user,
    "UpdateUserAttributes": update_user_attributes,
    "DeleteUserAttributes": delete_user_attributes,
    "GetUserAttributeVerificationCode": get_user_attribute_verification_code,
    "VerifyUserAttribute": verify_user_attribute,
    "ChangePassword": change_password,
}
