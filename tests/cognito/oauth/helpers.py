"""A pool as a web app's sign-in uses it: a domain, a resource server, a public web client
(code and implicit), a confidential machine-to-machine client, a user; and a browser-like
HTTP client that signs in through the hosted login page."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt

from tests.hosted.helpers import forms_of
from tests.support.server import ServerProcess

CALLBACK = "https://app.example.com/callback"
SIGNED_OUT = "https://app.example.com/signed-out"
API = "https://api.example.com"
PASSWORD = "Corr3ct-Horse!"
WEB_SCOPES = ["openid", "email", "profile", "aws.cognito.signin.user.admin", f"{API}/read"]


@dataclass
class App:
    server: ServerProcess
    pool_id: str
    # The domain's host name (`app-1a2b.auth.us-east-1.amazoncognito.com`).
    domain: str
    web_id: str
    m2m_id: str
    m2m_secret: str
    browser: httpx.Client

    @property
    def base(self) -> str:
        return f"{self.server.url}/_domain/{self.domain}"

    @property
    def issuer(self) -> str:
        return f"{self.server.url}/{self.pool_id}"

    def query(self, **extra: str) -> dict[str, str]:
        return {
            "client_id": self.web_id,
            "response_type": "code",
            "redirect_uri": CALLBACK,
            "state": "st-7",
            **extra,
        }

    def authorize(self, **extra: str) -> httpx.Response:
        return self.browser.get(f"{self.base}/oauth2/authorize", params=self.query(**extra))

    def token(self, auth: tuple[str, str] | None = None, **form: str) -> httpx.Response:
        return httpx.post(f"{self.base}/oauth2/token", data=form, auth=auth)


def idp(server: ServerProcess) -> Any:
    return server.client("cognito-idp")


def make_app(server: ServerProcess, **web: Any) -> App:
    cognito = idp(server)
    pool_id = cognito.create_user_pool(
        PoolName="shop",
        Schema=[{"Name": "email", "AttributeDataType": "String", "Required": True}],
    )["UserPool"]["Id"]
    # Hex never spells a reserved word (aws, amazon, cognito).
    prefix = f"app-{uuid.uuid4().hex[:10]}"
    cognito.create_user_pool_domain(UserPoolId=pool_id, Domain=prefix)
    cognito.create_resource_server(
        UserPoolId=pool_id,
        Identifier=API,
        Name="API",
        Scopes=[
            {"ScopeName": "read", "ScopeDescription": "read"},
            {"ScopeName": "write", "ScopeDescription": "write"},
        ],
    )
    settings: dict[str, Any] = {
        "ClientName": "web",
        "AllowedOAuthFlowsUserPoolClient": True,
        "AllowedOAuthFlows": ["code", "implicit"],
        "AllowedOAuthScopes": WEB_SCOPES,
        "CallbackURLs": [CALLBACK],
        "LogoutURLs": [SIGNED_OUT],
        "SupportedIdentityProviders": ["COGNITO"],
        "ExplicitAuthFlows": ["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        **web,
    }
    web_client = cognito.create_user_pool_client(UserPoolId=pool_id, **settings)
    m2m = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="m2m",
        GenerateSecret=True,
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["client_credentials"],
        AllowedOAuthScopes=[f"{API}/read", f"{API}/write"],
    )["UserPoolClient"]
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username="jane",
        UserAttributes=[
            {"Name": "email", "Value": "jane@example.com"},
            {"Name": "email_verified", "Value": "true"},
            {"Name": "name", "Value": "Jane Doe"},
        ],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(
        UserPoolId=pool_id, Username="jane", Password=PASSWORD, Permanent=True
    )
    return App(
        server,
        pool_id,
        f"{prefix}.auth.us-east-1.amazoncognito.com",
        web_client["UserPoolClient"]["ClientId"],
        m2m["ClientId"],
        m2m["ClientSecret"],
        httpx.Client(timeout=10),
    )


def log_in(app: App, to_login: httpx.Response) -> httpx.Response:
    """Follow /oauth2/authorize's redirect to the login page and post its form."""
    assert to_login.status_code == 302, to_login.text
    page = app.browser.get(to_login.headers["location"])
    assert page.status_code == 200, page.text
    form = forms_of(page)[0]
    fields = {**form["fields"], "username": "jane", "password": PASSWORD}
    return app.browser.post(form["action"], data=fields)


def callback_query(response: httpx.Response) -> dict[str, str]:
    """The query of a redirect to the app's callback."""
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(CALLBACK + "?"), location
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def code_for(app: App, **extra: str) -> str:
    """A code for the web client after signing in on the login page."""
    return callback_query(log_in(app, app.authorize(**extra)))["code"]


def pkce() -> tuple[str, str]:
    verifier = base64.urlsafe_b64encode(uuid.uuid4().bytes * 3).rstrip(b"=").decode()
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def verified(app: App, token: str, audience: str | None = None) -> dict[str, Any]:
    """The claims of a token, its signature checked against the pool's JWKS."""
    jwks = httpx.get(f"{app.issuer}/.well-known/jwks.json").json()
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(k for k in jwt.PyJWKSet.from_dict(jwks).keys if k.key_id == kid)
    claims: dict[str, Any] = jwt.decode(
        token,
        key.key,
        algorithms=["RS256"],
        issuer=app.issuer,
        audience=audience,
        options={"verify_aud": audience is not None},
    )
    return claims


def unverified(token: str) -> dict[str, Any]:
    part = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return decoded
