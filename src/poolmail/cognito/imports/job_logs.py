"""An import job's CloudWatch Logs log: a line per user and a summary, queued in the outbox of
other AWS services (aws_services/outbox.py), which keeps them readable locally
(`GET /_poolmail/cognito/logs?pool_id=`) and delivers them to the logs endpoint.

AWS writes the log to the group `/aws/cognito/userpools/POOL_ID/POOL_NAME`, stream
`JOB_ID/JOB_NAME`, one line per user (cognito-user-pools-using-import-tool.html, "Viewing
the user pool import results"): `[SKIPPED] Line Number 5956 - The user already exists.`
The job's CloudWatchLogsRoleArn is what allows AWS to create that group; the role is not
assumed here (poolmail checks no IAM), so the group is made on first delivery.
"""

from __future__ import annotations

from poolmail.aws_services import outbox
from poolmail.cognito.imports.jobs import ImportJob
from poolmail.config import Settings
from poolmail.store import Transaction

SOURCE = "cognito-idp:userImport"
SUCCEEDED_LINE = "SUCCEEDED"
IMPORT_SUCCEEDED = "The import succeeded."


def _target(job: ImportJob, pool_name: str) -> outbox.Target:
    group = f"/aws/cognito/userpools/{job.pool_id}/{pool_name}"
    arn = f"arn:aws:logs:{job.region}:{job.account}:log-group:{group}"
    stream = f"{job.id}/{job.data.get('JobName', '')}"
    # create_group: unlike a pool's exported logs, whose group the user names and must make,
    # this group is AWS's own, made by Cognito through the job's role.
    extra = {"log_group": group, "log_stream": stream, "create_group": "true"}
    return outbox.Target("logs", arn, job.region, extra)


def user_lines(
    tx: Transaction,
    settings: Settings,
    job: ImportJob,
    pool_name: str,
    lines: list[tuple[int, str, str]],
    now: float,
) -> None:
    """Queue a batch's per-user lines ``(line number, outcome, reason)``, in line order."""
    target = _target(job, pool_name)
    for index, (line, outcome, reason) in enumerate(sorted(lines)):
        # A microsecond apart: the outbox delivers oldest first, so the lines stay in order.
        message = f"[{outcome}] Line Number {line} - {reason}"
        _add(tx, settings, job, target, message, now + index * 1e-6)


def summary(
    tx: Transaction, settings: Settings, job: ImportJob, pool_name: str, now: float
) -> None:
    """Queue the job's closing line. Not found: AWS's summary text; Choice: the final
    status, the completion message and the three counts DescribeUserImportJob shows."""
    message = (
        f"[{job.status.upper()}] {job.data.get('CompletionMessage', '')} "
        f"ImportedUsers: {job.imported}, SkippedUsers: {job.skipped}, "
        f"FailedUsers: {job.failed}."
    )
    _add(tx, settings, job, _target(job, pool_name), message, now)


def _add(
    tx: Transaction,
    settings: Settings,
    job: ImportJob,
    target: outbox.Target,
    message: str,
    now: float,
) -> None:
    outbox.add(
        tx,
        settings,
        account=job.account,
        source=SOURCE,
        owner=job.pool_id,
        target=target,
        payload=message,
        now=now,
    )
