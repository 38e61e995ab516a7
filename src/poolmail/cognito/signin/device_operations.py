"""The device operations: ConfirmDevice, which turns a device key a sign-in handed out
into a tracked device with its SRP verifier, and Get/List/Forget/UpdateDeviceStatus with
their admin variants.

The user operations authorise with the user's access token; the admin ones name the user.
A device key that is not one of the user's confirmed devices does not exist for them.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from poolmail.cognito.pools.user_pools import StoredPool, load_pool
from poolmail.cognito.signin import devices, sessions, srp
from poolmail.cognito.signin.devices import DEVICE_NOT_FOUND, Device, find_device, save_device
from poolmail.cognito.users.users import StoredUser, require_user
from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.paging import keyset_page
from poolmail.protocol.errors import AwsError

# AWS's text for ConfirmDevice with a key it cannot confirm (boto/boto3#4059,
# aws-amplify/amplify-js#2087).
INVALID_KEY = "Invalid device key given."
# Not found: AWS's texts for a device confirmed twice and for a missing or malformed
# verifier. AWS reads PasswordVerifier and Salt as Java BigIntegers and refuses negative
# ones (a repost.aws question quotes a "value passed for salt and Password verifier"
# error for raw random bytes); clients pad them with a zero byte (padHex) so they never are.
ALREADY_CONFIRMED = "Device key already exists."
BAD_VERIFIER = "Invalid device secret verifier config: Salt and PasswordVerifier are required."
NEGATIVE_VERIFIER = "Negative value passed for salt and password verifier."
REMEMBERED = "remembered"
NOT_REMEMBERED = "not_remembered"
# Not found: ListDevices' default page; amplify-js asks for 60, the most the model allows.
DEFAULT_LIMIT = 60


def _positive(text: str | None) -> int:
    if not text:
        raise AwsError("InvalidParameterException", BAD_VERIFIER)
    try:
        raw = base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error):
        raise AwsError("InvalidParameterException", BAD_VERIFIER) from None
    if raw and raw[0] & 0x80:
        raise AwsError("InvalidParameterException", NEGATIVE_VERIFIER)
    value = int.from_bytes(raw, "big")
    if value == 0:
        raise AwsError("InvalidParameterException", BAD_VERIFIER)
    return value


def _user_device(device: Device | None, user: StoredUser) -> Device:
    if device is None or device.sub != user.sub or not device.confirmed:
        raise AwsError("ResourceNotFoundException", DEVICE_NOT_FOUND)
    return device


def device_type(
    ctx: RequestContext, pool: StoredPool, user: StoredUser, device: Device, *, full: bool = True
) -> dict[str, Any]:
    """A device as DeviceType. The attributes are those of the AWS CLI examples
    (get-device.rst, admin-list-devices.rst), in their order; list-devices.rst shows a
    user's own listing without the `dev:` ones. `last_ip_used` is left out: poolmail
    does not keep the caller's address."""
    owner = f"{user.username}.{pool.id}"
    region = pool.id.split("_", 1)[0]
    attributes = [("device_status", "valid")]
    if device.data.get("name"):
        attributes.append(("device_name", str(device.data["name"])))
    if full:
        arn = f"arn:aws:cognito-idp:{region}:{ctx.account_id}:owner/{owner}/device/{device.key}"
        status = REMEMBERED if device.remembered else NOT_REMEMBERED
        attributes += [
            ("dev:device_arn", arn),
            ("dev:device_owner", owner),
            ("dev:device_remembered_status", status),
            ("dev:device_sdk", "aws-sdk"),
        ]
    last = device.last_authenticated or device.created
    return {
        "DeviceKey": device.key,
        "DeviceAttributes": [{"Name": name, "Value": value} for name, value in attributes],
        "DeviceCreateDate": device.created,
        "DeviceLastModifiedDate": device.modified,
        # Whole seconds, as in the AWS CLI examples (1715100742.0 beside .022 dates).
        "DeviceLastAuthenticatedDate": float(int(last)),
    }


def _access_token(params: dict[str, Any]) -> str:
    # GetDevice and ForgetDevice mark AccessToken optional [model], yet only the signed-in
    # user can call them. Not found: AWS's answer without one.
    token = params.get("AccessToken")
    if not token:
        raise AwsError("InvalidParameterException", "Missing required parameter AccessToken")
    return str(token)


def _admin_user(ctx: RequestContext, params: dict[str, Any]) -> tuple[StoredPool, StoredUser]:
    with ctx.db.transaction(readonly=True) as tx:
        pool = load_pool(tx, ctx, params["UserPoolId"])
        user = require_user(tx, pool, params["Username"])
    return pool, user


# ---- ConfirmDevice ------------------------------------------------------------------------


