"""Steps the job tests share: upload to poolmail's object store, wait for a job."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.moto import wait_for
from tests.support.server import ServerProcess

FINISHED = ("COMPLETED", "FAILED", "CANCELLED")


def upload(server: ServerProcess, bucket: str, key: str, body: bytes) -> str:
    answer = httpx.put(f"{server.url}/_poolmail/ses/objects/{bucket}/{key}", content=body)
    answer.raise_for_status()
    return f"s3://{bucket}/{key}"


def download(server: ServerProcess, url: str) -> bytes:
    path = url.removeprefix("s3://")
    answer = httpx.get(f"{server.url}/_poolmail/ses/objects/{path}")
    answer.raise_for_status()
    return answer.content


def finished(get: Any, job_id: str, timeout: float = 60.0) -> dict[str, Any]:
    """The job once it has finished (polling GetImportJob or GetExportJob)."""

    def done() -> dict[str, Any] | None:
        job: dict[str, Any] = get(JobId=job_id)
        return job if job["JobStatus"] in FINISHED else None

    found = wait_for(done, timeout)
    assert found, f"job {job_id} did not finish: {get(JobId=job_id)['JobStatus']}"
    result: dict[str, Any] = found
    return result
