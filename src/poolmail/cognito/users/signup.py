"""Self-registration: SignUp, ConfirmSignUp, ResendConfirmationCode, AdminConfirmSignUp,
and the confirmation link a link-style sign-up mail carries.
"""

from __future__ import annotations

import dataclasses
import os
import re
from dataclasses import dataclass
from typing import Any

from poolmail.cognito.clients.clients import ClientRecord, client_not_found, find_client
from poolmail.cognito.messaging import messages, sms_messages
from poolmail.cognito.messaging.delivery import (
    DAILY_LIMIT_MESSAGE,
    CognitoEmail,
    DefaultSend,
    by_default_sender,
    default_sender_lock,
    deliver,
    relay_default,
    send_by_default,
)
from poolmail.cognito.messaging.masking import email_delivery, phone_delivery, simulated_delivery
from poolmail.cognito.pools import sign_in_policy
from poolmail.cognito.pools.custom_attributes import check_client_write
from poolmail.cognito.pools.user_pools import StoredPool, load_pool
from poolmail.cognito.signin import user_auth
from poolmail.cognito.threats import risk_events, risk_responses
from poolmail.cognito.triggers import custom_message, invoke
from poolmail.cognito.triggers import sign_up as sign_up_triggers
from poolmail.cognito.triggers.events import client_metadata, leave_loop, validation_data
from poolmail.cognito.users import codes
from poolmail.cognito.users.passwords import SIGN_UP_PREFIX, check_password, policy_of, set_password
from poolmail.cognito.users.users import (
    CLIENT_USER_NOT_FOUND,
    CONFIRMED,
    UNCONFIRMED,
    USER_DISABLED,
    StoredUser,
    case_sensitive,
    check_attributes,
    check_secret_hash,
    claim_aliases,
    find_user,
    hides_existence,
    insert_user,
    public_client,
    public_client_pool,
    require_user,
    save_user,
    users_lock,
)
from poolmail.context import RequestContext
from poolmail.operations import Handler, LeaveLoop, local_only
from poolmail.protocol.errors import AwsError
from poolmail.sms.outbox import Sms
from poolmail.store import Transaction

_PHONE = re.compile(r"^\+[0-9]{4,15}$")


def _taken(tx: Transaction, pool: StoredPool, column: str, value: str) -> bool:
    row = tx.fetchone(f"SELECT 1 FROM users WHERE pool_id = ? AND {column} = ?", (pool.id, value))
    return row is not None


def claim_username(
    tx: Transaction,
    pool: StoredPool,
    requested: str,
    attributes: dict[str, str],
    exists: str,
    sub: str | None = None,
) -> tuple[str, str]:
    """(username, sub) for a new user; UsernameExistsException with ``exists`` when taken.

    UsernameAttributes pools take an email or phone number as the name, store it as that
    attribute and give the user a UUID username equal to the sub, as Cognito does. ``sub``:
    one chosen beforehand (the `userName` a PreSignUp function was shown).
    """
    sub = sub or _new_sub()
    sign_in = pool.settings.get("UsernameAttributes") or []
    if sign_in:
        if "@" in requested and "email" in sign_in:
            attributes["email"] = requested
            if _taken(tx, pool, "email", requested.lower()):
                raise AwsError(
                    "UsernameExistsException", "An account with the given email already exists."
                )
            return sub, sub
        if _PHONE.match(requested) and "phone_number" in sign_in:
            attributes["phone_number"] = requested
            if _taken(tx, pool, "phone", requested):
                raise AwsError(
                    "UsernameExistsException",
                    "An account with the given phone_number already exists.",
                )
            return sub, sub
        expected = (
            "either an email or a phone number"
            if len(sign_in) > 1
            else ("an email" if "email" in sign_in else "a phone number")
        )
        raise AwsError("InvalidParameterException", f"Username should be {expected}.")
    aliases = pool.settings.get("AliasAttributes") or []
    for attribute, kind, looks_like in (
        ("email", "email", "@" in requested),
        ("phone_number", "phone number", bool(_PHONE.match(requested))),
    ):
        if attribute in aliases and looks_like:
            raise AwsError(
                "InvalidParameterException",
                f"Username cannot be of {kind} format, since user pool is configured for "
                f"{attribute} alias.",
            )
    if _username_taken(tx, pool, requested):
        raise AwsError("UsernameExistsException", exists)
    return requested, sub


