"""DKIM settings of an identity: v1 `SetIdentityDkimEnabled`, v2
`PutEmailIdentityDkimAttributes` (signing on or off) and
`PutEmailIdentityDkimSigningAttributes` (Easy DKIM, its key length and rotation, or a key
brought by the user). Easy DKIM's start (`VerifyDomainDkim`, `CreateEmailIdentity`) and
the reads live in ``identities``; the DNS search for the records in ``dns``.
"""

from __future__ import annotations

from typing import Any

from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.protocol.errors import AwsError
from poolmail.ses.authentication import dkim_keys
from poolmail.ses.identities.coverage import IdentityRow, domain_of, effective_status
from poolmail.ses.identities.dns import DKIM_TARGET_ZONE
from poolmail.ses.identities.verification import (
    DOMAIN,
    dkim_status,
    easy_dkim_state,
    identity_lock,
    load,
    normalize_identity,
    update_data,
)
from poolmail.store import Transaction

V2_STATUS = {
    "Pending": "PENDING",
    "Success": "SUCCESS",
    "Failed": "FAILED",
    "TemporaryFailure": "TEMPORARY_FAILURE",
    "NotStarted": "NOT_STARTED",
}
# AWS quirk: "You can change the key length of your DKIM keys at most once per day"
# (SES API reference, DkimSigningAttributes.NextSigningKeyLength).
KEY_LENGTH_CHANGE_INTERVAL = 24 * 3600.0


def _now(ctx: RequestContext) -> float:
    return ctx.clock.now().timestamp()


def _not_verified(domain: str, code: str) -> AwsError:
    # AWS's text as a third-party emulator recorded it from SES v2 (facts 4, floci-io/floci#723).
    return AwsError(code, f"Domain {domain} is not verified for DKIM signing.", status=400)


def _set_signing(ctx: RequestContext, given: str, enabled: bool, code: str) -> None:
    """Turn DKIM signing on or off for a domain, or for one address (which then overrides
    its domain). Choice: turning it on needs the domain verified with DKIM set up (AWS's
    error above); turning it off is always allowed for a known identity."""
    name, kind = normalize_identity(given)
    domain = name if kind == DOMAIN else domain_of(name)
    now = _now(ctx)
    with ctx.db.transaction(lock=identity_lock(ctx.account_id, ctx.region, name)) as tx:
        row = load(tx, ctx.account_id, ctx.region, name)
        if row is None:
            raise _not_verified(domain, code)
        if enabled and not _domain_ready(tx, ctx, row, domain, now):
            raise _not_verified(domain, code)
        update_data(tx, ctx.account_id, ctx.region, name, {"DkimEnabled": enabled})


def _domain_ready(
    tx: Transaction, ctx: RequestContext, row: IdentityRow, domain: str, now: float
) -> bool:
    owner = row if row.kind == DOMAIN else load(tx, ctx.account_id, ctx.region, domain)
    if owner is None or not owner.data.get("DkimOrigin"):
        return False
    return effective_status(DOMAIN, owner.data, now) == "Success"


