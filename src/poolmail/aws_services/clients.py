"""A small client for the AWS APIs poolmail calls (SNS, CloudWatch Logs, S3 ...): botocore's
own serialisers, SigV4 signing and parsers over http.client.

boto3 cost 7 MB of resident memory to import, 10 MB more for a first client and 2-3 MB for
each other service (its session, endpoint rules, handlers and the whole service model);
this loads just the operations called, without their documentation (bench/notes.md, "The
outbox without boto3"). It answers as a boto3 client with one attempt would: the parsed
output, a ClientError subclass named after the modeled error, or botocore's connection
errors.
"""

from __future__ import annotations

import http.client
import os
import ssl
import urllib.parse
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any, NamedTuple

import botocore
import botocore.auth
import botocore.compress
import botocore.loaders
import botocore.parsers
import botocore.serialize
from botocore.awsrequest import (
    AWSPreparedRequest,
    HeadersDict,
    create_request_object,
    prepare_request_dict,
)
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from botocore.model import OperationModel, ServiceModel

from poolmail.aws_services import credentials

USER_AGENT = f"poolmail Botocore/{botocore.__version__}"
# Keys of the model that only document it.
_DOCUMENTATION = ("documentation", "documentationUrl", "examples")


class _Compression(NamedTuple):
    """What botocore's request compression reads of a client's Config: its defaults
    (PutMetricData bodies from 10 KiB on go gzipped)."""

    disable_request_compression: bool = False
    request_min_compression_size_bytes: int = 10240
    signature_version: str | None = None


class Client:
    """Calls to one service in one region at an endpoint; each call is one attempt."""

    def __init__(
        self,
        service: str,
        endpoint_url: str,
        region: str,
        *,
        connect_timeout: float = 2.0,
        read_timeout: float = 10.0,
    ) -> None:
        self.service = service
        self.endpoint_url = endpoint_url
        self.region = region
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self._keys: list[credentials.Keys | None] = []

    def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """The operation's parsed output, as boto3's client method returns it."""
        model = _operation(self.service, operation)
        protocol = model.service_model.resolved_protocol
        request_dict = _serializer(protocol).serialize_to_request(params, model)
        # A local endpoint has no subdomains for a host prefix.
        request_dict.pop("host_prefix", None)
        prepare_request_dict(request_dict, endpoint_url=self.endpoint_url, user_agent=USER_AGENT)
        botocore.compress.maybe_compress_request(_Compression(), request_dict, model)
        request = create_request_object(request_dict)
        signer = botocore.auth.S3SigV4Auth if self.service == "s3" else botocore.auth.SigV4Auth
        signer(self._credentials(), model.service_model.signing_name, self.region).add_auth(request)
        status, headers, body = self._send(request.prepare())
        answer = {
            "status_code": status,
            "headers": headers,
            "body": body,
            "context": {"operation_name": operation},
        }
        parsed: dict[str, Any] = _parser(protocol).parse(answer, model.output_shape)
        if status >= 300:
            code = str(parsed.get("Error", {}).get("Code", ""))
            raise _error_class(self.service, code)(parsed, operation)
        return parsed

    def __getattr__(self, name: str) -> Callable[..., dict[str, Any]]:
        """boto3's spelling: ``client.get_topic_attributes(TopicArn=arn)``."""
        if name.startswith("_"):
            raise AttributeError(name)
        operation = _operation_names(self.service).get(name)
        if operation is None:
            raise AttributeError(name)
        return lambda **params: self.call(operation, params)

    def _credentials(self) -> credentials.Keys | None:
        # Found at the first call, as a boto3 client does, then kept for the client's life.
        if not self._keys:
            self._keys.append(credentials.current())
        return self._keys[0]

    def _send(self, request: AWSPreparedRequest) -> tuple[int, HeadersDict, bytes]:
        url = request.url
        parts = urllib.parse.urlsplit(url)
        connection: http.client.HTTPConnection
        if parts.scheme == "https":
            connection = http.client.HTTPSConnection(
                parts.hostname or "", parts.port, timeout=self.connect_timeout, context=_tls()
            )
        else:
            connection = http.client.HTTPConnection(
                parts.hostname or "", parts.port, timeout=self.connect_timeout
            )
        try:
            try:
                connection.connect()
            except TimeoutError as error:
                raise ConnectTimeoutError(endpoint_url=url, error=error) from None
            except OSError as error:
                raise EndpointConnectionError(endpoint_url=url, error=error) from None
            if connection.sock is not None:
                connection.sock.settimeout(self.read_timeout)
            target = parts.path or "/"
            if parts.query:
                target += f"?{parts.query}"
            try:
                connection.request(
                    request.method, target, body=request.body, headers=dict(request.headers)
                )
                response = connection.getresponse()
                body = response.read()
            except TimeoutError as error:
                raise ReadTimeoutError(endpoint_url=url, error=error) from None
            except (http.client.HTTPException, ConnectionError) as error:
                raise ConnectionClosedError(endpoint_url=url, error=error) from None
        finally:
            connection.close()
        return response.status, HeadersDict(response.getheaders()), body


