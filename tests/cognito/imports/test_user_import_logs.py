"""An import job's log, black-box: a line per user and a summary, delivered to the log group
and stream AWS names for the job in moto's CloudWatch Logs, and readable locally."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.cognito.helpers import idp
from tests.cognito.imports.test_user_import import csv_of, person, run_import
from tests.support.moto import Moto, wait_for
from tests.support.server import ServerProcess

POOL_NAME = "staff"


@pytest.fixture
def server(moto_server: ServerProcess) -> ServerProcess:
    """A server delivering to moto, on SQLite and on PostgreSQL."""
    return moto_server


def pool_of(server: ServerProcess) -> str:
    pool = idp(server).create_user_pool(PoolName=POOL_NAME, AutoVerifiedAttributes=["email"])
    return str(pool["UserPool"]["Id"])


def messages_in(moto: Moto, group: str, stream: str) -> list[str]:
    try:
        found = moto.logs().get_log_events(
            logGroupName=group, logStreamName=stream, startFromHead=True
        )["events"]
    except ClientError:
        return []
    return [str(event["message"]) for event in found]


def test_each_user_and_the_summary_reach_the_jobs_log_stream(
    server: ServerProcess, moto: Moto
) -> None:
    pool_id = pool_of(server)
    idp(server).admin_create_user(UserPoolId=pool_id, Username="taken", MessageAction="SUPPRESS")
    rows = [person("fine"), person("taken"), person("unverified", email_verified="FALSE")]
    done = run_import(server, pool_id, csv_of(rows))
    assert (done["ImportedUsers"], done["SkippedUsers"], done["FailedUsers"]) == (1, 1, 1)
    expected = [
        "[SUCCEEDED] Line Number 2 - The import succeeded.",
        "[SKIPPED] Line Number 3 - The user already exists.",
        "[FAILED] Line Number 4 - The User Record does not set any of the auto verified "
        "attributes to true. (Example: email_verified to true).",
        "[FAILED] Too many users have failed or been skipped during the import. "
        "ImportedUsers: 1, SkippedUsers: 1, FailedUsers: 1.",
    ]
    # AWS's names: /aws/cognito/userpools/POOL_ID/POOL_NAME, stream JOB_ID/JOB_NAME; the
    # group is made by the delivery, as Cognito makes it through the job's role.
    group = f"/aws/cognito/userpools/{pool_id}/{POOL_NAME}"
    stream = f"{done['JobId']}/{done['JobName']}"
    assert wait_for(lambda: len(messages_in(moto, group, stream)) == len(expected))
    assert messages_in(moto, group, stream) == expected

    answer = httpx.get(f"{server.url}/_poolmail/cognito/logs", params={"pool_id": pool_id})
    answer.raise_for_status()
    records: list[dict[str, Any]] = answer.json()["records"]
    assert [r["payload"] for r in reversed(records)] == expected
    assert {r["source"] for r in records} == {"cognito-idp:userImport"}
    assert {r["target"]["log_stream"] for r in records} == {stream}
    assert wait_for(lambda: all(r["status"] == "delivered" for r in records_of(server, pool_id)))
    # The console's pool page lists them with the pool's exported logs.
    page = httpx.get(f"{server.url}/console/pools/{pool_id}")
    assert page.status_code == 200
    assert "[FAILED] Line Number 4 - The User Record" in page.text


def records_of(server: ServerProcess, pool_id: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{server.url}/_poolmail/cognito/logs", params={"pool_id": pool_id})
    answer.raise_for_status()
    records: list[dict[str, Any]] = answer.json()["records"]
    return records


def test_a_second_job_writes_its_own_stream_in_the_same_group(
    server: ServerProcess, moto: Moto
) -> None:
    pool_id = pool_of(server)
    first = run_import(server, pool_id, csv_of([person("one")]))
    second = run_import(server, pool_id, csv_of([person("two")]))
    group = f"/aws/cognito/userpools/{pool_id}/{POOL_NAME}"
    summary = (
        "[SUCCEEDED] Import Job Completed Successfully. "
        "ImportedUsers: 1, SkippedUsers: 0, FailedUsers: 0."
    )
    for job in (first, second):
        stream = f"{job['JobId']}/{job['JobName']}"
        assert wait_for(lambda: len(messages_in(moto, group, stream)) == 2)  # noqa: B023
        assert messages_in(moto, group, stream) == [
            "[SUCCEEDED] Line Number 2 - The import succeeded.",
            summary,
        ]
