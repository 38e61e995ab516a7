"""The AWS APIs' requests go straight from the app to the pipeline (server/app.py
``PoolmailApp``): every such request is answered with the very messages the middleware
and router send for it, and whatever may not be such a request goes the long way."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from poolmail.config import Settings
from poolmail.server import pipeline
from poolmail.server.app import PoolmailApp, _is_aws_call, create_app
from poolmail.server.coalesce import _JoinedWrites
from poolmail.server.pipeline import AwsRequest, raw_headers
from poolmail.store import open_database
from tests.support import coroutines

SIGNED_SES = (
    b"AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20260101/us-east-1/ses/aws4_request, "
    b"SignedHeaders=host, Signature=00"
)
SIGNED_COGNITO = SIGNED_SES.replace(b"/ses/", b"/cognito-idp/")
JSON_11 = (b"content-type", b"application/x-amz-json-1.1")
FORM = (b"content-type", b"application/x-www-form-urlencoded")


def scope(
    method: str = "POST",
    path: str = "/",
    headers: list[tuple[bytes, bytes]] | None = None,
    query: bytes = b"",
    **changes: Any,
) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode("utf-8"),
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"127.0.0.1:4747"), *(headers or [])],
        "server": ("127.0.0.1", 4747),
        "client": ("127.0.0.1", 50123),
        "state": {},
        **changes,
    }


def target(operation: str) -> tuple[bytes, bytes]:
    return (b"x-amz-target", f"AWSCognitoIdentityProviderService.{operation}".encode())


# (scope, body): what boto3 and browsers send to the AWS APIs, well formed or not.
AWS_CALLS = {
    "cognito": (scope(headers=[JSON_11, target("ListUserPools")]), b'{"MaxResults": 5}'),
    "cognito signed, with an origin": (
        scope(
            headers=[
                JSON_11,
                target("ListUserPools"),
                (b"authorization", SIGNED_COGNITO),
                (b"origin", b"http://localhost:3000"),
            ]
        ),
        b'{"MaxResults": 5}',
    ),
    "cognito, bad json": (scope(headers=[JSON_11, target("ListUserPools")]), b"{nope"),
    "cognito, invalid": (scope(headers=[JSON_11, target("ListUserPools")]), b'{"MaxResults": 0}'),
    "unknown target": (scope(headers=[JSON_11, (b"x-amz-target", b"Nope.Nothing")]), b"{}"),
    "empty target": (scope(headers=[JSON_11, (b"x-amz-target", b"")]), b"{}"),
    "ses": (
        scope(headers=[FORM, (b"authorization", SIGNED_SES)]),
        b"Action=GetSendQuota&Version=2010-12-01",
    ),
    "ses, unsigned, query": (
        scope(headers=[FORM], query=b"Version=2010-12-01"),
        b"Action=GetSendQuota",
    ),
    "ses, unknown action": (scope(headers=[FORM]), b"Action=Nothing&Version=2010-12-01"),
    "no service": (scope(headers=[FORM]), b"Version=2010-12-01"),
    "sesv2": (scope("GET", "/v2/email/account", [(b"authorization", SIGNED_SES)]), b""),
    "sesv2 head": (scope("HEAD", "/v2/email/account"), b""),
    "sesv2 with query": (
        scope("GET", "/v2/email/identities", query=b"PageSize=5&NextToken=", headers=[]),
        b"",
    ),
    "sesv2 not found": (scope("GET", "/v2/email/nothing/here"), b""),
    "sesv2 escaped label": (scope("GET", "/v2/email/identities/a%3Fb?c", raw_path=b"/x"), b""),
    "sesv2 newline label": (scope("DELETE", "/v2/email/identities/a\nb"), b""),
    "too large": (
        scope(headers=[JSON_11, target("ListUserPools"), (b"content-length", b"999999999")]),
        b"",
    ),
    "repeated headers": (
        scope(headers=[JSON_11, target("ListUserPools"), target("DescribeUserPool")]),
        b'{"MaxResults": 5}',
    ),
}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PoolmailApp]:
    db = open_database(data_dir=str(tmp_path_factory.mktemp("fast")))
    made = create_app(Settings(), db)
    assert isinstance(made, PoolmailApp)
    yield made
    db.close()


def drive(app: Any, call_scope: dict[str, Any], body: bytes) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    chunks = [{"type": "http.request", "body": body[:3], "more_body": True}]
    chunks.append({"type": "http.request", "body": body[3:], "more_body": False})

    async def receive() -> dict[str, Any]:
        return chunks.pop(0) if chunks else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    coroutines.run(app(dict(call_scope), receive, send))
    return sent


def masked(messages: list[dict[str, Any]]) -> list[bytes]:
    """The messages with the request id (random) and the body's copies of it masked."""
    ids: set[bytes] = set()
    for message in messages:
        for key, value in message.get("headers", []):
            if key == b"x-amzn-requestid":
                ids.add(value)
    out = []
    for message in messages:
        text = repr(message).encode()
        for request_id in ids:
            text = text.replace(request_id, b"<id>")
        out.append(text)
    return out


