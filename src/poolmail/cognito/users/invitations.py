"""AdminCreateUser: a user with a temporary password, invited by mail, by SMS, or not."""

from __future__ import annotations

from typing import Any

from poolmail.cognito.messaging import messages, sms_config, sms_messages
from poolmail.cognito.messaging.delivery import CognitoEmail, deliver
from poolmail.cognito.pools import sign_in_policy
from poolmail.cognito.pools.user_pools import StoredPool, load_pool
from poolmail.cognito.triggers import custom_message, invoke
from poolmail.cognito.triggers import sign_up as sign_up_triggers
from poolmail.cognito.triggers.events import client_metadata, validation_data
from poolmail.cognito.users.passwords import (
    ADMIN_PREFIX,
    check_password,
    policy_of,
    set_password,
    temporary_password,
)
from poolmail.cognito.users.signup import check_required, claim_username
from poolmail.cognito.users.users import (
    CONFIRMED,
    FORCE_CHANGE_PASSWORD,
    StoredUser,
    check_attributes,
    claim_aliases,
    insert_user,
    require_user,
    save_user,
    user_type,
    users_lock,
)
from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.protocol.errors import AwsError
from poolmail.sms.outbox import Sms

USER_EXISTS = "User account already exists"


def _mediums(params: dict[str, Any], user: StoredUser) -> list[str]:
    """The media the invitation goes by, after AWS's checks.

    The model: "The default value is SMS". Asking for a medium the user has no address for
    is refused (`No email provided but desired delivery medium was Email`, seen in public
    reports; the SMS twin is worded alike by poolmail). With the default and no phone
    number, AWS is known to create the user and send nothing: poolmail does the same, so a
    user with only an email gets no invitation unless EMAIL is asked for.
    """
    given: list[str] | None = params.get("DesiredDeliveryMediums")
    if given is None:
        return ["SMS"] if user.attributes.get("phone_number") else []
    if "EMAIL" in given and not user.attributes.get("email"):
        raise AwsError(
            "InvalidParameterException", "No email provided but desired delivery medium was Email"
        )
    if "SMS" in given and not user.attributes.get("phone_number"):
        raise AwsError(
            "InvalidParameterException",
            "No phone_number provided but desired delivery medium was Sms",
        )
    return list(given)


def _password(pool: StoredPool, params: dict[str, Any], *, new_user: bool) -> str:
    """The temporary password; empty for a new user who gets none: "If you don't specify a
    value, Amazon Cognito generates one for you unless you have passwordless options active
    for your user pool." [model AdminCreateUser TemporaryPassword]"""
    given = params.get("TemporaryPassword")
    if given:
        check_password(policy_of(pool), given, ADMIN_PREFIX)
        return str(given)
    if new_user and sign_in_policy.passwordless_active(pool.settings):
        return ""
    return temporary_password(policy_of(pool))


def _check_resend(user: StoredUser) -> None:
    if user.status != FORCE_CHANGE_PASSWORD:
        # Not found in AWS's docs; the wording other emulators reproduce.
        raise AwsError(
            "UnsupportedUserStateException",
            f"Resend not possible. {user.sub} status is not FORCE_CHANGE_PASSWORD",
        )


