"""Server-side input validation against the model's constraints, in AWS's words.

botocore's client checks only ``required`` and ``min``; AWS checks the rest on the server
and answers ``1 validation error detected: Value '0' at 'maxResults' failed to satisfy
constraint: Member must have value greater than or equal to 1``. Paths are the members'
lowerCamelCase names joined with dots; list items appear as ``name.N.member`` (1-based).
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache
from typing import Any, Protocol

from botocore.model import ListShape, MapShape, Shape, StructureShape

from poolmail.protocol.errors import AwsError

# The error each service answers a constraint violation with. Cognito's is documented and
# observed (AWS_FACTS §0); SES v1, like other query services, answers ValidationError; SES v2
# models BadRequestException for malformed input.
VALIDATION_ERROR_CODE = {
    "cognito-idp": "InvalidParameterException",
    "ses": "ValidationError",
    "sesv2": "BadRequestException",
}


def validate_input(service: str, shape: Shape | None, params: dict[str, Any]) -> None:
    """Raise the service's validation error when ``params`` break the model's rules."""
    if shape is None:
        return
    problems: list[str] = []
    _check_members(shape, params, "", problems)
    if problems:
        count = len(problems)
        noun = "error" if count == 1 else "errors"
        message = f"{count} validation {noun} detected: " + "; ".join(problems)
        raise AwsError(VALIDATION_ERROR_CODE[service], message)


def wire_path(prefix: str, member: str) -> str:
    name = member[:1].lower() + member[1:]
    return f"{prefix}.{name}" if prefix else name


# AWS quirk: a blank password means "no password" where passwordless sign-in is on: "To
# create a user with no password, omit this parameter or submit a blank value" [model
# SignUp Password, AdminCreateUser TemporaryPassword], although the pattern is `[\S]+`.
_BLANK_ALLOWED = {("SignUpRequest", "Password"), ("AdminCreateUserRequest", "TemporaryPassword")}

# AWS quirk: a custom domain is a full host name (`auth.example.com`, as real
# UpdateUserPoolDomain requests carry: hashicorp/terraform-provider-aws#43248) although the
# model's Domain pattern and length fit a prefix only ("For custom domains, this is the
# fully-qualified domain name" [model]). A value with a dot skips them; cognito/domains.py
# checks host names.
_HOST_NAME_ALLOWED = {
    (f"{operation}UserPoolDomainRequest", "Domain")
    for operation in ("Create", "Update", "Describe", "Delete")
}


def _check_members(shape: Shape, value: dict[str, Any], path: str, out: list[str]) -> None:
    assert isinstance(shape, StructureShape)
    for name in shape.required_members:
        if value.get(name) is None:
            out.append(
                f"Value null at '{wire_path(path, name)}' failed to satisfy constraint: "
                "Member must not be null"
            )
    for name, member in shape.members.items():
        item = value.get(name)
        if item is None or (item == "" and (shape.name, name) in _BLANK_ALLOWED):
            continue
        if (shape.name, name) in _HOST_NAME_ALLOWED and "." in item:
            continue
        _check(member, item, wire_path(path, name), out)


def _check(shape: Shape, value: Any, path: str, out: list[str]) -> None:
    if isinstance(shape, StructureShape):
        _check_members(shape, value, path, out)
        return
    failures = _constraints(shape, value)
    if failures:
        # AWS leaves sensitive values (passwords, codes) out of the message.
        shown = "" if shape.metadata.get("sensitive") else f" '{_render(value)}'"
        for failure in failures:
            out.append(f"Value{shown} at '{path}' failed to satisfy constraint: {failure}")
    if isinstance(shape, ListShape):
        for index, item in enumerate(value, start=1):
            if item is not None:
                _check(shape.member, item, f"{path}.{index}.member", out)
    elif isinstance(shape, MapShape):
        key_failures = sorted({f for key in value for f in _constraints(shape.key, key)})
        if key_failures:
            out.append(
                f"Value '{_render(value)}' at '{path}' failed to satisfy constraint: "
                f"Map keys must satisfy constraint: [{', '.join(key_failures)}]"
            )
        for key, item in value.items():
            if item is not None:
                _check(shape.value, item, f"{path}.{key}", out)


def _constraints(shape: Shape, value: Any) -> list[str]:
    meta = shape.metadata
    failures: list[str] = []
    if shape.type_name in ("string", "blob", "list", "map"):
        size = len(value)
        if "max" in meta and size > meta["max"]:
            failures.append(f"Member must have length less than or equal to {meta['max']}")
        if "min" in meta and size < meta["min"]:
            failures.append(f"Member must have length greater than or equal to {meta['min']}")
    elif shape.type_name in ("integer", "long", "double", "float"):
        if "max" in meta and value > meta["max"]:
            failures.append(f"Member must have value less than or equal to {meta['max']}")
        if "min" in meta and value < meta["min"]:
            failures.append(f"Member must have value greater than or equal to {meta['min']}")
    if shape.type_name == "string":
        if shape.enum and value not in shape.enum:
            failures.append(f"Member must satisfy enum value set: [{', '.join(shape.enum)}]")
        pattern = meta.get("pattern")
        if pattern is not None:
            compiled = _compile(pattern)
            if compiled is not None and compiled.fullmatch(value) is None:
                failures.append(f"Member must satisfy regular expression pattern: {pattern}")
    return failures


class _Pattern(Protocol):
    def fullmatch(self, string: str) -> object | None: ...


# What `re` reads as set operations or nested sets (and warns of) where `regex` may not.
_SET_OPERATORS = ("[[", "--", "&&", "~~", "||")


@cache
def _compile(pattern: str) -> _Pattern | None:
    # The models' patterns are Java regular expressions; Java's matches() anchors both
    # ends, hence fullmatch.
    if pattern.isascii() and "\\" not in pattern and not any(o in pattern for o in _SET_OPERATORS):
        # No escapes, no classes by property: both engines read such a pattern alike
        # (tests/protocol/test_validate.py holds them equal), and `re` matches an access
        # token (about 1 KB) in 3 us where `regex` takes 23.
        try:
            return re.compile(pattern, re.DOTALL)
        except re.error:
            pass
    # The `regex` package speaks the \p{..} classes the other patterns use. Imported at
    # the first such pattern rather than at start-up, which it would slow.
    import regex

    try:
        return regex.compile(pattern, regex.DOTALL)
    except regex.error:
        return None


def _render(value: Any) -> str:
    # Java's toString() forms, as AWS's messages print them.
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_render(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_render(v)}" for k, v in value.items()) + "}"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return f"java.nio.HeapByteBuffer[pos=0 lim={len(value)} cap={len(value)}]"
    return str(value)
