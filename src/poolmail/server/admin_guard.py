"""Who may use poolmail's own API and console: the loopback interface, or anyone with the
admin token (`--admin-token`). The AWS APIs, and the links mailed to users (verification,
`/confirmUser`), stay open as AWS's are."""

from __future__ import annotations

import hmac
import ipaddress
import json

from starlette.types import ASGIApp, Receive, Scope, Send

GUARDED_PREFIXES = ("/_poolmail", "/console", "/_aws/ses", "/moto-api")
# Links a user opens from a mailed message: public on AWS, so public here.
# A user import job's PreSignedUrl: public on AWS (an S3 URL whose signature is its secret),
# so public here; its random token is the secret.
# The one-click feedback links of threat protection's notification mails: public, as the
# event's feedback token in the link is the secret.
# The unsubscribe links of list-managed SES mail: public, their random token the secret.
# The open pixel and click redirects of tracked SES mail (server/web/tracking_routes.py) likewise.
PUBLIC_PREFIXES = (
    "/_poolmail/ses/verify/",
    "/_poolmail/ses/unsubscribe/",
    "/_poolmail/ses/t/",
    "/_poolmail/cognito/import/",
    "/_poolmail/cognito/feedback/",
)
TOKEN_HEADER = b"x-poolmail-token"
TOKEN_COOKIE = "poolmail_token"


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


class AdminGuard:
    """ASGI middleware in front of the app."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self._guarded(scope["path"]) or self._allowed(scope):
            await self.app(scope, receive, send)
            return
        body = json.dumps(
            {
                "error": "Forbidden",
                "message": "poolmail's admin API and console answer loopback clients, or "
                "requests carrying the --admin-token (X-Poolmail-Token header, Bearer "
                "authorization, or the poolmail_token cookie).",
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 403,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})

    @staticmethod
    def _guarded(path: str) -> bool:
        return path.startswith(GUARDED_PREFIXES) and not path.startswith(PUBLIC_PREFIXES)

    def _allowed(self, scope: Scope) -> bool:
        client = scope.get("client")
        if self.token is None:
            return is_loopback(client[0] if client else None)
        return any(hmac.compare_digest(candidate, self.token) for candidate in _presented(scope))


def _presented(scope: Scope) -> list[str]:
    found: list[str] = []
    for name, value in scope.get("headers", []):
        text = value.decode("latin-1")
        if name == TOKEN_HEADER:
            found.append(text)
        elif name == b"authorization" and text.startswith("Bearer "):
            found.append(text.removeprefix("Bearer "))
        elif name == b"cookie":
            for part in text.split(";"):
                key, _, cookie = part.strip().partition("=")
                if key == TOKEN_COOKIE:
                    found.append(cookie)
    return found
