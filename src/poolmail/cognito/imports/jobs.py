"""User import jobs: GetCSVHeader, Create/Start/Stop/Describe/ListUserImportJobs, and the
upload of the CSV file to the job's pre-signed URL, which poolmail serves itself.

The life of a job (developer guide, "Creating and running the user pool import job"):
Created -> (CSV uploaded by PUT) -> StartUserImportJob: Pending -> the runner
(imports/runner.py): InProgress -> Succeeded or Failed; StopUserImportJob: Stopping ->
Stopped; a job never started goes Expired.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import string
from dataclasses import dataclass, field
from typing import Any

from poolmail.cognito.pools.user_pools import load_pool
from poolmail.context import RequestContext
from poolmail.operations import Handler, local_only
from poolmail.protocol.errors import AwsError
from poolmail.store import Database, Row, Transaction

CREATED, PENDING, IN_PROGRESS, STOPPING = "Created", "Pending", "InProgress", "Stopping"
EXPIRED, STOPPED, FAILED, SUCCEEDED = "Expired", "Stopped", "Failed", "Succeeded"

# AWS's completion messages (the CLI's list-user-import-jobs and stop-user-import-job
# examples; the developer guide's sample responses).
SUCCEEDED_MESSAGE = "Import Job Completed Successfully."
TOO_MANY_MESSAGE = "Too many users have failed or been skipped during the import."
STOPPED_MESSAGE = "The Import Job was stopped by the developer."
EXPIRED_MESSAGE = "The user import job has expired."

# Choices, AWS's texts not found; the error codes are those the model lists.
JOB_NOT_FOUND = "Import job {job_id} does not exist in user pool {pool_id}."
NOT_UPLOADED = "The CSV file of import job {job_id} has not been uploaded to its PreSignedUrl."
NO_AUTO_VERIFIED_POOL = (
    "The user pool has no auto-verified attributes; imported users need a verified email "
    "or phone_number to reset their passwords."
)
CANNOT_START = "Import job {job_id} cannot be started: its status is {status}."
CANNOT_STOP = "Import job {job_id} cannot be stopped: its status is {status}."
BAD_TOKEN = "Invalid pagination token."

UPLOAD_PATH = "/_poolmail/cognito/import/"
# "The PRE_SIGNED_URL returned in the response is valid for 15 minutes" (developer guide);
# AWS's URLs say X-Amz-Expires=899.
URL_VALIDITY_SECONDS = 900
# "Expired - You created a job, but did not start the job within 24-48 hours": the lower
# bound, so a test of expiry waits (advances the clock) the least.
START_WINDOW_SECONDS = 24 * 3600

_ID_ALPHABET = string.ascii_letters + string.digits
_COLUMNS = (
    "job_id, pool_id, account, region, status, created_at, upload_expires_at, imported, "
    "skipped, failed, position, data, csv IS NOT NULL"
)


@dataclass(slots=True)
class ImportJob:
    id: str
    pool_id: str
    account: str
    region: str
    status: str
    created: float
    upload_expires: float
    imported: int
    skipped: int
    failed: int
    # Rows of the file done so far: a runner that takes over an interrupted job goes on here.
    position: int
    uploaded: bool
    # The wire members that are set once: JobName, CloudWatchLogsRoleArn, PreSignedUrl,
    # PasswordHashingAlgorithm, StartDate, CompletionDate, CompletionMessage.
    data: dict[str, Any] = field(default_factory=dict)

    def finish(self, status: str, message: str, now: float) -> None:
        self.status = status
        self.data["CompletionDate"] = now
        self.data["CompletionMessage"] = message


def _job_of(row: Row) -> ImportJob:
    job_id, pool_id, account, region, status, created, expires = row[:7]
    imported, skipped, failed, position, data, uploaded = row[7:]
    return ImportJob(
        job_id,
        pool_id,
        account,
        region,
        status,
        float(created),
        float(expires),
        int(imported),
        int(skipped),
        int(failed),
        int(position),
        bool(uploaded),
        json.loads(data),
    )


def find_job(tx: Transaction, job_id: str) -> ImportJob | None:
    row = tx.fetchone(f"SELECT {_COLUMNS} FROM cognito_import_jobs WHERE job_id = ?", (job_id,))
    return None if row is None else _job_of(row)


def _require_job(tx: Transaction, pool_id: str, job_id: str) -> ImportJob:
    job = find_job(tx, job_id)
    if job is None or job.pool_id != pool_id:
        raise AwsError(
            "ResourceNotFoundException", JOB_NOT_FOUND.format(job_id=job_id, pool_id=pool_id)
        )
    return job


def job_lock(job_id: str) -> str:
    # Every change of a job's status or counts (start, stop, the runner's batches) happens
    # under this lock, so a stop and a batch never overwrite each other, on any replica.
    # Taken after the pool's users lock where a transaction needs both.
    return f"poolmail:cognito-import:{job_id}"


def save_job(tx: Transaction, job: ImportJob) -> None:
    tx.execute(
        "UPDATE cognito_import_jobs SET status = ?, imported = ?, skipped = ?, failed = ?, "
        "position = ?, data = ? WHERE job_id = ?",
        (
            job.status,
            job.imported,
            job.skipped,
            job.failed,
            job.position,
            json.dumps(job.data),
            job.id,
        ),
    )
    if job.status in (EXPIRED, STOPPED, FAILED, SUCCEEDED):
        # An ended job never reads its file again: up to 100 MB that need not stay.
        tx.execute("UPDATE cognito_import_jobs SET csv = NULL WHERE job_id = ?", (job.id,))


def _expire(job: ImportJob, now: float) -> bool:
    """Mark a job never started within the window Expired; True when it changed."""
    if job.status != CREATED or now < job.created + START_WINDOW_SECONDS:
        return False
    job.finish(EXPIRED, EXPIRED_MESSAGE, job.created + START_WINDOW_SECONDS)
    return True


def expire_due(db: Database, now: float) -> None:
    """Store the Expired status of jobs never started in time (reads show it already), so
    their files go and listings need not work it out."""
    with db.transaction(readonly=True) as tx:
        rows = tx.fetchall(
            "SELECT job_id FROM cognito_import_jobs WHERE status = ? AND created_at <= ?",
            (CREATED, now - START_WINDOW_SECONDS),
        )
    for (job_id,) in rows:
        with db.transaction(lock=job_lock(str(job_id))) as tx:
            job = find_job(tx, str(job_id))
            if job is not None and _expire(job, now):
                save_job(tx, job)


def job_type(job: ImportJob, now: float) -> dict[str, Any]:
    """A job as UserImportJobType."""
    _expire(job, now)
    return {
        "JobName": job.data["JobName"],
        "JobId": job.id,
        "UserPoolId": job.pool_id,
        "PreSignedUrl": job.data["PreSignedUrl"],
        "CreationDate": job.created,
        **{key: job.data[key] for key in ("StartDate", "CompletionDate") if key in job.data},
        "Status": job.status,
        "CloudWatchLogsRoleArn": job.data["CloudWatchLogsRoleArn"],
        "ImportedUsers": job.imported,
        "SkippedUsers": job.skipped,
        "FailedUsers": job.failed,
        **{
            key: job.data[key]
            for key in ("CompletionMessage", "PasswordHashingAlgorithm")
            if key in job.data
        },
    }


# ---- operations -------------------------------------------------------------------------


@local_only
def get_csv_header(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    # Imported here: rows pulls in the users' modules, which server start-up (the import
    # routes use this module) does not need.
    from poolmail.cognito.imports.rows import csv_header

    with ctx.db.transaction(readonly=True) as tx:
        pool = load_pool(tx, ctx, params["UserPoolId"])
    return {"UserPoolId": pool.id, "CSVHeader": csv_header(pool)}


def create_user_import_job(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    now = ctx.clock.now().timestamp()
    job_id = "import-" + "".join(secrets.choice(_ID_ALPHABET) for _ in range(10))
    # The token is the URL's only secret, as a pre-signed S3 URL's signature is.
    token = secrets.token_urlsafe(32)
    url = f"{ctx.base_url}{UPLOAD_PATH}{token}?X-Amz-Expires={URL_VALIDITY_SECONDS}"
    data: dict[str, Any] = {
        "JobName": params["JobName"],
        "CloudWatchLogsRoleArn": params["CloudWatchLogsRoleArn"],
        "PreSignedUrl": url,
    }
    if params.get("PasswordHashingAlgorithm"):
        data["PasswordHashingAlgorithm"] = params["PasswordHashingAlgorithm"]
    with ctx.db.transaction() as tx:
        pool = load_pool(tx, ctx, params["UserPoolId"])
        tx.execute(
            "INSERT INTO cognito_import_jobs (job_id, pool_id, account, region, status, "
            "created_at, upload_token, upload_expires_at, imported, skipped, failed, "
            "position, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, 0, ?)",
            (
                job_id,
                pool.id,
                ctx.account_id,
                ctx.region,
                CREATED,
                now,
                token,
                now + URL_VALIDITY_SECONDS,
                json.dumps(data),
            ),
        )
        job = _require_job(tx, pool.id, job_id)
    return {"UserImportJob": job_type(job, now)}


def start_user_import_job(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Pending: the runner takes it from there. "Only one import job can be active at a time
    per account" (developer guide): the runner imports one job at a time."""
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction(lock=job_lock(params["JobId"])) as tx:
        pool = load_pool(tx, ctx, params["UserPoolId"])
        job = _require_job(tx, pool.id, params["JobId"])
        if _expire(job, now):
            save_job(tx, job)
        if job.status != CREATED:
            raise AwsError(
                "InvalidParameterException",
                CANNOT_START.format(job_id=job.id, status=job.status),
            )
        if not job.uploaded:
            raise AwsError("PreconditionNotMetException", NOT_UPLOADED.format(job_id=job.id))
        # "If the user pool has no auto-verified attributes, the import job will not start."
        if not pool.settings.get("AutoVerifiedAttributes"):
            raise AwsError("PreconditionNotMetException", NO_AUTO_VERIFIED_POOL)
        job.status = PENDING
        job.data["StartDate"] = now
        save_job(tx, job)
    return {"UserImportJob": job_type(job, now)}


