"""UserMigration: a user the pool does not know, signing in with a password or asking for a
password reset, is looked up by the pool's function in the directory it replaces, and
created from what the function answers.

Facts: ../shared/facts/cognito-lambda-triggers.md section 3 (UserMigration) and DG
user-pool-lambda-migrate-user.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from poolmail.cognito.clients.clients import ClientRecord
from poolmail.cognito.pools.user_pools import StoredPool
from poolmail.cognito.triggers import invoke
from poolmail.cognito.triggers.events import leave_loop
from poolmail.cognito.users.users import (
    CONFIRMED,
    RESET_REQUIRED,
    StoredUser,
    check_attributes,
    claim_aliases,
    find_user,
    insert_user,
    users_lock,
)
from poolmail.context import RequestContext
from poolmail.protocol.errors import AwsError

TRIGGER = "UserMigration"
AUTHENTICATION = "UserMigration_Authentication"
FORGOT_PASSWORD = "UserMigration_ForgotPassword"
_STATUSES = (CONFIRMED, RESET_REQUIRED)
_MEDIUMS = ("EMAIL", "SMS")


def on_sign_in(
    ctx: RequestContext,
    pool: StoredPool,
    client: ClientRecord,
    values: dict[str, str],
    validation: dict[str, str] | None,
) -> None:
    """Before a password sign-in (USER_PASSWORD_AUTH, ADMIN_USER_PASSWORD_AUTH): an unknown
    USERNAME is migrated with the PASSWORD it came with, and the sign-in then goes on as
    for any user. ``validation``: InitiateAuth's ClientMetadata, which reaches this
    function "as validationData" (TRIG). SRP sign-ins never migrate: "An SRP obscures
    your user's password"."""
    if invoke.configured(pool, TRIGGER) is None:
        return
    name, password = values.get("USERNAME"), values.get("PASSWORD")
    if not name or not password:
        return  # the sign-in answers the missing parameter itself
    from poolmail.cognito.signin.auth import check_secret

    check_secret(client, name, values.get("SECRET_HASH"))
    if _known(ctx, pool, name):
        return
    request = {"password": password, "validationData": validation or None}
    answer = _migrate(ctx, pool, client, AUTHENTICATION, name, request)
    _create(ctx, pool, name, answer, password)


def on_forgot_password(
    ctx: RequestContext,
    pool: StoredPool,
    client: ClientRecord,
    name: str,
    metadata: dict[str, str] | None,
) -> StoredUser | None:
    """ForgotPassword for an unknown user: the migrated user (whom the reset code then
    reaches at the verified address the function gave), or None without a function."""
    if invoke.configured(pool, TRIGGER) is None:
        return None
    request: dict[str, Any] = {"validationData": None}
    if metadata:
        request["clientMetadata"] = dict(metadata)
    answer = _migrate(ctx, pool, client, FORGOT_PASSWORD, name, request)
    return _create(ctx, pool, name, answer, None)


def _known(ctx: RequestContext, pool: StoredPool, name: str) -> bool:
    with ctx.db.transaction(readonly=True) as tx:
        return find_user(tx, pool, name) is not None


def _migrate(
    ctx: RequestContext,
    pool: StoredPool,
    client: ClientRecord,
    source: str,
    name: str,
    request: dict[str, Any],
) -> dict[str, Any]:
    leave_loop(pool)
    response = {
        "userAttributes": None,
        "finalUserStatus": None,
        "messageAction": None,
        "desiredDeliveryMediums": None,
        "forceAliasCreation": None,
        "enableSMSMFA": None,
    }
    # `userName` is the name as entered (MU), an email address in pools that sign in
    # with one.
    event = invoke.envelope(ctx, pool, source, name, request, response, client_id=client.id)
    return invoke.call(ctx, pool, TRIGGER, event)


def _unusable() -> AwsError:
    return AwsError("InvalidLambdaResponseException", invoke.UNRECOGNIZABLE)


def _attributes(answer: dict[str, Any]) -> list[dict[str, str]]:
    """`userAttributes` ("This field is required") as an attribute list. Values a
    function gives as JSON booleans or numbers (`email_verified: true`) are taken as
    their text; `sub` is Cognito's to choose and is left out."""
    given = answer.get("userAttributes")
    if not isinstance(given, dict) or not given:
        # Choice: AWS's text for a response without the required member is not known;
        # poolmail calls the output unusable.
        raise _unusable()
    pairs: list[dict[str, str]] = []
    for key, value in given.items():
        if key == "sub" or value is None:
            continue
        text = value if isinstance(value, str) else json.dumps(value)
        pairs.append({"Name": str(key), "Value": text})
    return pairs


def _final_status(answer: dict[str, Any], password: str | None) -> str:
    status = answer.get("finalUserStatus")
    if status is None:
        # MU: at sign-in "CONFIRMED, or not set, to auto-confirm your users". Choice: a user
        # migrated by ForgotPassword has no password yet, and must set one: RESET_REQUIRED.
        return CONFIRMED if password is not None else RESET_REQUIRED
    if status not in _STATUSES:
        raise _unusable()
    return str(status)


def _check_options(answer: dict[str, Any]) -> bool:
    """The members that shape the welcome message and the aliases; forceAliasCreation."""
    action = answer.get("messageAction")
    if action is not None and action not in ("SUPPRESS", "RESEND"):
        raise _unusable()
    mediums = answer.get("desiredDeliveryMediums")
    if mediums is not None and (
        not isinstance(mediums, list) or any(medium not in _MEDIUMS for medium in mediums)
    ):
        raise _unusable()
    force = answer.get("forceAliasCreation")
    if force is not None and not isinstance(force, bool):
        raise _unusable()
    return force is True


def _create(
    ctx: RequestContext,
    pool: StoredPool,
    name: str,
    answer: dict[str, Any],
    password: str | None,
) -> StoredUser:
    """The user the function described, stored. "The password strength policy ... will
    not be enforced during migration" (MU): the password is taken as it is."""
    from poolmail.cognito.users.passwords import set_password
    from poolmail.cognito.users.signup import claim_username

    given = _attributes(answer)
    status = _final_status(answer, password)
    force = _check_options(answer)
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction(lock=users_lock(pool.id)) as tx:
        raced = find_user(tx, pool, name)
        if raced is not None:
            return raced
        attributes = check_attributes(pool, given)
        requested = name
        aliases = pool.settings.get("AliasAttributes") or []
        if not pool.settings.get("UsernameAttributes") and (
            ("email" in aliases and "@" in name)
            or ("phone_number" in aliases and name.startswith("+"))
        ):
            # Choice: a user who signed in with an alias (email, phone) gets a generated
            # username, as the alias cannot be one in such a pool.
            requested = str(uuid.uuid4())
        username, sub = claim_username(tx, pool, requested, attributes, "User already exists")
        user = StoredUser(pool.id, username, sub, status, True, now, now, attributes)
        if password is not None and status == CONFIRMED:
            set_password(user, pool, password, now, temporary=False)
        user.status = status
        claim_aliases(tx, pool, user, now, force=force)
        if not insert_user(tx, pool, user):
            raise AwsError("UsernameExistsException", "User already exists")
    # Choice: the welcome message AWS sends a migrated user unless `messageAction` is
    # SUPPRESS has no documented content; poolmail sends none (docs/triggers.md).
    return user
