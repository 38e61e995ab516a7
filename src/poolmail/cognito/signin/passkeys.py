"""Passkeys (issue 13, point 7): StartWebAuthnRegistration, CompleteWebAuthnRegistration,
ListWebAuthnCredentials, DeleteWebAuthnCredential, and the WEB_AUTHN sign-in challenge.

A user's passkeys are rows of `cognito_webauthn_credentials` keyed by pool and credential
ID (base64url); a registration in progress waits in the user's data, with the app client
of the access token that started it.
"""

from __future__ import annotations

import json
from typing import Any

from poolmail.cognito.clients.clients import ClientRecord
from poolmail.cognito.mfa.rules import mfa_mode
from poolmail.cognito.pools import sign_in_policy, tiers
from poolmail.cognito.pools.user_pools import StoredPool
from poolmail.cognito.signin import challenges, sessions, webauthn
from poolmail.cognito.signin.progress import (
    WEB_AUTHN,
    Passed,
    Progress,
    open_step,
    progress_of,
)
from poolmail.cognito.users.users import StoredUser, require_user, save_user, users_lock
from poolmail.context import RequestContext
from poolmail.operations import Handler, local_only
from poolmail.paging import keyset_page
from poolmail.protocol.errors import AwsError
from poolmail.store import Transaction

# Not found: AWS's texts for these errors; each says what is wrong.
NOT_ENABLED = "WebAuthn is not enabled for the user pool: AllowedFirstAuthFactors lacks WEB_AUTHN."
TOO_MANY = f"A user can register at most {webauthn.MAX_PASSKEYS} passkeys."
CLIENT_MISMATCH = "The access token is for a different app client than the registration's."
ALREADY_REGISTERED = "The passkey is already registered."
NO_SUCH_CREDENTIAL = "The passkey credential does not exist."
# What a refused passkey sign-in answers: RespondToAuthChallenge models no WebAuthn
# errors, and a failed first factor is a NotAuthorizedException like a wrong password.
SIGN_IN_REFUSED = "Passkey authentication failed: {reason}"
# Choice, not found: the names AWS generates ("Roaming passkey" for a cross-platform
# authenticator, cli-ex list-web-authn-credentials.rst); the others follow its pattern.
_FRIENDLY_NAMES = {"cross-platform": "Roaming passkey", "platform": "Platform passkey"}
_PENDING = "webauthn_registration"
_MULTI_FACTOR = "MULTI_FACTOR_WITH_USER_VERIFICATION"


def _require_enabled(pool: StoredPool) -> None:
    # Passkeys are "available in all feature plans except for Lite" (authentication-flow-
    # methods.html); a LITE pool cannot list WEB_AUTHN (tiers.check_plan), so one check
    # answers both.
    allowed = WEB_AUTHN in sign_in_policy.allowed_first_factors(pool.settings)
    if not allowed or not tiers.allows(pool.settings, tiers.ESSENTIALS):
        raise AwsError("WebAuthnNotEnabledException", NOT_ENABLED)


# ---- stored passkeys --------------------------------------------------------------------


def user_credentials(tx: Transaction, pool_id: str, sub: str) -> list[dict[str, Any]]:
    """The user's passkeys, oldest first: each row's data with its id and creation time."""
    rows = tx.fetchall(
        "SELECT credential_id, created_at, data FROM cognito_webauthn_credentials "
        "WHERE pool_id = ? AND sub = ? ORDER BY created_at, credential_id",
        (pool_id, sub),
    )
    return [{**json.loads(data), "id": str(cid), "created": float(at)} for cid, at, data in rows]


def usable_credentials(tx: Transaction, pool: StoredPool, user: StoredUser) -> list[str]:
    """IDs of the passkeys a sign-in can use now: those of the pool's current relying party
    (a passkey is bound to the RP ID it was made for)."""
    try:
        rp_id = webauthn.relying_party_id(tx, pool)
    except AwsError:
        return []
    return [
        entry["id"] for entry in user_credentials(tx, pool.id, user.sub) if entry["rp_id"] == rp_id
    ]


def forget_user(tx: Transaction, pool_id: str, sub: str) -> None:
    tx.execute(
        "DELETE FROM cognito_webauthn_credentials WHERE pool_id = ? AND sub = ?", (pool_id, sub)
    )


def _described(entry: dict[str, Any]) -> dict[str, Any]:
    described = {
        "CredentialId": entry["id"],
        "FriendlyCredentialName": entry["friendly_name"],
        "RelyingPartyId": entry["rp_id"],
        "AuthenticatorTransports": entry.get("transports") or [],
        "CreatedAt": entry["created"],
    }
    if entry.get("attachment"):
        described["AuthenticatorAttachment"] = entry["attachment"]
    return described


# ---- operations -------------------------------------------------------------------------


