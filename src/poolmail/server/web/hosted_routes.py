"""Where pool domains live on poolmail's one port: every path of a domain under
`/_domain/<domain host name>/...`, and the same paths by Host header
(`<prefix>.auth.<region>.amazoncognito.com`, `<prefix>.auth.<region>.localhost`, a custom
domain), which ``HostedDomains`` turns into the path form before routing.

The endpoints and pages themselves are in poolmail.hosted; this module finds the domain,
builds the call and dispatches.
"""

from __future__ import annotations

import html
import ipaddress
import time
import uuid
from functools import cache, lru_cache

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from poolmail.cognito.oauth import hosts
from poolmail.context import RequestContext
from poolmail.hosted.call import PATH_PREFIX, Endpoint, HostedCall
from poolmail.server.admin.admin import services_of
from poolmail.server.background import Job
from poolmail.server.pipeline import Services

# The scope key that carries the domain's root URL of a request that came by Host header.
HOSTED_BASE = "poolmail.hosted_base"
# Custom domains are looked up again at most this often: replicas share the store, so a
# domain another replica created is served within a second. Choice: 1 s.
_CUSTOM_HOSTS_SECONDS = 1.0


@cache
def _endpoints() -> dict[str, Endpoint]:
    """What a domain serves: the OAuth endpoints, the pages, federation's callbacks
    (their modules' ENDPOINTS), imported at the first request to a domain: they pull in
    much of Cognito, which a server answering only API calls does not need at start."""
    from poolmail.hosted import federation, oauth_endpoints, pages

    return {
        endpoint.path: endpoint
        for module in (oauth_endpoints, pages, federation)
        for endpoint in module.ENDPOINTS
    }


def _methods_of(endpoint: Endpoint) -> tuple[str, ...]:
    """The methods a path answers: HEAD wherever GET is (RFC 9110, section 9.3.2)."""
    if "GET" not in endpoint.methods:
        return endpoint.methods
    at = endpoint.methods.index("GET") + 1
    return (*endpoint.methods[:at], "HEAD", *endpoint.methods[at:])


# Clients send a handful of Host headers, but a Host header is the client's to choose, so
# the memory is bounded; parsing an address was a tenth of a trivial SES call.
@lru_cache(maxsize=256)
def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True


def domain_host(scope: Scope) -> tuple[str, str] | None:
    """The Host header (its last one) and its name, when that name may be a pool
    domain's: a dotted name, not an address, on a request without `X-Amz-Target`."""
    raw_host, api_call = b"", False
    for key, value in scope["headers"]:
        if key == b"host":
            raw_host = value
        elif key == b"x-amz-target":
            api_call = True
    if api_call:
        return None
    header = raw_host.decode("latin-1")
    name = hosts.host_name(header)
    if "." not in name or _is_address(name):
        return None
    return header, name


class HostedDomains:
    """ASGI middleware: a request whose Host is a pool domain goes to the domain's paths.

    AWS API requests never pay for it: their Host is an address, `localhost` or a name
    without dots, settled by string checks; a request that carries `X-Amz-Target` is an
    API call whatever its Host.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._custom: frozenset[str] = frozenset()
        self._custom_read_at = float("-inf")

    async def _is_custom(self, scope: Scope, name: str) -> bool:
        if time.monotonic() - self._custom_read_at > _CUSTOM_HOSTS_SECONDS:
            services: Services = scope["app"].state.services

            def read() -> frozenset[str]:
                with services.db.transaction(readonly=True) as tx:
                    return hosts.custom_hosts(tx)

            self._custom = await run_in_threadpool(read)
            self._custom_read_at = time.monotonic()
        return name in self._custom

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(PATH_PREFIX + "/"):
            found = domain_host(scope)
            if found is not None and (
                hosts.is_prefix_host(found[1]) or await self._is_custom(scope, found[1])
            ):
                header, name = found
                scheme = scope.get("scheme", "http")
                path = f"{PATH_PREFIX}/{name}{scope['path']}"
                scope = {
                    **scope,
                    "path": path,
                    "raw_path": path.encode(),
                    HOSTED_BASE: f"{scheme}://{header}",
                }
        await self.app(scope, receive, send)


def _api_base(request: Request) -> str:
    """The URL of the AWS API side, which token issuers are named by: this request's own
    base in the path form; in the host form, the address the server listens on (a domain
    host does not name the issuer, and clients configured from the discovery document use
    that address)."""
    if HOSTED_BASE not in request.scope:
        return str(request.base_url).rstrip("/")
    server = request.scope.get("server")
    if not server:
        return str(request.base_url).rstrip("/")
    # ASGI's `server` is [host, port], the port None when the server has none to name.
    address, port = str(server[0]), server[1]
    if address in ("0.0.0.0", "::", ""):
        address = "127.0.0.1"
    if ":" in address:
        address = f"[{address}]"
    return f"{request.url.scheme}://{address}" + (f":{port}" if port else "")


def _page(status: int, title: str, text: str) -> HTMLResponse:
    body = (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head>\n"
        f"<body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p></body></html>\n"
    )
    return HTMLResponse(body, status_code=status)


async def dispatch(request: Request) -> Response:
    services = services_of(request)
    name = request.path_params["domain"]
    path = "/" + request.path_params["path"]
    if "\x00" in name + path + str(request.url.query) or any(
        "\x00" in key + value for key, value in request.query_params.multi_items()
    ):
        # Choice: no parameter of Cognito's holds a NUL; such a request is malformed.
        return _page(400, "Error", "An error was encountered with the requested page.")

    def find() -> hosts.Domain | None:
        with services.db.transaction(readonly=True) as tx:
            return hosts.find_domain(tx, name)

    # A small read: on the loop when it would wait for nobody (as server/inline.py runs
    # short operations), saving the thread hand-off that cost the token endpoint a tenth.
    domain = find() if services.db.quiet() else await run_in_threadpool(find)
    if domain is None:
        # Choice: an unknown domain is a 404 page (on AWS its name would not resolve).
        return _page(404, "Not found", f"No user pool domain {name} exists.")
    endpoint = _endpoints().get(path)
    if endpoint is None:
        # Choice: AWS's page text for any error [obs], with 404.
        return _page(404, "Error", "An error was encountered with the requested page.")
    methods = _methods_of(endpoint)
    if request.method not in methods:
        # "405 Method Not Allowed" for mis-sent requests [obs, facts 1.4].
        allowed = ", ".join(method for method in methods if method != "OPTIONS")
        return Response(status_code=405, headers={"Allow": allowed})
    if request.method == "HEAD":
        # Choice (AWS's answer to HEAD not found): what HTTP asks of a server, a GET's
        # status and headers; the server sends no body to a HEAD request.
        request = Request({**request.scope, "method": "GET"}, request.receive)
    base = request.scope.get(HOSTED_BASE) or (
        f"{str(request.base_url).rstrip('/')}{PATH_PREFIX}/{name}"
    )
    ctx = RequestContext(
        service="cognito-idp",
        operation=path,
        account_id=domain.account,
        region=domain.region,
        request_id=str(uuid.uuid4()),
        signed=False,
        db=services.db,
        clock=services.clock,
        settings=services.settings,
        base_url=_api_base(request),
        user_agent=request.headers.get("user-agent", ""),
    )
    return await endpoint.handler(HostedCall(request, ctx, domain, base))


_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]
ROUTES: list[BaseRoute] = [
    Route(PATH_PREFIX + "/{domain}/{path:path}", dispatch, methods=_METHODS),
]
JOBS: list[Job] = []