def stop_user_import_job(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """A Pending job stops at once; one InProgress goes Stopping until the runner ends its
    current batch (imports/runner.py), as AWS's Stopping state describes."""
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction(lock=job_lock(params["JobId"])) as tx:
        pool = load_pool(tx, ctx, params["UserPoolId"])
        job = _require_job(tx, pool.id, params["JobId"])
        if job.status == PENDING:
            job.finish(STOPPED, STOPPED_MESSAGE, now)
        elif job.status == IN_PROGRESS:
            job.status = STOPPING
        else:
            _expire(job, now)
            raise AwsError(
                "InvalidParameterException", CANNOT_STOP.format(job_id=job.id, status=job.status)
            )
        save_job(tx, job)
    return {"UserImportJob": job_type(job, now)}


@local_only
def describe_user_import_job(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with ctx.db.transaction(readonly=True) as tx:
        pool = load_pool(tx, ctx, params["UserPoolId"])
        job = _require_job(tx, pool.id, params["JobId"])
    return {"UserImportJob": job_type(job, ctx.clock.now().timestamp())}


@local_only
def list_user_import_jobs(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Newest first ("Jobs are listed in chronological order from last created to first
    created"); the token has AWS's form, `<pool id>#<job id>#<creation ms>`."""
    pool_id = params["UserPoolId"]
    limit = int(params["MaxResults"])
    token = params.get("PaginationToken")
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction(readonly=True) as tx:
        load_pool(tx, ctx, pool_id)
        where, args = "pool_id = ?", [pool_id]
        if token:
            after = _token_job(tx, pool_id, token)
            where += " AND (created_at < ? OR (created_at = ? AND job_id < ?))"
            args += [after.created, after.created, after.id]
        rows = tx.fetchall(
            f"SELECT {_COLUMNS} FROM cognito_import_jobs WHERE {where} "
            "ORDER BY created_at DESC, job_id DESC LIMIT ?",
            (*args, limit + 1),
        )
    jobs = [_job_of(row) for row in rows]
    result: dict[str, Any] = {"UserImportJobs": [job_type(job, now) for job in jobs[:limit]]}
    if len(jobs) > limit:
        last = jobs[limit - 1]
        result["PaginationToken"] = f"{pool_id}#{last.id}#{round(last.created * 1000)}"
    return result


def _token_job(tx: Transaction, pool_id: str, token: str) -> ImportJob:
    parts = token.split("#")
    job = find_job(tx, parts[1]) if len(parts) == 3 and parts[0] == pool_id else None
    if job is None or job.pool_id != pool_id:
        raise AwsError("InvalidParameterException", BAD_TOKEN)
    return job


# ---- the upload ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Upload:
    """What a PUT to a pre-signed URL did: `stored` with the ETag, or S3's refusal."""

    etag: str = ""
    refusal: str = ""


def store_upload(db: Database, token: str, body: bytes, now: float) -> Upload:
    """Keep the file as the job's CSV, as S3 keeps an object put to a pre-signed URL.

    A second PUT replaces the first, as S3 overwrites; after the job has started the file
    is no longer read, so a late PUT changes nothing. The file must be UTF-8 ("The csv file
    contents should be in UTF-8 format"): other bytes are kept as the job's parse failure.
    """
    with db.transaction() as tx:
        row = tx.fetchone(
            "SELECT status, upload_expires_at FROM cognito_import_jobs WHERE upload_token = ?",
            (token,),
        )
        if row is None:
            return Upload(refusal="unknown")
        if now >= float(row[1]):
            return Upload(refusal="expired")
        if row[0] == CREATED:
            text = body.decode("utf-8", errors="replace")
            tx.execute(
                "UPDATE cognito_import_jobs SET csv = ? WHERE upload_token = ?", (text, token)
            )
    # S3's ETag of a single-part upload: the MD5 of the body, quoted.
    return Upload(etag='"' + hashlib.md5(body, usedforsecurity=False).hexdigest() + '"')


OPERATIONS: dict[str, Handler] = {
    "GetCSVHeader": get_csv_header,
    "CreateUserImportJob": create_user_import_job,
    "StartUserImportJob": start_user_import_job,
    "StopUserImportJob": stop_user_import_job,
    "DescribeUserImportJob": describe_user_import_job,
    "ListUserImportJobs": list_user_import_jobs,
}
