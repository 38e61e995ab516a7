"""The words on the pages: field labels from the pool's sign-in settings, password
requirements from its policy, attribute inputs, and the challenge prompts. English only
(the `lang` parameter is accepted and ignored)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from poolmail.cognito.mfa.state import EMAIL_OTP, SMS_MFA, SOFTWARE_TOKEN_MFA
from poolmail.cognito.pools.user_pools import StoredPool
from poolmail.cognito.users.passwords import policy_of

# The labels of the standard attributes a sign-up or new-password form may ask for.
_ATTRIBUTE_LABELS = {
    "email": "Email",
    "phone_number": "Phone number",
    "name": "Name",
    "given_name": "Given name",
    "family_name": "Family name",
    "middle_name": "Middle name",
    "nickname": "Nickname",
    "preferred_username": "Preferred username",
    "birthdate": "Birthdate",
    "address": "Address",
    "gender": "Gender",
    "locale": "Locale",
    "picture": "Picture",
    "profile": "Profile",
    "website": "Website",
    "zoneinfo": "Zoneinfo",
    "updated_at": "Updated at",
}
_INPUT_TYPES = {"email": "email", "phone_number": "tel", "website": "url"}
FACTOR_LABELS = {
    SMS_MFA: "SMS message",
    SOFTWARE_TOKEN_MFA: "Authenticator app",
    EMAIL_OTP: "Email message",
}


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    label: str
    type: str
    value: str = ""


@dataclass(frozen=True, slots=True)
class Choice:
    value: str
    label: str


def name_label(pool: StoredPool) -> str:
    """What the user name field asks for: UsernameAttributes pools sign in by address."""
    names = pool.settings.get("UsernameAttributes") or []
    if names == ["email"]:
        return "Email"
    if names == ["phone_number"]:
        return "Phone number"
    if names:
        return "Email or phone number"
    return "Username"


def attribute_field(name: str, value: str = "") -> Field:
    label = _ATTRIBUTE_LABELS.get(name) or name.removeprefix("custom:")
    return Field(name, label, _INPUT_TYPES.get(name, "text"), value)


def required_attributes(pool: StoredPool, *, skip: tuple[str, ...] = ()) -> list[Field]:
    """The pool's required attributes as inputs, ``skip`` (the user name's) left out."""
    return [
        attribute_field(entry["Name"])
        for entry in pool.settings.get("SchemaAttributes") or []
        if entry.get("Required") and entry["Name"] != "sub" and entry["Name"] not in skip
    ]


def password_hints(pool: StoredPool) -> list[str]:
    policy: dict[str, Any] = policy_of(pool)
    hints = [f"At least {int(policy.get('MinimumLength', 8))} characters"]
    for member, text in (
        ("RequireUppercase", "An uppercase letter"),
        ("RequireLowercase", "A lowercase letter"),
        ("RequireNumbers", "A number"),
        ("RequireSymbols", "A special character"),
    ):
        if policy.get(member):
            hints.append(text)
    return hints


def factor_choices(encoded: str | None, offered: tuple[str, ...]) -> list[Choice]:
    """The factors of a challenge parameter (a JSON list, as AWS sends it) that a page
    can offer."""
    try:
        names = json.loads(encoded or "[]")
    except ValueError:
        names = []
    return [
        Choice(str(name), FACTOR_LABELS[str(name)])
        for name in names
        if str(name) in offered and str(name) in FACTOR_LABELS
    ]


def code_prompt(challenge: str, destination: str) -> tuple[str, str]:
    """(prompt, input label) of a code challenge."""
    if challenge == SMS_MFA:
        return (
            f"We have delivered the authentication code by SMS to {destination}. "
            "Please enter the code to complete authentication.",
            "Code",
        )
    if challenge == EMAIL_OTP:
        return (
            f"We have delivered the authentication code by email to {destination}. "
            "Please enter the code to complete authentication.",
            "Code",
        )
    return ("Enter the code from your authenticator app.", "Authentication code")
