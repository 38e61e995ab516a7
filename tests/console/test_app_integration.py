"""The pool's App integration page: domains and their URLs, app clients' OAuth settings
with their login page links, resource servers, identity providers with secrets masked,
branding; the page's HTML and its links."""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from playwright.sync_api import Page, expect

from poolmail.console.app_integration import MASK, domain_urls, login_query, masked_details
from tests.cognito.federation.test_identity_providers import METADATA, OIDC
from tests.console.conftest import screenshot
from tests.console.helpers import page_problems
from tests.support.server import ServerProcess

CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/0f1e2d3c-aaaa-bbbb-cccc-000000000001"
CALLBACK = "https://shop.example.com/callback"
API = "https://api.example.com"
PREFIX_HOST = "shop-login.auth.us-east-1.amazoncognito.com"


def integrated_pool(server: ServerProcess) -> dict[str, Any]:
    """A pool with every part the page shows: a prefix and a custom domain (managed login),
    a resource server, an OIDC and a SAML provider, a web client with a managed login style
    and a machine-to-machine client with a secret."""
    cognito = server.client("cognito-idp")
    pool_id = cognito.create_user_pool(PoolName="shop")["UserPool"]["Id"]
    cognito.create_user_pool_domain(UserPoolId=pool_id, Domain="shop-login", ManagedLoginVersion=2)
    cognito.create_user_pool_domain(
        UserPoolId=pool_id,
        Domain="auth.shop.example.com",
        ManagedLoginVersion=2,
        CustomDomainConfig={"CertificateArn": CERTIFICATE},
    )
    cognito.create_resource_server(
        UserPoolId=pool_id,
        Identifier=API,
        Name="Orders API",
        Scopes=[
            {"ScopeName": "orders.read", "ScopeDescription": "<b>Read</b> orders"},
            {"ScopeName": "orders.write", "ScopeDescription": "Place orders"},
        ],
    )
    cognito.create_identity_provider(
        UserPoolId=pool_id,
        ProviderName="Corp",
        ProviderType="OIDC",
        ProviderDetails=OIDC,
        AttributeMapping={"email": "email", "given_name": "given_name"},
        IdpIdentifiers=["corp.example.com"],
    )
    cognito.create_identity_provider(
        UserPoolId=pool_id,
        ProviderName="Okta",
        ProviderType="SAML",
        ProviderDetails={"MetadataFile": METADATA},
        AttributeMapping={"email": "http://schemas.xmlsoap.org/claims/EmailAddress"},
    )
    web = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="web",
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid", "email", f"{API}/orders.read"],
        CallbackURLs=[CALLBACK, "http://localhost:3000/callback"],
        LogoutURLs=["https://shop.example.com/signed-out"],
        SupportedIdentityProviders=["COGNITO", "Corp", "Okta"],
    )["UserPoolClient"]
    style = cognito.create_managed_login_branding(
        UserPoolId=pool_id, ClientId=web["ClientId"], UseCognitoProvidedValues=True
    )["ManagedLoginBranding"]
    m2m = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="billing-job",
        GenerateSecret=True,
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["client_credentials"],
        AllowedOAuthScopes=[f"{API}/orders.write"],
    )["UserPoolClient"]
    return {"pool_id": pool_id, "web": web, "m2m": m2m, "style": style}


def section(html: str, name: str) -> str:
    start = html.index(f'<section id="{name}"')
    return html[start : html.index("</section>", start)]


def test_the_pool_page_links_to_an_empty_app_integration(live: ServerProcess) -> None:
    pool_id = live.client("cognito-idp").create_user_pool(PoolName="bare")["UserPool"]["Id"]
    pool_page = httpx.get(f"{live.url}/console/pools/{pool_id}")
    path = f"/console/pools/{pool_id}/app-integration?account=123456789012&amp;region=us-east-1"
    assert f'href="{path}"' in pool_page.text
    page = httpx.get(f"{live.url}/console/pools/{pool_id}/app-integration")
    assert page.status_code == 200
    assert "No domain: the login pages and the OAuth endpoints answer" in page.text
    assert "No app clients." in page.text
    assert "No resource servers." in page.text
    assert "No identity providers" in page.text
    assert page_problems(live, page.text) == []


def test_an_unknown_pool_is_not_found(live: ServerProcess) -> None:
    page = httpx.get(f"{live.url}/console/pools/us-east-1_NoSuchOne/app-integration")
    assert page.status_code == 404
    assert "ResourceNotFoundException" in page.text


