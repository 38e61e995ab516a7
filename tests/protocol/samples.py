"""Sample values for botocore shapes, every member filled, for the round-trip tests.

Values respect the model's lengths and ranges, take the first value of an enum and vary
from member to member (booleans alternate, timestamps move), so a value that lands in the
wrong member or gets dropped shows up as a difference.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape

# Where a value travels: a JSON/XML/form body, a URI path segment, a query parameter or
# a header value.
Transport = Literal["body", "uri", "query", "header"]

# Recursive shapes stop growing here; members below this depth are left out.
MAX_DEPTH = 6

# Characters that test escaping in every body format (form, JSON, XML) and in URLs.
_BODY_TEXT = " é&<>=+%/?#"
_URI_TEXT = " é&=+%"
_TEXT = {"body": _BODY_TEXT, "uri": _URI_TEXT, "query": _BODY_TEXT, "header": "-"}


class _Skip(Exception):
    """A value that cannot be built here: a recursion cut off by MAX_DEPTH."""


class SampleGenerator:
    """``items`` is how many items lists and entries maps get, within the model's bounds."""

    def __init__(self, items: int = 2) -> None:
        self._counter = 0
        self._items = items

    def operation_input(self, operation: OperationModel) -> dict[str, Any]:
        return self._top(operation.input_shape)

    def operation_output(self, operation: OperationModel) -> dict[str, Any]:
        return self._top(operation.output_shape)

    def _top(self, shape: StructureShape | None) -> dict[str, Any]:
        """The members of a request or response, each shaped for where it travels."""
        if shape is None:
            return {}
        value: dict[str, Any] = {}
        for name, member in shape.members.items():
            location = member.serialization.get("location")
            if location == "statusCode":
                value[name] = 200 + self._counter % 7
                continue
            transport: Transport = "body"
            if location == "uri":
                transport = "uri"
            elif location == "querystring":
                transport = "query"
            elif location in ("header", "headers"):
                transport = "header"
            try:
                value[name] = self.value(member, name, transport, (shape.name,))
            except _Skip:
                continue
        return value

    def value(self, shape: Shape, name: str, transport: Transport, stack: tuple[str, ...]) -> Any:
        self._counter += 1
        if isinstance(shape, StructureShape):
            return self._structure(shape, transport, stack)
        if isinstance(shape, ListShape):
            count = self._count(shape, transport)
            return [self.value(shape.member, name, transport, stack) for _ in range(count)]
        if isinstance(shape, MapShape):
            return self._map(shape, name, transport, stack)
        kind = shape.type_name
        if kind == "string":
            return self._string(shape, name, transport)
        if kind in ("integer", "long"):
            return _clamp(shape, 2**40 + self._counter if kind == "long" else 7 + self._counter)
        if kind in ("double", "float"):
            return float(_clamp(shape, 1234.5 + self._counter))
        if kind == "boolean":
            return self._counter % 2 == 0
        if kind == "timestamp":
            millis = (self._counter * 137) % 1000
            return dt.datetime(2024, 5, 17, 12, 34, self._counter % 60, millis * 1000, dt.UTC)
        if kind == "blob":
            return b"\x00\xff\xfe" + name.encode() + bytes([self._counter % 256])
        raise AssertionError(f"no sample for {shape.name} ({kind})")

    def _structure(
        self, shape: StructureShape, transport: Transport, stack: tuple[str, ...]
    ) -> Any:
        if shape.is_document_type:
            return {"text": "é<&>", "numbers": [1, 2.5], "flag": True, "nothing": None}
        if shape.name in stack or len(stack) >= MAX_DEPTH:
            raise _Skip
        value: dict[str, Any] = {}
        for name, member in shape.members.items():
            try:
                value[name] = self.value(member, name, transport, (*stack, shape.name))
            except _Skip:
                continue
            if shape.is_tagged_union:
                break  # a union carries exactly one member
        if not value and shape.members:
            raise _Skip
        return value

    def _map(self, shape: MapShape, name: str, transport: Transport, stack: tuple[str, ...]) -> Any:
        count = self._count(shape, transport)
        if shape.key.enum:
            keys = [str(key) for key in shape.key.enum[:count]]
        else:
            keys = [self._string(shape.key, f"k{n}{name}", transport) for n in range(count)]
        return {key: self.value(shape.value, name, transport, stack) for key in keys}

    def _count(self, shape: Shape, transport: Transport) -> int:
        count = self._items
        if transport in ("query", "header"):
            count = max(count, 1)  # an empty list has no form in a query string or header
        if "max" in shape.metadata:
            count = min(count, shape.metadata["max"])
        if "min" in shape.metadata:
            count = max(count, shape.metadata["min"])
        return count

    def _string(self, shape: Shape, name: str, transport: Transport) -> str:
        if shape.enum:
            return str(shape.enum[0])
        text = f"{name}{self._counter}{_TEXT[transport]}"
        minimum = shape.metadata.get("min", 0)
        maximum = shape.metadata.get("max")
        if len(text) < minimum:
            text += "x" * (minimum - len(text))
        if maximum is not None:
            text = text[:maximum]
        return text


def _clamp(shape: Shape, value: float) -> Any:
    if "max" in shape.metadata:
        value = min(value, shape.metadata["max"])
    if "min" in shape.metadata:
        value = max(value, shape.metadata["min"])
    return value


def sample_input(operation: OperationModel, items: int = 2) -> dict[str, Any]:
    return SampleGenerator(items).operation_input(operation)


def sample_output(operation: OperationModel, items: int = 2) -> dict[str, Any]:
    return SampleGenerator(items).operation_output(operation)