def admin_create_user(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Create a FORCE_CHANGE_PASSWORD user, or re-invite one (MessageAction RESEND).

    The user is stored before the invitation goes out, so a refused delivery leaves it in
    place (AWS does not say; SignUp behaves this way and AdminCreateUser plausibly too).
    """
    pool_id = params["UserPoolId"]
    action = params.get("MessageAction")
    now = ctx.clock.now().timestamp()
    planned_sub = None if action == "RESEND" else _pre_sign_up(ctx, params)
    with ctx.db.transaction(lock=users_lock(pool_id)) as tx:
        pool = load_pool(tx, ctx, pool_id)
        attributes = check_attributes(pool, params.get("UserAttributes") or [])
        password = _password(pool, params, new_user=action != "RESEND")
        if action == "RESEND":
            user = require_user(tx, pool, params["Username"])
            _check_resend(user)
            mediums = _mediums(params, user)
            set_password(user, pool, password, now, temporary=True)
            save_user(tx, pool, user, now)
        else:
            username, sub = claim_username(
                tx, pool, params["Username"], attributes, USER_EXISTS, planned_sub
            )
            user = StoredUser(pool_id, username, sub, FORCE_CHANGE_PASSWORD, True, now, now)
            user.attributes = attributes
            mediums = _mediums(params, user)
            if password:
                set_password(user, pool, password, now, temporary=True)
            else:
                # Choice, AWS's status not found: with no password there is nothing to
                # change, and NEW_PASSWORD_REQUIRED comes "only for users who have temporary
                # passwords. When you create passwordless users, you must provide values for
                # all required attributes." [model ChallengeNameType]; CONFIRMED, then.
                check_required(pool, attributes)
                user.status = CONFIRMED
            claim_aliases(tx, pool, user, now, force=bool(params.get("ForceAliasCreation")))
            if not insert_user(tx, pool, user):
                raise AwsError("UsernameExistsException", USER_EXISTS)
    sending = action != "SUPPRESS"
    texting = sending and "SMS" in mediums
    if texting:
        # A pool without SmsConfiguration refuses before any message goes out, the user
        # stored all the same (sms_config.sender).
        sms_config.sender(pool.settings, ctx.region)
    if sending and "EMAIL" in mediums:
        # `{username}` shows the name the administrator gave, which is what the user signs
        # in with even where the stored username is a UUID (UsernameAttributes pools).
        message = messages.invitation_message(pool.settings, params["Username"], password)
        if message is not None:
            email = CognitoEmail(
                user.attributes["email"],
                message.subject,
                message.body,
                "cognito-invitation",
                pool_id,
                user.username,
                code=password or None,
            )
            # A re-sent invitation is still CustomMessage_AdminCreateUser: ResendCode is
            # ResendConfirmationCode's source.
            email = custom_message.email(
                ctx,
                pool,
                custom_message.ADMIN_CREATE_USER,
                user,
                email,
                invited_as=params["Username"],
            )
            deliver(ctx, pool.settings, email)
    if texting:
        text = sms_messages.invitation_text(pool.settings, params["Username"], password)
        if text is not None:
            shaped = custom_message.text(
                ctx,
                pool,
                custom_message.ADMIN_CREATE_USER,
                user,
                text,
                password,
                invited_as=params["Username"],
            )
            number = user.attributes["phone_number"]
            sms = Sms(
                number, shaped.text, "cognito-invitation", pool_id, user.username, password or None
            )
            sms.shaped_by = shaped.shaped_by
            sms_messages.send_text(ctx, pool.settings, sms)
    return {"User": user_type(user)}


def _pre_sign_up(ctx: RequestContext, params: dict[str, Any]) -> str | None:
    """Run the pool's PreSignUp function for a user about to be created; the sub it was
    shown as `userName` in a pool whose users sign in by email or phone, else None.

    AdminCreateUser's ClientMetadata and ValidationData reach it; its answer is ignored
    ("ignored by Amazon Cognito when the Pre Sign-up lambda is triggered by the
    AdminCreateUser API", D2023 PSU), its refusal creates nothing."""
    with ctx.db.transaction(readonly=True) as tx:
        pool = load_pool(tx, ctx, params["UserPoolId"])
        if not invoke.configured(pool, "PreSignUp"):
            return None
        attributes = check_attributes(pool, params.get("UserAttributes") or [])
        username, sub = claim_username(tx, pool, params["Username"], attributes, USER_EXISTS)
    sign_up_triggers.pre_sign_up(
        ctx,
        pool,
        sign_up_triggers.ADMIN_CREATE_USER,
        username,
        attributes,
        client_id=None,
        validation=validation_data(params),
        metadata=client_metadata(params),
    )
    return sub


OPERATIONS: dict[str, Handler] = {"AdminCreateUser": admin_create_user}
