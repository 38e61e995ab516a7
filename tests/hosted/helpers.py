"""Managed login's pages as a browser without JavaScript uses them: a pool with a domain
and an OAuth app client, forms read from the HTML and posted back with their `_csrf`."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.support.server import ServerProcess

CALLBACK = "https://app.example.com/callback"
PASSWORD = "Corr3ct-Horse!"
# Mail from the default sender goes to any address, so sign-ups need no verified identity.
DEFAULT_POOL: dict[str, Any] = {
    "AutoVerifiedAttributes": ["email"],
    "Schema": [{"Name": "email", "AttributeDataType": "String", "Required": True}],
}


@dataclass
class Site:
    """A pool with a domain and an OAuth client, and a browser-like HTTP client."""

    server: ServerProcess
    pool_id: str
    client_id: str
    domain: str
    http: httpx.Client

    @property
    def base(self) -> str:
        return f"{self.server.url}/_domain/{self.domain}"

    def query(self, **extra: str) -> dict[str, str]:
        return {
            "client_id": self.client_id,
            "response_type": "code",
            "redirect_uri": CALLBACK,
            "scope": "openid email",
            "state": "st-42",
            **extra,
        }

    def get(self, path: str, **extra: str) -> httpx.Response:
        return self.http.get(f"{self.base}{path}", params=self.query(**extra))


def make_site(
    server: ServerProcess, pool: dict[str, Any] | None = None, *, version: int = 1, **client: Any
) -> Site:
    cognito = server.client("cognito-idp")
    pool_id = cognito.create_user_pool(PoolName="shop", **(pool or DEFAULT_POOL))["UserPool"]["Id"]
    domain = f"shop-{pool_id[-6:].lower()}"
    cognito.create_user_pool_domain(UserPoolId=pool_id, Domain=domain, ManagedLoginVersion=version)
    settings: dict[str, Any] = {
        "ClientName": "web",
        "AllowedOAuthFlowsUserPoolClient": True,
        "AllowedOAuthFlows": ["code"],
        "AllowedOAuthScopes": ["openid", "email", "profile"],
        "CallbackURLs": [CALLBACK],
        "SupportedIdentityProviders": ["COGNITO"],
        **client,
    }
    client_id = cognito.create_user_pool_client(UserPoolId=pool_id, **settings)["UserPoolClient"][
        "ClientId"
    ]
    http = httpx.Client(timeout=10)
    return Site(server, pool_id, client_id, f"{domain}.auth.us-east-1.amazoncognito.com", http)


def add_user(site: Site, username: str = "jane", email: str = "jane@example.com") -> None:
    cognito = site.server.client("cognito-idp")
    cognito.admin_create_user(
        UserPoolId=site.pool_id,
        Username=username,
        UserAttributes=[
            {"Name": "email", "Value": email},
            {"Name": "email_verified", "Value": "true"},
        ],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(
        UserPoolId=site.pool_id, Username=username, Password=PASSWORD, Permanent=True
    )


class _Forms(HTMLParser):
    """Every form's action and fields (inputs with their values), and the page's texts."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self.alert: list[str] = []
        self._in_alert = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {key: value or "" for key, value in attrs}
        if tag == "form":
            self.forms.append({"action": found.get("action", ""), "fields": {}})
        elif tag == "input" and self.forms and found.get("name"):
            if found.get("type") == "radio" and "checked" not in found:
                return
            self.forms[-1]["fields"][found["name"]] = found.get("value", "")
        if found.get("role") == "alert":
            self._in_alert = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self._in_alert = False

    def handle_data(self, data: str) -> None:
        if self._in_alert:
            self.alert.append(data.strip())


def forms_of(page: httpx.Response) -> list[dict[str, Any]]:
    parser = _Forms()
    parser.feed(page.text)
    return parser.forms


def alert_of(page: httpx.Response) -> str:
    parser = _Forms()
    parser.feed(page.text)
    return " ".join(part for part in parser.alert if part)


def submit(site: Site, page: httpx.Response, index: int = 0, /, **fields: str) -> httpx.Response:
    """Post the page's form ``index`` with ``fields`` filled in, as a browser would."""
    form = forms_of(page)[index]
    action = form["action"]
    url = action if action.startswith("http") else f"{site.server.url}{action}"
    return site.http.post(url, data={**form["fields"], **fields})


def sign_in(site: Site, username: str = "jane", password: str = PASSWORD) -> httpx.Response:
    page = site.get("/login")
    assert page.status_code == 200, page.text
    return submit(site, page, username=username, password=password)


def code_of(response: httpx.Response) -> dict[str, list[str]]:
    """The query of the redirect to the app's callback (`code`, `state`)."""
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(CALLBACK + "?"), location
    return parse_qs(urlsplit(location).query)


def mailed_code(server: ServerProcess, recipient: str, since: float) -> str:
    """The six-digit code of the newest mail to ``recipient`` since ``since``."""
    deadline = time.monotonic() + 10
    while True:
        answer = httpx.get(
            f"{server.url}/_poolmail/messages/latest",
            params={"recipient": recipient, "since": str(int(since) - 1)},
        )
        if answer.status_code == 200:
            text = answer.json().get("text") or ""
            found = re.search(r"\b(\d{6})\b", text)
            if found:
                return found.group(1)
        assert time.monotonic() < deadline, f"no mail to {recipient}"
        time.sleep(0.05)
