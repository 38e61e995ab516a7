"""JSON values <-> native values by shape, shared by the JSON 1.1 and REST-JSON protocols.

Native values are what service code sees: ``datetime`` for timestamps, ``bytes`` for
blobs, ``int``/``float``/``bool``/``str``, lists and dicts keyed by AWS member names.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

# Unchanged by the plans: shared with src rather than copied.
from poolmail.protocol.json_values import (
    SerializationError,
)
from poolmail.protocol.json_values import parse_timestamp as _parse_timestamp


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


# Not part of what the plans replaced: the oracle reads timestamps as poolmail does.
parse_timestamp = _parse_timestamp
