"""Steps the console tests share: pools, identities and posts the way a browser sends them."""

from __future__ import annotations

from typing import Any

import httpx

from tests.ses.helpers import production_access, verify
from tests.support.server import ServerProcess

__all__ = ["form_post", "page_problems", "production_access", "signed_up_pool", "verify"]

PASSWORD = "Correct-Horse-9"
VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta"}
# Elements whose end tag HTML lets a page leave out; the console writes them all anyway.
OPTIONAL_END = {"p", "li", "dt", "dd", "tr", "td", "th", "thead", "tbody", "option"}


def form_post(
    server: ServerProcess, path: str, fields: dict[str, str], *, origin: str | None = "self"
) -> httpx.Response:
    """POST a console form as a same-origin page would (``origin="self"``), from another
    site (any other origin), or with no Origin at all (``None``)."""
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if origin is not None:
        headers["Origin"] = server.url if origin == "self" else origin
    return httpx.post(f"{server.url}{path}", data=fields, headers=headers)


def signed_up_pool(server: ServerProcess, username: str, email: str) -> tuple[str, str]:
    """A pool that mails verification codes, with one user signed up: (pool id, client id)."""
    cognito = server.client("cognito-idp")
    pool: dict[str, Any] = cognito.create_user_pool(
        PoolName="shop", AutoVerifiedAttributes=["email"]
    )["UserPool"]
    client = cognito.create_user_pool_client(UserPoolId=pool["Id"], ClientName="web")
    client_id = str(client["UserPoolClient"]["ClientId"])
    sign_up(server, client_id, username, email)
    return str(pool["Id"]), client_id


def sign_up(server: ServerProcess, client_id: str, username: str, email: str) -> None:
    server.client("cognito-idp").sign_up(
        ClientId=client_id,
        Username=username,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": email}],
    )


def page_problems(server: ServerProcess, html: str) -> list[str]:
    """What is wrong with a console page: end tags that close nothing or the wrong element,
    elements never closed, ids used twice, and console links that do not answer 2xx/3xx."""
    from html.parser import HTMLParser
    from urllib.parse import urljoin, urlsplit

    problems: list[str] = []
    links: list[str] = []
    ids: set[str] = set()
    open_tags: list[str] = []

    class Checker(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found = dict(attrs)
            if found.get("id"):
                if found["id"] in ids:
                    problems.append(f"id {found['id']!r} used twice")
                ids.add(str(found["id"]))
            if tag == "a" and found.get("href"):
                links.append(str(found["href"]))
            if tag not in VOID_ELEMENTS:
                open_tags.append(tag)

        def handle_endtag(self, tag: str) -> None:
            if tag not in open_tags:
                problems.append(f"</{tag}> closes nothing")
                return
            while open_tags:
                last = open_tags.pop()
                if last == tag:
                    return
                if last not in OPTIONAL_END:
                    problems.append(f"<{last}> closed by </{tag}>")

    Checker().feed(html)
    problems.extend(f"<{tag}> never closed" for tag in open_tags if tag not in OPTIONAL_END)
    for link in sorted(set(links)):
        url = urljoin(server.url + "/console/", link)
        if not urlsplit(url).path.startswith("/console") or not url.startswith(server.url):
            continue
        status = httpx.get(url).status_code
        if status >= 400:
            problems.append(f"{link} answers {status}")
    return problems
