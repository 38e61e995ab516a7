"""AWS query protocol (SES v1): form-encoded requests in, XML documents out."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Mapping
from typing import Any
from xml.etree import ElementTree as ET

from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape

from poolmail.protocol.errors import AwsError
from poolmail.protocol.json_values import parse_timestamp
from poolmail.protocol.models import error_shapes, error_status, error_wire_code, service_model
from poolmail.protocol.wire import WireResponse

CONTENT_TYPE = "text/xml"


def malformed(message: str) -> AwsError:
    return AwsError("MalformedQueryString", message, status=400)


def parse_request(operation: OperationModel, form: Mapping[str, str]) -> dict[str, Any]:
    if operation.input_shape is None:
        return {}
    parsed: dict[str, Any] = _parse_structure(operation.input_shape, form, "")
    return parsed


def _key(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _present(form: Mapping[str, str], key: str) -> bool:
    # A member is present when its key, or any key nested below it, was sent.
    if key in form:
        return True
    start = key + "."
    return any(k.startswith(start) for k in form)


def _parse_structure(shape: StructureShape, form: Mapping[str, str], prefix: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, member in shape.members.items():
        key = _key(prefix, member.serialization.get("name", name))
        if _present(form, key):
            out[name] = _parse(member, form, key)
    return out


def _parse(shape: Shape, form: Mapping[str, str], key: str) -> Any:
    if isinstance(shape, StructureShape):
        return _parse_structure(shape, form, key)
    if isinstance(shape, ListShape):
        if form.get(key) == "":
            return []  # botocore sends `Name=` for an empty list
        item_prefix = key if shape.serialization.get("flattened") else f"{key}.member"
        items = []
        index = 1
        while _present(form, f"{item_prefix}.{index}"):
            items.append(_parse(shape.member, form, f"{item_prefix}.{index}"))
            index += 1
        return items
    if isinstance(shape, MapShape):
        entry_prefix = key if shape.serialization.get("flattened") else f"{key}.entry"
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        result: dict[str, Any] = {}
        index = 1
        while _present(form, f"{entry_prefix}.{index}"):
            base = f"{entry_prefix}.{index}"
            map_key = form.get(f"{base}.{key_name}", "")
            result[map_key] = _parse(shape.value, form, f"{base}.{value_name}")
            index += 1
        return result
    return _scalar(shape, form.get(key, ""), key)


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
    namespace = service_model(service).metadata.get("xmlNamespace", "")
    root = ET.Element(f"{operation.name}Response", xmlns=namespace)
    output = operation.output_shape
    if output is not None:
        # botocore needs the <OpResult> element even when the result is empty.
        wrapper = output.serialization.get("resultWrapper", f"{operation.name}Result")
        _write_structure(ET.SubElement(root, wrapper), output, result)
    metadata = ET.SubElement(root, "ResponseMetadata")
    ET.SubElement(metadata, "RequestId").text = request_id
    return WireResponse(200, {"Content-Type": CONTENT_TYPE}, _document(root))


def serialize_error(service: str, error: AwsError, request_id: str) -> WireResponse:
    namespace = service_model(service).metadata.get("xmlNamespace", "")
    status = error.status or error_status(service, error.code) or 400
    root = ET.Element("ErrorResponse", xmlns=namespace)
    node = ET.SubElement(root, "Error")
    ET.SubElement(node, "Type").text = "Sender" if status < 500 else "Receiver"
    ET.SubElement(node, "Code").text = error_wire_code(service, error.code)
    ET.SubElement(node, "Message").text = error.message
    shape = error_shapes(service).get(error.code)
    if shape is not None:
        # The error shape's members (ConfigurationSetName, ...) sit beside Code, where
        # botocore reads the modeled exception's fields.
        _write_structure(node, shape, error.fields)
    ET.SubElement(root, "RequestId").text = request_id
    return WireResponse(status, {"Content-Type": CONTENT_TYPE}, _document(root))


def _document(root: ET.Element) -> bytes:
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return document


def _write_structure(node: ET.Element, shape: StructureShape, value: dict[str, Any]) -> None:
    for name, member in shape.members.items():
        item = value.get(name)
        if item is None:
            continue
        tag = member.serialization.get("name", name)
        if isinstance(member, ListShape) and member.serialization.get("flattened"):
            for entry in item:
                _write(ET.SubElement(node, tag), member.member, entry)
        else:
            _write(ET.SubElement(node, tag), member, item)


def _write(node: ET.Element, shape: Shape, value: Any) -> None:
    if isinstance(shape, StructureShape):
        _write_structure(node, shape, value)
    elif isinstance(shape, ListShape):
        tag = shape.member.serialization.get("name", "member")
        for item in value:
            _write(ET.SubElement(node, tag), shape.member, item)
    elif isinstance(shape, MapShape):
        key_tag = shape.key.serialization.get("name", "key")
        value_tag = shape.value.serialization.get("name", "value")
        for key, item in value.items():
            entry = ET.SubElement(node, "entry")
            ET.SubElement(entry, key_tag).text = str(key)
            _write(ET.SubElement(entry, value_tag), shape.value, item)
    else:
        node.text = _scalar_text(shape, value)


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
