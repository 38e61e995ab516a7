"""AWS query protocol (SES v1): form-encoded requests in, XML documents out."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape

from poolmail.protocol.errors import AwsError
from poolmail.protocol.models import error_shapes, error_status, error_wire_code, service_model

# Unchanged by the plans: shared with src rather than copied.
from poolmail.protocol.query import (
    CONTENT_TYPE,
    _document,
    _element,
    _Form,
    _scalar,
    _scalar_text,
    _sent_keys,
    _text,
)
from poolmail.protocol.wire import WireResponse


def parse_request(operation: OperationModel, form: Mapping[str, str]) -> dict[str, Any]:
    if operation.input_shape is None:
        return {}
    parsed: dict[str, Any] = _parse_structure(
        operation.input_shape, _Form(form, _sent_keys(form)), ""
    )
    return parsed


def _key(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def _parse_structure(shape: StructureShape, form: _Form, prefix: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, member in shape.members.items():
        key = _key(prefix, member.serialization.get("name", name))
        if key in form.present:
            out[name] = _parse(member, form, key)
    return out


def _parse(shape: Shape, form: _Form, key: str) -> Any:
    if isinstance(shape, StructureShape):
        return _parse_structure(shape, form, key)
    values, present = form.values, form.present
    if isinstance(shape, ListShape):
        if values.get(key) == "":
            return []  # botocore sends `Name=` for an empty list
        item_prefix = key if shape.serialization.get("flattened") else f"{key}.member"
        items = []
        index = 1
        while f"{item_prefix}.{index}" in present:
            items.append(_parse(shape.member, form, f"{item_prefix}.{index}"))
            index += 1
        return items
    if isinstance(shape, MapShape):
        entry_prefix = key if shape.serialization.get("flattened") else f"{key}.entry"
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        result: dict[str, Any] = {}
        index = 1
        while f"{entry_prefix}.{index}" in present:
            base = f"{entry_prefix}.{index}"
            map_key = values.get(f"{base}.{key_name}", "")
            result[map_key] = _parse(shape.value, form, f"{base}.{value_name}")
            index += 1
        return result
    return _scalar(shape, values.get(key, ""), key)


def serialize_result(
    service: str, operation: OperationModel, result: dict[str, Any], request_id: str
) -> WireResponse:
    namespace = service_model(service).metadata.get("xmlNamespace", "")
    content = ""
    output = operation.output_shape
    if output is not None:
        # botocore needs the <OpResult> element even when the result is empty.
        wrapper = output.serialization.get("resultWrapper", f"{operation.name}Result")
        content = _element(wrapper, _structure(output, result))
    content += _element("ResponseMetadata", _element("RequestId", _text(request_id)))
    return WireResponse(
        200,
        {"Content-Type": CONTENT_TYPE},
        _document(f"{operation.name}Response", namespace, content),
    )


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


def _structure(shape: StructureShape, value: dict[str, Any]) -> str:
    parts: list[str] = []
    for name, member in shape.members.items():
        item = value.get(name)
        if item is None:
            continue
        tag = member.serialization.get("name", name)
        if isinstance(member, ListShape) and member.serialization.get("flattened"):
            for entry in item:
                parts.append(_element(tag, _content(member.member, entry)))
        else:
            parts.append(_element(tag, _content(member, item)))
    return "".join(parts)


def _content(shape: Shape, value: Any) -> str:
    if isinstance(shape, StructureShape):
        return _structure(shape, value)
    if isinstance(shape, ListShape):
        tag = shape.member.serialization.get("name", "member")
        return "".join(_element(tag, _content(shape.member, item)) for item in value)
    if isinstance(shape, MapShape):
        key_tag = shape.key.serialization.get("name", "key")
        value_tag = shape.value.serialization.get("name", "value")
        return "".join(
            _element(
                "entry",
                _element(key_tag, _text(str(key)))
                + _element(value_tag, _content(shape.value, item)),
            )
            for key, item in value.items()
        )
    return _text(_scalar_text(shape, value))
