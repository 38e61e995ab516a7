"""The request pipeline, top to bottom: identify the service, parse, dispatch, serialise."""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from botocore.model import OperationModel
from starlette.datastructures import URL, Address, Headers, QueryParams
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Receive, Scope

from poolmail.clock import Clock
from poolmail.cognito.pools.limits import count_request, counted
from poolmail.config import Settings
from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.protocol import json_rpc, query, rest_json, rest_routes
from poolmail.protocol.errors import AwsError, internal_error, not_implemented
from poolmail.protocol.form import parse_form
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


def identify_service(request: AwsRequest, caller: Caller, form: Mapping[str, str]) -> str | None:
    """Decide the service by protocol: target header, REST path, or signed query form."""
    target = request.header(b"x-amz-target")
    if target is not None:
        prefix = service_model(COGNITO_IDP).metadata["targetPrefix"]
        return COGNITO_IDP if target.startswith(prefix + ".") else None
    if request.path.startswith("/v2/email"):
        return SESV2
    signed_for_ses = caller.service in SES_SIGNING_NAMES
    if request.path == "/" and "Action" in form and (signed_for_ses or not caller.signed):
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
    return base_url_of(request.scope, request.headers.get("host"))


def base_url_of(scope: Scope, host: str | None) -> str:
    """``base_url`` of the request of ``scope``, whose first Host header is ``host``."""
    server = scope.get("server")
    key = (
        scope.get("scheme"),
        None if server is None else tuple(server),
        scope.get("app_root_path", scope.get("root_path", "")),
        host,
    )
    found = _BASE_URLS.get(key)
    if found is None:
        found = str(Request(scope).base_url).rstrip("/")
        if len(_BASE_URLS) >= _BASE_URLS_MAX:
            _BASE_URLS.clear()
        _BASE_URLS[key] = found
    return found


class AwsRequest:
    """What the pipeline reads of one request, straight from its ASGI scope.

    Starlette's ``Request`` looks each header up by scanning the list and builds a
    ``URL`` (a string assembled and split again) for the path. Here the headers become
    one dict and the path is the scope's own wherever Starlette's URL would give back
    exactly that; elsewhere Starlette's URL, built at the same point of the pipeline as
    before, decides (tests/test_fast_path.py holds the two together).
    """

    __slots__ = ("_plain", "_url", "headers", "method", "scope")

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.method: str = scope["method"]
        # The first of repeated headers, as Starlette's ``Headers.get`` finds them.
        self.headers: dict[bytes, bytes] = dict(reversed(scope["headers"]))
        self._plain: bool | None = None
        self._url: URL | None = None

    def header(self, name: bytes) -> str | None:
        value = self.headers.get(name)
        return None if value is None else value.decode("latin-1")

    @property
    def url(self) -> URL:
        if self._url is None:
            self._url = URL(scope=self.scope)
        return self._url

    def _is_plain(self) -> bool:
        """Whether Starlette's URL would hand back the scope's path and query unchanged:
        nothing it escapes or `urlsplit` drops or splits at, an ASCII Host it cannot
        misread, an ASCII query."""
        if self._plain is None:
            path: str = self.scope["path"]
            query: bytes = self.scope.get("query_string", b"")
            host = self.headers.get(b"host", b"")
            self._plain = (
                not _UNPLAIN_PATH.search(path)
                and not path.startswith("//")
                and host.isascii()
                and query.isascii()
                and not _UNPLAIN_QUERY.search(query)
            )
        return self._plain

    @property
    def path(self) -> str:
        """``request.url.path``."""
        if self._is_plain():
            path: str = self.scope["path"]
            return path
        return self.url.path

    @property
    def query(self) -> str:
        """``request.url.query``."""
        if self._is_plain():
            query: bytes = self.scope.get("query_string", b"")
            return query.decode("ascii")
        return self.url.query


# What Starlette's URL escapes in a path, or `urlsplit` removes (tabs, line breaks).
_UNPLAIN_PATH = re.compile(r"[?#\\\t\r\n]")
_UNPLAIN_QUERY = re.compile(rb"[#\t\r\n]")


