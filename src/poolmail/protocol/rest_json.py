"""AWS REST-JSON (SES v2): members in the path, query string, headers and JSON body."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.model import ListShape, MapShape, OperationModel, Shape, StructureShape

from poolmail.protocol import fast_json
from poolmail.protocol.errors import AwsError
from poolmail.protocol.json_values import (
    SerializationError,
    epoch_seconds,
    from_json,
    parse_timestamp,
    to_json,
)
from poolmail.protocol.models import error_status, error_wire_code
from poolmail.protocol.rest_routes import MemberSource
from poolmail.protocol.wire import WireResponse

CONTENT_TYPE = "application/json"


def bad_request(message: str) -> AwsError:
    return AwsError("BadRequestException", message)


def parse_request(
    operation: OperationModel,
    *,
    labels: Mapping[str, str],
    query: Sequence[tuple[str, str]],
    headers: Mapping[str, str],
    body: bytes,
    source: MemberSource = "model",
) -> dict[str, Any]:
    plan = _input_plan(operation, source)
    if plan is None:
        return {}
    params: dict[str, Any] = {}
    for name, location, wire_name, key, member in plan.located:
        if location == "uri":
            if key in labels:
                params[name] = _from_text(member, labels[key], wire_name)
        elif location == "querystring":
            value = _from_query(member, wire_name, query)
            if value is not None:
                params[name] = value
        elif location == "header":
            if key in headers:
                params[name] = _from_text(member, headers[key], wire_name)
        else:
            found = {k[len(key) :]: v for k, v in headers.items() if k.startswith(key)}
            if found:
                params[name] = found
    payload = plan.payload
    if payload is not None:
        if plan.payload_blob:
            params[payload] = body
        elif body.strip():
            params[payload] = from_json(plan.payload_shape, _load(body), payload)
    elif plan.body and body.strip() and source != "query":
        document = _load(body)
        for name, wire_name, member in plan.body:
            value = document.get(wire_name)
            if value is not None:
                params[name] = from_json(member, value, name)
    return params


@dataclass(frozen=True, slots=True)
class _InputPlan:
    """Where each input member of one operation comes from, read once from the shapes."""

    # (name, location, wire name, key, shape) of the members outside the body, in model
    # order; the key is the wire name lower-cased for headers, as the request's are.
    located: tuple[tuple[str, str, str, str, Shape], ...]
    body: tuple[tuple[str, str, Shape], ...]
    payload: str | None
    payload_shape: Shape | None
    payload_blob: bool


# Plans by operation model and member source. The cached service models' operations live
# as long as the process; the sources are three.
_INPUT_PLANS: dict[tuple[OperationModel, MemberSource], _InputPlan | None] = {}


def _input_plan(operation: OperationModel, source: MemberSource) -> _InputPlan | None:
    try:
        return _INPUT_PLANS[(operation, source)]
    except KeyError:
        plan = _INPUT_PLANS[(operation, source)] = _build_input_plan(operation, source)
        return plan


def _build_input_plan(operation: OperationModel, source: MemberSource) -> _InputPlan | None:
    shape = operation.input_shape
    if shape is None:
        return None
    located: list[tuple[str, str, str, str, Shape]] = []
    body_members: list[tuple[str, str, Shape]] = []
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
        if location in ("uri", "querystring"):
            located.append((name, location, wire_name, wire_name, member))
        elif location in ("header", "headers"):
            located.append((name, location, wire_name, wire_name.lower(), member))
        else:
            body_members.append((name, wire_name, member))
    payload = shape.serialization.get("payload")
    payload_shape = shape.members[payload] if payload is not None else None
    return _InputPlan(
        tuple(located),
        tuple(body_members),
        payload,
        payload_shape,
        payload_shape is not None and payload_shape.type_name == "blob",
    )


def _load(body: bytes) -> dict[str, Any]:
    try:
        document = fast_json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SerializationError("The request body is not valid JSON.") from exc
    if not isinstance(document, dict):
        raise SerializationError("The request body must be a JSON object.")
    return document


def _from_query(shape: Shape, name: str, query: Sequence[tuple[str, str]]) -> Any:
    if isinstance(shape, MapShape):
        # A map bound to the query string takes every parameter not bound elsewhere.
        return {key: value for key, value in query} or None
    values = [value for key, value in query if key == name]
    if not values:
        return None
    if isinstance(shape, ListShape):
        return [_from_text(shape.member, value, name) for value in values]
    return _from_text(shape, values[0], name)


def _from_text(shape: Shape, raw: str, name: str) -> Any:
    kind = shape.type_name
    if kind in ("integer", "long"):
        try:
            return int(raw)
        except ValueError as exc:
            raise bad_request(f"Value '{raw}' for {name} is not an integer.") from exc
    if kind in ("double", "float"):
        try:
            return float(raw)
        except ValueError as exc:
            raise bad_request(f"Value '{raw}' for {name} is not a number.") from exc
    if kind == "boolean":
        if raw.lower() not in ("true", "false"):
            raise bad_request(f"Value '{raw}' for {name} is not a boolean.")
        return raw.lower() == "true"
    if kind == "timestamp":
        return parse_timestamp(raw, name)
    return raw


def serialize_result(operation: OperationModel, result: dict[str, Any]) -> WireResponse:
    plan = _output_plan(operation)
    status = plan.status
    headers = {"Content-Type": CONTENT_TYPE}
    shape = plan.shape
    if shape is None:
        return WireResponse(status, headers, b"{}")
    for name, location, wire_name, member in plan.located:
        value = result.get(name)
        if value is None:
            continue
        if location == "header":
            headers[wire_name] = _to_text(member, value)
        else:
            status = int(value)
    payload = plan.payload
    if payload is not None:
        value = result.get(payload)
        if plan.payload_blob:
            return WireResponse(status, headers, value or b"")
        document = to_json(plan.payload_shape, value) if value is not None else {}
    elif not plan.located:
        # Every member is in the body: the structure's own writer writes them.
        document = to_json(shape, result)
    else:
        document = {}
        for name, wire_name, member in plan.body:
            value = result.get(name)
            if value is not None:
                document[wire_name] = to_json(member, value)
    return WireResponse(status, headers, fast_json.dumps(document))


@dataclass(frozen=True, slots=True)
class _OutputPlan:
    """Where each output member of one operation goes, read once from the shapes."""

    status: int
    shape: Shape | None
    # (name, "header" or "statusCode", wire name, shape), in model order.
    located: tuple[tuple[str, str, str, Shape], ...]
    body: tuple[tuple[str, str, Shape], ...]
    payload: str | None
    payload_shape: Shape | None
    payload_blob: bool


_OUTPUT_PLANS: dict[OperationModel, _OutputPlan] = {}


def _output_plan(operation: OperationModel) -> _OutputPlan:
    try:
        return _OUTPUT_PLANS[operation]
    except KeyError:
        plan = _OUTPUT_PLANS[operation] = _build_output_plan(operation)
        return plan


def _build_output_plan(operation: OperationModel) -> _OutputPlan:
    status = int(operation.http.get("responseCode", 200))
    shape = operation.output_shape
    if shape is None:
        return _OutputPlan(status, None, (), (), None, None, False)
    located: list[tuple[str, str, str, Shape]] = []
    body: list[tuple[str, str, Shape]] = []
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        wire_name = member.serialization.get("name", name)
        if location in ("header", "statusCode"):
            located.append((name, location, wire_name, member))
        else:
            body.append((name, wire_name, member))
    payload = shape.serialization.get("payload")
    payload_shape = shape.members[payload] if payload is not None else None
    blob = payload_shape is not None and payload_shape.type_name == "blob"
    return _OutputPlan(status, shape, tuple(located), tuple(body), payload, payload_shape, blob)


def _to_text(shape: Shape, value: Any) -> str:
    if shape.type_name == "boolean":
        return "true" if value else "false"
    if shape.type_name == "timestamp":
        return str(epoch_seconds(value))
    return str(value)


def serialize_error(service: str, error: AwsError) -> WireResponse:
    code = error_wire_code(service, error.code)
    status = error.status or error_status(service, error.code) or 400
    headers = {"Content-Type": CONTENT_TYPE, "x-amzn-ErrorType": code}
    document = {"message": error.message, **error.fields}
    return WireResponse(status, headers, json.dumps(document).encode())
