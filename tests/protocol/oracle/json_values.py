"""JSON values <-> native values by shape, shared by the JSON 1.1 and REST-JSON protocols.

Native values are what service code sees: ``datetime`` for timestamps, ``bytes`` for
blobs, ``int``/``float``/``bool``/``str``, lists and dicts keyed by AWS member names.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Callable
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

from poolmail.protocol.errors import AwsError
from poolmail.protocol.json_values import parse_timestamp as _parse_timestamp


class SerializationError(AwsError):
    def __init__(self, message: str) -> None:
        super().__init__("SerializationException", message, status=400)


def from_json(shape: Shape, value: Any, path: str = "") -> Any:
    if value is None:
        return None
    kind = shape.type_name
    if isinstance(shape, StructureShape) and shape.is_document_type:
        return value  # a document is free-form JSON, passed through as sent
    if isinstance(shape, StructureShape):
        if not isinstance(value, dict):
            raise SerializationError(f"Expected an object for {path or shape.name}.")
        parsed: dict[str, Any] = {}
        for name, member in shape.members.items():
            item = value.get(member.serialization.get("name", name))
            if item is not None:
                parsed[name] = from_json(member, item, f"{path}.{name}" if path else name)
        return parsed
    if isinstance(shape, ListShape):
        if not isinstance(value, list):
            raise SerializationError(f"Expected a list for {path}.")
        return [from_json(shape.member, item, path) for item in value]
    if isinstance(shape, MapShape):
        if not isinstance(value, dict):
            raise SerializationError(f"Expected an object for {path}.")
        return {
            str(from_json(shape.key, key, path)): from_json(shape.value, item, path)
            for key, item in value.items()
        }
    if kind == "string":
        if not isinstance(value, str):
            raise SerializationError(f"Expected a string for {path}.")
        return value
    if kind == "boolean":
        if not isinstance(value, bool):
            raise SerializationError(f"Expected a boolean for {path}.")
        return value
    if kind in ("integer", "long"):
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            raise SerializationError(f"Expected an integer for {path}.")
        return int(value)
    if kind in ("double", "float"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise SerializationError(f"Expected a number for {path}.")
        return float(value)
    if kind == "timestamp":
        return parse_timestamp(value, path)
    if kind == "blob":
        if not isinstance(value, str):
            raise SerializationError(f"Expected base64 text for {path}.")
        try:
            return base64.b64decode(value, validate=True)
        except binascii.Error as exc:
            raise SerializationError(f"Invalid base64 for {path}.") from exc
    return value


def to_json(shape: Shape, value: Any) -> Any:
    """``value`` as JSON by ``shape``: what the JSON protocols put on the wire."""
    return _write(shape, value)


# A writer turns a native value into JSON; None stands for "as it is" (strings, integers,
# booleans), which needs no call at all.
Writer = Callable[[Any], Any] | None
# One writer per shape object, built on first use: walking botocore's shapes (cached
# properties, isinstance checks, serialization dicts) for every value cost more than all
# the rest of a request. Shapes of the cached service models live as long as the process,
# so keying by the object is safe; a member is its own shape object, with its own name.
_WRITERS: dict[Shape, Writer] = {}


def _writer(shape: Shape) -> Writer:
    try:
        return _WRITERS[shape]
    except KeyError:
        writer = _WRITERS[shape] = _build_writer(shape)
        return writer


def _write(shape: Shape, value: Any) -> Any:
    writer = _writer(shape)
    return value if writer is None else writer(value)


def _build_writer(shape: Shape) -> Writer:
    if isinstance(shape, StructureShape) and shape.is_document_type:
        return None
    if isinstance(shape, StructureShape):
        return _StructureWriter(shape)
    if isinstance(shape, ListShape):
        item_shape = shape.member
        return lambda value: [_write(item_shape, item) for item in value]
    if isinstance(shape, MapShape):
        value_shape = shape.value
        return lambda value: {key: _write(value_shape, item) for key, item in value.items()}
    if shape.type_name == "timestamp":
        return epoch_seconds
    if shape.type_name == "blob":
        return _base64
    if shape.type_name in ("double", "float"):
        return float
    return None


class _StructureWriter:
    """Writes one structure shape: its members in model order, None values left out."""

    def __init__(self, shape: StructureShape) -> None:
        self.shape = shape
        # Resolved at the first write, so a shape that contains itself can be built.
        self.fields: list[tuple[str, str, Writer]] | None = None

    def __call__(self, value: Any) -> Any:
        fields = self.fields
        if fields is None:
            fields = self.fields = [
                (name, member.serialization.get("name", name), _writer(member))
                for name, member in self.shape.members.items()
            ]
        out: dict[str, Any] = {}
        for name, wire_name, writer in fields:
            item = value.get(name)
            if item is not None:
                out[wire_name] = item if writer is None else writer(item)
        return out


def _base64(value: Any) -> str:
    data = value.encode() if isinstance(value, str) else value
    return base64.b64encode(data).decode("ascii")


def epoch_seconds(value: dt.datetime | float | int) -> float | int:
    seconds = value.timestamp() if isinstance(value, dt.datetime) else float(value)
    # AWS JSON services print whole seconds as integers and keep milliseconds otherwise.
    rounded = round(seconds, 3)
    return int(rounded) if rounded == int(rounded) else rounded


# Not part of what the plans replaced: the oracle reads timestamps as poolmail does.
parse_timestamp = _parse_timestamp