def confirm_device(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Store the device's verifier: the device is tracked, and remembered at once unless
    the pool remembers devices only on the user's say (then UserConfirmationNecessary,
    and UpdateDeviceStatus decides; DeviceConfigurationType [model]).

    Any access token of the device's user will do: an integration test of
    cognito-srp-helper against AWS confirms a device with an earlier sign-in's token.
    """
    caller = sessions.authorize(ctx, params["AccessToken"])
    pool, user = caller.pool, caller.user
    config = params.get("DeviceSecretVerifierConfig") or {}
    on_prompt = bool(devices.device_configuration(pool).get("DeviceOnlyRememberedOnUserPrompt"))
    now = ctx.clock.now().timestamp()
    with caller.ctx.db.transaction() as tx:
        device = find_device(tx, pool.id, params["DeviceKey"])
        if device is None or device.sub != user.sub or not devices.tracking(pool):
            raise AwsError("InvalidParameterException", INVALID_KEY)
        if device.confirmed:
            raise AwsError("DeviceKeyExistsException", ALREADY_CONFIRMED)
        verifier = _positive(config.get("PasswordVerifier"))
        salt = _positive(config.get("Salt"))
        device.data.update(
            verifier=f"{verifier:x}", salt=srp.pad_hex(salt), remembered=not on_prompt
        )
        if params.get("DeviceName"):
            device.data["name"] = params["DeviceName"]
        # Its last sign-in is the one that handed its key out.
        device.last_authenticated = device.created
        device.modified = now
        save_device(tx, device)
    return {"UserConfirmationNecessary": on_prompt}


# ---- reading, updating and forgetting -------------------------------------------------------


def _get(ctx: RequestContext, pool: StoredPool, user: StoredUser, key: str) -> dict[str, Any]:
    with ctx.db.transaction(readonly=True) as tx:
        device = _user_device(find_device(tx, pool.id, key), user)
    return {"Device": device_type(ctx, pool, user, device)}


def get_device(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    caller = sessions.authorize(ctx, _access_token(params))
    return _get(caller.ctx, caller.pool, caller.user, params["DeviceKey"])


def admin_get_device(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    pool, user = _admin_user(ctx, params)
    return _get(ctx, pool, user, params["DeviceKey"])


def _list(
    ctx: RequestContext,
    pool: StoredPool,
    user: StoredUser,
    params: dict[str, Any],
    *,
    full: bool,
) -> dict[str, Any]:
    with ctx.db.transaction(readonly=True) as tx:
        rows, token = keyset_page(
            tx,
            "SELECT device_key, created_at, pool_id, sub, modified_at, last_authenticated_at, "
            "data FROM cognito_devices WHERE pool_id = ? AND sub = ? "
            "AND last_authenticated_at IS NOT NULL",
            [pool.id, user.sub],
            key="device_key",
            token=params.get("PaginationToken"),
            token_error="InvalidParameterException",
            limit=params.get("Limit") or DEFAULT_LIMIT,
        )
    found = [
        devices.device_of((pool_id, key, sub, created, modified, last, data))
        for key, created, pool_id, sub, modified, last, data in rows
    ]
    result: dict[str, Any] = {
        "Devices": [device_type(ctx, pool, user, device, full=full) for device in found]
    }
    if token:
        result["PaginationToken"] = token
    return result


def list_devices(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    caller = sessions.authorize(ctx, params["AccessToken"])
    return _list(caller.ctx, caller.pool, caller.user, params, full=False)


def admin_list_devices(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    pool, user = _admin_user(ctx, params)
    return _list(ctx, pool, user, params, full=True)


def _forget(ctx: RequestContext, pool: StoredPool, user: StoredUser, key: str) -> dict[str, Any]:
    with ctx.db.transaction() as tx:
        _user_device(find_device(tx, pool.id, key), user)
        tx.execute(
            "DELETE FROM cognito_devices WHERE pool_id = ? AND device_key = ?", (pool.id, key)
        )
    return {}


def forget_device(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    caller = sessions.authorize(ctx, _access_token(params))
    return _forget(caller.ctx, caller.pool, caller.user, params["DeviceKey"])


def admin_forget_device(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    pool, user = _admin_user(ctx, params)
    return _forget(ctx, pool, user, params["DeviceKey"])


def _update_status(
    ctx: RequestContext, pool: StoredPool, user: StoredUser, params: dict[str, Any]
) -> dict[str, Any]:
    status = params.get("DeviceRememberedStatus")
    if status is None:
        # Optional in the model; not found: what AWS does without it.
        raise AwsError(
            "InvalidParameterException", "Missing required parameter DeviceRememberedStatus"
        )
    with ctx.db.transaction() as tx:
        device = _user_device(find_device(tx, pool.id, params["DeviceKey"]), user)
        device.data["remembered"] = status == REMEMBERED
        device.modified = ctx.clock.now().timestamp()
        save_device(tx, device)
    return {}


def update_device_status(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    caller = sessions.authorize(ctx, params["AccessToken"])
    return _update_status(caller.ctx, caller.pool, caller.user, params)


def admin_update_device_status(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    pool, user = _admin_user(ctx, params)
    return _update_status(ctx, pool, user, params)


OPERATIONS: dict[str, Handler] = {
    "ConfirmDevice": confirm_device,
    "GetDevice": get_device,
    "ListDevices": list_devices,
    "ForgetDevice": forget_device,
    "UpdateDeviceStatus": update_device_status,
    "AdminGetDevice": admin_get_device,
    "AdminListDevices": admin_list_devices,
    "AdminForgetDevice": admin_forget_device,
    "AdminUpdateDeviceStatus": admin_update_device_status,
}
