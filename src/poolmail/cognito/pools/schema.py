"""A pool's attribute schema: the standard attributes every pool has, the custom ones a
request adds (CreateUserPool's Schema, AddCustomAttributes), AWS's rules for both, and
the checks of attribute values against them.
"""

from __future__ import annotations

import re
from typing import Any

from poolmail.protocol.errors import AwsError

_TEXT = {"MinLength": "0", "MaxLength": "2048"}

# Name -> (type, mutable, required, constraints). Mirrors the SchemaAttributes AWS returns
# for a pool created with no Schema: every OpenID Connect standard claim.
STANDARD_ATTRIBUTES: dict[str, tuple[str, bool, bool, dict[str, str] | None]] = {
    "sub": ("String", False, True, {"MinLength": "1", "MaxLength": "2048"}),
    "name": ("String", True, False, _TEXT),
    "given_name": ("String", True, False, _TEXT),
    "family_name": ("String", True, False, _TEXT),
    "middle_name": ("String", True, False, _TEXT),
    "nickname": ("String", True, False, _TEXT),
    "preferred_username": ("String", True, False, _TEXT),
    "profile": ("String", True, False, _TEXT),
    "picture": ("String", True, False, _TEXT),
    "website": ("String", True, False, _TEXT),
    "email": ("String", True, False, _TEXT),
    "email_verified": ("Boolean", True, False, None),
    "gender": ("String", True, False, _TEXT),
    "birthdate": ("String", True, False, {"MinLength": "10", "MaxLength": "10"}),
    "zoneinfo": ("String", True, False, _TEXT),
    "locale": ("String", True, False, _TEXT),
    "phone_number": ("String", True, False, _TEXT),
    "phone_number_verified": ("Boolean", True, False, None),
    "address": ("String", True, False, _TEXT),
    "updated_at": ("Number", True, False, None),
    "identities": ("String", True, False, {}),
}

# AWS quirk: email_verified and phone_number_verified are built in, not configurable; a
# Schema entry with either name makes a custom attribute (Cognito team in aws/aws-cdk#14175;
# phone_number_verified then fails the model's 20-character name limit).
_BUILT_IN = ("email_verified", "phone_number_verified")

# "Custom attributes per user pool: 50", not adjustable (cognito limits.html).
MAX_CUSTOM_ATTRIBUTES = 50
MAX_STRING_LENGTH = 2048
# A whole number as constraints and Number values spell it: ASCII digits, an optional
# minus, no `_` or spaces (which Python's int() would take), and no more than fits 64 bits.
_WHOLE = re.compile(r"-?[0-9]{1,18}")

# --- AWS's texts, in one place so they are easy to correct -------------------------------
# Seen in AWS's answers: boto/boto3#2317, hashicorp/terraform-provider-aws#18430.
REQUIRED_CUSTOM = "Required custom attributes are not supported currently."
# Seen in AWS's answers: aws/aws-cdk#8585, aws-amplify/amplify-cli#9960.
MISSING_DATA_TYPE = (
    "Invalid AttributeDataType input, consider using the provided AttributeDataType enum."
)
# Seen in AWS's answers: the attribute list of each error is joined line by line, each line
# ending in a newline (aws-amplify/amplify-flutter#509 for SignUp, #1531 for updates).
CONFORM_PREFIX = "Attributes did not conform to the schema: "
NOT_IN_SCHEMA = "{name}: Attribute does not exist in the schema.\n"
CANNOT_UPDATE = "{name}: Attribute cannot be updated.\n"


def existing_name(given: str, name: str) -> str:
    # Seen in AWS's answer to AddCustomAttributes (jmaleonard/
    # serverless-cognito-add-custom-attributes#3: `custom:custom:name: Existing attribute
    # already has name custom:custom:name.`).
    return f"{given}: Existing attribute already has name {name}."


# Not found in AWS's own public answers; the texts moto ships as AWS's (getmoto/moto#4493,
# whose author checked the validation against AWS).
def invalid_constraint(member: str, name: str) -> str:
    return f"Invalid {member} for schema attribute {name}"


def string_too_long(name: str) -> str:
    return f"user.{name}: String attributes cannot have a length of more than 2048"


