"""Where a domain lives: by path prefix and by Host header (the AWS host name, the local
`.localhost` twin, a custom domain) reaching the same endpoints; the discovery document
naming them."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

import httpx

from tests.cognito.oauth.helpers import App, verified

CERTIFICATE = "arn:aws:acm:us-east-1:123456789012:certificate/0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e"


def test_discovery_names_the_domains_endpoints(app: App) -> None:
    cognito = app.server.client("cognito-idp")
    bare = cognito.create_user_pool(PoolName="no-domain")["UserPool"]["Id"]
    document = httpx.get(f"{app.server.url}/{bare}/.well-known/openid-configuration").json()
    assert "authorization_endpoint" not in document
    assert "token_endpoint" not in document

    document = httpx.get(f"{app.issuer}/.well-known/openid-configuration").json()
    assert document == {
        "authorization_endpoint": f"{app.base}/oauth2/authorize",
        "id_token_signing_alg_values_supported": ["RS256"],
        "issuer": app.issuer,
        "jwks_uri": f"{app.issuer}/.well-known/jwks.json",
        "response_types_supported": ["code", "token"],
        "scopes_supported": ["openid", "email", "phone", "profile"],
        "subject_types_supported": ["public"],
        "token_endpoint": f"{app.base}/oauth2/token",
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "userinfo_endpoint": f"{app.base}/oauth2/userInfo",
    }
    assert list(document) == sorted(document)


def _by_host(app: App, host: str, path: str, method: str = "GET", **kwargs: Any) -> httpx.Response:
    headers = {"Host": host, **kwargs.pop("headers", {})}
    return httpx.request(method, f"{app.server.url}{path}", headers=headers, **kwargs)


def test_host_header_and_path_prefix_reach_the_same_endpoints(app: App) -> None:
    port = urlsplit(app.server.url).port
    local = app.domain.replace(".amazoncognito.com", ".localhost")
    for host in (f"{local}:{port}", app.domain, f"{app.domain}:{port}"):
        to_login = _by_host(app, host, "/oauth2/authorize", params=app.query())
        assert to_login.status_code == 302, (host, to_login.text)
        assert to_login.headers["location"].startswith(f"http://{host}/login?client_id=")
        token = _by_host(
            app,
            host,
            "/oauth2/token",
            method="POST",
            data={"grant_type": "client_credentials"},
            auth=(app.m2m_id, app.m2m_secret),
        )
        assert token.status_code == 200, token.text
        # The issuer is the server's, whatever host the token was asked at.
        verified(app, token.json()["access_token"])
    path_form = app.browser.get(f"{app.base}/oauth2/authorize", params=app.query())
    assert path_form.headers["location"].startswith(f"{app.base}/login?client_id=")

    missing = _by_host(app, "nosuch.auth.us-east-1.localhost", "/oauth2/authorize")
    assert missing.status_code == 404
    # An AWS API call is an API call whatever its Host says.
    api = _by_host(
        app,
        local,
        "/",
        method="POST",
        headers={
            "X-Amz-Target": "AWSCognitoIdentityProviderService.ListUserPools",
            "Content-Type": "application/x-amz-json-1.1",
        },
        content=b'{"MaxResults": 5}',
    )
    assert api.status_code == 200, api.text
    assert "UserPools" in api.json()


def test_a_custom_domain_is_served_by_its_host(app: App) -> None:
    cognito = app.server.client("cognito-idp")
    cognito.create_user_pool_domain(
        UserPoolId=app.pool_id,
        Domain="auth.shop.example",
        CustomDomainConfig={"CertificateArn": CERTIFICATE},
    )
    deadline = time.monotonic() + 5
    while True:
        # Custom domains are read again within a second (a replica may have made it).
        answer = _by_host(app, "auth.shop.example", "/oauth2/authorize", params=app.query())
        if answer.status_code == 302 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert answer.status_code == 302, answer.text
    assert answer.headers["location"].startswith("http://auth.shop.example/login?")
    # The discovery document keeps naming the prefix domain, which needs no DNS.
    document = httpx.get(f"{app.issuer}/.well-known/openid-configuration").json()
    assert document["token_endpoint"] == f"{app.base}/oauth2/token"
    unknown_path = _by_host(app, "auth.shop.example", "/nosuch")
    assert unknown_path.status_code == 404
