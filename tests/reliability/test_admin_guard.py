"""The admin API and console answer loopback clients, or holders of --admin-token; the
AWS APIs and the links mailed to users stay open."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from poolmail.server.admin_guard import AdminGuard

REMOTE = ("192.0.2.10", 50000)
LOCAL = ("127.0.0.1", 50000)


async def _inner(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def status_of(guard: AdminGuard, path: str, client: tuple[str, int], **headers: str) -> int:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "path": path,
        "client": client,
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
    }
    # In a thread of its own: Playwright's sync API may leave a loop running in this one.
    worker = threading.Thread(target=lambda: asyncio.run(guard(scope, receive, send)))
    worker.start()
    worker.join(timeout=10)
    status: int = sent[0]["status"]
    return status


@pytest.mark.parametrize(
    "path", ["/_poolmail/messages", "/console/", "/_aws/ses", "/moto-api/reset"]
)
def test_admin_paths_answer_loopback_only_without_a_token(path: str) -> None:
    guard = AdminGuard(_inner, token=None)
    assert status_of(guard, path, LOCAL) == 200
    assert status_of(guard, path, REMOTE) == 403


@pytest.mark.parametrize(
    "path", ["/", "/v2/email/account", "/_poolmail/ses/verify/abc", "/confirmUser"]
)
def test_aws_apis_and_mailed_links_stay_open(path: str) -> None:
    assert status_of(AdminGuard(_inner, token=None), path, REMOTE) == 200


def test_the_token_opens_the_admin_api_to_anyone_who_has_it() -> None:
    guard = AdminGuard(_inner, token="s3cret")
    assert status_of(guard, "/_poolmail/health", REMOTE) == 403
    assert status_of(guard, "/_poolmail/health", LOCAL) == 403
    assert status_of(guard, "/_poolmail/health", REMOTE, **{"X-Poolmail-Token": "s3cret"}) == 200
    assert status_of(guard, "/_poolmail/health", REMOTE, Authorization="Bearer s3cret") == 200
    assert status_of(guard, "/console/", REMOTE, Cookie="a=b; poolmail_token=s3cret") == 200
    assert status_of(guard, "/console/", REMOTE, Cookie="poolmail_token=wrong") == 403


def test_a_server_with_an_admin_token(tmp_path: Any) -> None:
    import httpx

    from tests.support.server import ServerProcess

    server = ServerProcess(["--data-dir", str(tmp_path), "--admin-token", "s3cret"]).start()
    try:
        assert httpx.get(f"{server.url}/_poolmail/health").status_code == 403
        answer = httpx.get(f"{server.url}/_poolmail/health", headers={"X-Poolmail-Token": "s3cret"})
        assert answer.json()["status"] == "ok"
        assert server.client("cognito-idp").list_user_pools(MaxResults=5)["UserPools"] == []
    finally:
        server.stop()