def start_web_authn_registration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    caller = sessions.authorize(ctx, params["AccessToken"])
    pool = caller.pool
    _require_enabled(pool)
    challenge = webauthn.new_challenge()
    with caller.ctx.db.transaction(lock=users_lock(pool.id)) as tx:
        rp_id = webauthn.relying_party_id(tx, pool)
        user = require_user(tx, pool, caller.user.username)
        existing = user_credentials(tx, pool.id, user.sub)
        if len(existing) >= webauthn.MAX_PASSKEYS:
            raise AwsError("LimitExceededException", TOO_MANY)
        now = ctx.clock.now().timestamp()
        user.data[_PENDING] = {
            "challenge": challenge,
            "rp_id": rp_id,
            "client_id": caller.claims.get("client_id"),
            "expires_at": now + webauthn.REGISTRATION_LIFETIME,
        }
        save_user(tx, pool, user, now)
    options = webauthn.creation_options(
        rp_id,
        user.sub,
        user.username,
        challenge,
        [entry["id"] for entry in existing],
        webauthn.user_verification(pool),
    )
    return {"CredentialCreationOptions": options}


def complete_web_authn_registration(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    caller = sessions.authorize(ctx, params["AccessToken"])
    pool = caller.pool
    _require_enabled(pool)
    pending = caller.user.data.get(_PENDING)
    now = ctx.clock.now().timestamp()
    if not pending or float(pending["expires_at"]) <= now:
        raise AwsError("WebAuthnChallengeNotFoundException", webauthn.CHALLENGE_NOT_FOUND)
    if pending.get("client_id") != caller.claims.get("client_id"):
        raise AwsError("WebAuthnClientMismatchException", CLIENT_MISMATCH)
    credential = params["Credential"]
    if isinstance(credential, str):
        # A client that sends the JSON as a string rather than a document.
        try:
            credential = json.loads(credential)
        except ValueError:
            credential = None
    if not isinstance(credential, dict):
        raise AwsError(
            "InvalidParameterException", webauthn.MALFORMED.format(reason="not a JSON object")
        )
    registered = webauthn.verify_registration(
        credential, pending["challenge"], pending["rp_id"], webauthn.user_verification(pool)
    )
    data = {
        "rp_id": pending["rp_id"],
        "public_key": registered.public_key,
        "sign_count": registered.sign_count,
        "aaguid": registered.aaguid,
        "transports": registered.transports,
        "attachment": registered.attachment,
        "friendly_name": _FRIENDLY_NAMES.get(registered.attachment or "", "Passkey"),
        "user_verified": registered.user_verified,
        "backed_up": registered.backed_up,
    }
    with caller.ctx.db.transaction(lock=users_lock(pool.id)) as tx:
        user = require_user(tx, pool, caller.user.username)
        if (user.data.get(_PENDING) or {}).get("challenge") != pending["challenge"]:
            # Another Start or Complete came in between: this challenge is gone.
            raise AwsError("WebAuthnChallengeNotFoundException", webauthn.CHALLENGE_NOT_FOUND)
        if len(user_credentials(tx, pool.id, user.sub)) >= webauthn.MAX_PASSKEYS:
            raise AwsError("LimitExceededException", TOO_MANY)
        inserted = tx.execute(
            "INSERT INTO cognito_webauthn_credentials (pool_id, credential_id, sub, created_at, "
            "data) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (pool.id, registered.credential_id, user.sub, now, json.dumps(data)),
        )
        if inserted == 0:
            raise AwsError("InvalidParameterException", ALREADY_REGISTERED)
        user.data.pop(_PENDING, None)
        save_user(tx, pool, user, now)
    return {}


@local_only
def list_web_authn_credentials(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    caller = sessions.authorize(ctx, params["AccessToken"])
    # Choice: MaxResults 0 (the model's minimum) or none lists a full page of 20, the most
    # a user can have.
    limit = params.get("MaxResults") or webauthn.MAX_PASSKEYS
    with caller.ctx.db.transaction(readonly=True) as tx:
        rows, token = keyset_page(
            tx,
            "SELECT credential_id, created_at, data FROM cognito_webauthn_credentials "
            "WHERE pool_id = ? AND sub = ?",
            [caller.pool.id, caller.user.sub],
            key="credential_id",
            token=params.get("NextToken"),
            token_error="InvalidParameterException",
            limit=limit,
        )
    entries = [{**json.loads(data), "id": str(cid), "created": float(at)} for cid, at, data in rows]
    result: dict[str, Any] = {"Credentials": [_described(entry) for entry in entries]}
    if token:
        result["NextToken"] = token
    return result


def delete_web_authn_credential(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    caller = sessions.authorize(ctx, params["AccessToken"])
    with caller.ctx.db.transaction() as tx:
        deleted = tx.execute(
            "DELETE FROM cognito_webauthn_credentials "
            "WHERE pool_id = ? AND sub = ? AND credential_id = ?",
            (caller.pool.id, caller.user.sub, params["CredentialId"]),
        )
    if deleted == 0:
        raise AwsError("ResourceNotFoundException", NO_SUCH_CREDENTIAL)
    return {}


# ---- the WEB_AUTHN sign-in challenge ------------------------------------------------------


def open_web_authn(
    ctx: RequestContext,
    pool: StoredPool,
    client: ClientRecord,
    user: StoredUser,
    progress: Progress,
) -> dict[str, Any]:
    """The WEB_AUTHN challenge: request options naming the user's passkeys."""
    challenge = webauthn.new_challenge()
    with ctx.db.transaction(readonly=True) as tx:
        rp_id = webauthn.relying_party_id(tx, pool)
        allow = usable_credentials(tx, pool, user)
    verification = webauthn.user_verification(pool)
    data = {"challenge": challenge, "rp_id": rp_id}
    session = open_step(ctx, client, progress, WEB_AUTHN, data)
    return {
        "ChallengeName": WEB_AUTHN,
        "Session": session,
        "ChallengeParameters": {
            "CREDENTIAL_REQUEST_OPTIONS": webauthn.request_options(
                rp_id, challenge, allow, verification
            )
        },
    }


def _satisfies_mfa(pool: StoredPool, user: StoredUser, user_verified: bool) -> bool:
    """A passkey with user verification counts as MFA when the pool's FactorConfiguration is
    MULTI_FACTOR_WITH_USER_VERIFICATION and the user turned passkey MFA on [model
    WebAuthnConfigurationType.FactorConfiguration, WebAuthnMfaSettingsType.Enabled]."""
    factor = (pool.settings.get("WebAuthnConfiguration") or {}).get("FactorConfiguration")
    passkey_mfa = bool((user.data.get("mfa") or {}).get("webauthn"))
    return factor == _MULTI_FACTOR and passkey_mfa and user_verified


def web_authn_allowed_with_mfa(pool: StoredPool, user: StoredUser) -> bool:
    """With MFA required, "passkey sign-in is available" only to users with passkey MFA on
    in a MULTI_FACTOR_WITH_USER_VERIFICATION pool [model WebAuthnMfaSettingsType.Enabled]."""
    return mfa_mode(pool.settings) != "ON" or _satisfies_mfa(pool, user, True)


def finish_web_authn(
    ctx: RequestContext,
    pool: StoredPool,
    user: StoredUser,
    pending: challenges.Pending,
    answers: dict[str, str],
) -> Passed:
    """Verify the CREDENTIAL answering ``user``'s open WEB_AUTHN challenge (closed by the
    caller: one assertion per challenge); the sign-in passes."""
    try:
        credential = json.loads(answers.get("CREDENTIAL") or "")
        if not isinstance(credential, dict):
            raise webauthn.AssertionRefused("CREDENTIAL is not a JSON object")
        credential_id = webauthn.credential_id_of(credential)
        with ctx.db.transaction(readonly=True) as tx:
            stored = {entry["id"]: entry for entry in user_credentials(tx, pool.id, user.sub)}
        entry = stored.get(credential_id)
        if entry is None or entry["rp_id"] != pending.data["rp_id"]:
            raise webauthn.AssertionRefused("the passkey is not registered for the user")
        count, verified = webauthn.verify_assertion(
            credential,
            pending.data["challenge"],
            pending.data["rp_id"],
            entry["public_key"],
            int(entry.get("sign_count", 0)),
            webauthn.user_verification(pool),
        )
    except (ValueError, webauthn.AssertionRefused) as exc:
        raise AwsError("NotAuthorizedException", SIGN_IN_REFUSED.format(reason=exc)) from None
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction() as tx:
        data = {key: value for key, value in entry.items() if key not in ("id", "created")}
        data.update(sign_count=count, last_used_at=now)
        tx.execute(
            "UPDATE cognito_webauthn_credentials SET data = ? "
            "WHERE pool_id = ? AND credential_id = ?",
            (json.dumps(data), pool.id, credential_id),
        )
    progress = progress_of(pending)
    progress.device_key = progress.device_key or answers.get("DEVICE_KEY") or None
    progress.mfa_done = progress.mfa_done or _satisfies_mfa(pool, user, verified)
    return Passed(user, progress)


OPERATIONS: dict[str, Handler] = {
    "StartWebAuthnRegistration": start_web_authn_registration,
    "CompleteWebAuthnRegistration": complete_web_authn_registration,
    "ListWebAuthnCredentials": list_web_authn_credentials,
    "DeleteWebAuthnCredential": delete_web_authn_credential,
}
