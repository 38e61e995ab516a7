"""A pool with a user import job running cannot change its schema or settings, nor be
deleted: AddCustomAttributes, UpdateUserPool and DeleteUserPool answer
UserImportInProgressException ("when you're trying to modify a user pool while a user import
job is in progress for that pool" [model])."""

from __future__ import annotations

from poolmail.protocol.errors import AwsError
from poolmail.store import Transaction

# Choice, AWS's text not found: the job that is running is named.
IN_PROGRESS = "User import job {job_id} is in progress for user pool {pool_id}."

# From start (Pending: started, waiting for the runner) until the runner ends it; a stopping
# job still imports its batch.
_RUNNING = ("Pending", "InProgress", "Stopping")


def check_no_import_running(tx: Transaction, pool_id: str) -> None:
    row = tx.fetchone(
        "SELECT job_id FROM cognito_import_jobs WHERE pool_id = ? AND status IN (?, ?, ?)",
        (pool_id, *_RUNNING),
    )
    if row is not None:
        raise AwsError(
            "UserImportInProgressException",
            IN_PROGRESS.format(job_id=row[0], pool_id=pool_id),
        )