def test_domains_clients_resource_servers_providers_and_branding(live: ServerProcess) -> None:
    made = integrated_pool(live)
    pool_id, web, m2m = made["pool_id"], made["web"], made["m2m"]
    answer = httpx.get(f"{live.url}/console/pools/{pool_id}/app-integration")
    assert answer.status_code == 200
    html = answer.text
    assert page_problems(live, html) == []

    domains = section(html, "domain")
    # The domain the discovery document names (the prefix one) first, then the custom one.
    assert domains.index("shop-login") < domains.index("auth.shop.example.com")
    assert "<code>https://auth.shop.example.com</code>" in domains
    assert f"<code>https://{PREFIX_HOST}</code>" in domains
    port = urlsplit(live.url).port
    assert f"<code>http://shop-login.auth.us-east-1.localhost:{port}</code>" in domains
    assert "Host: auth.shop.example.com" in domains
    assert CERTIFICATE in domains
    assert domains.count("Managed login") == 2

    clients = section(html, "clients")
    web_part = clients[clients.index(f'id="client-{web["ClientId"]}"') :]
    web_part = web_part[: web_part.index("</article>")]
    assert "none (public client)" in web_part
    assert f"<code>{API}/orders.read</code>" in web_part
    assert "COGNITO, Corp, Okta" in web_part
    assert "https://shop.example.com/signed-out" in web_part
    assert f"managed login style <code>{made['style']['ManagedLoginBrandingId']}</code>" in web_part
    assert "(Cognito's defaults)" in web_part
    # "View login page" opens the login page here, under the domain's path prefix, with the
    # client's scopes and its first callback URL; the AWS form is shown beside it.
    start = web_part.index('class="button" href="') + len('class="button" href="')
    link = web_part[start : web_part.index('"', start)].replace("&amp;", "&")
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}" == live.url
    assert parts.path == f"/_domain/{PREFIX_HOST}/login"
    assert parse_qs(parts.query) == {
        "client_id": [web["ClientId"]],
        "response_type": ["code"],
        "scope": [f"openid email {API}/orders.read"],
        "redirect_uri": [CALLBACK],
    }
    assert escape(f"https://{PREFIX_HOST}/login?{parts.query}") in web_part
    login_page = httpx.get(link)
    assert login_page.status_code == 200, login_page.text
    assert 'name="password"' in login_page.text

    m2m_part = clients[clients.index(f'id="client-{m2m["ClientId"]}"') :]
    m2m_part = m2m_part[: m2m_part.index("</article>")]
    assert "<summary>Show client secret</summary>" in m2m_part
    assert m2m["ClientSecret"] in m2m_part
    assert f"<code>{m2m['ClientId']}--" in m2m_part  # the secret's id, from the list
    assert "client_credentials" in m2m_part
    assert "No login page: it needs OAuth 2.0 on" in m2m_part
    assert "no managed login style: this client's login pages are unavailable" in m2m_part

    servers = section(html, "resource-servers")
    assert "Orders API" in servers
    assert f"<code>{API}/orders.write</code> <span>Place orders</span>" in servers
    assert "&lt;b&gt;Read&lt;/b&gt; orders" in servers and "<b>Read</b>" not in servers

    providers = section(html, "identity-providers")
    assert OIDC["client_secret"] not in html
    corp = providers[providers.index('id="provider-Corp"') : providers.index('id="provider-Okta"')]
    assert f'<span class="secret">{MASK}</span>' in corp
    assert "<code>https://auth.example.com</code>" in corp  # oidc_issuer
    assert "corp.example.com" in corp
    assert "<tr><td><code>given_name</code></td><td><code>given_name</code></td></tr>" in corp
    assert "<code>username</code></td><td><code>sub</code>" in corp  # the default mapping
    okta = providers[providers.index('id="provider-Okta"') :]
    assert "SAML" in okta
    assert "<code>https://idp.example.com/sso/saml</code>" in okta  # SSORedirectBindingURI
    assert "characters</summary>" in okta and "IDPSSODescriptor" in okta
    assert "No attribute mapping." not in okta

    branding = section(html, "branding")
    assert "Managed login" in branding and "Cognito's default style" in branding


