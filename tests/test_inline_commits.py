"""Operations run on the event loop share their commits (server/inline.py): concurrent
sends on durable SQLite are each answered only once their message is committed, with
fewer commits than sends."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from poolmail.config import Settings
from poolmail.server.app import create_app
from poolmail.store import PendingCommit, open_database

AUTH = (
    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260101/us-east-1/ses/aws4_request, "
    "SignedHeaders=host, Signature=00"
)
HEADERS = {"Content-Type": "application/x-www-form-urlencoded", "Authorization": AUTH}
SEND = (
    "Action=SendEmail&Version=2010-12-01&Source=sender%40example.com"
    "&Destination.ToAddresses.member.1=to{n}%40example.com"
    "&Message.Subject.Data=Hello&Message.Body.Text.Data=Body+{n}"
)


def committed_messages(data_dir: Path) -> int:
    db = open_database(data_dir=str(data_dir))
    try:
        with db.transaction(readonly=True) as tx:
            row = tx.fetchone("SELECT COUNT(*) FROM messages WHERE kind = 'ses-send'")
    finally:
        db.close()
    assert row is not None
    return int(row[0])


async def send_all(data_dir: Path, count: int) -> tuple[list[int], list[list[int]]]:
    """Send ``count`` messages at once; (statuses, the batches of each commit made)."""
    db = open_database(data_dir=str(data_dir))
    commits: list[list[int]] = []
    make_durable = db.make_durable

    def counting(pending: PendingCommit) -> None:
        if pending.batches:
            commits.append(list(pending.batches))
        make_durable(pending)

    db.make_durable = counting  # type: ignore[method-assign]
    settings = Settings(ses_sandbox=False, ses_max_send_rate=10**6)
    app = create_app(settings, db)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:4747"
    ) as client:
        verify = "Action=VerifyEmailIdentity&Version=2010-12-01&EmailAddress=sender%40example.com"
        assert (await client.post("/", headers=HEADERS, content=verify)).status_code == 200
        answer = await client.post(
            "/_poolmail/ses/identities/verify",
            json={"identity": "sender@example.com", "account": "123456789012"},
        )
        assert answer.status_code == 200, answer.text
        commits.clear()

        async def send(n: int) -> int:
            response = await client.post("/", headers=HEADERS, content=SEND.format(n=n))
            return response.status_code

        statuses = await asyncio.gather(*(send(n) for n in range(count)))
    db.close()
    return list(statuses), commits


def run(coroutine: Any) -> Any:
    # In a thread of its own: another test's event loop may still be running in this one
    # (Playwright's sync API keeps one), and asyncio.run refuses to nest.
    with ThreadPoolExecutor(1) as executor:
        return executor.submit(asyncio.run, coroutine).result()


def test_concurrent_sends_share_commits_and_every_answered_one_is_kept(tmp_path: Path) -> None:
    statuses, commits = run(send_all(tmp_path, 32))
    assert statuses == [200] * 32
    assert committed_messages(tmp_path) == 32
    # At least one commit covered the writes of several requests.
    assert 1 <= len(commits) < 32


def test_a_send_alone_commits_at_once(tmp_path: Path) -> None:
    statuses, commits = run(send_all(tmp_path, 1))
    assert statuses == [200]
    assert len(commits) == 1
    assert committed_messages(tmp_path) == 1
