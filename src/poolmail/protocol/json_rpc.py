"""AWS JSON 1.1 (Cognito user pools): ``X-Amz-Target`` names the operation."""

from __future__ import annotations

import json
from typing import Any

from botocore.model import OperationModel

from poolmail.protocol import fast_json
from poolmail.protocol.errors import AwsError
from poolmail.protocol.json_values import SerializationError, from_json, to_json
from poolmail.protocol.models import error_status, error_wire_code
from poolmail.protocol.wire import KeptResult, WireResponse

CONTENT_TYPE = "application/x-amz-json-1.1"


def operation_name(target: str, prefix: str) -> str | None:
    head, _, operation = target.partition(".")
    return operation if head == prefix and operation else None


def parse_request(operation: OperationModel, body: bytes) -> dict[str, Any]:
    if operation.input_shape is None:
        return {}
    if not body.strip():
        document: Any = {}
    else:
        try:
            document = fast_json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise SerializationError("Start of structure or map found where not expected.") from exc
    if not isinstance(document, dict):
        raise SerializationError("Start of structure or map found where not expected.")
    parsed: dict[str, Any] = from_json(operation.input_shape, document)
    return parsed


def serialize_result(operation: OperationModel, result: dict[str, Any]) -> WireResponse:
    if isinstance(result, KeptResult):
        body = result.body
        if body is None:
            body = result.body = _write(operation, result)
        return WireResponse(200, {"Content-Type": CONTENT_TYPE}, body)
    return WireResponse(200, {"Content-Type": CONTENT_TYPE}, _write(operation, result))


def _write(operation: OperationModel, result: dict[str, Any]) -> bytes:
    document = to_json(operation.output_shape, result) if operation.output_shape else {}
    return fast_json.dumps(document)


def serialize_error(service: str, error: AwsError) -> WireResponse:
    code = error_wire_code(service, error.code)
    status = error.status or error_status(service, error.code) or 400
    document = {"__type": code, "message": error.message, **error.fields}
    headers = {"Content-Type": CONTENT_TYPE, "x-amzn-ErrorType": code}
    return WireResponse(status, headers, json.dumps(document).encode())