def _new_sub() -> str:
    """A random (version 4) UUID as ``str(uuid.uuid4())`` writes it, without building the
    UUID object (1.3 us against 2.9 us here): every sign-up takes one."""
    raw = bytearray(os.urandom(16))
    raw[6] = raw[6] & 0x0F | 0x40
    raw[8] = raw[8] & 0x3F | 0x80
    text = raw.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def check_required(pool: StoredPool, attributes: dict[str, str]) -> None:
    # AWS's text joins one `<name>: The attribute is required` line per missing attribute.
    missing = [
        entry["Name"]
        for entry in pool.settings.get("SchemaAttributes") or []
        if entry.get("Required") and entry["Name"] != "sub" and not attributes.get(entry["Name"])
    ]
    if missing:
        detail = "".join(f"{name}: The attribute is required\n" for name in missing)
        raise AwsError(
            "InvalidParameterException", f"Attributes did not conform to the schema: {detail}"
        )


def _username_taken(tx: Transaction, pool: StoredPool, name: str) -> bool:
    if case_sensitive(pool):
        return _taken(tx, pool, "username", name)
    # `sub`, not a constant: SQLite would otherwise prefer scanning the covering
    # users_created index over the users_username_lower one.
    row = tx.fetchone(
        "SELECT sub FROM users WHERE pool_id = ? AND LOWER(username) = LOWER(?)", (pool.id, name)
    )
    return row is not None


def _verification_email(
    ctx: RequestContext, pool: StoredPool, client_id: str, user: StoredUser, code: str, kind: str
) -> CognitoEmail:
    address = user.attributes["email"]
    if messages.uses_link(pool.settings):
        link = messages.confirmation_link(ctx.base_url, client_id, user.username, code)
        message = messages.verification_link_message(pool.settings, link)
        return CognitoEmail(
            address, message.subject, message.body, kind, pool.id, user.username, code, link
        )
    return messages.code_email(pool.settings, address, kind, pool.id, user.username, code)


def _verified_attribute(pool: StoredPool, user: StoredUser) -> str | None:
    """The attribute a sign-up code verifies: `phone_number` (by SMS) or `email`, or None
    when the pool auto-verifies neither of the user's.

    AWS: "If a user signs up with both a phone number and an email address, and your user
    pool settings require verification of both attributes, a verification code is sent
    via SMS to the phone" (user-pool-settings-email-phone-verification.md).
    """
    auto = pool.settings.get("AutoVerifiedAttributes") or []
    for attribute in ("phone_number", "email"):
        if attribute in auto and user.attributes.get(attribute):
            return attribute
    return None


