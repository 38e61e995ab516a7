"""Passwords: the pool's policy, hashing, temporary passwords, and the reset flows
(ForgotPassword, ConfirmForgotPassword, AdminResetUserPassword, AdminSetUserPassword).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string
from typing import Any

from poolmail.cognito.messaging.masking import simulated_delivery
from poolmail.cognito.pools.user_pools import StoredPool, load_pool
from poolmail.cognito.signin import srp
from poolmail.cognito.threats import risk_events, risk_responses
from poolmail.cognito.triggers import sign_up as sign_up_triggers
from poolmail.cognito.triggers import user_migration
from poolmail.cognito.triggers.events import client_metadata
from poolmail.cognito.users import codes, recovery
from poolmail.cognito.users.users import (
    CLIENT_USER_NOT_FOUND,
    CONFIRMED,
    FORCE_CHANGE_PASSWORD,
    RESET_REQUIRED,
    UNCONFIRMED,
    USER_DISABLED,
    StoredUser,
    check_secret_hash,
    find_user,
    hides_existence,
    public_client,
    require_user,
    save_user,
    users_lock,
)
from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.protocol.errors import AwsError

# AWS quirk: the policy error is worded differently per operation (each form seen in
# public error reports and client error tables):
# SignUp "Password did not conform with policy: ...", the admin operations "Password did
# not conform with password policy: ...", ConfirmForgotPassword (like ChangePassword)
# "Password does not conform to policy: ...".
SIGN_UP_PREFIX = "Password did not conform with policy: "
ADMIN_PREFIX = "Password did not conform with password policy: "
RESET_PREFIX = "Password does not conform to policy: "

# The special characters Cognito counts as symbols (user-pool-settings-policies.md).
SYMBOLS = "^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+-"

NO_RECOVERY = (
    # AWS documents the InvalidParameterException; the text is the one moto reproduces.
    "Cannot reset password for the user as there is no registered/verified email or phone_number"
)
CANNOT_RESET = "User password cannot be reset in the current state."
# A pool stored without a policy gets Cognito's default one.
DEFAULT_POLICY: dict[str, Any] = {
    "MinimumLength": 8,
    "RequireUppercase": True,
    "RequireLowercase": True,
    "RequireNumbers": True,
    "RequireSymbols": True,
    "TemporaryPasswordValidityDays": 7,
}
# scrypt, memory-hard: 16 MiB per hash (n=2**14, r=8), about 50 ms.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


def policy_of(pool: StoredPool) -> dict[str, Any]:
    policies = pool.settings.get("Policies") or {}
    return dict(policies.get("PasswordPolicy") or DEFAULT_POLICY)


def check_password(policy: dict[str, Any], password: str, prefix: str) -> None:
    """InvalidPasswordException naming the first requirement the password misses, in the
    order Cognito checks: length, uppercase, lowercase, numbers, symbols."""
    failures = (
        (len(password) < int(policy.get("MinimumLength", 8)), "Password not long enough"),
        (
            bool(policy.get("RequireUppercase")) and not any(c.isupper() for c in password),
            "Password must have uppercase characters",
        ),
        (
            bool(policy.get("RequireLowercase")) and not any(c.islower() for c in password),
            "Password must have lowercase characters",
        ),
        (
            bool(policy.get("RequireNumbers")) and not any(c in string.digits for c in password),
            "Password must have numeric characters",
        ),
        (
            bool(policy.get("RequireSymbols")) and not any(c in SYMBOLS for c in password),
            "Password must have symbol characters",
        ),
    )
    for failed, reason in failures:
        if failed:
            raise AwsError("InvalidPasswordException", prefix + reason)


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(stored: str | None, password: str) -> bool:
    if not stored:
        return False
    scheme, *fields = stored.split("$")
    if scheme == "scrypt":
        n, r, p, salt, expected = fields
        digest = hashlib.scrypt(
            password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32
        )
    else:  # pbkdf2_sha256, as users stored before scrypt have it
        rounds, salt, expected = fields
        digest = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), int(rounds))
    return hmac.compare_digest(digest.hex(), expected)


def temporary_validity_days(pool: StoredPool) -> int:
    """TemporaryPasswordValidityDays, or the legacy UnusedAccountValidityDays when only that
    was changed from its default (AWS: setting the first retires the second)."""
    days = int(policy_of(pool).get("TemporaryPasswordValidityDays") or 7)
    legacy = (pool.settings.get("AdminCreateUserConfig") or {}).get("UnusedAccountValidityDays")
    if days == 7 and legacy:
        return int(legacy)
    return days


def temporary_password(policy: dict[str, Any]) -> str:
    """A random password that satisfies ``policy``: one character of every class, then
    letters and digits up to the minimum length (at least 8), shuffled."""
    length = max(int(policy.get("MinimumLength", 8)), 8)
    chosen = [
        secrets.choice(string.ascii_uppercase),
        secrets.choice(string.ascii_lowercase),
        secrets.choice(string.digits),
        secrets.choice(SYMBOLS),
    ]
    alphabet = string.ascii_letters + string.digits
    chosen += [secrets.choice(alphabet) for _ in range(length - len(chosen))]
    secrets.SystemRandom().shuffle(chosen)
    return "".join(chosen)


def password_matches(user: StoredUser, password: str) -> bool:
    """Whether ``password`` is the user's: recompute its SRP verifier, the one form of the
    password poolmail keeps (users stored before that have a scrypt or pbkdf2 hash)."""
    stored = user.data.get("srp")
    if isinstance(stored, dict) and "verifier" in stored:
        candidate = srp.make_verifier(user.pool_id, user.username, password, stored["salt"])
        return hmac.compare_digest(candidate, str(stored["verifier"]))
    return verify_password(user.data.get("password"), password)


def set_password(
    user: StoredUser, pool: StoredPool, password: str, now: float, *, temporary: bool
) -> None:
    # Only the SRP verifier is kept: it is how Cognito itself stores passwords, lets
    # USER_SRP_AUTH sign in without the password ever being sent, and checks a password
    # given in the clear (USER_PASSWORD_AUTH) in one modular exponentiation — about an
    # eighth of the time a scrypt hash took on the sign-up path.
    user.data.pop("password", None)
    salt = srp.new_salt()
    user.data["srp"] = {
        "salt": salt,
        "verifier": srp.make_verifier(user.pool_id, user.username, password, salt),
    }
    if temporary:
        days = temporary_validity_days(pool)
        user.data["temporary_password_expires_at"] = now + days * 86400
        user.status = FORCE_CHANGE_PASSWORD
    else:
        user.data.pop("temporary_password_expires_at", None)
        user.status = CONFIRMED


def forgot_password(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    ctx, client = public_client(ctx, params["ClientId"])
    check_secret_hash(client, params["Username"], params.get("SecretHash"))
    hidden = hides_existence(client)
    with ctx.db.transaction() as tx:
        pool = load_pool(tx, ctx, client.pool_id)
        user = find_user(tx, pool, params["Username"])
    if user is None:
        user = user_migration.on_forgot_password(
            ctx, pool, client, params["Username"], params.get("ClientMetadata")
        )
    # AWS with PreventUserExistenceErrors=ENABLED: a missing or disabled user, or one
    # without a verified address, gets a simulated answer (cognito-user-pool-managing-errors).
    attribute = None if user is None else recovery.recovery_attribute(pool, user)
    if user is None or not user.enabled or attribute is None:
        if hidden:
            return {"CodeDeliveryDetails": simulated_delivery(params["Username"])}
        if user is None:
            raise AwsError("UserNotFoundException", CLIENT_USER_NOT_FOUND)
        if not user.enabled:
            raise AwsError("NotAuthorizedException", USER_DISABLED)
        raise AwsError("InvalidParameterException", NO_RECOVERY)
    if user.status == FORCE_CHANGE_PASSWORD:
        raise AwsError("NotAuthorizedException", CANNOT_RESET)
    codes.count_attempt(ctx, pool.id, user.username, "forgot-password")
    with ctx.db.transaction() as tx:
        code = codes.issue(tx, ctx, pool.id, user.username, codes.FORGOT_PASSWORD)
    kind = "cognito-forgot-password"
    metadata = client_metadata(params)
    details = recovery.send_reset_code(
        ctx, pool, user, attribute, code, kind, client_id=client.id, metadata=metadata
    )
    risk_events.record(ctx, pool, user, risk_events.FORGOT_PASSWORD)
    return {"CodeDeliveryDetails": details}


def confirm_forgot_password(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    ctx, client = public_client(ctx, params["ClientId"])
    check_secret_hash(client, params["Username"], params.get("SecretHash"))
    with ctx.db.transaction() as tx:
        pool = load_pool(tx, ctx, client.pool_id)
        user = find_user(tx, pool, params["Username"])
    if user is None or not user.enabled:
        if hides_existence(client):
            raise AwsError("CodeMismatchException", codes.CODE_MISMATCH)
        if user is None:
            raise AwsError("UserNotFoundException", CLIENT_USER_NOT_FOUND)
        raise AwsError("NotAuthorizedException", USER_DISABLED)
    codes.count_attempt(ctx, pool.id, user.username, "confirm-forgot-password")
    check_password(policy_of(pool), params["Password"], RESET_PREFIX)
    with ctx.db.transaction(lock=users_lock(pool.id)) as tx:
        codes.check(
            tx, ctx, pool.id, user.username, codes.FORGOT_PASSWORD, params["ConfirmationCode"]
        )
        codes.discard(tx, pool.id, user.username, codes.FORGOT_PASSWORD)
        current = require_user(tx, pool, user.username)
        risk_responses.check_new_password(
            ctx, tx, pool, client.id, user.username, "PASSWORD_CHANGE", params["Password"]
        )
        now = ctx.clock.now().timestamp()
        # The code reached the user's verified address: that confirms an unconfirmed user
        # too, and ends RESET_REQUIRED.
        set_password(current, pool, params["Password"], now, temporary=False)
        save_user(tx, pool, current, now)
    # The new password is stored first; a failing function's error still reaches the
    # client (facts section 4: "reset, then trigger").
    sign_up_triggers.post_confirmation(
        ctx,
        pool,
        sign_up_triggers.CONFIRM_FORGOT_PASSWORD,
        current,
        client_id=client.id,
        metadata=client_metadata(params),
    )
    return {}


def admin_reset_user_password(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """RESET_REQUIRED, and a code to the user's verified email or phone number when the
    pool verifies that attribute (recovery.recovery_attribute); otherwise the status
    changes alone, as API_AdminResetUserPassword describes.
    """
    pool_id = params["UserPoolId"]
    now = ctx.clock.now().timestamp()
    code = None
    with ctx.db.transaction(lock=users_lock(pool_id)) as tx:
        pool = load_pool(tx, ctx, pool_id)
        user = require_user(tx, pool, params["Username"])
        if user.status in (UNCONFIRMED, FORCE_CHANGE_PASSWORD):
            raise AwsError("NotAuthorizedException", CANNOT_RESET)
        user.status = RESET_REQUIRED
        save_user(tx, pool, user, now)
        attribute = recovery.recovery_attribute(pool, user, auto_verified_only=True)
        if attribute is not None:
            code = codes.issue(tx, ctx, pool_id, user.username, codes.FORGOT_PASSWORD)
    if code is not None and attribute is not None:
        kind = "cognito-admin-reset-password"
        metadata = client_metadata(params)
        recovery.send_reset_code(ctx, pool, user, attribute, code, kind, metadata=metadata)
    return {}


def admin_set_user_password(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    pool_id = params["UserPoolId"]
    with ctx.db.transaction(lock=users_lock(pool_id)) as tx:
        pool = load_pool(tx, ctx, pool_id)
        user = require_user(tx, pool, params["Username"])
        check_password(policy_of(pool), params["Password"], ADMIN_PREFIX)
        now = ctx.clock.now().timestamp()
        temporary = not params.get("Permanent", False)
        set_password(user, pool, params["Password"], now, temporary=temporary)
        codes.discard(tx, pool_id, user.username, codes.FORGOT_PASSWORD)
        save_user(tx, pool, user, now)
    return {}


OPERATIONS: dict[str, Handler] = {
    "ForgotPassword": forgot_password,
    "ConfirmForgotPassword": confirm_forgot_password,
    "AdminResetUserPassword": admin_reset_user_password,
    "AdminSetUserPassword": admin_set_user_password,
}
