"""AWS REST-JSON (SES v2): members in the path, query string, headers and JSON body."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from botocore.model import MapShape, OperationModel, Shape, StructureShape

from poolmail.protocol import fast_json
from poolmail.protocol.json_values import to_json

# Unchanged by the plans: shared with src rather than copied.
from poolmail.protocol.rest_json import (
    CONTENT_TYPE,
    _from_query,
    _from_text,
    _load,
    _to_text,
)
from poolmail.protocol.rest_routes import MemberSource
from poolmail.protocol.wire import WireResponse
from tests.protocol.oracle.json_values import from_json


def parse_request(
    operation: OperationModel,
    *,
    labels: Mapping[str, str],
    query: Sequence[tuple[str, str]],
    headers: Mapping[str, str],
    body: bytes,
    source: MemberSource = "model",
) -> dict[str, Any]:
    shape = operation.input_shape
    if shape is None:
        return {}
    params: dict[str, Any] = {}
    body_members: dict[str, Shape] = {}
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire_name = member.serialization.get("name", name)
        if source == "query":
            # A legacy GET sends its members as query parameters by name. A map or
            # structure the old model lacked (ListEmailIdentities' Filter) cannot come that
            # way; taken as a query-string map, it would swallow every parameter.
            nested = isinstance(member, MapShape | StructureShape)
            location = None if nested else "querystring"
        elif source == "body" and location in ("querystring", None):
            location = None
        if location == "uri":
            if wire_name in labels:
                params[name] = _from_text(member, labels[wire_name], wire_name)
        elif location == "querystring":
            value = _from_query(member, wire_name, query)
            if value is not None:
                params[name] = value
        elif location == "header":
            if wire_name.lower() in headers:
                params[name] = _from_text(member, headers[wire_name.lower()], wire_name)
        elif location == "headers":
            prefix = wire_name.lower()
            found = {k[len(prefix) :]: v for k, v in headers.items() if k.startswith(prefix)}
            if found:
                params[name] = found
        else:
            body_members[name] = member
    payload = shape.serialization.get("payload")
    if payload is not None:
        member = shape.members[payload]
        if member.type_name == "blob":
            params[payload] = body
        elif body.strip():
            params[payload] = from_json(member, _load(body), payload)
    elif body_members and body.strip() and source != "query":
        document = _load(body)
        for name, member in body_members.items():
            wire_name = member.serialization.get("name", name)
            if document.get(wire_name) is not None:
                params[name] = from_json(member, document[wire_name], name)
    return params


def serialize_result(operation: OperationModel, result: dict[str, Any]) -> WireResponse:
    status = int(operation.http.get("responseCode", 200))
    shape = operation.output_shape
    headers = {"Content-Type": CONTENT_TYPE}
    if shape is None:
        return WireResponse(status, headers, b"{}")
    body_shape_members: dict[str, Any] = {}
    for name, member in shape.members.items():
        value = result.get(name)
        if value is None:
            continue
        location = member.serialization.get("location")
        if location == "header":
            headers[member.serialization.get("name", name)] = _to_text(member, value)
        elif location == "statusCode":
            status = int(value)
        else:
            body_shape_members[name] = value
    payload = shape.serialization.get("payload")
    if payload is not None:
        member = shape.members[payload]
        value = result.get(payload)
        if member.type_name == "blob":
            return WireResponse(status, headers, value or b"")
        document = to_json(member, value) if value is not None else {}
    else:
        assert isinstance(shape, StructureShape)
        document = {
            member.serialization.get("name", name): to_json(member, body_shape_members[name])
            for name, member in shape.members.items()
            if name in body_shape_members
        }
    return WireResponse(status, headers, fast_json.dumps(document))