def _send_code(
    ctx: RequestContext,
    pool: StoredPool,
    client_id: str,
    user: StoredUser,
    attribute: str,
    code: str,
    kind: str,
    metadata: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Deliver a sign-up code by SMS or mail, shaped by a CustomMessage function if the
    pool has one; its CodeDeliveryDetails."""
    source = custom_message.SIGN_UP if kind == "cognito-sign-up" else custom_message.RESEND_CODE
    if attribute == "phone_number":
        number = user.attributes["phone_number"]
        text = sms_messages.verification_text(pool.settings, code)
        shaped = custom_message.text(
            ctx, pool, source, user, text, code, client_id=client_id, metadata=metadata
        )
        sms = Sms(number, shaped.text, kind, pool.id, user.username, code)
        sms.shaped_by = shaped.shaped_by
        sms.client_id, sms.client_metadata = client_id, metadata  # for a custom sender
        sms_messages.send_text(ctx, pool.settings, sms)
        return phone_delivery(number)
    email = _verification_email(ctx, pool, client_id, user, code, kind)
    email = custom_message.email(
        ctx, pool, source, user, email, client_id=client_id, metadata=metadata
    )
    email.client_id, email.client_metadata = client_id, metadata  # for a custom sender
    deliver(ctx, pool.settings, email)
    return email_delivery(user.attributes["email"])


@local_only
def sign_up(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Create an UNCONFIRMED user and send the verification code: by SMS to a phone
    number the pool verifies, else by mail (a code or a link).

    The user is committed whether the mail goes out or not. AWS (SignUp): on
    LimitExceeded "the user is successfully created and is in an UNCONFIRMED state".
    Through Cognito's default sender, the user and the mail are stored in one transaction
    (one commit); through SES, the mail follows the user's commit, as SES may relay it.
    """
    now = ctx.clock.now().timestamp()
    client_id = params["ClientId"]
    if client_id not in _READ_FIRST:
        try:
            # Without a function to run, the app client and the pool are read in the
            # transaction that creates the user: one transaction, and the pool read once.
            with ctx.db.transaction() as tx:
                client = find_client(tx, client_id)
                if client is None:
                    raise client_not_found(client_id)
                ctx = dataclasses.replace(ctx, account_id=client.account, region=client.region)
                tx.lock(users_lock(client.pool_id))
                pool = load_pool(tx, ctx, client.pool_id)
                check_secret_hash(client, params["Username"], params.get("SecretHash"))
                leave_loop(pool)
                if invoke.configured(pool, "PreSignUp") is not None:
                    raise _AdmissionFirst
                admission = sign_up_triggers.Admission()
                created = _create(tx, ctx, client, pool, params, now, admission)
            return _created(ctx, client, pool, params, created)
        except _AdmissionFirst:
            _read_first(client_id)
        except LeaveLoop:
            _read_first(client_id)
            raise
    ctx, client, pool = public_client_pool(ctx, client_id)
    check_secret_hash(client, params["Username"], params.get("SecretHash"))
    admission, planned_sub = _admission(ctx, client, pool, params)
    with ctx.db.transaction(lock=users_lock(client.pool_id)) as tx:
        pool = load_pool(tx, ctx, client.pool_id)
        created = _create(tx, ctx, client, pool, params, now, admission, planned_sub)
    return _created(ctx, client, pool, params, created)


# App clients whose pool had a function to run at a sign-up: their next sign-ups read
# before they write, not opening a write transaction only to roll it back (twice: once on
# the event loop, once on the worker thread the function sends it to). A hint only: both
# ways give the same answer, so a pool that has since lost its functions is still right.
_READ_FIRST: dict[str, None] = {}
_READ_FIRST_MAX = 1024


def _read_first(client_id: str) -> None:
    if len(_READ_FIRST) >= _READ_FIRST_MAX:
        _READ_FIRST.clear()
    _READ_FIRST[client_id] = None


class _AdmissionFirst(Exception):
    """The pool's PreSignUp function decides first, outside any transaction."""


@dataclass(slots=True)
class _Created:
    """What SignUp's transaction stored, for the work that follows its commit."""

    admission: sign_up_triggers.Admission
    user: StoredUser
    session: str
    attribute: str | None  # the attribute a code went to
    code: str | None
    email: CognitoEmail | None  # the mail still to send, after the commit
    sent: DefaultSend | None  # or the default sender's, stored with the user
    refused: bool  # by the default sender's daily cap


def _create(
    tx: Transaction,
    ctx: RequestContext,
    client: ClientRecord,
    pool: StoredPool,
    params: dict[str, Any],
    now: float,
    admission: sign_up_triggers.Admission,
    planned_sub: str | None = None,
) -> _Created:
    """SignUp's writes in ``tx``, which holds the pool's users lock."""
    attributes, username, sub = _admissible(tx, pool, client, params, planned_sub)
    sign_up_triggers.apply_verification(admission, attributes)
    # "To create a user with no password, omit this parameter or submit a blank value"
    # [model SignUp Password]: allowed where passwordless sign-in is.
    password = params.get("Password")
    if password:
        risk_responses.check_new_password(ctx, tx, pool, client.id, username, "SIGN_UP", password)
    user = StoredUser(pool.id, username, sub, UNCONFIRMED, True, now, now, attributes)
    if password:
        set_password(user, pool, password, now, temporary=False)
    user.status = CONFIRMED if admission.confirm else UNCONFIRMED
    if admission.verify_email or admission.verify_phone:
        claim_aliases(tx, pool, user, now, force=False)
    session = user_auth.start_sign_up_session(user)
    # An auto-confirmed user gets no code (aws-amplify/amplify-js#5314).
    attribute = None if admission.confirm else _verified_attribute(pool, user)
    by_mail = attribute == "email"
    if by_mail and messages.uses_link(pool.settings):
        messages.require_domain(tx, pool.id)
    if not insert_user(tx, pool, user):
        raise AwsError("UsernameExistsException", "User already exists")
    created = _Created(admission, user, session, attribute, None, None, None, False)
    if attribute is not None:
        created.code = codes.issue(
            tx, ctx, pool.id, username, codes.SIGN_UP, {"attribute": attribute}
        )
    if by_mail and created.code is not None:
        email = _verification_email(ctx, pool, client.id, user, created.code, "cognito-sign-up")
        # A CustomMessage function shapes the mail after the commit, outside it.
        if by_default_sender(pool.settings) and not custom_message.configured(pool):
            tx.lock(default_sender_lock(ctx.account_id))
            config = pool.settings.get("EmailConfiguration") or {}
            created.sent = send_by_default(tx, ctx, config, email)
            created.refused = created.sent.raw is None
        else:
            created.email = email
    return created


def _created(
    ctx: RequestContext,
    client: ClientRecord,
    pool: StoredPool,
    params: dict[str, Any],
    created: _Created,
) -> dict[str, Any]:
    """SignUp's answer, once its transaction has committed: the mail or SMS sent, the
    risk event and an auto-confirmed user's PostConfirmation."""
    if created.refused:
        raise AwsError("LimitExceededException", DAILY_LIMIT_MESSAGE)
    if created.sent is not None:
        relay_default(ctx, pool.settings.get("EmailConfiguration") or {}, created.sent)
    user, attribute, code = created.user, created.attribute, created.code
    confirm = created.admission.confirm
    result: dict[str, Any] = {"UserConfirmed": confirm, "UserSub": user.sub}
    result["Session"] = created.session
    risk_events.record(ctx, pool, user, risk_events.SIGN_UP)
    metadata = client_metadata(params)
    email = created.email
    if email is not None:
        email = custom_message.email(
            ctx, pool, custom_message.SIGN_UP, user, email, client_id=client.id, metadata=metadata
        )
        email.client_id, email.client_metadata = client.id, metadata  # for a custom sender
        deliver(ctx, pool.settings, email)
    if attribute == "phone_number" and code is not None:
        result["CodeDeliveryDetails"] = _send_code(
            ctx, pool, client.id, user, attribute, code, "cognito-sign-up", metadata
        )
    elif attribute == "email":
        result["CodeDeliveryDetails"] = email_delivery(user.attributes["email"])
    if confirm:
        # AWS: SignUp's ClientMetadata goes to "pre sign-up, custom message, and post
        # confirmation" functions; an auto-confirmed user is confirmed here.
        sign_up_triggers.post_confirmation(
            ctx,
            pool,
            sign_up_triggers.CONFIRM_SIGN_UP,
            user,
            client_id=client.id,
            metadata=metadata,
        )
    return result


def _admission(
    ctx: RequestContext, client: ClientRecord, pool: StoredPool, params: dict[str, Any]
) -> tuple[sign_up_triggers.Admission, str | None]:
    """The PreSignUp function's decision (none without one) and the sub it was shown.

    The input is checked without writing, shown to the function outside any transaction,
    then checked again and stored by the caller: a refusal creates nothing. ``pool``: as
    read with the client, before the sign-up's transaction (which reads it again)."""
    leave_loop(pool)
    if invoke.configured(pool, "PreSignUp") is None:
        return sign_up_triggers.Admission(), None
    with ctx.db.transaction(readonly=True) as tx:
        attributes, username, sub = _admissible(tx, pool, client, params)
    admission = sign_up_triggers.pre_sign_up(
        ctx,
        pool,
        sign_up_triggers.SIGN_UP,
        username,
        attributes,
        client_id=client.id,
        validation=validation_data(params),
        metadata=client_metadata(params),
    )
    return admission, sub


def _admissible(
    tx: Transaction,
    pool: StoredPool,
    client: ClientRecord,
    params: dict[str, Any],
    sub: str | None = None,
) -> tuple[dict[str, str], str, str]:
    """SignUp's checks of its input, none of which writes: (attributes, username, sub)."""
    if (pool.settings.get("AdminCreateUserConfig") or {}).get("AllowAdminCreateUserOnly"):
        raise AwsError("NotAuthorizedException", "SignUp is not permitted for this user pool")
    given = params.get("UserAttributes") or []
    check_client_write(pool.settings, client.settings, [entry["Name"] for entry in given])
    attributes = check_attributes(pool, given)
    # Not found: what AWS does with a self-asserted email_verified; poolmail drops it,
    # since only a code (or an administrator, or a PreSignUp function) verifies an address.
    attributes.pop("email_verified", None)
    attributes.pop("phone_number_verified", None)
    username, sub = claim_username(
        tx, pool, params["Username"], attributes, "User already exists", sub
    )
    check_required(pool, attributes)
    password = params.get("Password")
    if password:
        check_password(policy_of(pool), password, SIGN_UP_PREFIX)
    else:
        sign_in_policy.require_passwordless(pool.settings)
    return attributes, username, sub


def confirm(
    ctx: RequestContext,
    client: ClientRecord,
    name: str,
    code: str,
    *,
    force_alias: bool,
    session: str | None = None,
    metadata: dict[str, str] | None = None,
) -> StoredUser:
    """ConfirmSignUp's work, shared with the confirmation link (which carries no secret);
    the confirmed user."""
    with ctx.db.transaction() as tx:
        pool = load_pool(tx, ctx, client.pool_id)
        user = find_user(tx, pool, name)
    if user is None:
        if hides_existence(client):
            # Not found: AWS's answer for a missing user here; a code mismatch tells nothing.
            raise AwsError("CodeMismatchException", codes.CODE_MISMATCH)
        raise AwsError("UserNotFoundException", CLIENT_USER_NOT_FOUND)
    leave_loop(pool)
    user_auth.check_sign_up_session(user, session)
    codes.count_attempt(ctx, pool.id, user.username, "confirm-sign-up")
    if not user.enabled:
        raise AwsError("NotAuthorizedException", USER_DISABLED)
    if user.status != UNCONFIRMED:
        raise AwsError(
            "NotAuthorizedException", f"User cannot be confirmed. Current status is {user.status}"
        )
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction(lock=users_lock(pool.id)) as tx:
        stored = codes.check(tx, ctx, pool.id, user.username, codes.SIGN_UP, code)
        current = require_user(tx, pool, user.username)
        # The code proves the attribute it went to (an address, or by SMS a number).
        attribute = str(stored.get("attribute", ""))
        if attribute in ("email", "phone_number") and current.attributes.get(attribute):
            current.attributes[f"{attribute}_verified"] = "true"
            claim_aliases(tx, pool, current, now, force=force_alias)
        current.status = CONFIRMED
        user_auth.end_sign_up_session(current)
        codes.discard(tx, pool.id, user.username, codes.SIGN_UP)
        save_user(tx, pool, current, now)
    # Confirmed first: a failing function's error reaches the client, the user stays
    # confirmed (facts section 3, PostConfirmation).
    sign_up_triggers.post_confirmation(
        ctx,
        pool,
        sign_up_triggers.CONFIRM_SIGN_UP,
        current,
        client_id=client.id,
        metadata=metadata,
    )
    return current


@local_only
def confirm_sign_up(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    ctx, client = public_client(ctx, params["ClientId"])
    check_secret_hash(client, params["Username"], params.get("SecretHash"))
    force = bool(params.get("ForceAliasCreation", False))
    code, session = params["ConfirmationCode"], params.get("Session")
    metadata = client_metadata(params)
    user = confirm(
        ctx, client, params["Username"], code, force_alias=force, session=session, metadata=metadata
    )
    # A Session to sign in with at once (USER_AUTH), whether or not one came in: Amplify's
    # auto sign-in reads it from every ConfirmSignUp answer.
    return {"Session": user_auth.sign_up_session(ctx, client, user)}


def resend_confirmation_code(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    ctx, client = public_client(ctx, params["ClientId"])
    check_secret_hash(client, params["Username"], params.get("SecretHash"))
    with ctx.db.transaction() as tx:
        pool = load_pool(tx, ctx, client.pool_id)
        user = find_user(tx, pool, params["Username"])
    if user is None or not user.enabled:
        # AWS with PreventUserExistenceErrors=ENABLED: "returns CodeDeliveryDetails for a
        # disabled user or a user that doesn't exist" (cognito-user-pool-managing-errors).
        if hides_existence(client):
            return {"CodeDeliveryDetails": simulated_delivery(params["Username"])}
        if user is None:
            raise AwsError("UserNotFoundException", CLIENT_USER_NOT_FOUND)
        raise AwsError("NotAuthorizedException", USER_DISABLED)
    if user.status == CONFIRMED:
        raise AwsError("InvalidParameterException", "User is already confirmed.")
    attribute = _verified_attribute(pool, user)
    if attribute is None:
        raise AwsError("InvalidParameterException", "Auto verification not turned on.")
    codes.count_attempt(ctx, pool.id, user.username, "resend-confirmation-code")
    with ctx.db.transaction() as tx:
        if attribute == "email" and messages.uses_link(pool.settings):
            messages.require_domain(tx, pool.id)
        data = {"attribute": attribute}
        code = codes.issue(tx, ctx, pool.id, user.username, codes.SIGN_UP, data)
    metadata = client_metadata(params)
    details = _send_code(
        ctx, pool, client.id, user, attribute, code, "cognito-resend-code", metadata
    )
    risk_events.record(ctx, pool, user, risk_events.RESEND_CODE)
    return {"CodeDeliveryDetails": details}


def admin_confirm_sign_up(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    # An administrator confirms the account, not the address: email_verified stays as it is.
    pool_id = params["UserPoolId"]
    with ctx.db.transaction(lock=users_lock(pool_id)) as tx:
        pool = load_pool(tx, ctx, pool_id)
        user = require_user(tx, pool, params["Username"])
        if user.status != UNCONFIRMED:
            raise AwsError(
                "NotAuthorizedException",
                f"User cannot be confirmed. Current status is {user.status}",
            )
        user.status = CONFIRMED
        codes.discard(tx, pool_id, user.username, codes.SIGN_UP)
        save_user(tx, pool, user, ctx.clock.now().timestamp())
    sign_up_triggers.post_confirmation(
        ctx,
        pool,
        sign_up_triggers.CONFIRM_SIGN_UP,
        user,
        client_id=None,
        metadata=client_metadata(params),
    )
    return {}


OPERATIONS: dict[str, Handler] = {
    "SignUp": sign_up,
    "ConfirmSignUp": confirm_sign_up,
    "ResendConfirmationCode": resend_confirmation_code,
    "AdminConfirmSignUp": admin_confirm_sign_up,
}
