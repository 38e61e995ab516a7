"""Requests as bytes on the wire, built by botocore itself and captured before sending.

A boto3 client serialises and signs a call exactly as an SDK user's would; a
``before-send`` hook stops it there and keeps the bytes. The load generator then replays
them, so no request is formatted or signed while the clock runs.
"""

from __future__ import annotations

import http.client
import json
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

REGION = "us-east-1"
ACCOUNT = "123456789012"
ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


class _Captured(Exception):
    def __init__(self, request: Any) -> None:
        super().__init__("captured")
        self.request = request


def client(service: str, endpoint: str) -> Any:
    return boto3.session.Session().client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=120),
    )


def _raise_captured(request: Any, **_: Any) -> None:
    raise _Captured(request)


def capture(service: str, endpoint: str, operation: str, **params: Any) -> bytes:
    """The HTTP/1.1 request boto3 would send for ``operation(**params)``."""
    api = client(service, endpoint)
    api.meta.events.register("before-send", _raise_captured)
    try:
        getattr(api, operation)(**params)
    except _Captured as captured:
        return raw(captured.request)
    raise RuntimeError(f"{operation} was not captured")


def raw(request: Any) -> bytes:
    """A botocore AWSPreparedRequest as bytes, Host header first as urllib3 sends it."""
    url = urllib.parse.urlsplit(request.url)
    target = url.path or "/"
    if url.query:
        target += "?" + url.query
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode()
    lines = [f"{request.method} {target} HTTP/1.1", f"Host: {url.netloc}"]
    headers = {
        str(k): (v.decode() if isinstance(v, bytes) else str(v)) for k, v in request.headers.items()
    }
    headers.pop("Content-Length", None)
    headers.pop("Expect", None)
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def plain(method: str, endpoint: str, path: str, body: bytes = b"", **headers: str) -> bytes:
    """An unsigned request, for the servers' own (non-AWS) endpoints."""
    netloc = endpoint.split("://", 1)[1]
    lines = [f"{method} {path} HTTP/1.1", f"Host: {netloc}"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    if body or method in ("POST", "PUT"):
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@dataclass(frozen=True)
class Template:
    """A captured request with a placeholder to replace by same-length values, so each
    copy stays well-formed (same Content-Length) without being built again."""

    request: bytes
    placeholder: bytes

    def fill(self, values: Iterable[str]) -> list[bytes]:
        parts = self.request.split(self.placeholder)
        return [value.encode().join(parts) for value in values]


def numbered(prefix: str, start: int, count: int, width: int = 9) -> list[str]:
    return [f"{prefix}{n:0{width}d}" for n in range(start, start + count)]


def send(request: bytes, endpoint: str, timeout: float = 120.0) -> tuple[int, bytes]:
    """Send one raw request on a fresh connection; (status, body)."""
    host, _, port = endpoint.split("://", 1)[1].partition(":")
    connection = http.client.HTTPConnection(host, int(port or 80), timeout=timeout)
    try:
        connection.connect()
        assert connection.sock is not None
        connection.sock.sendall(request)
        response = http.client.HTTPResponse(
            connection.sock, method=request.split(b" ", 1)[0].decode()
        )
        response.begin()
        return response.status, response.read()
    finally:
        connection.close()


def json_call(endpoint: str, method: str, path: str, document: Any = None) -> Any:
    body = b"" if document is None else json.dumps(document).encode()
    status, answer = send(
        plain(method, endpoint, path, body, Content_Type="application/json"), endpoint
    )
    if status >= 400:
        raise RuntimeError(f"{method} {path}: {status} {answer[:300]!r}")
    return json.loads(answer) if answer.strip() else None


Probe = Callable[[str], bytes]
