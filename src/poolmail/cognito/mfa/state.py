"""A user's MFA record: the factors turned on, the preferred one, the authenticator app.

Kept in ``user.data["mfa"]``: ``enabled`` (the factors turned on, as UserMFASettingList
names them), ``preferred``, ``totp`` (the verified authenticator app: secret and friendly
name), ``totp_pending`` (a secret associated but not yet verified), ``webauthn`` (passkeys
as a second factor), ``legacy_sms`` (set through MFAOptions) and ``set`` (a preference was
ever set: AWS omits UserMFASettingList and PreferredMfaSetting until then
[obs aws/aws-sdk-java-v2#4869]).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from poolmail.cognito.users.users import StoredUser

SMS_MFA = "SMS_MFA"
SOFTWARE_TOKEN_MFA = "SOFTWARE_TOKEN_MFA"
EMAIL_OTP = "EMAIL_OTP"
# The order AWS lists factors in UserMFASettingList and MFAS_CAN_CHOOSE.
FACTORS = (SMS_MFA, SOFTWARE_TOKEN_MFA, EMAIL_OTP)


def mfa_state(user: StoredUser) -> dict[str, Any]:
    """The user's MFA record, created empty on first use."""
    state: dict[str, Any] = user.data.setdefault("mfa", {})
    state.setdefault("enabled", [])
    return state


def mfa_settings(user: StoredUser) -> tuple[list[str], str | None]:
    """(the factors the user has turned on, in AWS's order; the preferred one)."""
    state = user.data.get("mfa") or {}
    enabled = set(state.get("enabled") or [])
    return [factor for factor in FACTORS if factor in enabled], state.get("preferred")


def has_totp(user: StoredUser) -> bool:
    return bool((user.data.get("mfa") or {}).get("totp"))


def user_mfa_members(user: StoredUser) -> dict[str, Any]:
    """The MFA members of GetUser and AdminGetUser."""
    state = user.data.get("mfa") or {}
    enabled, preferred = mfa_settings(user)
    members: dict[str, Any] = {}
    if SMS_MFA in enabled or state.get("legacy_sms"):
        # MFAOptions is the deprecated SMS-only view [model].
        members["MFAOptions"] = [{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}]
    if state.get("set") or enabled:
        members["UserMFASettingList"] = enabled
        if preferred:
            members["PreferredMfaSetting"] = preferred
    return members


def enable_factor(user: StoredUser, factor: str, *, prefer: bool) -> None:
    """Turn ``factor`` on for the user (an MFA set up during sign-in)."""
    state = mfa_state(user)
    if factor not in state["enabled"]:
        state["enabled"] = [f for f in FACTORS if f in {*state["enabled"], factor}]
    if prefer:
        state["preferred"] = factor
    state["set"] = True
