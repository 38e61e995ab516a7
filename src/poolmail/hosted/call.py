"""One request to a pool domain's endpoint, as hosted endpoints and pages receive it: the
HTTP request, the context of the domain's pool, the domain, and the URL the domain's
paths hang off for this request (the host form or the path-prefix form).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import Response

from poolmail.cognito.oauth.hosts import Domain
from poolmail.context import RequestContext

if TYPE_CHECKING:
    # Annotations only: the authorization module pulls in much of Cognito at start-up.
    from poolmail.cognito.oauth.authorization import AuthorizationRequest

# The path prefix that reaches a domain without name resolution:
# `http://127.0.0.1:4747/_domain/<domain host name>/oauth2/authorize`.
PATH_PREFIX = "/_domain"


@dataclass(slots=True)
class HostedCall:
    request: Request
    # Scoped to the account and region of the domain's pool.
    ctx: RequestContext
    domain: Domain
    # `http://shop.auth.us-east-1.localhost:4747` (reached by Host header) or
    # `http://127.0.0.1:4747/_domain/shop.auth.us-east-1.amazoncognito.com` (by path).
    base: str

    def url(self, path: str, query: Mapping[str, str] | str | None = None) -> str:
        """The URL of one of the domain's paths (`/login`), with a query."""
        return address(self.base, path, query)

    def page_url(self, path: str, auth_request: AuthorizationRequest) -> str:
        """The URL of a page (`/login`, `/signup`, `/oauth2/authorize`, ...) carrying an
        authorization request's parameters as received."""
        return page_url(self.base, path, auth_request)

    @property
    def cookie_path(self) -> str:
        """The Path of the domain's cookies: the domain's root in either form."""
        return urlsplit(self.base).path or "/"


def address(base: str, path: str, query: Mapping[str, str] | str | None = None) -> str:
    encoded = query if isinstance(query, str) else urlencode(query or {})
    return f"{base}{path}" + (f"?{encoded}" if encoded else "")


def page_url(base: str, path: str, auth_request: AuthorizationRequest) -> str:
    """``path`` on the domain at ``base``, with the request's parameters: how the pages and
    /oauth2/authorize send the browser to each other ("with the same URL parameters")."""
    return address(base, path, auth_request.query())


# A hosted endpoint or page: what server/web/hosted_routes.py dispatches a domain's path to.
HostedHandler = Callable[[HostedCall], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One path of a pool domain (`/oauth2/token`) and the methods it answers."""

    path: str
    methods: tuple[str, ...]
    handler: HostedHandler
