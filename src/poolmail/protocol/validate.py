"""Server-side input validation against the model's constraints, in AWS's words.

botocore's client checks only ``required`` and ``min``; AWS checks the rest on the server
and answers ``1 validation error detected: Value '0' at 'maxResults' failed to satisfy
constraint: Member must have value greater than or equal to 1``. Paths are the members'
lowerCamelCase names joined with dots; list items appear as ``name.N.member`` (1-based).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
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
    check = _checker(shape)
    if check is None:
        return
    problems: list[str] = []
    check(params, "", problems)
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
# fully-qualified domain name" [model]). A value with a dot skips them; cognito/pools/domains.py
# checks host names.
_HOST_NAME_ALLOWED = {
    (f"{operation}UserPoolDomainRequest", "Domain")
    for operation in ("Create", "Update", "Describe", "Delete")
}


# Each shape gets a checker built at its first use, cached by the shape object (as
# json_values' writers are): walking botocore's shapes for every request (members,
# metadata, enum, the quirk sets) cost more than parsing the request. A checker visits only
# the members that have a constraint somewhere below them; a shape with none gets no checker.
# Messages, their order and their paths are those of the walk it replaced
# (tests/protocol/test_plans.py holds the two equal over every operation).
Check = Callable[[Any, str, list[str]], None]
Limits = Callable[[Any], list[str]]
_CHECKERS: dict[Shape, Check | None] = {}


def _checker(shape: Shape) -> Check | None:
    try:
        return _CHECKERS[shape]
    except KeyError:
        built = _CHECKERS[shape] = _build_checker(shape)
        return built


def _build_checker(shape: Shape) -> Check | None:
    if isinstance(shape, StructureShape):
        return None if _unconstrained(shape, ()) else _StructureCheck(shape)
    limits = _limits(shape)
    shown = not shape.metadata.get("sensitive")
    inner: Check | None = None
    if isinstance(shape, ListShape):
        inner = _list_items(shape)
    elif isinstance(shape, MapShape):
        inner = _map_entries(shape)
    if limits is None and inner is None:
        return None

    def check(value: Any, path: str, out: list[str]) -> None:
        if limits is not None:
            failures = limits(value)
            if failures:
                # AWS leaves sensitive values (passwords, codes) out of the message.
                text = f" '{_render(value)}'" if shown else ""
                for failure in failures:
                    out.append(f"Value{text} at '{path}' failed to satisfy constraint: {failure}")
        if inner is not None:
            inner(value, path, out)

    return check


def _list_items(shape: ListShape) -> Check | None:
    item_check = _checker(shape.member)
    if item_check is None:
        return None

    def check(value: Any, path: str, out: list[str]) -> None:
        for index, item in enumerate(value, start=1):
            if item is not None:
                item_check(item, f"{path}.{index}.member", out)

    return check


def _map_entries(shape: MapShape) -> Check | None:
    key_limits = _limits(shape.key)
    value_check = _checker(shape.value)
    if key_limits is None and value_check is None:
        return None

    def check(value: Any, path: str, out: list[str]) -> None:
        if key_limits is not None:
            key_failures = sorted({f for key in value for f in key_limits(key)})
            if key_failures:
                out.append(
                    f"Value '{_render(value)}' at '{path}' failed to satisfy constraint: "
                    f"Map keys must satisfy constraint: [{', '.join(key_failures)}]"
                )
        if value_check is not None:
            for key, item in value.items():
                if item is not None:
                    value_check(item, f"{path}.{key}", out)

    return check


class _StructureCheck:
    """Checks one structure: required members first, then each constrained member in
    model order."""

    __slots__ = ("fields", "required", "shape")

    def __init__(self, shape: StructureShape) -> None:
        self.shape = shape
        self.required = tuple((name, wire_path("", name)) for name in shape.required_members)
        # Resolved at the first check, so a shape that contains itself can be built.
        self.fields: tuple[tuple[str, str, Check, bool, bool], ...] | None = None

    def _resolve(self) -> tuple[tuple[str, str, Check, bool, bool], ...]:
        shape = self.shape
        fields = []
        for name, member in shape.members.items():
            check = _checker(member)
            if check is not None:
                key = (shape.name, name)
                blank = key in _BLANK_ALLOWED
                host = key in _HOST_NAME_ALLOWED
                fields.append((name, wire_path("", name), check, blank, host))
        self.fields = tuple(fields)
        return self.fields

    def __call__(self, value: Any, path: str, out: list[str]) -> None:
        for name, wire in self.required:
            if value.get(name) is None:
                where = f"{path}.{wire}" if path else wire
                out.append(
                    f"Value null at '{where}' failed to satisfy constraint: Member must not be null"
                )
        fields = self.fields
        if fields is None:
            fields = self._resolve()
        for name, wire, check, blank, host in fields:
            item = value.get(name)
            if item is None or (blank and item == ""):
                continue
            if host and "." in item:
                continue
            check(item, f"{path}.{wire}" if path else wire, out)


def _unconstrained(shape: Shape, outer: tuple[str, ...]) -> bool:
    """Whether no value of ``shape`` can break a rule. ``outer`` holds the structures
    being looked at; a structure reached again adds nothing new."""
    if isinstance(shape, StructureShape):
        if shape.is_document_type:
            return True
        if shape.required_members:
            return False
        if shape.name in outer:
            return True
        inside = (*outer, shape.name)
        return all(_unconstrained(member, inside) for member in shape.members.values())
    if _limits(shape) is not None:
        return False
    if isinstance(shape, ListShape):
        return _unconstrained(shape.member, outer)
    if isinstance(shape, MapShape):
        return _limits(shape.key) is None and _unconstrained(shape.value, outer)
    return True


def _limits(shape: Shape) -> Limits | None:
    """The shape's own constraints as one function, or None when it has none."""
    meta = shape.metadata
    kind = shape.type_name
    low, high = meta.get("min"), meta.get("max")
    sized = kind in ("string", "blob", "list", "map")
    numeric = kind in ("integer", "long", "double", "float")
    if not (sized or numeric):
        low = high = None
    enum = tuple(shape.enum) if kind == "string" and shape.enum else ()
    pattern = meta.get("pattern") if kind == "string" else None
    compiled = _compile(pattern) if pattern is not None else None
    if low is None and high is None and not enum and compiled is None:
        return None
    noun = "length" if sized else "value"
    too_high = f"Member must have {noun} less than or equal to {high}"
    too_low = f"Member must have {noun} greater than or equal to {low}"
    not_listed = f"Member must satisfy enum value set: [{', '.join(enum)}]"
    unmatched = f"Member must satisfy regular expression pattern: {pattern}"

    def limits(value: Any) -> list[str]:
        failures: list[str] = []
        if sized:
            size = len(value)
            if high is not None and size > high:
                failures.append(too_high)
            if low is not None and size < low:
                failures.append(too_low)
        elif numeric:
            if high is not None and value > high:
                failures.append(too_high)
            if low is not None and value < low:
                failures.append(too_low)
        if enum and value not in enum:
            failures.append(not_listed)
        if compiled is not None and compiled.fullmatch(value) is None:
            failures.append(unmatched)
        return failures

    return limits


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
