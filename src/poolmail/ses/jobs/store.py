"""The `ses_jobs` table: one row per import or export job, in any state.

A job is CREATED by its operation, PROCESSING while the runner works on it, then
COMPLETED, FAILED or CANCELLED. ``data`` keeps the request as given (timestamps as epoch
seconds), the counts and the failure.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

from poolmail.paging import decode_token, encode_token
from poolmail.protocol.errors import AwsError
from poolmail.store import Transaction

Kind = Literal["import", "export"]
CREATED, PROCESSING, COMPLETED, FAILED, CANCELLED = (
    "CREATED",
    "PROCESSING",
    "COMPLETED",
    "FAILED",
    "CANCELLED",
)
FINISHED = (COMPLETED, FAILED, CANCELLED)


@dataclass(slots=True)
class Job:
    id: str
    account: str
    region: str
    kind: Kind
    # SUPPRESSION_LIST | CONTACT_LIST for imports, METRICS_DATA | MESSAGE_INSIGHTS for exports.
    subtype: str
    status: str
    created_at: float
    completed_at: float | None = None
    data: dict[str, Any] = field(default_factory=dict)


def new_job_id() -> str:
    return str(uuid.uuid4())


def lock_name(job_id: str) -> str:
    return f"ses-job:{job_id}"


def insert(tx: Transaction, job: Job) -> None:
    tx.execute(
        "INSERT INTO ses_jobs (job_id, account, region, kind, subtype, status, created_at, "
        "completed_at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            job.id,
            job.account,
            job.region,
            job.kind,
            job.subtype,
            job.status,
            job.created_at,
            job.completed_at,
            json.dumps(job.data),
        ),
    )


def save(tx: Transaction, job: Job) -> None:
    tx.execute(
        "UPDATE ses_jobs SET status = ?, completed_at = ?, data = ? WHERE job_id = ?",
        (job.status, job.completed_at, json.dumps(job.data), job.id),
    )


_COLUMNS = "job_id, account, region, kind, subtype, status, created_at, completed_at, data"


def _job(row: tuple[Any, ...]) -> Job:
    return Job(
        id=str(row[0]),
        account=str(row[1]),
        region=str(row[2]),
        kind="import" if row[3] == "import" else "export",
        subtype=str(row[4]),
        status=str(row[5]),
        created_at=float(row[6]),
        completed_at=float(row[7]) if row[7] is not None else None,
        data=json.loads(row[8]),
    )


def find(tx: Transaction, job_id: str) -> Job | None:
    row = tx.fetchone(f"SELECT {_COLUMNS} FROM ses_jobs WHERE job_id = ?", (job_id,))
    return _job(row) if row is not None else None


def find_scoped(tx: Transaction, account: str, region: str, kind: Kind, job_id: str) -> Job | None:
    """The job ``job_id`` of this account and Region, of this kind; None otherwise."""
    job = find(tx, job_id)
    if job is None or (job.account, job.region, job.kind) != (account, region, kind):
        return None
    return job


def page(
    tx: Transaction,
    account: str,
    region: str,
    kind: Kind,
    *,
    subtype: str | None,
    status: str | None,
    token: str | None,
    limit: int,
    token_error: str,
) -> tuple[list[Job], str | None]:
    """One page of the scope's jobs, newest first, and the next page's token."""
    sql = f"SELECT {_COLUMNS} FROM ses_jobs WHERE account = ? AND region = ? AND kind = ?"
    args: list[Any] = [account, region, kind]
    if subtype is not None:
        sql += " AND subtype = ?"
        args.append(subtype)
    if status is not None:
        sql += " AND status = ?"
        args.append(status)
    if token is not None:
        before_created, before_id = decode_token(token, token_error, 2)
        if not isinstance(before_created, int | float) or not isinstance(before_id, str):
            raise AwsError(token_error, "Invalid pagination token.")
        sql += " AND (created_at < ? OR (created_at = ? AND job_id < ?))"
        args += [before_created, before_created, before_id]
    sql += " ORDER BY created_at DESC, job_id DESC LIMIT ?"
    rows = tx.fetchall(sql, [*args, limit + 1])
    jobs = [_job(row) for row in rows[:limit]]
    if len(rows) <= limit:
        return jobs, None
    last = jobs[-1]
    return jobs, encode_token([last.created_at, last.id])


def claim_next(tx: Transaction) -> Job | None:
    """The oldest job still to run: one left PROCESSING by a runner that died comes
    first (the runner's lock means no other runner is alive), then the oldest CREATED."""
    row = tx.fetchone(
        f"SELECT {_COLUMNS} FROM ses_jobs WHERE status IN (?, ?) "
        "ORDER BY CASE WHEN status = ? THEN 0 ELSE 1 END, created_at, job_id LIMIT 1",
        (PROCESSING, CREATED, PROCESSING),
    )
    return _job(row) if row is not None else None


def running(tx: Transaction, job_id: str) -> Job | None:
    """The job as stored while it may still change; None once it has finished (a
    cancellation meanwhile) or is gone (a reset), when its work must stop."""
    job = find(tx, job_id)
    return None if job is None or job.status in FINISHED else job
