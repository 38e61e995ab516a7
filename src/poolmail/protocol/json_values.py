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


class SerializationError(AwsError):
    def __init__(self, message: str) -> None:
        super().__init__("SerializationException", message, status=400)


def from_json(shape: Shape, value: Any, path: str = "") -> Any:
    if value is None:
        return None
    return _reader(shape)(value, path)


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


def parse_timestamp(value: Any, path: str = "") -> dt.datetime:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_epoch(value, path)
    if isinstance(value, str):
        try:
            seconds = float(value)
        except ValueError:
            pass
        else:
            return _from_epoch(seconds, path)
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise SerializationError(f"Invalid timestamp for {path}.") from exc
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
    raise SerializationError(f"Invalid timestamp for {path}.")


def _from_epoch(seconds: float, path: str) -> dt.datetime:
    try:
        return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
    except (ValueError, OverflowError, OSError) as exc:
        # Past year 9999, infinite or NaN: the caller's malformed input, not our failure.
        raise SerializationError(f"Invalid timestamp for {path}.") from exc


# A reader turns a JSON value into a native one, checking its type; built once per shape
# object, as writers are (below): walking the shapes for every value (members,
# serialization dicts, isinstance checks) was most of a request's parsing. Error messages
# and their paths are those of the walk it replaced (tests/protocol/test_plans.py).
Reader = Callable[[Any, str], Any]
_READERS: dict[Shape, Reader] = {}


def _reader(shape: Shape) -> Reader:
    try:
        return _READERS[shape]
    except KeyError:
        reader = _READERS[shape] = _build_reader(shape)
        return reader


def _as_is(value: Any, path: str) -> Any:
    return value


def _read_string(value: Any, path: str) -> Any:
    if not isinstance(value, str):
        raise SerializationError(f"Expected a string for {path}.")
    return value


def _read_boolean(value: Any, path: str) -> Any:
    if not isinstance(value, bool):
        raise SerializationError(f"Expected a boolean for {path}.")
    return value


def _read_integer(value: Any, path: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise SerializationError(f"Expected an integer for {path}.")
    return int(value)


def _read_number(value: Any, path: str) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SerializationError(f"Expected a number for {path}.")
    return float(value)


def _read_blob(value: Any, path: str) -> Any:
    if not isinstance(value, str):
        raise SerializationError(f"Expected base64 text for {path}.")
    try:
        return base64.b64decode(value, validate=True)
    except binascii.Error as exc:
        raise SerializationError(f"Invalid base64 for {path}.") from exc


_SCALAR_READERS: dict[str, Reader] = {
    "string": _read_string,
    "boolean": _read_boolean,
    "integer": _read_integer,
    "long": _read_integer,
    "double": _read_number,
    "float": _read_number,
    "timestamp": parse_timestamp,
    "blob": _read_blob,
}


def _build_reader(shape: Shape) -> Reader:
    if isinstance(shape, StructureShape):
        # A document is free-form JSON, passed through as sent.
        return _as_is if shape.is_document_type else _StructureReader(shape)
    if isinstance(shape, ListShape):
        return _list_reader(shape)
    if isinstance(shape, MapShape):
        return _map_reader(shape)
    return _SCALAR_READERS.get(shape.type_name, _as_is)


def _list_reader(shape: ListShape) -> Reader:
    member = shape.member

    def read(value: Any, path: str) -> Any:
        if not isinstance(value, list):
            raise SerializationError(f"Expected a list for {path}.")
        item_reader = _reader(member)
        return [None if item is None else item_reader(item, path) for item in value]

    return read


def _map_reader(shape: MapShape) -> Reader:
    key_shape, value_shape = shape.key, shape.value

    def read(value: Any, path: str) -> Any:
        if not isinstance(value, dict):
            raise SerializationError(f"Expected an object for {path}.")
        key_reader, value_reader = _reader(key_shape), _reader(value_shape)
        return {
            str(key_reader(key, path)): None if item is None else value_reader(item, path)
            for key, item in value.items()
        }

    return read


class _StructureReader:
    """Reads one structure shape: the members sent, by their wire names, in model order."""

    __slots__ = ("fields", "shape")

    def __init__(self, shape: StructureShape) -> None:
        self.shape = shape
        # Resolved at the first read, so a shape that contains itself can be built.
        self.fields: tuple[tuple[str, str, Reader], ...] | None = None

    def __call__(self, value: Any, path: str) -> Any:
        if not isinstance(value, dict):
            raise SerializationError(f"Expected an object for {path or self.shape.name}.")
        fields = self.fields
        if fields is None:
            fields = self.fields = tuple(
                (name, member.serialization.get("name", name), _reader(member))
                for name, member in self.shape.members.items()
            )
        parsed: dict[str, Any] = {}
        for name, wire_name, reader in fields:
            item = value.get(wire_name)
            if item is not None:
                parsed[name] = reader(item, f"{path}.{name}" if path else name)
        return parsed
