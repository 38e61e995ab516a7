"""The import runner: takes started jobs one at a time and imports their users in batches.

The server runs ``run_pending_imports`` as a background job (server/web/import_routes.py) under
the cluster-wide lock every background job holds (server/background.py), so one replica
imports at a time. A job moves Pending -> InProgress by a conditional UPDATE, and each
batch commits its users together with the job's counts and position, so a replica that
dies mid-import leaves a job the next runner resumes where the last batch ended: every
row is imported once.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from poolmail.clock import Clock
from poolmail.cognito.imports import job_logs
from poolmail.cognito.imports.jobs import (
    FAILED,
    IN_PROGRESS,
    PENDING,
    STOPPED,
    STOPPED_MESSAGE,
    STOPPING,
    SUCCEEDED,
    SUCCEEDED_MESSAGE,
    TOO_MANY_MESSAGE,
    ImportJob,
    expire_due,
    find_job,
    job_lock,
    save_job,
)
from poolmail.cognito.imports.rows import Candidate, FileError, check_row, csv_header, parse
from poolmail.cognito.mfa.state import SMS_MFA
from poolmail.cognito.pools.user_pools import StoredPool, load_pool
from poolmail.cognito.users.users import (
    RESET_REQUIRED,
    StoredUser,
    _alias_values,  # aliases as insert_user stores them: the values uniqueness is about
    case_sensitive,
    insert_user,
    users_lock,
)
from poolmail.config import Settings
from poolmail.context import RequestContext
from poolmail.protocol.errors import AwsError
from poolmail.store import Database, Transaction

# Users per transaction: large enough that 10,000 users take a few seconds, small enough
# that the pool's users lock is never held long and a stop takes effect quickly.
BATCH = 1000
# How often the server looks for started jobs (seconds): a job starts within this.
POLL_SECONDS = 0.25

# The per-user log lines AWS writes to CloudWatch Logs (developer guide, "Viewing the
# user pool import results"): `[SKIPPED] Line Number 5956 - The user already exists.`
SKIPPED, FAILED_LINE = "SKIPPED", "FAILED"
USER_EXISTS = "The user already exists."
_ALIAS_NOUNS = {
    "email": "email",
    "phone": "phone_number",
    "preferred_username": "preferred_username",
}


def run_pending_imports(db: Database, clock: Clock, settings: Settings) -> None:
    """Run every started job, oldest first, until none is left."""
    expire_due(db, clock.now().timestamp())
    while (job := _claim_next(db)) is not None:
        _run(db, clock, settings, job)


def _claim_next(db: Database) -> ImportJob | None:
    with db.transaction(readonly=True) as tx:
        # A job found InProgress or Stopping was left by a runner that died: the lock this
        # runner holds means no other is alive. It comes first; then the oldest start.
        row = tx.fetchone(
            "SELECT job_id FROM cognito_import_jobs WHERE status IN (?, ?, ?) "
            "ORDER BY CASE WHEN status = ? THEN 1 ELSE 0 END, created_at, job_id LIMIT 1",
            (IN_PROGRESS, STOPPING, PENDING, PENDING),
        )
    if row is None:
        return None
    with db.transaction(lock=job_lock(str(row[0]))) as tx:
        job = find_job(tx, str(row[0]))
        if job is not None and job.status == PENDING:
            job.status = IN_PROGRESS
            save_job(tx, job)
    if job is None or job.status not in (IN_PROGRESS, STOPPING):
        # Stopped, or its pool deleted, between the two reads: look again.
        return _claim_next(db)
    return job


def _run(db: Database, clock: Clock, settings: Settings, job: ImportJob) -> None:
    ctx = RequestContext(
        service="cognito-idp",
        operation="StartUserImportJob",
        account_id=job.account,
        region=job.region,
        request_id=str(uuid.uuid4()),
        signed=True,
        db=db,
        clock=clock,
        settings=settings,
    )
    with db.transaction(readonly=True) as tx:
        try:
            pool = load_pool(tx, ctx, job.pool_id)
        except AwsError:
            return  # the pool, and the job with it, were deleted
        found = tx.fetchone("SELECT csv FROM cognito_import_jobs WHERE job_id = ?", (job.id,))
    text = str(found[0]) if found is not None and found[0] is not None else ""
    try:
        header, rows = parse(text, csv_header(pool))
    except FileError as exc:
        _finish(db, job.id, clock, settings, pool, failure=str(exc))
        return
    for start in range(job.position, len(rows), BATCH):
        batch = rows[start : start + BATCH]
        if not _import_batch(db, clock, settings, pool, job.id, header, batch):
            return
    _finish(db, job.id, clock, settings, pool)


def _import_batch(
    db: Database,
    clock: Clock,
    settings: Settings,
    pool: StoredPool,
    job_id: str,
    header: list[str],
    batch: list[tuple[int, list[str]]],
) -> bool:
    """Import one batch; False when the job is to go no further (stopped, deleted)."""
    now = clock.now().timestamp()
    with db.transaction(lock=users_lock(pool.id)) as tx:
        tx.lock(job_lock(job_id))
        job = find_job(tx, job_id)
        if job is None:
            return False
        if job.status == STOPPING:
            job.finish(STOPPED, STOPPED_MESSAGE, now)
            save_job(tx, job)
            job_logs.summary(tx, settings, job, pool.name, now)
            return False
        log: list[tuple[int, str, str]] = []
        candidates: list[Candidate] = []
        for line, row in batch:
            checked = check_row(pool, header, row, line)
            if isinstance(checked, str):
                log.append((line, FAILED_LINE, checked))
            else:
                candidates.append(checked)
        imported = _insert(tx, pool, candidates, now, log)
        for line, outcome, message in log:
            tx.execute(
                "INSERT INTO cognito_import_log (pool_id, job_id, line, outcome, message) "
                "VALUES (?, ?, ?, ?, ?)",
                (pool.id, job_id, line, outcome, message),
            )
        # AWS's log has a line for every user, the imported ones too.
        unsuccessful = {entry[0] for entry in log}
        succeeded = [
            (c.line, job_logs.SUCCEEDED_LINE, job_logs.IMPORT_SUCCEEDED)
            for c in candidates
            if c.line not in unsuccessful
        ]
        job_logs.user_lines(tx, settings, job, pool.name, log + succeeded, now)
        job.imported += imported
        job.skipped += sum(1 for entry in log if entry[1] == SKIPPED)
        job.failed += sum(1 for entry in log if entry[1] == FAILED_LINE)
        job.position += len(batch)
        save_job(tx, job)
    return True


def _insert(
    tx: Transaction,
    pool: StoredPool,
    candidates: list[Candidate],
    now: float,
    log: list[tuple[int, str, str]],
) -> int:
    """Insert the batch's users as RESET_REQUIRED; an existing username is SKIPPED, an alias
    another user holds FAILED (as AdminCreateUser refuses it). Returns the users added."""
    sensitive = case_sensitive(pool)

    def key(name: str) -> str:
        return name if sensitive else name.lower()

    expression = "username" if sensitive else "LOWER(username)"
    taken = _rows_in(tx, pool.id, expression, [key(c.username) for c in candidates])
    users: list[tuple[Candidate, StoredUser, list[str | None]]] = []
    for candidate in candidates:
        user = StoredUser(
            pool.id, candidate.username, str(uuid.uuid4()), RESET_REQUIRED, True, now, now
        )
        user.attributes = candidate.attributes
        if candidate.mfa:
            # cognito:mfa_enabled is the legacy SMS MFA setting (MFAOptions).
            user.data["mfa"] = {"enabled": [SMS_MFA], "legacy_sms": True, "set": True}
        users.append((candidate, user, _alias_values(pool.settings, user.attributes)))
    held: dict[str, set[str]] = {}
    for position, name in enumerate(_ALIAS_NOUNS):
        values = [str(aliases[position]) for _, _, aliases in users if aliases[position]]
        held[name] = _rows_in(tx, pool.id, name, values)
    imported = 0
    for candidate, user, aliases in users:
        if key(user.username) in taken:
            log.append((candidate.line, SKIPPED, USER_EXISTS))
            continue
        clash = next(
            (
                name
                for name, value in zip(_ALIAS_NOUNS, aliases, strict=True)
                if value is not None and value in held[name]
            ),
            None,
        )
        if clash is not None:
            noun = _ALIAS_NOUNS[clash]
            log.append((candidate.line, FAILED_LINE, f"An account with the {noun} already exists."))
            continue
        if not insert_user(tx, pool, user):
            log.append((candidate.line, SKIPPED, USER_EXISTS))
            continue
        taken.add(key(user.username))
        for name, value in zip(_ALIAS_NOUNS, aliases, strict=True):
            if value is not None:
                held[name].add(value)
        imported += 1
    log.sort()
    return imported


def _rows_in(tx: Transaction, pool_id: str, expression: str, values: Iterable[str]) -> set[str]:
    """The values of ``expression`` (a column of `users`) among ``values`` that the pool's
    users hold, asked in chunks the databases' parameter limits allow."""
    wanted = sorted(set(values))
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        rows = tx.fetchall(
            f"SELECT {expression} FROM users WHERE pool_id = ? AND {expression} IN ({marks})",
            (pool_id, *chunk),
        )
        found.update(str(row[0]) for row in rows)
    return found


def _finish(
    db: Database,
    job_id: str,
    clock: Clock,
    settings: Settings,
    pool: StoredPool,
    *,
    failure: str = "",
) -> None:
    """End the job: Succeeded, or Failed when the file could not be read or any user was
    skipped or failed (AWS's "Too many users have failed or been skipped" ends jobs with a
    single failed user, as its own examples show); Stopped if a stop came meanwhile."""
    now = clock.now().timestamp()
    with db.transaction(lock=job_lock(job_id)) as tx:
        job = find_job(tx, job_id)
        if job is None or job.status not in (IN_PROGRESS, STOPPING):
            return
        if job.status == STOPPING:
            job.finish(STOPPED, STOPPED_MESSAGE, now)
        elif failure:
            job.finish(FAILED, failure, now)
        elif job.skipped or job.failed:
            job.finish(FAILED, TOO_MANY_MESSAGE, now)
        else:
            job.finish(SUCCEEDED, SUCCEEDED_MESSAGE, now)
        save_job(tx, job)
        job_logs.summary(tx, settings, job, pool.name, now)
