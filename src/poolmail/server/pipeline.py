"""The request pipeline, top to bottom: identify the service, parse, dispatch, serialise."""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from botocore.model import OperationModel
from starlette.requests import Request
from starlette.responses import Response

from poolmail.clock import Clock
from poolmail.cognito.limits import count_request, counted
from poolmail.config import Settings
from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.protocol import json_rpc, query, rest_json, rest_routes
from poolmail.protocol.errors import AwsError, internal_error, not_implemented
from poolmail.protocol.models import COGNITO_IDP, SES, SESV2, operation_model, service_model
from poolmail.protocol.validate import validate_input
from poolmail.protocol.wire import WireResponse
from poolmail.server import sigv4
from poolmail.server.identity import Caller, identify_caller
from poolmail.server.inline import Inline
from poolmail.store import Database

log = logging.getLogger("poolmail.server")

FORM_TYPE = "application/x-www-form-urlencoded"
# SES v2 takes raw messages of up to 40 MB, base64-encoded in JSON: about 54 MB on the wire.
MAX_BODY_BYTES = 64 * 2**20
SES_SIGNING_NAMES = ("ses", "email")


@dataclass(slots=True)
class Services:
    """Everything the pipeline needs that lives as long as the server."""

    db: Database
    clock: Clock
    settings: Settings
    registry: Mapping[str, Mapping[str, Handler]]
    inline: Inline


@dataclass(slots=True)
class Call:
    service: str
    operation: OperationModel
    params: dict[str, Any]


def identify_service(request: Request, caller: Caller, form: Mapping[str, str]) -> str | None:
    """Decide the service by protocol: target header, REST path, or signed query form."""
    target = request.headers.get("x-amz-target")
    if target is not None:
        prefix = service_model(COGNITO_IDP).metadata["targetPrefix"]
        return COGNITO_IDP if target.startswith(prefix + ".") else None
    if request.url.path.startswith("/v2/email"):
        return SESV2
    signed_for_ses = caller.service in SES_SIGNING_NAMES
    if request.url.path == "/" and "Action" in form and (signed_for_ses or not caller.signed):
        return SES
    return None


# A version 4 UUID's variant digit (binary 10xx) from a random hex digit's low two bits.
_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}