def max_length_below_min(name: str) -> str:
    return f"user.{name}: Max length cannot be less than min length."


def max_value_below_min(name: str) -> str:
    return f"user.{name}: Max value cannot be less than min value."


def standard_changed(name: str) -> str:
    return (
        "You can not change AttributeDataType or set developerOnlyAttribute for standard "
        f"schema attribute {name}"
    )


# Not found: AWS's texts for these; poolmail's, in the shape of the ones above.
TOO_MANY_CUSTOM = f"A user pool can have at most {MAX_CUSTOM_ATTRIBUTES} custom attributes."
VALUE_TOO_SHORT = "{name}: String must be at least {limit} characters long.\n"
VALUE_TOO_LONG = "{name}: String must be no longer than {limit} characters.\n"
NOT_A_NUMBER = "{name}: Attribute value must be an integer.\n"
NUMBER_TOO_SMALL = "{name}: Number must be no less than {limit}.\n"
NUMBER_TOO_LARGE = "{name}: Number must be no greater than {limit}.\n"


def _invalid(message: str) -> AwsError:
    return AwsError("InvalidParameterException", message)


# --- building a schema -------------------------------------------------------------------


def standard_schema() -> list[dict[str, Any]]:
    attributes = []
    for name, (kind, mutable, required, constraints) in STANDARD_ATTRIBUTES.items():
        attribute: dict[str, Any] = {
            "Name": name,
            "AttributeDataType": kind,
            "DeveloperOnlyAttribute": False,
            "Mutable": mutable,
            "Required": required,
        }
        if kind == "String" and constraints is not None:
            attribute["StringAttributeConstraints"] = dict(constraints)
        if kind == "Number":
            attribute["NumberAttributeConstraints"] = {"MinValue": "0"}
        attributes.append(attribute)
    return attributes


def _limit(value: Any) -> int | None:
    # None for anything but a whole number (constraints stored before they were checked
    # may hold anything; those bind nothing).
    text = str(value)
    return int(text) if _WHOLE.fullmatch(text) else None


def _bound(value: Any, member: str, name: str, *, negative: bool) -> int | None:
    # An empty bound is no bound; anything else must be a whole number.
    if value is None or value == "":
        return None
    parsed = _limit(value)
    if parsed is None:
        raise _invalid(invalid_constraint(member, name))
    if parsed < 0 and not negative:
        raise _invalid(invalid_constraint(member, name))
    return parsed


def _check_constraints(entry: dict[str, Any], kind: str, name: str) -> None:
    if kind == "String" and entry.get("StringAttributeConstraints"):
        given = entry["StringAttributeConstraints"]
        member = "StringAttributeConstraints"
        low = _bound(given.get("MinLength"), member, name, negative=False)
        high = _bound(given.get("MaxLength"), member, name, negative=False)
        if any(bound is not None and bound > MAX_STRING_LENGTH for bound in (low, high)):
            raise _invalid(string_too_long(name))
        if low is not None and high is not None and low > high:
            raise _invalid(max_length_below_min(name))
    if kind == "Number" and entry.get("NumberAttributeConstraints"):
        given = entry["NumberAttributeConstraints"]
        member = "NumberAttributeConstraints"
        # Choice: moto also refuses negative bounds; AWS documents none, and a number
        # attribute below zero (a temperature, a balance) is plausible, so they pass.
        low = _bound(given.get("MinValue"), member, name, negative=True)
        high = _bound(given.get("MaxValue"), member, name, negative=True)
        if low is not None and high is not None and low > high:
            raise _invalid(max_value_below_min(name))