def set_identity_dkim_enabled(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    # Choice: v1 answers the v2 text as InvalidParameterValue; AWS's v1 wording was not found.
    _set_signing(ctx, params["Identity"], bool(params["DkimEnabled"]), "InvalidParameterValue")
    return {}


def put_email_identity_dkim_attributes(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    enabled = bool(params.get("SigningEnabled", False))
    _set_signing(ctx, params["EmailIdentity"], enabled, "BadRequestException")
    return {}


# --- signing attributes ----------------------------------------------------------------------


def external_key(attributes: dict[str, Any]) -> tuple[str, bytes, dict[str, Any]] | None:
    """For BYODKIM attributes (selector and key given): the selector, the checked key's
    PEM and the identity data to store; None for Easy DKIM."""
    selector = attributes.get("DomainSigningSelector")
    private_key = attributes.get("DomainSigningPrivateKey")
    if not (selector and private_key):
        return None
    pem, bits = dkim_keys.parse_external_key(private_key)
    data = {
        "DkimPublicKey": dkim_keys.public_key_base64(pem),
        "DkimExternalKeyBits": bits,
    }
    return selector, pem, data


def keep_external_key(
    tx: Transaction,
    account: str,
    region: str,
    domain: str,
    external: tuple[str, bytes, dict[str, Any]] | None,
    now: float,
) -> None:
    """Store the key of a domain created with BYODKIM attributes (see ``external_key``)."""
    if external is not None:
        dkim_keys.save(tx, account, region, domain, external[0], external[1], now)


def forget_key(tx: Transaction, account: str, region: str, identity: str) -> None:
    """A deleted identity's private key goes with it."""
    dkim_keys.delete(tx, account, region, identity)


def _external_state(selector: str, key_data: dict[str, Any], now: float) -> dict[str, Any]:
    return {
        **key_data,
        "DkimEnabled": True,
        "DkimOrigin": "EXTERNAL",
        "DkimSelector": selector,
        "DkimTokens": None,
        "DkimVerificationStatus": "Pending",
        "DkimStartedAt": now,
        "DkimVerifiedAt": None,
        "DkimKeyGeneratedAt": now,
    }


def _easy_changes(data: dict[str, Any], next_length: str | None, now: float) -> dict[str, Any]:
    """Back to (or first time on) Easy DKIM: new tokens and key; or, already on Easy DKIM,
    a new key length, which poolmail rotates to at once (SES does at its next rotation)."""
    if data.get("DkimOrigin") != "AWS_SES" or not data.get("DkimTokens"):
        state = easy_dkim_state(now, next_length or "RSA_2048_BIT")
        return {
            **state,
            "DkimSelector": None,
            "DkimPublicKey": None,
            "DkimExternalKeyBits": None,
            "DkimVerifiedAt": None,
        }
    current = str(data.get("DkimKeyLength", "RSA_2048_BIT"))
    if next_length is None or next_length == str(data.get("DkimNextKeyLength", current)):
        return {}
    changed_at = data.get("DkimKeyLengthChangedAt")
    if changed_at is not None and now - float(changed_at) < KEY_LENGTH_CHANGE_INTERVAL:
        # Choice: AWS's text for a second change within a day was not found.
        raise AwsError(
            "BadRequestException",
            "NextSigningKeyLength can be changed at most once per day.",
        )
    return {
        "DkimKeyLength": next_length,
        "DkimNextKeyLength": next_length,
        "DkimKeyLengthChangedAt": now,
        "DkimKeyGeneratedAt": now,
    }


def put_email_identity_dkim_signing_attributes(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    given = params["EmailIdentity"]
    name, kind = normalize_identity(given)
    origin = params["SigningAttributesOrigin"]
    attributes: dict[str, Any] = params.get("SigningAttributes") or {}
    if origin not in ("AWS_SES", "EXTERNAL"):
        # The AWS_SES_<region> origins replicate a key across Regions (Deterministic Easy
        # DKIM), which one local server has nothing to replicate from.
        raise AwsError(
            "BadRequestException",
            f"SigningAttributesOrigin {origin} is not supported for this identity.",
        )
    external = external_key(attributes) if origin == "EXTERNAL" else None
    if origin == "EXTERNAL" and external is None:
        raise AwsError(
            "BadRequestException",
            "DomainSigningSelector and DomainSigningPrivateKey are required with the "
            "EXTERNAL signing attributes origin.",
        )
    now = _now(ctx)
    with ctx.db.transaction(lock=identity_lock(ctx.account_id, ctx.region, name)) as tx:
        row = load(tx, ctx.account_id, ctx.region, name)
        if row is None:
            raise AwsError("NotFoundException", f"Email identity {given} does not exist.")
        if kind != DOMAIN:
            # Choice: AWS's text was not found; the model says these apply to domains.
            raise AwsError(
                "BadRequestException",
                f"DKIM signing attributes can only be set for a domain identity, not {given}.",
            )
        if external is not None:
            selector, pem, key_data = external
            changes = _external_state(selector, key_data, now)
            dkim_keys.save(tx, ctx.account_id, ctx.region, name, selector, pem, now)
        else:
            changes = _easy_changes(row.data, attributes.get("NextSigningKeyLength"), now)
            if changes.get("DkimTokens"):
                dkim_keys.delete(tx, ctx.account_id, ctx.region, name)
        data = update_data(tx, ctx.account_id, ctx.region, name, changes) or row.data
    result: dict[str, Any] = {"DkimStatus": V2_STATUS[dkim_status(data, now)]}
    if external is not None:
        # "If you configured DKIM ... by providing your own public-private key pair, then
        # this object contains the selector for the public key." [model DkimAttributes.Tokens]
        result["DkimTokens"] = [data["DkimSelector"]]
    else:
        result["DkimTokens"] = list(data.get("DkimTokens") or [])
        result["SigningHostedZone"] = DKIM_TARGET_ZONE
    return result


V1: dict[str, Handler] = {
    "SetIdentityDkimEnabled": set_identity_dkim_enabled,
}
V2: dict[str, Handler] = {
    "PutEmailIdentityDkimAttributes": put_email_identity_dkim_attributes,
    "PutEmailIdentityDkimSigningAttributes": put_email_identity_dkim_signing_attributes,
}