def client(service_name: str, *, endpoint_url: str, region_name: str, config: Any = None) -> Client:
    """A Client from boto3.client's arguments; ``config`` (a botocore Config) gives the
    timeouts."""
    connect = getattr(config, "connect_timeout", None)
    read = getattr(config, "read_timeout", None)
    return Client(
        service_name,
        endpoint_url,
        region_name,
        connect_timeout=2.0 if connect is None else float(connect),
        read_timeout=10.0 if read is None else float(read),
    )


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


@cache
def _operation(service: str, name: str) -> OperationModel:
    data = _service_data(service)
    shapes = data["shapes"]
    operation = _undocumented(data["operations"][name])
    used: dict[str, Any] = {}
    for reference in (operation.get("input"), operation.get("output")):
        if reference:
            _collect(shapes, reference["shape"], used)
    trimmed = {"metadata": data["metadata"], "operations": {name: operation}, "shapes": used}
    return ServiceModel(trimmed, service_name=service).operation_model(name)


@cache
def _operation_names(service: str) -> dict[str, str]:
    return {botocore.xform_name(name): name for name in _service_data(service)["operations"]}


@cache
def _error_names(service: str) -> dict[str, str]:
    """Modeled errors' shape names by the code the wire carries (boto3's
    ``client.exceptions``)."""
    names: dict[str, str] = {}
    for name, shape in _service_data(service)["shapes"].items():
        if shape.get("exception"):
            names[shape.get("error", {}).get("code", name)] = name
    return names


@cache
def _error_class(service: str, code: str) -> type[ClientError]:
    # boto3 raises a ClientError subclass named after the error's shape: its name is
    # the start of a failed delivery's `last_error`.
    name = _error_names(service).get(code)
    return ClientError if name is None else type(name, (ClientError,), {})


def _service_data(service: str) -> dict[str, Any]:
    # A loader of its own, dropped after use: botocore's keeps every file it loaded.
    loader = botocore.loaders.create_loader()
    version = loader.determine_latest_version(service, "service-2")
    data: dict[str, Any] = loader.load_data(f"{service}/{version}/service-2")
    return data


def _collect(shapes: dict[str, Any], name: str, used: dict[str, Any]) -> None:
    if name in used:
        return
    shape = used[name] = _undocumented(shapes[name])
    for reference in _references(shape):
        _collect(shapes, reference, used)


def _references(shape: dict[str, Any]) -> Iterator[str]:
    for member in shape.get("members", {}).values():
        yield member["shape"]
    for key in ("member", "key", "value"):
        if key in shape:
            yield shape[key]["shape"]


def _undocumented(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _undocumented(v) for k, v in value.items() if k not in _DOCUMENTATION}
    if isinstance(value, list):
        return [_undocumented(item) for item in value]
    return value


@cache
@cache
def _serializer(protocol: str) -> Any:
    return botocore.serialize.create_serializer(protocol, include_validation=True)


@cache
def _parser(protocol: str) -> Any:
    return botocore.parsers.create_parser(protocol)


@cache
def _tls() -> ssl.SSLContext:
    # AWS_CA_BUNDLE as botocore reads it; else the system's authorities.
    return ssl.create_default_context(cafile=os.environ.get("AWS_CA_BUNDLE") or None)
