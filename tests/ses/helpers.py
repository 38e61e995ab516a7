"""Small steps SES tests share: verify an identity, lift the sandbox, move the clock."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.server import ServerProcess

DEFAULT_ACCOUNT = "123456789012"


def verify(
    server: ServerProcess,
    identity: str,
    *,
    account: str = DEFAULT_ACCOUNT,
    region: str = "us-east-1",
) -> None:
    """Create ``identity`` through SES and mark it verified through the admin shortcut."""
    key = account if account != DEFAULT_ACCOUNT else "AKIDPOOLMAILTEST"
    ses = server.client("ses", region=region, access_key=key)
    if "@" in identity:
        ses.verify_email_identity(EmailAddress=identity)
    else:
        ses.verify_domain_identity(Domain=identity)
    answer = httpx.post(
        f"{server.url}/_poolmail/ses/identities/verify",
        json={"identity": identity, "account": account, "region": region},
    )
    answer.raise_for_status()


def production_access(
    server: ServerProcess, *, account: str = DEFAULT_ACCOUNT, region: str = "us-east-1"
) -> None:
    answer = httpx.post(
        f"{server.url}/_poolmail/ses/account/sandbox",
        json={"account": account, "region": region, "production_access": True},
    )
    answer.raise_for_status()


def advance(server: ServerProcess, seconds: float) -> None:
    httpx.post(
        f"{server.url}/_poolmail/clock", json={"advance_seconds": seconds}
    ).raise_for_status()


def messages(server: ServerProcess, **filters: Any) -> list[dict[str, Any]]:
    answer = httpx.get(f"{server.url}/_poolmail/messages", params=filters)
    answer.raise_for_status()
    found: list[dict[str, Any]] = answer.json()["messages"]
    return found


def simple_message(subject: str = "Hello", text: str = "Hi there") -> dict[str, Any]:
    return {"Subject": {"Data": subject}, "Body": {"Text": {"Data": text}}}
