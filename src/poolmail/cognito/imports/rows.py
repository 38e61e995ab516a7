"""The import file: its header (GetCSVHeader), its parsing, and each row's checks.

AWS's rules for the file are in the developer guide, "Creating the user import CSV file"
(cognito-user-pools-using-import-tool-csv-header.html); each check below names the rule.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any

from poolmail.cognito.mfa.rules import OFF, ON, mfa_mode
from poolmail.cognito.pools.user_pools import StoredPool
from poolmail.cognito.users.users import check_attributes
from poolmail.protocol.errors import AwsError

USERNAME = "cognito:username"
MFA_ENABLED = "cognito:mfa_enabled"
# GetCSVHeader's standard columns, in AWS's order (the CLI's get-csv-header example and the
# developer guide's sample response); custom attributes follow `updated_at`, before the two
# `cognito:` columns (seen in real headers, e.g. `...,updated_at,custom:joinedOn,
# cognito:mfa_enabled,cognito:username`).
STANDARD_COLUMNS = (
    "name",
    "given_name",
    "family_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "email",
    "email_verified",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "phone_number",
    "phone_number_verified",
    "address",
    "updated_at",
)
# "The maximum csv file size is 100 MB"; "The maximum number of rows (users) in the file is
# 500,000" (not counting the header); "The maximum row length is 16,000 characters".
MAX_FILE_BYTES = 100 * 1024 * 1024
MAX_ROWS = 500_000
MAX_ROW_CHARACTERS = 16_000

# The one per-user log text AWS documents (cognito-user-pools-using-import-tool-cloudwatch):
NO_AUTO_VERIFIED = (
    "The User Record does not set any of the auto verified attributes to true. "
    "(Example: email_verified to true)."
)
# Choices, AWS's texts not found: each names the rule of the developer guide it enforces.
NO_USERNAME = "The cognito:username field is required."
SPACED_USERNAME = "The cognito:username field cannot contain spaces or tabs."
BAD_MFA = "The cognito:mfa_enabled field must be true or false."
MFA_REQUIRED = "The cognito:mfa_enabled field must be true: the user pool requires MFA."
MFA_OFF = "The cognito:mfa_enabled field must be false: the user pool has MFA off."
MFA_NEEDS_PHONE = "The cognito:mfa_enabled field is true but the user has no phone_number."
BAD_BOOLEAN = "The {name} field must be true or false."
MISSING_VERIFIED = "The {attribute} field is required when {attribute}_verified is true."
BAD_UPDATED_AT = "The updated_at field must be epoch time in seconds."
LONG_ROW = "The row is longer than 16,000 characters."
WRONG_FIELDS = "The row has {found} fields; the header has {expected}."

_SPACE = re.compile(r"[ \t]")
_BOOLEANS = {"true": "true", "false": "false", "": ""}


class FileError(Exception):
    """The file cannot be imported at all: the job fails with this completion message."""


def csv_header(pool: StoredPool) -> list[str]:
    """GetCSVHeader's columns: AWS's standard ones, the pool's custom attributes, then
    `cognito:mfa_enabled` and `cognito:username`."""
    custom = [
        str(entry["Name"])
        for entry in pool.settings.get("SchemaAttributes") or []
        if str(entry.get("Name", "")).startswith("custom:")
    ]
    return [*STANDARD_COLUMNS, *custom, MFA_ENABLED, USERNAME]


def parse(text: str, expected: list[str]) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """(the header, the rows with their line numbers, the header's being 1) of the file;
    FileError when the header does not match.

    "Attribute values that are strings should not be in quotation marks"; "If an attribute
    value contains a comma, you must put a backslash before the comma": quotes are literal
    and a backslash escapes, so the reader quotes nothing.
    """
    if text.startswith("\ufeff"):
        # "The .csv file contents should be in UTF-8 format without byte order mark."
        raise FileError("The CSV file starts with a byte order mark; save it without one.")
    reader = csv.reader(io.StringIO(text), quoting=csv.QUOTE_NONE, escapechar="\\")
    try:
        lines = list(reader)
    except csv.Error as exc:
        raise FileError(f"The CSV file cannot be parsed: {exc}.") from exc
    if not lines:
        raise FileError("The CSV file is empty.")
    header = [column.strip() for column in lines[0]]
    # "The order of columns in the csv file doesn't matter"; "All columns in the header
    # must be present". Choice: an unknown or repeated column fails the job too, as the
    # file then does not follow GetCSVHeader.
    if sorted(header) != sorted(expected):
        missing = [column for column in expected if column not in header]
        unknown = [column for column in header if column not in expected]
        detail = "; ".join(
            part
            for part in (
                f"missing {', '.join(missing)}" if missing else "",
                f"unknown {', '.join(unknown)}" if unknown else "",
            )
            if part
        )
        raise FileError(f"The CSV header does not match GetCSVHeader ({detail or 'repeated'}).")
    rows = [(number, row) for number, row in enumerate(lines[1:], start=2) if row]
    if len(rows) > MAX_ROWS:
        raise FileError("The CSV file has more than 500,000 users.")
    return header, rows


@dataclass(slots=True)
class Candidate:
    """A row that passed its checks: the user it becomes."""

    line: int
    username: str
    attributes: dict[str, str]
    mfa: bool
    aliases: dict[str, str] = field(default_factory=dict)


def check_row(pool: StoredPool, header: list[str], row: list[str], line: int) -> Candidate | str:
    """The row as a user to import, or the reason it fails."""
    if len(row) != len(header):
        return WRONG_FIELDS.format(found=len(row), expected=len(header))
    if sum(len(value) for value in row) + len(row) - 1 > MAX_ROW_CHARACTERS:
        return LONG_ROW
    # "Any leading or trailing white space in an attribute value will be trimmed."
    values = {name: value.strip() for name, value in zip(header, row, strict=True)}
    username = values.pop(USERNAME)
    if not username:
        return NO_USERNAME
    if _SPACE.search(username):
        return SPACED_USERNAME
    for name in ("email_verified", "phone_number_verified"):
        flag = _BOOLEANS.get(values[name].lower())
        if flag is None:
            return BAD_BOOLEAN.format(name=name)
        values[name] = flag
    mfa = _mfa_of(pool, values.pop(MFA_ENABLED), values)
    if isinstance(mfa, str):
        return mfa
    for attribute in ("email", "phone_number"):
        if values[f"{attribute}_verified"] == "true" and not values[attribute]:
            return MISSING_VERIFIED.format(attribute=attribute)
    # "At least one of the auto-verified attributes must be true for each user"; with one
    # auto-verified attribute, that one (the same rule, applied to a list of one).
    auto = pool.settings.get("AutoVerifiedAttributes") or []
    if not any(values.get(f"{name}_verified") == "true" for name in auto):
        return NO_AUTO_VERIFIED
    if values["updated_at"] and not values["updated_at"].isdigit():
        return BAD_UPDATED_AT
    given = [{"Name": name, "Value": value} for name, value in values.items() if value]
    try:
        attributes = check_attributes(pool, given)
    except AwsError as exc:
        return exc.message.strip()
    missing = _missing_required(pool, attributes)
    if missing:
        return missing
    return Candidate(line, username, attributes, mfa)


def _mfa_of(pool: StoredPool, given: str, values: dict[str, Any]) -> bool | str:
    """ "If you've set MFA to be required in your user pool, this field must be true for all
    users. If you've set MFA to be off, this field must be false for all users. If you've set
    MFA to be optional, this field can be either true or false, but it can't be empty.\""""
    flag = _BOOLEANS.get(given.lower())
    if not flag:
        return BAD_MFA
    mode = mfa_mode(pool.settings)
    if mode == ON and flag != "true":
        return MFA_REQUIRED
    if mode == OFF and flag != "false":
        return MFA_OFF
    if flag == "true" and not values.get("phone_number"):
        # cognito:mfa_enabled is the legacy SMS MFA setting (MFAOptions): it needs a number.
        return MFA_NEEDS_PHONE
    return flag == "true"


def _missing_required(pool: StoredPool, attributes: dict[str, str]) -> str:
    # "Any attributes that you marked as required when you created the user pool"; the text
    # is AWS's schema error of SignUp and AdminCreateUser.
    missing = [
        str(entry["Name"])
        for entry in pool.settings.get("SchemaAttributes") or []
        if entry.get("Required") and entry["Name"] != "sub" and not attributes.get(entry["Name"])
    ]
    if not missing:
        return ""
    detail = " ".join(f"{name}: The attribute is required" for name in missing)
    return f"Attributes did not conform to the schema: {detail}"
