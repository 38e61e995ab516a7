"""Where a password-reset code goes: the user's verified email or phone number, in the
order the pool's AccountRecoverySetting gives, and the sending (mail or SMS).
"""

from __future__ import annotations

from typing import Any

from poolmail.cognito.messaging import messages, sms_messages
from poolmail.cognito.messaging.delivery import deliver
from poolmail.cognito.messaging.masking import email_delivery, phone_delivery
from poolmail.cognito.mfa.state import EMAIL_OTP, SMS_MFA, mfa_settings
from poolmail.cognito.pools.user_pools import StoredPool
from poolmail.cognito.triggers import custom_message
from poolmail.cognito.users.users import StoredUser
from poolmail.context import RequestContext
from poolmail.sms.outbox import Sms

EMAIL = "verified_email"
PHONE = "verified_phone_number"
# "In the absence of this setting, Amazon Cognito uses the legacy behavior to determine
# the recovery method where SMS is preferred over email." [model AccountRecoverySetting]
LEGACY_ORDER = (PHONE, EMAIL)
_ATTRIBUTE = {EMAIL: "email", PHONE: "phone_number"}


def _order(settings: dict[str, Any]) -> tuple[list[str], bool]:
    """(the recovery mechanisms by priority, whether the pool names them itself)."""
    setting = settings.get("AccountRecoverySetting") or {}
    mechanisms = setting.get("RecoveryMechanisms") or []
    if not mechanisms:
        return list(LEGACY_ORDER), False
    ranked = sorted(mechanisms, key=lambda entry: int(entry.get("Priority", 0)))
    return [str(entry.get("Name")) for entry in ranked], True


def _verified(user: StoredUser, attribute: str) -> bool:
    return (
        bool(user.attributes.get(attribute))
        and user.attributes.get(f"{attribute}_verified") == "true"
    )


def recovery_attribute(
    pool: StoredPool, user: StoredUser, *, auto_verified_only: bool = False
) -> str | None:
    """`email` or `phone_number`: where the user's reset code goes; None when nowhere.

    "With this setting, SMS doesn't qualify for a valid password recovery mechanism if
    the user also has SMS multi-factor authentication (MFA) activated. Email MFA is also
    disqualifying for account recovery with email." [model AccountRecoverySetting] — with
    the setting, so the legacy order ignores MFA. `admin_only` names no destination.
    ``auto_verified_only``: AdminResetUserPassword sends only through an attribute the
    pool verifies ("if the user pool has phone verification selected and a verified phone
    number exists for the user, or if email verification is selected and a verified email
    exists", API_AdminResetUserPassword).
    """
    order, configured = _order(pool.settings)
    enabled = mfa_settings(user)[0] if configured else []
    auto = pool.settings.get("AutoVerifiedAttributes") or []
    for mechanism in order:
        attribute = _ATTRIBUTE.get(mechanism)
        if attribute is None or not _verified(user, attribute):
            continue
        if auto_verified_only and attribute not in auto:
            continue
        if (SMS_MFA if attribute == "phone_number" else EMAIL_OTP) in enabled:
            continue
        return attribute
    return None


def send_reset_code(
    ctx: RequestContext,
    pool: StoredPool,
    user: StoredUser,
    attribute: str,
    code: str,
    kind: str,
    *,
    client_id: str | None = None,
    metadata: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Send a reset code to the user's ``attribute``; its CodeDeliveryDetails.

    Forgot-password messages use the verification template, code style even in
    link-style pools: the user types the code into ConfirmForgotPassword. A CustomMessage
    function rewrites them (CustomMessage_ForgotPassword, for AdminResetUserPassword too).
    """
    source = custom_message.FORGOT_PASSWORD
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
    address = user.attributes["email"]
    email = messages.code_email(pool.settings, address, kind, pool.id, user.username, code)
    email = custom_message.email(
        ctx, pool, source, user, email, client_id=client_id, metadata=metadata
    )
    email.client_id, email.client_metadata = client_id, metadata  # for a custom sender
    deliver(ctx, pool.settings, email)
    return email_delivery(address)
