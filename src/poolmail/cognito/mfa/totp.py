"""Authenticator apps (TOTP): AssociateSoftwareToken and VerifySoftwareToken, with an
access token (a signed-in user adding an app) or with the Session of an MFA_SETUP challenge
(a user who must set up MFA before the sign-in completes).

Codes are RFC 6238 (SHA-1, six digits, 30-second steps) checked with pyotp; "Amazon
Cognito accepts TOTP tokens that are within 30 seconds before or after the attempt"
(user-pool-settings-mfa-totp.html), so the steps either side of now count too.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import hmac
import unicodedata
from typing import Any

import pyotp

from poolmail.cognito.clients.clients import client_not_found, find_client
from poolmail.cognito.mfa.rules import totp_mfa_on
from poolmail.cognito.mfa.state import mfa_state
from poolmail.cognito.pools.user_pools import StoredPool, load_pool, not_found
from poolmail.cognito.signin import challenges, sessions
from poolmail.cognito.signin.progress import open_step, progress_of
from poolmail.cognito.users.users import require_user, save_user, users_lock
from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.protocol.errors import AwsError

MFA_SETUP = "MFA_SETUP"

# AWS's texts: the pool without TOTP (archived developer guide, TOTP page), a wrong first
# code (aws-samples/aws-amplify-auth-starters#15), verifying before associating
# (aws-amplify/amplify-js#1812).
POOL_TOTP_OFF = "Software Token MFA has not been enabled by the userPool"
CODE_MISMATCH = "Code mismatch and fail enable Software Token MFA"
NOT_ASSOCIATED = "User has not set up software token mfa"

# Choice: 32 base32 characters (160 bits, RFC 4226's recommended key length); the real
# length is not documented and clients only need base32 for their otpauth:// URI.
SECRET_LENGTH = 32


def code_matches(secret: str, code: str, now: float) -> bool:
    """Whether ``code`` is the TOTP of ``secret`` at ``now`` or one step either side.

    What pyotp's ``TOTP(secret).verify(code, for_time=int(now), valid_window=1)`` answers
    (its NFKC folding of the code, its length limit, its checks of the secret), with the
    secret decoded once rather than once per step: a third of an MFA answer's Python."""
    if not 0 <= now < _TIMESTAMP_LIMIT:
        raise ValueError("for_time must be at or after the Unix epoch and before year 10000 UTC")
    if len(code) > _MAX_CODE_LENGTH:
        return False
    given = unicodedata.normalize("NFKC", code).encode()
    key = _key_of(secret)
    step = int(now) // STEP_SECONDS
    return any(
        hmac.compare_digest(given, _code_at(key, counter)) for counter in (step - 1, step, step + 1)
    )


# pyotp's defaults: 30-second steps, six digits, SHA-1; secrets of at least 112 bits; codes
# compared only up to 1,024 characters (CVE-2026-3276).
STEP_SECONDS = 30
_DIGITS = 6
_MIN_SECRET_BITS = 112
_MAX_CODE_LENGTH = 1024
_TIMESTAMP_LIMIT = 253402300800  # 10000-01-01T00:00:00Z


@functools.lru_cache(maxsize=1024)
def _key_of(secret: str) -> bytes:
    padded = secret + "=" * (-len(secret) % 8)
    key = base64.b32decode(padded, casefold=True)
    if len(key) * 8 < _MIN_SECRET_BITS:
        raise ValueError(f"Secrets must be at least {_MIN_SECRET_BITS} bits after decoding")
    return key


def _code_at(key: bytes, counter: int) -> bytes:
    """RFC 4226's HOTP value of ``counter``, as six ASCII digits."""
    if counter < 0:
        raise ValueError("input must be positive integer")
    digest = hmac.digest(key, counter.to_bytes(8, "big"), "sha1")
    offset = digest[-1] & 0x0F
    number = int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF
    return b"%06d" % (number % 10**_DIGITS)


def _setup_scope(ctx: RequestContext, session: str) -> tuple[RequestContext, StoredPool, Any]:
    """The pool (in its account and region) and challenge of an MFA_SETUP Session."""
    located = challenges.locate_challenge(ctx, session, MFA_SETUP)
    with ctx.db.transaction(readonly=True) as tx:
        row = tx.fetchone("SELECT account, region FROM user_pools WHERE id = ?", (located.pool_id,))
        if row is None:
            raise not_found(located.pool_id)
        scoped = dataclasses.replace(ctx, account_id=str(row[0]), region=str(row[1]))
        pool = load_pool(tx, scoped, located.pool_id)
    return scoped, pool, located


