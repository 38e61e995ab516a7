"""CodeDeliveryDetails: where a code went, masked as Cognito shows it to the caller."""

from __future__ import annotations

from typing import Any

# AWS quirk: Cognito keeps the first character of the local part and of the domain and
# hides the rest, top-level domain included: `v***@g***` for victimsemail@gmail.com (real
# UpdateUserAttributes output quoted in a public security write-up, and the AWS CLI example
# of get-user-attribute-verification-code: `a***@e***`). Older CLI examples show
# `j***@e***.com`; the current form drops the TLD, so poolmail does too.
MASK = "***"


def mask_email(address: str) -> str:
    local, _, domain = address.rpartition("@")
    if not local:
        return address[:1] + MASK
    return f"{local[:1]}{MASK}@{domain[:1]}{MASK}"


def mask_phone(number: str) -> str:
    # AWS shows a phone number as `+********1234`: the plus, stars, the last four digits.
    visible = number[-4:]
    return "+" + "*" * max(len(number) - 5, 0) + visible


def email_delivery(address: str) -> dict[str, Any]:
    return {"Destination": mask_email(address), "DeliveryMedium": "EMAIL", "AttributeName": "email"}


def phone_delivery(number: str) -> dict[str, Any]:
    return {
        "Destination": mask_phone(number),
        "DeliveryMedium": "SMS",
        "AttributeName": "phone_number",
    }


def simulated_delivery(username: str) -> dict[str, Any]:
    """What PreventUserExistenceErrors=ENABLED answers for a user that does not exist.

    AWS: "The simulated delivery medium is determined by the input user name format and
    verification settings of the user pool" (cognito-user-pool-managing-errors.md). The
    exact fake destination is not documented: an email-shaped name masks as itself, a
    phone-shaped one as a phone, any other name as an address built from its first letter,
    so nothing in the answer tells a real user from a missing one.
    """
    if "@" in username:
        return email_delivery(username)
    if username.startswith("+") and username[1:].isdigit():
        return phone_delivery(username)
    first = username[:1] or "u"
    return email_delivery(f"{first}@{first}")
