"""What the import and export job operations share: their refusals, the job row a
creation stores, finding one job of the caller's scope, and a page of them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from poolmail.context import RequestContext
from poolmail.protocol.errors import AwsError
from poolmail.ses.contacts.lists import page_size
from poolmail.ses.jobs import store
from poolmail.ses.jobs.store import CREATED, Job, Kind
from poolmail.store import Transaction

# Where a job's failed records (and an export without S3Url) go: poolmail's own store.
JOBS_BUCKET = "poolmail-ses-jobs"
# Choice: AWS's text for an unknown job id was not found.
_MISSING = {"import": "Import job {} does not exist.", "export": "Export job {} does not exist."}


def bad(message: str) -> AwsError:
    return AwsError("BadRequestException", message)


def one_of(given: dict[str, Any], first: str, second: str, message: str) -> str:
    """The one of ``first`` and ``second`` that ``given`` holds; a refusal with
    ``message`` when it holds both or neither (each model's "only one of")."""
    if (given.get(first) is None) == (given.get(second) is None):
        raise bad(message)
    return first if given.get(first) is not None else second


def new_job(
    ctx: RequestContext, kind: Kind, subtype: str, data: dict[str, Any], job_id: str = ""
) -> Job:
    """A CREATED job of the caller's scope, not yet stored."""
    return Job(
        id=job_id or store.new_job_id(),
        account=ctx.account_id,
        region=ctx.region,
        kind=kind,
        subtype=subtype,
        status=CREATED,
        created_at=ctx.clock.now().timestamp(),
        data=data,
    )


def existing(tx: Transaction, ctx: RequestContext, kind: Kind, job_id: str) -> Job:
    """The caller's job ``job_id`` of ``kind``; NotFoundException for any other id."""
    job = store.find_scoped(tx, ctx.account_id, ctx.region, kind, job_id)
    if job is None:
        raise AwsError("NotFoundException", _MISSING[kind].format(job_id))
    return job


def listed(
    ctx: RequestContext,
    params: dict[str, Any],
    kind: Kind,
    *,
    subtype: str | None,
    status: str | None,
    member: str,
    shape: Callable[[Job], dict[str, Any]],
) -> dict[str, Any]:
    """One page of the caller's jobs of ``kind``, newest first, under ``member``; PageSize
    bounded as the contact lists' (100 by default, at most 1000)."""
    with ctx.db.transaction(readonly=True) as tx:
        jobs, token = store.page(
            tx,
            ctx.account_id,
            ctx.region,
            kind,
            subtype=subtype,
            status=status,
            token=params.get("NextToken"),
            limit=page_size(params),
            token_error="BadRequestException",
        )
    answer: dict[str, Any] = {member: [shape(job) for job in jobs]}
    if token:
        answer["NextToken"] = token
    return answer