def test_classic_hosted_ui_branding_is_named_per_client(live: ServerProcess) -> None:
    cognito = live.client("cognito-idp")
    pool_id = cognito.create_user_pool(PoolName="classic")["UserPool"]["Id"]
    cognito.create_user_pool_domain(UserPoolId=pool_id, Domain="classic-shop")
    styled, plain = (
        cognito.create_user_pool_client(UserPoolId=pool_id, ClientName=name)["UserPoolClient"]
        for name in ("styled", "plain")
    )
    cognito.set_ui_customization(
        UserPoolId=pool_id, ClientId=styled["ClientId"], CSS=".banner-customizable {color: red}"
    )
    html = httpx.get(f"{live.url}/console/pools/{pool_id}/app-integration").text
    assert page_problems(live, html) == []
    assert "Hosted UI (classic)" in section(html, "domain")
    clients = section(html, "clients")
    styled_part = clients[clients.index(f'id="client-{styled["ClientId"]}"') :]
    assert "hosted UI customization of this client (CSS)" in styled_part
    plain_part = clients[clients.index(f'id="client-{plain["ClientId"]}"') :]
    assert "Cognito's default hosted UI style" in plain_part.split("</article>")[0]
    assert "OAuth 2.0</dt><dd>off: API sign-in only" in plain_part

    cognito.set_ui_customization(UserPoolId=pool_id, ClientId="ALL", CSS=".label-customizable {}")
    html = httpx.get(f"{live.url}/console/pools/{pool_id}/app-integration").text
    clients = section(html, "clients")
    plain_part = clients[clients.index(f'id="client-{plain["ClientId"]}"') :]
    assert "hosted UI customization of the pool&#39;s default (CSS)" in plain_part
    assert "set: CSS, modified" in section(html, "branding")


# ---- the page's pieces, as functions ---------------------------------------------------


def test_domain_urls_for_prefix_and_custom_domains() -> None:
    prefix = domain_urls("shop.auth.eu-west-1.amazoncognito.com", "http://127.0.0.1:4747/")
    assert prefix.aws == "https://shop.auth.eu-west-1.amazoncognito.com"
    assert prefix.local_host == "http://shop.auth.eu-west-1.localhost:4747"
    assert (
        prefix.local_path == "http://127.0.0.1:4747/_domain/shop.auth.eu-west-1.amazoncognito.com"
    )
    custom = domain_urls("auth.example.com", "http://[::1]/")
    assert custom.local_host is None
    assert custom.local_path == "http://[::1]/_domain/auth.example.com"
    assert domain_urls("a.auth.us-east-1.amazoncognito.com", "http://[::1]/").local_host == (
        "http://a.auth.us-east-1.localhost"
    )


def test_login_query_needs_oauth_a_browser_flow_and_a_callback() -> None:
    client = {
        "ClientId": "abc",
        "AllowedOAuthFlowsUserPoolClient": True,
        "AllowedOAuthFlows": ["implicit"],
        "AllowedOAuthScopes": ["openid", "phone"],
        "CallbackURLs": ["myapp://signed-in", "https://b.example"],
    }
    assert parse_qs(login_query(client) or "") == {
        "client_id": ["abc"],
        "response_type": ["token"],
        "scope": ["openid phone"],
        "redirect_uri": ["myapp://signed-in"],
    }
    assert login_query({**client, "AllowedOAuthFlowsUserPoolClient": False}) is None
    assert login_query({**client, "CallbackURLs": []}) is None
    assert login_query({**client, "AllowedOAuthFlows": ["client_credentials"]}) is None


def test_masked_details_hide_secrets_and_fold_documents() -> None:
    rows = masked_details(
        {"client_secret": "s3cr3t", "MetadataFile": "<xml/>", "client_id": "id", "private_key": "k"}
    )
    assert rows == [
        ("MetadataFile", "<xml/>", "document"),
        ("client_id", "id", "text"),
        ("client_secret", MASK, "secret"),
        ("private_key", MASK, "secret"),
    ]


# ---- in the browser ------------------------------------------------------------------------


def test_app_integration_in_the_browser(page: Page, site: ServerProcess) -> None:
    made = integrated_pool(site)
    page.goto(f"/console/pools/{made['pool_id']}")
    page.get_by_role("link", name="App integration").click()
    expect(page.get_by_role("heading", name="App integration")).to_be_visible()
    screenshot(page, "app-integration")
    secret = page.locator(f"#client-{made['m2m']['ClientId']} code.secret")
    expect(secret).to_be_hidden()
    page.locator(f"#client-{made['m2m']['ClientId']} summary").click()
    expect(secret).to_have_text(made["m2m"]["ClientSecret"])
    expect(page.locator("#provider-Corp .secret")).to_have_text(MASK)
    page.locator(f"#client-{made['web']['ClientId']}").get_by_role(
        "link", name="View login page"
    ).click()
    expect(page.locator("input[name=password]")).to_be_visible()
