"""A pool's "App integration" page, as the AWS console names it: the domain and its
managed login URLs, each app client's OAuth settings with a link to its login page,
resource servers and their scopes, identity providers (secrets masked) and branding."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from poolmail.cognito.oauth.hosts import pool_domain_host
from poolmail.console.layout import show
from poolmail.console.pool_pages import COGNITO, pool_url
from poolmail.console.scope import Scope, call, pool_scope, scope_of
from poolmail.hosted.call import PATH_PREFIX, address
from poolmail.protocol.errors import AwsError
from poolmail.server.admin.admin import services_of
from poolmail.server.pipeline import Services

# Choice: a fixed mask whatever the secret's length, so the page tells nothing of it
# (the AWS console shows an IdP's client secret only as dots).
MASK = "••••••••"
# Provider details that are secrets: shown masked, never in the page's source.
SECRET_DETAILS = frozenset({"client_secret", "private_key"})
# Provider details too long for a table cell (a SAML metadata document).
DOCUMENT_DETAILS = frozenset({"MetadataFile", "ActiveEncryptionCertificate"})
BRANDING_VERSIONS = {1: "Hosted UI (classic)", 2: "Managed login"}


@dataclass(frozen=True, slots=True)
class DomainUrls:
    """Where a domain's endpoints answer: on AWS, on this server by Host header (a prefix
    domain under `.localhost`, which resolves without a hosts entry), and on this server
    under a path prefix that needs no name resolution at all."""

    aws: str
    local_host: str | None
    local_path: str


def domain_urls(host: str, base_url: str) -> DomainUrls:
    """``host`` is the domain's full host name; ``base_url`` this server's, as the
    browser reached it (`http://127.0.0.1:4747/`)."""
    scheme, _, rest = base_url.partition("://")
    authority = rest.split("/", 1)[0]
    port = authority.rsplit(":", 1)[1] if ":" in authority.rsplit("]", 1)[-1] else ""
    local_host = None
    if host.endswith(".amazoncognito.com"):
        local = host.removesuffix(".amazoncognito.com") + ".localhost"
        local_host = f"{scheme}://{local}{':' + port if port else ''}"
    return DomainUrls(
        aws=f"https://{host}",
        local_host=local_host,
        local_path=f"{base_url.rstrip('/')}{PATH_PREFIX}/{host}",
    )


def login_query(client: dict[str, Any]) -> str | None:
    """The query of the client's login page as the AWS console's "View login page" opens
    it (code flow when allowed, the client's scopes, its first callback URL); None when
    the client has no page to show (OAuth off, client_credentials only, no callback)."""
    flows = client.get("AllowedOAuthFlows") or []
    callbacks = client.get("CallbackURLs") or []
    if not client.get("AllowedOAuthFlowsUserPoolClient") or not callbacks:
        return None
    if "code" in flows:
        response_type = "code"
    elif "implicit" in flows:
        response_type = "token"
    else:
        return None
    query = {"client_id": client["ClientId"], "response_type": response_type}
    scopes = client.get("AllowedOAuthScopes") or []
    if scopes:
        query["scope"] = " ".join(scopes)
    query["redirect_uri"] = callbacks[0]
    return urlencode(query)


def masked_details(details: dict[str, str]) -> list[tuple[str, str, str]]:
    """ProviderDetails as (key, value, kind) rows, sorted by key: kind is `secret` (the
    value is the mask), `document` (shown folded) or `text`."""
    rows = []
    for key in sorted(details):
        if key in SECRET_DETAILS:
            rows.append((key, MASK, "secret"))
        elif key in DOCUMENT_DETAILS:
            rows.append((key, details[key], "document"))
        else:
            rows.append((key, details[key], "text"))
    return rows


def _domains(
    services: Services, scope: Scope, pool: dict[str, Any], base_url: str
) -> list[dict[str, Any]]:
    """The pool's prefix and custom domains (either, both or none), as DescribeUserPoolDomain
    answers for each, with their URLs."""
    found = []
    for member, kind in (("CustomDomain", "Custom domain"), ("Domain", "Cognito domain")):
        name = pool.get(member)
        if not name:
            continue
        described = call(services, scope, COGNITO, "DescribeUserPoolDomain", {"Domain": name})[
            "DomainDescription"
        ]
        host = name if member == "CustomDomain" else f"{name}.auth.{scope.region}.amazoncognito.com"
        version = int(described.get("ManagedLoginVersion") or 1)
        found.append(
            {
                "kind": kind,
                "name": name,
                "host": host,
                "description": described,
                "version": version,
                "version_name": BRANDING_VERSIONS.get(version, str(version)),
                "urls": domain_urls(host, base_url),
            }
        )
    return found


def _branding(
    services: Services, scope: Scope, pool_id: str, client_id: str, version: int | None
) -> dict[str, Any]:
    """What styles the client's pages: its managed login style (version 2) or the classic
    UI customization, the client's own or the pool's (version 1)."""
    style = None
    try:
        style = call(
            services,
            scope,
            COGNITO,
            "DescribeManagedLoginBrandingByClient",
            {"UserPoolId": pool_id, "ClientId": client_id},
        )["ManagedLoginBranding"]
    except AwsError as error:
        if error.code != "ResourceNotFoundException":
            raise
    classic = call(
        services,
        scope,
        COGNITO,
        "GetUICustomization",
        {"UserPoolId": pool_id, "ClientId": client_id},
    )["UICustomization"]
    classic_owner = {client_id: "this client", "ALL": "the pool's default"}.get(
        classic.get("ClientId", ""), ""
    )
    return {"applies": version, "style": style, "classic": classic, "classic_owner": classic_owner}


def _clients(
    services: Services,
    scope: Scope,
    pool_id: str,
    domain: dict[str, Any] | None,
) -> list[dict[str, Any]]:
    listed = call(
        services, scope, COGNITO, "ListUserPoolClients", {"UserPoolId": pool_id, "MaxResults": 60}
    )
    clients = []
    for item in listed["UserPoolClients"]:
        params = {"UserPoolId": pool_id, "ClientId": item["ClientId"]}
        client = call(services, scope, COGNITO, "DescribeUserPoolClient", params)["UserPoolClient"]
        secrets = []
        if client.get("ClientSecret"):
            secrets = call(services, scope, COGNITO, "ListUserPoolClientSecrets", params)[
                "ClientSecrets"
            ]
        query = login_query(client)
        login = None
        if domain is not None and query is not None:
            login = {
                "local": address(domain["urls"].local_path, "/login", query),
                "aws": address(domain["urls"].aws, "/login", query),
            }
        version = None if domain is None else domain["version"]
        clients.append(
            {
                "client": client,
                "secrets": secrets,
                "login": login,
                "branding": _branding(services, scope, pool_id, item["ClientId"], version),
            }
        )
    return clients


def _resource_servers(services: Services, scope: Scope, pool_id: str) -> list[dict[str, Any]]:
    servers: list[dict[str, Any]] = []
    params: dict[str, Any] = {"UserPoolId": pool_id, "MaxResults": 50}
    while True:
        listed = call(services, scope, COGNITO, "ListResourceServers", params)
        servers.extend(listed["ResourceServers"])
        if not listed.get("NextToken"):
            return servers
        params["NextToken"] = listed["NextToken"]


def _identity_providers(services: Services, scope: Scope, pool_id: str) -> list[dict[str, Any]]:
    providers: list[dict[str, Any]] = []
    params: dict[str, Any] = {"UserPoolId": pool_id, "MaxResults": 60}
    while True:
        listed = call(services, scope, COGNITO, "ListIdentityProviders", params)
        for summary in listed["Providers"]:
            described = call(
                services,
                scope,
                COGNITO,
                "DescribeIdentityProvider",
                {"UserPoolId": pool_id, "ProviderName": summary["ProviderName"]},
            )["IdentityProvider"]
            described["details"] = masked_details(described.pop("ProviderDetails", {}))
            providers.append(described)
        if not listed.get("NextToken"):
            return providers
        params["NextToken"] = listed["NextToken"]


async def app_integration_page(request: Request) -> Response:
    services = services_of(request)
    pool_id = request.path_params["pool_id"]
    scope = pool_scope(pool_id, scope_of(request, services))
    base_url = str(request.base_url)

    def build() -> dict[str, Any]:
        pool = call(services, scope, COGNITO, "DescribeUserPool", {"UserPoolId": pool_id})[
            "UserPool"
        ]
        domains = _domains(services, scope, pool, base_url)
        # The domain the pool's discovery document names first: its login page is the one
        # an OpenID client configured from discovery opens.
        with services.db.transaction(readonly=True) as tx:
            primary = pool_domain_host(tx, pool_id)
        domains.sort(key=lambda domain: domain["host"] != primary)
        domain = domains[0] if domains else None
        return {
            "pool": pool,
            "pool_url": pool_url(pool_id, scope),
            "domains": domains,
            "clients": _clients(services, scope, pool_id, domain),
            "resource_servers": _resource_servers(services, scope, pool_id),
            "providers": _identity_providers(services, scope, pool_id),
            "pool_branding": call(
                services, scope, COGNITO, "GetUICustomization", {"UserPoolId": pool_id}
            )["UICustomization"],
            "versions": BRANDING_VERSIONS,
        }

    return await show(request, scope, "app_integration.html", "pools", build)
