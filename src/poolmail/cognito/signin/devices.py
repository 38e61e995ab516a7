"""Remembered devices in sign-in: the device key a sign-in starts tracking
(NewDeviceMetadata), and device authentication (DEVICE_SRP_AUTH, then
DEVICE_PASSWORD_VERIFIER), which lets a remembered device stand in for MFA.

Device tracking is on when the pool has a DeviceConfiguration ("When you provide a value
for any property of DeviceConfiguration, you activate the device remembering" [model]).
A device is stored as soon as a sign-in hands its key out, but exists for everything
else (lists, device sign-in) only once ConfirmDevice gave it its SRP verifier; until then
its `last_authenticated_at` is NULL. Device SRP is SRP-6a as for the password, with the
device key as the user name and the device group key as the pool name
(amazon-cognito-identity-js `getDeviceResponse`, amplify-js `handleDeviceSRPAuth`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import string
import uuid
from dataclasses import dataclass, field
from typing import Any

from poolmail.cognito.clients.clients import ClientRecord
from poolmail.cognito.pools.user_pools import StoredPool
from poolmail.cognito.signin import challenges, srp
from poolmail.cognito.signin.progress import Passed, Progress, Responder, open_step, progress_of
from poolmail.cognito.users.users import StoredUser, check_secret_hash, find_user
from poolmail.context import RequestContext
from poolmail.protocol.errors import AwsError
from poolmail.store import Row, Transaction

DEVICE_SRP_AUTH = "DEVICE_SRP_AUTH"
DEVICE_PASSWORD_VERIFIER = "DEVICE_PASSWORD_VERIFIER"
# AWS's text for a device key it does not know at sign-in: amplify-js retries the sign-in
# without the key on exactly this (retryOnResourceNotFoundException), as
# amazon-cognito-identity-js did on any ResourceNotFoundException naming a device.
DEVICE_NOT_FOUND = "Device does not exist."
# AWS's text for a wrong device signature, as users report it (phpout.com, "DEVICE_PASSWORD_
# VERIFIER challenge response in AWS Cognito using Node.js (Incorrect Username or Password)").
INCORRECT = "Incorrect username or password."
# A device handed out and never confirmed is dropped after a day: the access tokens that
# could confirm it live a day at most (AccessTokenValidity [model]).
UNCONFIRMED_LIFETIME = 86400.0

_COLUMNS = "pool_id, device_key, sub, created_at, modified_at, last_authenticated_at, data"
_GROUP_ALPHABET = string.ascii_letters + string.digits


@dataclass(slots=True)
class Device:
    pool_id: str
    key: str
    sub: str
    created: float
    modified: float
    # When the device last signed in; None until ConfirmDevice.
    last_authenticated: float | None
    # group_key, name, salt, verifier (hex), remembered (bool), pending (DEVICE_SRP_AUTH).
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def confirmed(self) -> bool:
        return self.last_authenticated is not None

    @property
    def remembered(self) -> bool:
        return self.confirmed and bool(self.data.get("remembered"))

    @property
    def group_key(self) -> str:
        return str(self.data["group_key"])


def device_of(row: Row) -> Device:
    pool_id, key, sub, created, modified, authenticated, data = row
    last = float(authenticated) if authenticated is not None else None
    return Device(pool_id, key, sub, float(created), float(modified), last, json.loads(data))


def find_device(tx: Transaction, pool_id: str, key: str) -> Device | None:
    row = tx.fetchone(
        f"SELECT {_COLUMNS} FROM cognito_devices WHERE pool_id = ? AND device_key = ?",
        (pool_id, key),
    )
    return device_of(row) if row is not None else None


def save_device(tx: Transaction, device: Device) -> None:
    tx.execute(
        "UPDATE cognito_devices SET modified_at = ?, last_authenticated_at = ?, data = ? "
        "WHERE pool_id = ? AND device_key = ?",
        (
            device.modified,
            device.last_authenticated,
            json.dumps(device.data),
            device.pool_id,
            device.key,
        ),
    )


def forget_user(tx: Transaction, pool_id: str, sub: str) -> None:
    """Drop every device of a deleted user."""
    tx.execute("DELETE FROM cognito_devices WHERE pool_id = ? AND sub = ?", (pool_id, sub))


def device_configuration(pool: StoredPool) -> dict[str, Any]:
    return dict(pool.settings.get("DeviceConfiguration") or {})


def tracking(pool: StoredPool) -> bool:
    return any(value is not None for value in device_configuration(pool).values())


def skips_mfa(pool: StoredPool) -> bool:
    """Whether a remembered device stands in for MFA: "When true, a remembered device can
    sign in with device authentication instead of SMS and time-based one-time password
    (TOTP) factors for multi-factor authentication" (DeviceConfigurationType
    ChallengeRequiredOnNewDevice [model])."""
    return bool(device_configuration(pool).get("ChallengeRequiredOnNewDevice"))


# ---- handing device keys out --------------------------------------------------------------


def _new_group_key() -> str:
    # AWS's look: a dash and eight letters or digits ("-v7w9UcY6", "-wt2ha1Zd" in the AWS
    # CLI examples). Not found: whether a user's devices share one; poolmail gives each
    # user one group key for all their devices, as the name suggests.
    return "-" + "".join(secrets.choice(_GROUP_ALPHABET) for _ in range(8))


def new_device_metadata(
    ctx: RequestContext,
    pool: StoredPool,
    client: ClientRecord,
    user: StoredUser,
    progress: Progress,
) -> dict[str, Any] | None:
    """NewDeviceMetadata for a sign-in that names no device, on a pool that tracks
    devices; for one that names a known device, the device's last sign-in moves on.

    AWS includes a device key "in the response to any sign-in that doesn't already include
    device information" (developer guide, amazon-cognito-user-pools-device-tracking.html),
    whatever the flow: the AWS SDK examples' own device demo (javav2 cognito SRPDemo) gets
    one from ADMIN_USER_PASSWORD_AUTH. The key goes into `progress.device_key`, so the
    sign-in's access token carries it as its `device_key` claim.
    """
    if not tracking(pool):
        progress.device_key = None
        return None
    now = ctx.clock.now().timestamp()
    if progress.device_key is not None:
        # `device_step` let only a confirmed device of this user through.
        with ctx.db.transaction() as tx:
            tx.execute(
                "UPDATE cognito_devices SET last_authenticated_at = ? "
                "WHERE pool_id = ? AND device_key = ? AND sub = ?",
                (now, pool.id, progress.device_key, user.sub),
            )
        return None
    key = f"{pool.id.split('_', 1)[0]}_{uuid.uuid4()}"
    with ctx.db.transaction() as tx:
        tx.execute(
            "DELETE FROM cognito_devices WHERE pool_id = ? AND sub = ? "
            "AND last_authenticated_at IS NULL AND created_at < ?",
            (pool.id, user.sub, now - UNCONFIRMED_LIFETIME),
        )
        row = tx.fetchone(
            "SELECT data FROM cognito_devices WHERE pool_id = ? AND sub = ? LIMIT 1",
            (pool.id, user.sub),
        )
        group_key = json.loads(row[0])["group_key"] if row is not None else _new_group_key()
        tx.execute(
            f"INSERT INTO cognito_devices ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, NULL, ?)",
            (pool.id, key, user.sub, now, now, json.dumps({"group_key": group_key})),
        )
    progress.device_key = key
    return {"DeviceKey": key, "DeviceGroupKey": group_key}


# ---- device authentication ----------------------------------------------------------------


def device_step(
    ctx: RequestContext,
    pool: StoredPool,
    client: ClientRecord,
    user: StoredUser,
    progress: Progress,
) -> dict[str, Any] | None:
    """DEVICE_SRP_AUTH when the sign-in names a remembered device of the user, else None.

    A key the pool does not know as this user's confirmed device is refused with
    ResourceNotFoundException, on which amplify-js signs in again without it. A tracked
    device that is not remembered has device authentication turned off ("To enable device
    authentication with the specified device, set to remembered. To disable, set to
    not_remembered." UpdateDeviceStatus [model]): the sign-in goes on without it.

    Order (not found in AWS's docs, read from the clients): a device that stands in for
    MFA is checked right after the first factor; otherwise MFA comes first and the device
    after it, as amplify-js and amazon-cognito-identity-js answer DEVICE_SRP_AUTH after
    an MFA code and expect tokens after DEVICE_PASSWORD_VERIFIER.
    """
    key = progress.device_key
    if key is None or progress.device_verified:
        return None
    if not tracking(pool):
        # A pool that tracks no devices knows none: the tokens carry no device key.
        progress.device_key = None
        return None
    with ctx.db.transaction(readonly=True) as tx:
        device = find_device(tx, pool.id, key)
    if device is None or device.sub != user.sub or not device.confirmed:
        raise AwsError("ResourceNotFoundException", DEVICE_NOT_FOUND)
    if not device.remembered:
        return None
    mfa_off = pool.settings.get("MfaConfiguration", "OFF") == "OFF"
    if not (skips_mfa(pool) or progress.mfa_done or mfa_off):
        # MFA first: proceed asks again once an MFA answer set `mfa_done`.
        return None
    session = open_step(ctx, client, progress, DEVICE_SRP_AUTH, {"device_key": key})
    with ctx.db.transaction() as tx:
        # Clients that answer DEVICE_SRP_AUTH without the Session (pycognito, AWS's own
        # javav2 DeviceAuthDemo, amazon-cognito-identity-js) are found through the device:
        # AWS accepts them. The Session only leads to the device's own SRP.
        fresh = find_device(tx, pool.id, key)
        if fresh is not None:
            fresh.data["pending"] = session
            save_device(tx, fresh)
    return {"ChallengeName": DEVICE_SRP_AUTH, "Session": session, "ChallengeParameters": {}}


def _parameter(values: dict[str, str], name: str) -> str:
    value = values.get(name)
    if not value:
        raise AwsError("InvalidParameterException", f"Missing required parameter {name}")
    return value


def _same_user(
    ctx: RequestContext, pool: StoredPool, pending: challenges.Pending, named: str
) -> StoredUser:
    """The sign-in's user, who must be the one the answer names (by any sign-in name)."""
    with ctx.db.transaction(readonly=True) as tx:
        user = find_user(tx, pool, pending.username)
        other = find_user(tx, pool, named)
    if user is None or other is None or other.username != user.username:
        raise AwsError("NotAuthorizedException", challenges.INVALID_SESSION)
    return user


def _device_srp_auth(
    ctx: RequestContext, pool: StoredPool, client: ClientRecord, params: dict[str, Any]
) -> dict[str, Any] | Passed:
    """The device's SRP_A in, the server's B, the device's salt and a secret block out."""
    answers: dict[str, str] = params.get("ChallengeResponses") or {}
    username = _parameter(answers, "USERNAME")
    key = _parameter(answers, "DEVICE_KEY")
    srp_a = _parameter(answers, "SRP_A")
    session = params.get("Session")
    if not session:
        with ctx.db.transaction(readonly=True) as tx:
            known = find_device(tx, pool.id, key)
        session = known.data.get("pending") if known is not None else None
    pending = challenges.find_challenge(ctx, client, session, DEVICE_SRP_AUTH)
    if pending.data.get("device_key") != key:
        raise AwsError("NotAuthorizedException", challenges.INVALID_SESSION)
    user = _same_user(ctx, pool, pending, username)
    check_secret_hash(client, username, answers.get("SECRET_HASH"))
    if srp.parse_a(srp_a) is None:
        raise AwsError("InvalidParameterException", "SRP_A is invalid.")
    challenges.close_challenge(ctx, pending)
    with ctx.db.transaction(readonly=True) as tx:
        device = find_device(tx, pool.id, key)
    if device is None or device.sub != user.sub or not device.remembered:
        # Forgotten or no longer remembered since the challenge was asked.
        raise AwsError("ResourceNotFoundException", DEVICE_NOT_FOUND)
    half = srp.server_half(device.data["verifier"])
    block = challenges.new_secret_block()
    data = {
        "A": srp_a,
        "b": f"{half.b:x}",
        "B": f"{half.big_b:x}",
        "device_key": key,
        "progress": progress_of(pending).to_data(),
    }
    # Keyed by the secret block, as PASSWORD_VERIFIER is: clients answer with it and may
    # send no Session (pycognito's process_device_challenge).
    challenges.open_challenge(ctx, client, block, user.username, DEVICE_PASSWORD_VERIFIER, data)
    return {
        "ChallengeName": DEVICE_PASSWORD_VERIFIER,
        "ChallengeParameters": {
            "DEVICE_KEY": key,
            "SALT": device.data["salt"],
            "SECRET_BLOCK": block,
            "SRP_B": f"{half.big_b:x}",
            "USERNAME": user.username,
        },
    }


def device_signature(
    key: bytes, group_key: str, device_key: str, secret_block: bytes, timestamp: str
) -> str:
    """PASSWORD_CLAIM_SIGNATURE of device SRP: the password one with the group key in the
    pool name's place and the device key in the user's."""
    message = group_key.encode() + device_key.encode() + secret_block + timestamp.encode()
    return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()


def _device_password_verifier(
    ctx: RequestContext, pool: StoredPool, client: ClientRecord, params: dict[str, Any]
) -> dict[str, Any] | Passed:
    answers: dict[str, str] = params.get("ChallengeResponses") or {}
    username = _parameter(answers, "USERNAME")
    key = _parameter(answers, "DEVICE_KEY")
    block = _parameter(answers, "PASSWORD_CLAIM_SECRET_BLOCK")
    claimed = _parameter(answers, "PASSWORD_CLAIM_SIGNATURE")
    timestamp = _parameter(answers, "TIMESTAMP")
    pending = challenges.find_challenge(ctx, client, block, DEVICE_PASSWORD_VERIFIER)
    # One attempt per secret block, as for the password.
    challenges.close_challenge(ctx, pending)
    user = _same_user(ctx, pool, pending, username)
    check_secret_hash(client, username, answers.get("SECRET_HASH"))
    canonical = srp.canonical_timestamp(timestamp)
    if canonical is None:
        raise AwsError("InvalidParameterException", srp.TIMESTAMP_FORMAT)
    with ctx.db.transaction(readonly=True) as tx:
        device = find_device(tx, pool.id, key)
    if device is None or device.sub != user.sub or pending.data["device_key"] != key:
        raise AwsError("NotAuthorizedException", INCORRECT)
    data = pending.data
    half = srp.ServerHalf(int(data["b"], 16), int(data["B"], 16))
    secret = srp.password_key(int(data["A"], 16), half, device.data["verifier"])
    try:
        block_bytes = base64.b64decode(block, validate=True)
    except (ValueError, binascii.Error):
        block_bytes = b""
    expected = device_signature(secret, device.group_key, key, block_bytes, canonical)
    if not hmac.compare_digest(expected.encode(), claimed.encode()):
        raise AwsError("NotAuthorizedException", INCORRECT)
    progress = progress_of(pending)
    progress.device_key = key
    progress.device_verified = True
    if skips_mfa(pool):
        # "Remembered devices can override MFA only in user pools with MFA active"
        # (device-tracking guide); where MFA is off there is nothing to skip anyway.
        progress.mfa_done = True
    return Passed(user, progress)


RESPONDERS: dict[str, Responder] = {
    DEVICE_SRP_AUTH: _device_srp_auth,
    DEVICE_PASSWORD_VERIFIER: _device_password_verifier,
}