def long_way(app: PoolmailApp, call_scope: dict[str, Any], body: bytes) -> list[dict[str, Any]]:
    """Through Starlette's middleware and router, as every request went before."""

    async def starlette(scope: Any, receive: Any, send: Any) -> None:
        await Starlette.__call__(app, scope, receive, send)

    return drive(starlette, call_scope, body)


@pytest.mark.parametrize("name", list(AWS_CALLS))
def test_aws_calls_are_answered_as_the_middleware_and_router_answer(
    app: PoolmailApp, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    call_scope, body = AWS_CALLS[name]
    expected = long_way(app, call_scope, body)
    assert _is_aws_call(call_scope)
    # The fast path must not fall back on the middleware stack.
    monkeypatch.setattr(app, "middleware_stack", None)
    monkeypatch.setattr(app, "build_middleware_stack", lambda: pytest.fail("long way taken"))
    assert masked(drive(app, call_scope, body)) == masked(expected)


def test_an_error_answer_is_starlettes_plain_500(
    app: PoolmailApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_: Any) -> Any:
        raise RuntimeError("broken")

    monkeypatch.setattr(pipeline, "identify_caller", broken)
    call_scope, body = AWS_CALLS["cognito"]
    answers: list[list[Any]] = []
    for fast in (False, True):
        sent: list[Any] = []

        async def send(message: Any, sent: list[Any] = sent) -> None:
            sent.append(message)

        async def receive() -> Any:
            return {"type": "http.request", "body": body}

        async def call(fast: bool = fast) -> None:
            if fast:
                await app(dict(call_scope), receive, send)
            else:
                await Starlette.__call__(app, dict(call_scope), receive, send)

        with pytest.raises(RuntimeError, match="broken"):
            coroutines.run(call())
        answers.append(sent)
    assert answers[0] == answers[1]
    assert answers[1][0]["status"] == 500
    assert answers[1][1]["body"] == b"Internal Server Error"


@pytest.mark.parametrize(
    "call_scope",
    [
        scope("GET", "/"),  # the console's redirect, or the catch-all
        scope("OPTIONS", "/", [(b"origin", b"x"), (b"access-control-request-method", b"POST")]),
        scope("OPTIONS", "/v2/email/account"),
        scope("POST", "/v2/emailx"),
        scope("POST", "/_poolmail/health"),
        scope("POST", "/", root_path="/aws"),
        # A pool domain's host (HostedDomains maps it to the domain's paths) or a dotted
        # name that may be a custom domain.
        scope(headers=[(b"host", b"my-app.auth.us-east-1.amazoncognito.com")]),
        scope(headers=[(b"host", b"auth.example.com:443")]),
    ],
)
def test_what_may_not_be_an_aws_call_goes_the_long_way(call_scope: dict[str, Any]) -> None:
    if call_scope["headers"][-1][0] == b"host":
        call_scope["headers"] = call_scope["headers"][1:]
    assert not _is_aws_call(call_scope)


@pytest.mark.parametrize(
    "call_scope",
    [
        scope(headers=[(b"host", b"localhost:4747")]),
        scope(headers=[(b"host", b"[::1]:4747")]),
        scope(headers=[(b"host", b"auth.example.com"), target("InitiateAuth")]),
        scope("PATCH", "/v2/email/account/details", [(b"host", b"10.1.2.3")]),
    ],
)
def test_api_calls_by_address_or_target_take_the_fast_path(call_scope: dict[str, Any]) -> None:
    assert _is_aws_call(call_scope)


URL_CASES = [
    scope(),
    scope(query=b"a=1&b=%20"),
    scope(query=b"a=1#frag"),
    scope(query=b"a=\t1"),
    scope(query="é=1".encode()),
    scope(path="/v2/email/a?b"),
    scope(path="/v2/email/a#b"),
    scope(path="/v2/email/a\\b"),
    scope(path="/v2/email/a\nb\tc\r"),
    scope(path="/v2/email/é"),
    scope(path="//v2/email/x"),
    scope(headers=[]),
    scope(headers=[], server=None),
    scope(headers=[], server=None, path="//x"),
    scope(headers=[(b"host", b"[::1]:4747")]),
    scope(headers=[(b"host", b"bad/host")]),
    scope(headers=[(b"host", b"h\xc3\xa9te")]),
    scope(headers=[(b"host", b"a:99999")]),
]


def _url_of(read: Any) -> tuple[str, str] | str:
    try:
        path, query = read()
    except Exception as error:
        return type(error).__name__
    return path, query


@pytest.mark.parametrize("url_scope", URL_CASES)
def test_the_path_and_query_are_starlettes(url_scope: dict[str, Any]) -> None:
    request = Request(url_scope)
    aws = AwsRequest(url_scope)
    expected = _url_of(lambda: (request.url.path, request.url.query))
    assert _url_of(lambda: (aws.path, aws.query)) == expected


@pytest.mark.parametrize(
    ("status", "headers", "body"),
    [
        (200, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-RequestId": "r"}, b"{}"),
        (200, {}, b""),
        (204, {"X-Thing": "1"}, b""),
        (304, {}, b"x"),
        (101, {}, b""),
        (413, {"Content-Length": "5", "Connection": "close"}, b"12345"),
        (400, {"x-amzn-ErrorType": "Caf\u00e9"}, b"x" * 300),
    ],
)
def test_raw_headers_are_a_responses(status: int, headers: dict[str, str], body: bytes) -> None:
    expected = Response(body, status_code=status, headers=headers).raw_headers
    assert raw_headers(status, headers, body) == expected


class FakeTransport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        assert not self.closed
        self.writes.append(data)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def get_extra_info(self, name: str) -> str:
        return f"info {name}"


def test_a_rounds_writes_go_out_as_one() -> None:
    async def run() -> FakeTransport:
        fake = FakeTransport()
        joined = _JoinedWrites(fake, asyncio.get_running_loop())  # type: ignore[arg-type]
        joined.write(b"HTTP/1.1 200 OK\r\n\r\n")
        joined.write(b"body")
        assert fake.writes == []
        await asyncio.sleep(0)
        assert fake.writes == [b"HTTP/1.1 200 OK\r\n\r\nbody"]
        joined.write(b"next")
        await asyncio.sleep(0)
        assert fake.writes[1:] == [b"next"]
        # Closing sends what waits first; the rest is the transport's own.
        joined.write(b"last")
        joined.close()
        assert fake.writes[2:] == [b"last"] and fake.closed
        assert joined.get_extra_info("peername") == "info peername"
        return fake

    coroutines.run(run())


def test_a_closed_connection_takes_nothing_more() -> None:
    async def run() -> None:
        fake = FakeTransport()
        joined = _JoinedWrites(fake, asyncio.get_running_loop())  # type: ignore[arg-type]
        joined.write(b"x")
        fake.closed = True  # the peer went away meanwhile
        await asyncio.sleep(0)
        assert fake.writes == []

    coroutines.run(run())


def test_request_ids_differ_between_the_ways(app: PoolmailApp) -> None:
    call_scope, body = AWS_CALLS["cognito"]
    first, second = drive(app, call_scope, body), long_way(app, call_scope, body)
    found = [dict(messages[0]["headers"])[b"x-amzn-requestid"] for messages in (first, second)]
    assert found[0] != found[1]
    assert all(re.fullmatch(rb"[0-9a-f-]{36}", value) for value in found)
