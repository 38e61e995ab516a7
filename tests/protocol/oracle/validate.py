"""Server-side input validation against the model's constraints, in AWS's words.

botocore's client checks only ``required`` and ``min``; AWS checks the rest on the server
and answers ``1 validation error detected: Value '0' at 'maxResults' failed to satisfy
constraint: Member must have value greater than or equal to 1``. Paths are the members'
lowerCamelCase names joined with dots; list items appear as ``name.N.member`` (1-based).
"""

from __future__ import annotations

from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

from poolmail.protocol.errors import AwsError

# Unchanged by the plans: shared with src rather than copied.
from poolmail.protocol.validate import (
    _BLANK_ALLOWED,
    _HOST_NAME_ALLOWED,
    VALIDATION_ERROR_CODE,
    _compile,
    _render,
    wire_path,
)


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