async def handle_aws(request: Request, services: Services) -> Response:
    """The pipeline behind a Starlette route (the catch-all, the console's `/`)."""
    body = await read_body(request, MAX_BODY_BYTES)
    status, headers, content = await answer_aws(AwsRequest(request.scope), body, services)
    return Response(content, status_code=status, headers=headers)


def raw_headers(status: int, headers: Mapping[str, str], body: bytes) -> list[tuple[bytes, bytes]]:
    """``Response(body, status_code=status, headers=headers).raw_headers``."""
    raw = [
        (key.lower().encode("latin-1"), value.encode("latin-1")) for key, value in headers.items()
    ]
    if not (status < 200 or status in (204, 304)) and all(
        key != b"content-length" for key, _ in raw
    ):
        raw.append((b"content-length", str(len(body)).encode("latin-1")))
    return raw


async def answer_aws(
    request: AwsRequest, body: bytes | None, services: Services
) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of the answer to one AWS API request; ``body`` None when
    it exceeded ``MAX_BODY_BYTES``."""
    request_id = new_request_id()
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
        return 413, {**wire.headers, "Connection": "close"}, wire.body
    scope = request.scope
    query = QueryParams(scope["query_string"]) if scope.get("query_string") else {}
    caller = identify_caller(
        request.header(b"authorization") or "", query, services.settings.account_id
    )
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
        client = scope.get("client")
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
            base_url=base_url_of(scope, request.header(b"host")),
            user_agent=request.header(b"user-agent") or "",
            source_ip=Address(*client).host if client is not None else "",
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
    return wire.status, {**wire.headers, "x-amzn-RequestId": request_id}, wire.body


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


async def receive_body(receive: Receive, declared: str, limit: int) -> bytes | None:
    """``read_body`` on the ASGI receive channel, read as ``Request.stream`` reads it;
    ``declared`` is the Content-Length header's value."""
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.request":
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return None
            if chunk:
                chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)
        elif message["type"] == "http.disconnect":
            raise ClientDisconnect()


def _authenticate(aws_request: AwsRequest, body: bytes, call: Call, settings: Settings) -> None:
    """With --verify-signatures: every request must carry a valid SigV4 signature of a
    configured key, except Cognito's public operations sent unsigned (the model marks
    them `noAuth`), which browsers call without credentials."""
    public = call.operation.auth_type == "none" or "smithy.api#noAuth" in (
        call.operation.metadata.get("auth") or []
    )
    if public and b"authorization" not in aws_request.headers:
        return
    request = Request(aws_request.scope)
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


def _form(request: AwsRequest, body: bytes) -> dict[str, str]:
    if b"x-amz-target" in request.headers or request.path != "/":
        return {}
    query = request.query
    fields = dict(parse_form(query)) if query else {}
    content_type = request.header(b"content-type") or ""
    if content_type.startswith(FORM_TYPE) or (body and not content_type):
        fields.update(parse_form(body.decode("utf-8", "replace")))
    return fields


def _parse(service: str, request: AwsRequest, body: bytes, form: Mapping[str, str]) -> Call:
    if service == COGNITO_IDP:
        prefix = service_model(service).metadata["targetPrefix"]
        name = json_rpc.operation_name(request.headers[b"x-amz-target"].decode("latin-1"), prefix)
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
    found = rest_routes.match(service, request.method, raw_path or request.path)
    if found is None:
        raise AwsError(
            "UnknownOperationException",
            f"No SES v2 operation is served at {request.method} {request.path}.",
            status=404,
        )
    operation = service_model(service).operation_model(found.operation)
    params = rest_json.parse_request(
        operation,
        labels=found.labels,
        query=parse_qsl(request.query, keep_blank_values=True),
        headers=Headers(scope=request.scope),
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


def _unknown_service(request: AwsRequest, request_id: str) -> tuple[int, dict[str, str], bytes]:
    # Neither a Cognito target, an SES v2 path nor an SES query form: answer as AWS's
    # front door does for a request it cannot route.
    target = request.header(b"x-amz-target")
    message = (
        f"poolmail does not serve the target {target}."
        if target
        else f"poolmail serves no AWS API at {request.method} {request.path}."
    )
    wire = json_rpc.serialize_error(
        COGNITO_IDP, AwsError("UnknownOperationException", message, status=400)
    )
    return wire.status, {**wire.headers, "x-amzn-RequestId": request_id}, wire.body
