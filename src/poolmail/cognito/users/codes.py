"""One-time codes (sign-up, forgot password, attribute verification) and per-user limits.

A user holds at most one code per purpose: issuing a new one replaces the old, as a
resent Cognito code does. Every time comes from the request clock, so tests move it.
"""

from __future__ import annotations

import secrets
from typing import Any

from poolmail.context import RequestContext
from poolmail.protocol import fast_json
from poolmail.protocol.errors import AwsError
from poolmail.store import Transaction

HOUR = 3600.0
DAY = 24 * HOUR

# Purposes, each with how long its code is valid (limits.md: sign-up confirmation code and
# attribute verification code 24 hours, forgot-password code 1 hour).
SIGN_UP = "sign-up"
FORGOT_PASSWORD = "forgot-password"
VERIFY_EMAIL = "verify-email"
VERIFY_PHONE = "verify-phone"
VALIDITY = {SIGN_UP: DAY, FORGOT_PASSWORD: HOUR, VERIFY_EMAIL: DAY, VERIFY_PHONE: DAY}

# Per-user attempts per rolling hour (limits.md, AWS_FACTS §5): ResendConfirmationCode 5,
# ConfirmSignUp 15; ConfirmForgotPassword is documented as "5-20", poolmail takes 10.
# ForgotPassword has no published number; 5 matches the other code-sending operations.
ATTEMPT_LIMITS = {
    "resend-confirmation-code": 5,
    "confirm-sign-up": 15,
    "confirm-forgot-password": 10,
    "forgot-password": 5,
}

# AWS's texts (CodeMismatch and Expired: cognito-user-pool-managing-errors.md and many
# client error tables; attempts: aws-amplify/amplify-js#8013).
CODE_MISMATCH = "Invalid verification code provided, please try again."
CODE_EXPIRED = "Invalid code provided, please request a code again."
ATTEMPTS_EXCEEDED = "Attempt limit exceeded, please try after some time."


def new_code() -> str:
    """Six random digits, as Cognito mails them."""
    return f"{secrets.randbelow(1_000_000):06d}"


def issue(
    tx: Transaction,
    ctx: RequestContext,
    pool_id: str,
    username: str,
    purpose: str,
    data: dict[str, Any] | None = None,
) -> str:
    """A fresh code for ``purpose``; any earlier one of the same purpose stops working."""
    code = new_code()
    now = ctx.clock.now().timestamp()
    document = fast_json.dumps(data or {}).decode()
    # One statement replaces the earlier code: two requests issuing codes for one user at
    # once (on two replicas, say) must not collide on the key.
    tx.execute(
        "INSERT INTO user_codes (pool_id, username, purpose, code, created_at, expires_at, "
        "data) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (pool_id, username, purpose) DO UPDATE "
        "SET code = excluded.code, created_at = excluded.created_at, "
        "expires_at = excluded.expires_at, data = excluded.data",
        (pool_id, username, purpose, code, now, now + VALIDITY[purpose], document),
    )
    return code


def check(
    tx: Transaction,
    ctx: RequestContext,
    pool_id: str,
    username: str,
    purpose: str,
    code: str,
) -> dict[str, Any]:
    """The data stored with a matching, unexpired code; AWS's error otherwise.

    A user with no code at all gets ExpiredCodeException: AWS answers so when
    ConfirmForgotPassword comes without a ForgotPassword first
    (cognito-user-pool-managing-errors.md).
    """
    row = tx.fetchone(
        "SELECT code, expires_at, data FROM user_codes "
        "WHERE pool_id = ? AND username = ? AND purpose = ?",
        (pool_id, username, purpose),
    )
    if row is None:
        raise AwsError("ExpiredCodeException", CODE_EXPIRED)
    if not secrets.compare_digest(str(row[0]), code):
        raise AwsError("CodeMismatchException", CODE_MISMATCH)
    if float(row[1]) <= ctx.clock.now().timestamp():
        raise AwsError("ExpiredCodeException", CODE_EXPIRED)
    stored: dict[str, Any] = fast_json.loads(row[2])
    return stored


def discard(tx: Transaction, pool_id: str, username: str, purpose: str | None = None) -> None:
    if purpose is None:
        tx.execute("DELETE FROM user_codes WHERE pool_id = ? AND username = ?", (pool_id, username))
        return
    tx.execute(
        "DELETE FROM user_codes WHERE pool_id = ? AND username = ? AND purpose = ?",
        (pool_id, username, purpose),
    )


def count_attempt(ctx: RequestContext, pool_id: str, username: str, action: str) -> None:
    """Record one attempt of ``action``; LimitExceededException past the hourly limit.

    Runs in a transaction of its own, so a failed confirmation still counts, and under a
    per-user lock, so replicas sharing PostgreSQL count exactly.
    """
    limit = ATTEMPT_LIMITS[action]
    now = ctx.clock.now().timestamp()
    lock = f"poolmail:cognito-attempts:{pool_id}:{username}"
    with ctx.db.transaction(lock=lock) as tx:
        row = tx.fetchone(
            "SELECT COUNT(*) FROM user_attempts "
            "WHERE pool_id = ? AND username = ? AND action = ? AND at > ?",
            (pool_id, username, action, now - HOUR),
        )
        if row is not None and int(row[0]) >= limit:
            raise AwsError("LimitExceededException", ATTEMPTS_EXCEEDED)
        tx.execute(
            "INSERT INTO user_attempts (pool_id, username, action, at) VALUES (?, ?, ?, ?)",
            (pool_id, username, action, now),
        )


def forget_user(tx: Transaction, pool_id: str, username: str) -> None:
    """Drop a deleted user's codes and attempts."""
    discard(tx, pool_id, username)
    tx.execute("DELETE FROM user_attempts WHERE pool_id = ? AND username = ?", (pool_id, username))