def new_request_id() -> str:
    """A random (version 4) UUID as ``str(uuid.uuid4())`` writes it, in half the time."""
    h = os.urandom(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


# Base URLs by what Starlette derives them from; clients send a handful of Host headers,
# but a Host header is the client's to choose, so the map is bounded.
_BASE_URLS: dict[tuple[Any, ...], str] = {}
_BASE_URLS_MAX = 64


def base_url(request: Request) -> str:
    """``str(request.base_url)`` without its trailing slash (`http://127.0.0.1:4747`)."""
    scope = request.scope
    server = scope.get("server")
    key = (
        scope.get("scheme"),
        None if server is None else tuple(server),
        scope.get("app_root_path", scope.get("root_path", "")),
        request.headers.get("host"),
    )
    found = _BASE_URLS.get(key)
    if found is None:
        found = str(request.base_url).rstrip("/")
        if len(_BASE_URLS) >= _BASE_URLS_MAX:
            _BASE_URLS.clear()
        _BASE_URLS[key] = found
    return found


async def handle_aws(request: Request, services: Services) -> Response:
    request_id = new_request_id()
    body = await read_body(request, MAX_BODY_BYTES)
    if body is None:
        # Refused before parsing anything: a body past the limit is never read whole.
        wire = json_rpc.serialize_error(
            COGNITO_IDP,
            AwsError(
                "RequestEntityTooLargeException",
                f"The request body exceeds the {MAX_BODY_BYTES // 2**20} MiB poolmail accepts.",
                status=413,
            ),
        )
        return Response(wire.body, status_code=413, headers={**wire.headers, "Connection": "close"})
    query = request.query_params if request.scope.get("query_string") else {}
    caller = identify_caller(request.headers, query, services.settings.account_id)
    form = _form(request, body)
    service = identify_service(request, caller, form)
    if service is None:
        return _unknown_service(request, request_id)
    try:
        call = _parse(service, request, body, form)
        if services.settings.verify_signatures:
            _authenticate(request, body, call, services.settings)
        validate_input(service, call.operation.input_shape, call.params)
        handler = services.registry[service].get(call.operation.name)
        if handler is None:
            raise not_implemented(service, call.operation.name)
        context = RequestContext(
            service=service,
            operation=call.operation.name,
            account_id=caller.account_id,
            region=_region(service, caller, call.params, services.settings),
            request_id=request_id,
            signed=caller.signed,
            db=services.db,
            clock=services.clock,
            settings=services.settings,
            base_url=base_url(request),
            user_agent=request.headers.get("user-agent", ""),
            source_ip=request.client.host if request.client else "",
        )
        if service == COGNITO_IDP and services.settings.cognito_rate_limits:
            # Counted once the request is known to be well formed, before it acts: a
            # refused request changes nothing. An operation bound for a worker thread
            # counts there, sparing a second hand-over to a thread.
            if services.inline.eligible(handler, body):
                await services.inline.run(count_request, context, call.params, b"")
            else:
                handler = counted(handler)
        result = await services.inline.run(handler, context, call.params, body)
        wire = _serialize_result(call, result, request_id)
    except AwsError as error:
        wire = _serialize_error(service, error, request_id)
    except Exception:
        log.exception("internal error in %s", service)
        wire = _serialize_error(service, internal_error(service), request_id)
    headers = {**wire.headers, "x-amzn-RequestId": request_id}
    return Response(wire.body, status_code=wire.status, headers=headers)


async def read_body(request: Request, limit: int) -> bytes | None:
    """The request body, or None once it is known to exceed ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _authenticate(request: Request, body: bytes, call: Call, settings: Settings) -> None:
    """With --verify-signatures: every request must carry a valid SigV4 signature of a
    configured key, except Cognito's public operations sent unsigned (the model marks
    them `noAuth`), which browsers call without credentials."""
    public = call.operation.auth_type == "none" or "smithy.api#noAuth" in (
        call.operation.metadata.get("auth") or []
    )
    if public and "authorization" not in request.headers:
        return
    raw_path = request.scope.get("raw_path", b"").decode("latin-1") or request.url.path
    query = request.scope.get("query_string", b"").decode("latin-1")
    host = request.headers.get("host", request.url.netloc)
    url = f"{request.url.scheme}://{host}{raw_path}" + (f"?{query}" if query else "")
    protocol = service_model(call.service).metadata["protocol"]
    sigv4.verify(
        sigv4.SignedRequest(request.method, url, request.headers, body),
        settings.credentials,
        protocol,
        # Signatures are checked against the wall clock, not the test clock: a test that
        # jumps a day ahead still signs its requests with the real time.
        dt.datetime.now(dt.UTC),
    )


def _region(service: str, caller: Caller, params: dict[str, Any], settings: Settings) -> str:
    if caller.region:
        return caller.region
    # Unsigned Cognito calls (browser SDKs) carry no credential scope; a pool ID names its
    # region (`eu-west-1_AbC123xyz`), as Cognito's own endpoint routing relies on.
    pool_id = params.get("UserPoolId")
    if service == COGNITO_IDP and isinstance(pool_id, str) and "_" in pool_id:
        return pool_id.split("_", 1)[0]
    return settings.default_region


def _form(request: Request, body: bytes) -> dict[str, str]:
    if "x-amz-target" in request.headers or request.url.path != "/":
        return {}
    fields = dict(parse_qsl(request.url.query, keep_blank_values=True))
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(FORM_TYPE) or (body and not content_type):
        fields.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return fields


def _parse(service: str, request: Request, body: bytes, form: Mapping[str, str]) -> Call:
    if service == COGNITO_IDP:
        prefix = service_model(service).metadata["targetPrefix"]
        name = json_rpc.operation_name(request.headers["x-amz-target"], prefix)
        operation = operation_model(service, name) if name else None
        if operation is None:
            raise AwsError("UnknownOperationException", "", status=400)
        return Call(service, operation, json_rpc.parse_request(operation, body))
    if service == SES:
        action = form["Action"]
        operation = operation_model(service, action)
        if operation is None:
            raise AwsError(
                "InvalidAction", f"The action {action} is not valid for this web service."
            )
        return Call(service, operation, query.parse_request(operation, form))
    raw_path = request.scope.get("raw_path", b"").decode("latin-1").split("?", 1)[0]
    found = rest_routes.match(service, request.method, raw_path or request.url.path)
    if found is None:
        raise AwsError(
            "UnknownOperationException",
            f"No SES v2 operation is served at {request.method} {request.url.path}.",
            status=404,
        )
    operation = service_model(service).operation_model(found.operation)
    params = rest_json.parse_request(
        operation,
        labels=found.labels,
        query=parse_qsl(request.url.query, keep_blank_values=True),
        headers=request.headers,
        body=body,
        source=found.source,
    )
    return Call(service, operation, params)


def _serialize_result(call: Call, result: dict[str, Any], request_id: str) -> WireResponse:
    if call.service == COGNITO_IDP:
        return json_rpc.serialize_result(call.operation, result)
    if call.service == SES:
        return query.serialize_result(call.service, call.operation, result, request_id)
    return rest_json.serialize_result(call.operation, result)


def _serialize_error(service: str, error: AwsError, request_id: str) -> WireResponse:
    if service == COGNITO_IDP:
        return json_rpc.serialize_error(service, error)
    if service == SES:
        return query.serialize_error(service, error, request_id)
    return rest_json.serialize_error(service, error)


def _unknown_service(request: Request, request_id: str) -> Response:
    # Neither a Cognito target, an SES v2 path nor an SES query form: answer as AWS's
    # front door does for a request it cannot route.
    target = request.headers.get("x-amz-target")
    message = (
        f"poolmail does not serve the target {target}."
        if target
        else f"poolmail serves no AWS API at {request.method} {request.url.path}."
    )
    wire = json_rpc.serialize_error(
        COGNITO_IDP, AwsError("UnknownOperationException", message, status=400)
    )
    headers = {**wire.headers, "x-amzn-RequestId": request_id}
    return Response(wire.body, status_code=wire.status, headers=headers)