def custom_attribute(entry: dict[str, Any]) -> dict[str, Any]:
    """One custom attribute as SchemaAttributes lists it, from a request's entry.

    AWS quirk: the `custom:` prefix is added to the name as given, even one that already
    starts with it (`custom:custom:name`, serverless-cognito-add-custom-attributes#3);
    developer-only attributes are `dev:custom:<name>` [model SchemaAttributeType].
    """
    kind = entry.get("AttributeDataType")
    if not kind:
        raise _invalid(MISSING_DATA_TYPE)
    if entry.get("Required"):
        raise _invalid(REQUIRED_CUSTOM)
    developer_only = bool(entry.get("DeveloperOnlyAttribute", False))
    name = ("dev:custom:" if developer_only else "custom:") + str(entry.get("Name", ""))
    _check_constraints(entry, kind, name)
    custom: dict[str, Any] = {
        "Name": name,
        "AttributeDataType": kind,
        "DeveloperOnlyAttribute": developer_only,
        "Mutable": bool(entry.get("Mutable", True)),
        "Required": False,
    }
    if kind == "String":
        custom["StringAttributeConstraints"] = dict(entry.get("StringAttributeConstraints") or {})
    if kind == "Number":
        custom["NumberAttributeConstraints"] = dict(entry.get("NumberAttributeConstraints") or {})
    return custom


def _configure_standard(standard: dict[str, Any], entry: dict[str, Any]) -> None:
    name = standard["Name"]
    kind = entry.get("AttributeDataType")
    if (kind and kind != standard["AttributeDataType"]) or entry.get("DeveloperOnlyAttribute"):
        raise _invalid(standard_changed(name))
    if kind:
        # As moto measured: a standard attribute's constraints are checked only when the
        # entry names its data type.
        _check_constraints(entry, kind, name)
    for key in ("Mutable", "Required", "StringAttributeConstraints"):
        if key in entry:
            standard[key] = entry[key]


def add_custom(attributes: list[dict[str, Any]], entries: list[dict[str, Any]]) -> None:
    """Append the entries' custom attributes to a schema, refusing names it already has
    (either form of a name: `custom:x` and `dev:custom:x` are one attribute) and more
    than MAX_CUSTOM_ATTRIBUTES custom attributes in all."""
    taken = {attribute["Name"].removeprefix("dev:") for attribute in attributes}
    for entry in entries:
        custom = custom_attribute(entry)
        bare = custom["Name"].removeprefix("dev:")
        if bare in taken:
            raise _invalid(existing_name(f"custom:{entry.get('Name', '')}", custom["Name"]))
        taken.add(bare)
        attributes.append(custom)
    if sum(1 for attribute in attributes if is_custom(attribute["Name"])) > MAX_CUSTOM_ATTRIBUTES:
        raise _invalid(TOO_MANY_CUSTOM)


def is_custom(name: str) -> bool:
    return name.startswith(("custom:", "dev:"))


def pool_schema(requested: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """The standard attributes with the request's changes, then its custom attributes,
    checked as CreateUserPool checks its Schema."""
    attributes = standard_schema()
    by_name = {attribute["Name"]: attribute for attribute in attributes}
    custom: list[dict[str, Any]] = []
    for entry in requested or []:
        name = entry.get("Name", "")
        if name in by_name and name not in _BUILT_IN:
            _configure_standard(by_name[name], entry)
        else:
            custom.append(entry)
    add_custom(attributes, custom)
    return attributes


# --- values against the schema -----------------------------------------------------------


def value_problem(attribute: dict[str, Any], value: str, label: str) -> str | None:
    """What is wrong with a custom attribute's value under its constraints, as one line of
    the error, or None. Standard attributes keep their own checks (email, phone number).
    Choice: a Number value must be a whole number, as its bounds are."""
    if not is_custom(attribute["Name"]):
        return None
    kind = attribute.get("AttributeDataType")
    if kind == "String":
        limits = attribute.get("StringAttributeConstraints") or {}
        low, high = _limit(limits.get("MinLength")), _limit(limits.get("MaxLength"))
        if low is not None and len(value) < low:
            return VALUE_TOO_SHORT.format(name=label, limit=low)
        most = MAX_STRING_LENGTH if high is None else high
        if len(value) > most:
            return VALUE_TOO_LONG.format(name=label, limit=most)
    if kind == "Number":
        number = _limit(value)
        if number is None:
            return NOT_A_NUMBER.format(name=label)
        limits = attribute.get("NumberAttributeConstraints") or {}
        low, high = _limit(limits.get("MinValue")), _limit(limits.get("MaxValue"))
        if low is not None and number < low:
            return NUMBER_TOO_SMALL.format(name=label, limit=low)
        if high is not None and number > high:
            return NUMBER_TOO_LARGE.format(name=label, limit=high)
    return None
