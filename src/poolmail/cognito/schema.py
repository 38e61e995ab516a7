"""The standard attributes every user pool has, as DescribeUserPool lists them."""

from __future__ import annotations

from typing import Any

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


def pool_schema(requested: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """The standard attributes with the request's changes, then its custom attributes."""
    attributes = standard_schema()
    by_name = {attribute["Name"]: attribute for attribute in attributes}
    for entry in requested or []:
        name = entry.get("Name", "")
        if name in by_name:
            standard = by_name[name]
            for key in ("Mutable", "Required", "StringAttributeConstraints"):
                if key in entry:
                    standard[key] = entry[key]
            continue
        developer_only = bool(entry.get("DeveloperOnlyAttribute", False))
        custom: dict[str, Any] = {
            "Name": ("dev:custom:" if developer_only else "custom:") + name,
            "AttributeDataType": entry.get("AttributeDataType", "String"),
            "DeveloperOnlyAttribute": developer_only,
            "Mutable": entry.get("Mutable", True),
            "Required": entry.get("Required", False),
        }
        if custom["AttributeDataType"] == "String":
            custom["StringAttributeConstraints"] = entry.get("StringAttributeConstraints", {})
        if custom["AttributeDataType"] == "Number":
            custom["NumberAttributeConstraints"] = entry.get("NumberAttributeConstraints", {})
        attributes.append(custom)
    return attributes
