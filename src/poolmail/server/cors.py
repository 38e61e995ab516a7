"""Cross-origin access to the AWS APIs, as AWS's endpoints allow it: browser apps (Amplify,
the SDK for JavaScript) call Cognito from their own origin, so the preflight is answered
and every answer to a request with an Origin carries `Access-Control-Allow-Origin: *`.
poolmail's own API and console are not opened this way (see admin_guard)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

EXPOSED_HEADERS = b"x-amzn-requestid,x-amzn-errortype,x-amzn-errormessage,date,x-amz-request-id"
_PREFLIGHT_HEADERS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-methods", b"GET,POST,PUT,DELETE,PATCH,HEAD,OPTIONS"),
    (b"access-control-max-age", b"86400"),
    (b"content-length", b"0"),
]


def _is_aws_path(path: str) -> bool:
    return (
        path == "/"
        or path.startswith("/v2/email/")
        or path.endswith(("/.well-known/jwks.json", "/.well-known/openid-configuration"))
    )


class AwsCors:
    """ASGI middleware in front of the app."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _is_aws_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        if b"origin" not in headers:
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS" and b"access-control-request-method" in headers:
            requested = headers.get(b"access-control-request-headers", b"*")
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [*_PREFLIGHT_HEADERS, (b"access-control-allow-headers", requested)],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    (b"access-control-allow-origin", b"*"),
                    (b"access-control-expose-headers", EXPOSED_HEADERS),
                ]
            await send(message)

        await self.app(scope, receive, send_with_cors)