def _one_of(params: dict[str, Any]) -> None:
    if bool(params.get("AccessToken")) == bool(params.get("Session")):
        # Not found: AWS's text; "takes an access token or a session string, but not both" [model].
        raise AwsError(
            "InvalidParameterException", "Either AccessToken or Session must be provided."
        )


def associate_software_token(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _one_of(params)
    secret = pyotp.random_base32(SECRET_LENGTH)
    if params.get("AccessToken"):
        caller = sessions.authorize(ctx, params["AccessToken"])
        if not totp_mfa_on(caller.pool.settings):
            raise AwsError("SoftwareTokenMFANotFoundException", POOL_TOTP_OFF)
        with caller.ctx.db.transaction(lock=users_lock(caller.pool.id)) as tx:
            user = require_user(tx, caller.pool, caller.user.username)
            mfa_state(user)["totp_pending"] = secret
            save_user(tx, caller.pool, user, ctx.clock.now().timestamp())
        # With an access token AWS returns no Session (amazon-cognito-identity-js#627).
        return {"SecretCode": secret}
    scoped, pool, located = _setup_scope(ctx, params["Session"])
    if not totp_mfa_on(pool.settings):
        raise AwsError("SoftwareTokenMFANotFoundException", POOL_TOTP_OFF)
    with scoped.db.transaction(readonly=True) as tx:
        client = find_client(tx, located.client_id)
    if client is None:
        raise client_not_found(located.client_id)
    # The association lives in the sign-in, not on the user, until it is verified.
    challenges.close_challenge(scoped, located.pending)
    progress = progress_of(located.pending)
    session = open_step(scoped, client, progress, MFA_SETUP, {"totp_pending": secret})
    return {"SecretCode": secret, "Session": session}


def verify_software_token(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _one_of(params)
    code: str = params["UserCode"]
    name = params.get("FriendlyDeviceName")
    now = ctx.clock.now().timestamp()
    if params.get("AccessToken"):
        caller = sessions.authorize(ctx, params["AccessToken"])
        with caller.ctx.db.transaction(lock=users_lock(caller.pool.id)) as tx:
            user = require_user(tx, caller.pool, caller.user.username)
            state = mfa_state(user)
            pending = state.get("totp_pending")
            if not pending:
                raise AwsError("InvalidParameterException", NOT_ASSOCIATED)
            if not code_matches(pending, code, now):
                raise AwsError("EnableSoftwareTokenMFAException", CODE_MISMATCH)
            # Verified, not yet preferred: SetUserMFAPreference turns it on
            # (user-pool-settings-mfa-totp.html).
            state["totp"] = {"secret": pending, "name": name, "verified_at": now}
            state.pop("totp_pending")
            save_user(tx, caller.pool, user, now)
        return {"Status": "SUCCESS"}
    scoped, pool, located = _setup_scope(ctx, params["Session"])
    pending = located.pending.data.get("totp_pending")
    if not pending:
        raise AwsError("InvalidParameterException", NOT_ASSOCIATED)
    if not code_matches(str(pending), code, now):
        raise AwsError("EnableSoftwareTokenMFAException", CODE_MISMATCH)
    with scoped.db.transaction(lock=users_lock(pool.id)) as tx:
        user = require_user(tx, pool, located.pending.username)
        mfa_state(user)["totp"] = {"secret": pending, "name": name, "verified_at": now}
        save_user(tx, pool, user, now)
        client = find_client(tx, located.client_id)
    if client is None:
        raise client_not_found(located.client_id)
    challenges.close_challenge(scoped, located.pending)
    # "This session ID satisfies an MFA_SETUP challenge" [model].
    progress = progress_of(located.pending)
    session = open_step(scoped, client, progress, MFA_SETUP, {"totp_verified": True})
    return {"Status": "SUCCESS", "Session": session}


OPERATIONS: dict[str, Handler] = {
    "AssociateSoftwareToken": associate_software_token,
    "VerifySoftwareToken": verify_software_token,
}
