"""AWS query protocol (SES v1): form-encoded requests in, XML documents out."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape

from poolmail.protocol.errors import AwsError
from poolmail.protocol.json_values import parse_timestamp
from poolmail.protocol.models import error_shapes, error_status, error_wire_code, service_model
from poolmail.protocol.wire import WireResponse

CONTENT_TYPE = "text/xml"


def malformed(message: str) -> AwsError:
    return AwsError("MalformedQueryString", message, status=400)


class _Form:
    """The form, and every key sent with every prefix of it (``a.b.c`` gives ``a``,
    ``a.b`` and ``a.b.c``): a member is present when its key, or a key nested below it,
    was sent, and a set answers that at once (trying every key for every member cost
    more than the rest of a send's parsing)."""

    __slots__ = ("present", "values")

    def __init__(self, values: Mapping[str, str], present: set[str]) -> None:
        self.values = values
        self.present = present


def _sent_keys(form: Mapping[str, str]) -> set[str]:
    present: set[str] = set()
    for key in form:
        end = key.find(".")
        while end != -1:
            present.add(key[:end])
            end = key.find(".", end + 1)
        present.add(key)
    return present


def parse_request(operation: OperationModel, form: Mapping[str, str]) -> dict[str, Any]:
    if operation.input_shape is None:
        return {}
    parsed: dict[str, Any] = _reader(operation.input_shape)(_Form(form, _sent_keys(form)), "")
    return parsed


# A reader takes one member's value out of the form by its key; built once per shape object
# (walking the shapes' members and serialization dicts for every request cost as much as
# the rest of its parsing). Shapes of the cached models live as long as the process.
Reader = Callable[["_Form", str], Any]
_READERS: dict[Shape, Reader] = {}


def _reader(shape: Shape) -> Reader:
    try:
        return _READERS[shape]
    except KeyError:
        reader = _READERS[shape] = _build_reader(shape)
        return reader


def _build_reader(shape: Shape) -> Reader:
    if isinstance(shape, StructureShape):
        return _StructureReader(shape)
    if isinstance(shape, ListShape):
        return _list_reader(shape)
    if isinstance(shape, MapShape):
        return _map_reader(shape)
    if shape.type_name == "string":
        return _read_string
    return lambda form, key: _scalar(shape, form.values.get(key, ""), key)


def _read_string(form: _Form, key: str) -> Any:
    return form.values.get(key, "")


class _StructureReader:
    """Reads one structure: the members sent, in model order."""

    __slots__ = ("fields", "shape")

    def __init__(self, shape: StructureShape) -> None:
        self.shape = shape
        # Resolved at the first read, so a shape that contains itself can be built.
        self.fields: tuple[tuple[str, str, Reader], ...] | None = None

    def __call__(self, form: _Form, prefix: str) -> Any:
        fields = self.fields
        if fields is None:
            fields = self.fields = tuple(
                (name, member.serialization.get("name", name), _reader(member))
                for name, member in self.shape.members.items()
            )
        present = form.present
        out: dict[str, Any] = {}
        for name, wire_name, reader in fields:
            key = f"{prefix}.{wire_name}" if prefix else wire_name
            if key in present:
                out[name] = reader(form, key)
        return out


def _list_reader(shape: ListShape) -> Reader:
    member = shape.member
    flattened = bool(shape.serialization.get("flattened"))

    def read(form: _Form, key: str) -> Any:
        if form.values.get(key) == "":
            return []  # botocore sends `Name=` for an empty list
        item_prefix = key if flattened else f"{key}.member"
        item_reader = _reader(member)
        present = form.present
        items = []
        index = 1
        while (item_key := f"{item_prefix}.{index}") in present:
            items.append(item_reader(form, item_key))
            index += 1
        return items

    return read


def _map_reader(shape: MapShape) -> Reader:
    value_shape = shape.value
    flattened = bool(shape.serialization.get("flattened"))
    key_name = shape.key.serialization.get("name", "key")
    value_name = shape.value.serialization.get("name", "value")

    def read(form: _Form, key: str) -> Any:
        entry_prefix = key if flattened else f"{key}.entry"
        value_reader = _reader(value_shape)
        values, present = form.values, form.present
        result: dict[str, Any] = {}
        index = 1
        while (base := f"{entry_prefix}.{index}") in present:
            map_key = values.get(f"{base}.{key_name}", "")
            result[map_key] = value_reader(form, f"{base}.{value_name}")
            index += 1
        return result

    return read


def _scalar(shape: Shape, raw: str, key: str) -> Any:
    kind = shape.type_name
    if kind in ("integer", "long"):
        try:
            return int(raw)
        except ValueError as exc:
            raise malformed(f"Value '{raw}' for parameter {key} is not an integer.") from exc
    if kind in ("double", "float"):
        try:
            return float(raw)
        except ValueError as exc:
            raise malformed(f"Value '{raw}' for parameter {key} is not a number.") from exc
    if kind == "boolean":
        lowered = raw.lower()
        if lowered not in ("true", "false"):
            raise malformed(f"Value '{raw}' for parameter {key} is not a boolean.")
        return lowered == "true"
    if kind == "timestamp":
        try:
            return parse_timestamp(raw, key)
        except AwsError as exc:
            raise malformed(f"Value '{raw}' for parameter {key} is not a timestamp.") from exc
    if kind == "blob":
        try:
            return base64.b64decode(raw, validate=True)
        except binascii.Error as exc:
            raise malformed(f"Value for parameter {key} is not valid base64.") from exc
    return raw


def serialize_result(
    service: str, operation: OperationModel, result: dict[str, Any], request_id: str
) -> WireResponse:
    head, wrapper, write, tail = _answer_plan(service, operation)
    content = ""
    if write is not None:
        content = _element(wrapper, write(result))
    content += _element("ResponseMetadata", _element("RequestId", _text(request_id)))
    return WireResponse(200, {"Content-Type": CONTENT_TYPE}, (head + content + tail).encode())


# An operation's answer, read from the shapes once: the document's opening and closing
# tags, the result wrapper's tag and the writer of the result (None without an output).
_AnswerPlan = tuple[str, str, "Writer | None", str]
_ANSWER_PLANS: dict[tuple[str, OperationModel], _AnswerPlan] = {}


def _answer_plan(service: str, operation: OperationModel) -> _AnswerPlan:
    try:
        return _ANSWER_PLANS[(service, operation)]
    except KeyError:
        pass
    namespace = service_model(service).metadata.get("xmlNamespace", "")
    tag = f"{operation.name}Response"
    output = operation.output_shape
    wrapper = ""
    write: Writer | None = None
    if output is not None:
        # botocore needs the <OpResult> element even when the result is empty.
        wrapper = output.serialization.get("resultWrapper", f"{operation.name}Result")
        write = _writer(output)
    plan = _ANSWER_PLANS[(service, operation)] = (
        f'<{tag} xmlns="{_attribute(namespace)}">',
        wrapper,
        write,
        f"</{tag}>",
    )
    return plan


def serialize_error(service: str, error: AwsError, request_id: str) -> WireResponse:
    namespace = service_model(service).metadata.get("xmlNamespace", "")
    status = error.status or error_status(service, error.code) or 400
    detail = (
        _element("Type", "Sender" if status < 500 else "Receiver")
        + _element("Code", _text(error_wire_code(service, error.code)))
        + _element("Message", _text(error.message))
    )
    shape = error_shapes(service).get(error.code)
    if shape is not None:
        # The error shape's members (ConfigurationSetName, ...) sit beside Code, where
        # botocore reads the modeled exception's fields.
        detail += _structure(shape, error.fields)
    content = _element("Error", detail) + _element("RequestId", _text(request_id))
    return WireResponse(
        status, {"Content-Type": CONTENT_TYPE}, _document("ErrorResponse", namespace, content)
    )


# The document is written as text, as ElementTree's `tostring` wrote the tree it was once
# built as (same bytes; tests/protocol/test_query_xml.py holds the two together): building
# the tree cost more than the rest of a SendEmail's answer.


def _document(tag: str, namespace: str, content: str) -> bytes:
    return (f'<{tag} xmlns="{_attribute(namespace)}">{content}</{tag}>').encode()


def _element(tag: str, content: str) -> str:
    # An element with nothing inside is written short, as ElementTree writes it.
    return f"<{tag}>{content}</{tag}>" if content else f"<{tag} />"


def _text(value: str) -> str:
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    return value


def _attribute(value: str) -> str:
    return (
        _text(value)
        .replace('"', "&quot;")
        .replace("\r", "&#13;")
        .replace("\n", "&#10;")
        .replace("\t", "&#09;")
    )


def _structure(shape: StructureShape, value: dict[str, Any]) -> str:
    text: str = _writer(shape)(value)
    return text


# A writer turns a native value into the XML text inside its element; built once per shape
# object, as the readers are.
Writer = Callable[[Any], str]
_WRITERS: dict[Shape, Writer] = {}


def _writer(shape: Shape) -> Writer:
    try:
        return _WRITERS[shape]
    except KeyError:
        writer = _WRITERS[shape] = _build_writer(shape)
        return writer


def _build_writer(shape: Shape) -> Writer:
    if isinstance(shape, StructureShape):
        return _StructureWriter(shape)
    if isinstance(shape, ListShape):
        return _list_writer(shape)
    if isinstance(shape, MapShape):
        return _map_writer(shape)
    kind = shape.type_name
    if kind == "string":
        return _text_of
    if kind in ("boolean", "timestamp", "blob"):
        return lambda value: _text(_scalar_text(shape, value))
    return lambda value: _text(str(value))


def _text_of(value: Any) -> str:
    return _text(str(value))


class _StructureWriter:
    """Writes one structure's members in model order, None values left out; a flattened
    list's items each in an element of the member's name."""

    __slots__ = ("fields", "shape")

    def __init__(self, shape: StructureShape) -> None:
        self.shape = shape
        # Resolved at the first write, so a shape that contains itself can be built.
        self.fields: tuple[tuple[str, str, bool, Shape], ...] | None = None

    def __call__(self, value: dict[str, Any]) -> str:
        fields = self.fields
        if fields is None:
            fields = self.fields = tuple(
                (
                    name,
                    member.serialization.get("name", name),
                    isinstance(member, ListShape) and bool(member.serialization.get("flattened")),
                    member,
                )
                for name, member in self.shape.members.items()
            )
        parts: list[str] = []
        for name, tag, flattened, member in fields:
            item = value.get(name)
            if item is None:
                continue
            if flattened:
                write = _writer(member.member)
                for entry in item:
                    parts.append(_element(tag, write(entry)))
            else:
                parts.append(_element(tag, _writer(member)(item)))
        return "".join(parts)


def _list_writer(shape: ListShape) -> Writer:
    item_shape = shape.member
    tag = item_shape.serialization.get("name", "member")

    def write(value: Any) -> str:
        item_writer = _writer(item_shape)
        return "".join(_element(tag, item_writer(item)) for item in value)

    return write


def _map_writer(shape: MapShape) -> Writer:
    value_shape = shape.value
    key_tag = shape.key.serialization.get("name", "key")
    value_tag = shape.value.serialization.get("name", "value")

    def write(value: Any) -> str:
        value_writer = _writer(value_shape)
        return "".join(
            _element(
                "entry",
                _element(key_tag, _text(str(key))) + _element(value_tag, value_writer(item)),
            )
            for key, item in value.items()
        )

    return write


def _scalar_text(shape: Shape, value: Any) -> str:
    if shape.type_name == "boolean":
        return "true" if value else "false"
    if shape.type_name == "timestamp":
        moment = (
            value if isinstance(value, dt.datetime) else dt.datetime.fromtimestamp(value, dt.UTC)
        )
        text = moment.astimezone(dt.UTC).isoformat(timespec="milliseconds")
        return text.replace("+00:00", "Z")
    if shape.type_name == "blob":
        data = value.encode() if isinstance(value, str) else value
        return base64.b64encode(data).decode("ascii")
    return str(value)
