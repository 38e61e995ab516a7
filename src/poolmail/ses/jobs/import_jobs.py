"""SES v2 import jobs: CreateImportJob, GetImportJob, ListImportJobs, and the work of one
job (``run``), which the background runner calls.

A job reads its file from the data source's `s3://` URL (see ``objects``), then puts or
deletes each record in the suppression list or the contact list, a batch per
transaction. Records that cannot be read fail alone: they are counted in
FailedRecordsCount and written to the FailureInfo's FailedRecordsS3Url.
"""

from __future__ import annotations

from typing import Any

from poolmail.clock import Clock
from poolmail.config import Settings
from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.protocol.errors import AwsError
from poolmail.ses import quota
from poolmail.ses.contacts import contacts, lists
from poolmail.ses.jobs import objects, records, store
from poolmail.ses.jobs.store import COMPLETED, CREATED, FINISHED, Job
from poolmail.ses.suppression import store as suppression
from poolmail.store import Database

SUPPRESSION_LIST, CONTACT_LIST = "SUPPRESSION_LIST", "CONTACT_LIST"
# Records per transaction: locks stay short, and a cancelled or failed runner has
# applied whole batches only.
BATCH = 500
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
# Choice: AWS's refusal text was not found (facts §1 says only that CreateImportJob to the
# suppression list fails until production access).
SANDBOX_MESSAGE = (
    "Your account is in the Amazon SES sandbox: importing addresses to the suppression "
    "list requires production access."
)
# Choice: AWS's text for an unknown job id was not found.
MISSING_JOB = "Import job {} does not exist."
# Where a job's failed records (and an export without S3Url) go: poolmail's own store.
JOBS_BUCKET = "poolmail-ses-jobs"


def _bad(message: str) -> AwsError:
    return AwsError("BadRequestException", message)


def page_size(params: dict[str, Any]) -> int:
    """PageSize as asked. Choice: the model sets no bounds; poolmail answers 100 by
    default, refuses less than 1 and returns at most 1000."""
    size = params.get("PageSize")
    if size is None:
        return DEFAULT_PAGE_SIZE
    if size < 1:
        raise _bad("PageSize must be at least 1.")
    return int(min(size, MAX_PAGE_SIZE))


def _destination(params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    given = params["ImportDestination"]
    suppression_dest = given.get("SuppressionListDestination")
    contact_dest = given.get("ContactListDestination")
    if (suppression_dest is None) == (contact_dest is None):
        # Choice: AWS's text was not found; the model says one of the two is required.
        raise _bad(
            "ImportDestination must specify exactly one of SuppressionListDestination "
            "or ContactListDestination."
        )
    if suppression_dest is not None:
        action = suppression_dest["SuppressionListImportAction"]
        return SUPPRESSION_LIST, {
            "SuppressionListDestination": {"SuppressionListImportAction": action}
        }
    return CONTACT_LIST, {
        "ContactListDestination": {
            "ContactListName": contact_dest["ContactListName"],
            "ContactListImportAction": contact_dest["ContactListImportAction"],
        }
    }


def create_import_job(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    subtype, destination = _destination(params)
    source = params["ImportDataSource"]
    if not objects.S3_URL.match(source["S3Url"]):
        raise _bad(f"Invalid S3 URL {source['S3Url']}.")
    now = ctx.clock.now().timestamp()
    job = Job(
        id=store.new_job_id(),
        account=ctx.account_id,
        region=ctx.region,
        kind="import",
        subtype=subtype,
        status=CREATED,
        created_at=now,
        data={
            "ImportDestination": destination,
            "ImportDataSource": {"S3Url": source["S3Url"], "DataFormat": source["DataFormat"]},
            "ProcessedRecordsCount": 0,
            "FailedRecordsCount": 0,
        },
    )
    with ctx.db.transaction() as tx:
        if subtype == SUPPRESSION_LIST:
            if not quota.limits(tx, ctx.settings, ctx.account_id, ctx.region).production_access:
                raise _bad(SANDBOX_MESSAGE)
        else:
            name = destination["ContactListDestination"]["ContactListName"]
            if lists.load(tx, ctx.account_id, ctx.region, name) is None:
                # CreateImportJob models no NotFoundException: the list's absence is a
                # bad request, told in the contact lists' own words.
                raise _bad(lists.missing_list(name).message)
        store.insert(tx, job)
    return {"JobId": job.id}


def _shape(job: Job) -> dict[str, Any]:
    data = job.data
    answer: dict[str, Any] = {
        "JobId": job.id,
        "ImportDestination": data["ImportDestination"],
        "ImportDataSource": data["ImportDataSource"],
        "JobStatus": job.status,
        "CreatedTimestamp": job.created_at,
        "ProcessedRecordsCount": int(data.get("ProcessedRecordsCount", 0)),
        "FailedRecordsCount": int(data.get("FailedRecordsCount", 0)),
    }
    if job.completed_at is not None:
        answer["CompletedTimestamp"] = job.completed_at
    if data.get("FailureInfo"):
        answer["FailureInfo"] = data["FailureInfo"]
    return answer


def get_import_job(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    job_id = params["JobId"]
    with ctx.db.transaction(readonly=True) as tx:
        job = store.find_scoped(tx, ctx.account_id, ctx.region, "import", job_id)
    if job is None:
        raise AwsError("NotFoundException", MISSING_JOB.format(job_id))
    return _shape(job)


def list_import_jobs(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with ctx.db.transaction(readonly=True) as tx:
        jobs, token = store.page(
            tx,
            ctx.account_id,
            ctx.region,
            "import",
            subtype=params.get("ImportDestinationType"),
            status=None,
            token=params.get("NextToken"),
            limit=page_size(params),
            token_error="BadRequestException",
        )
    keep = (
        "JobId",
        "ImportDestination",
        "JobStatus",
        "CreatedTimestamp",
        "ProcessedRecordsCount",
        "FailedRecordsCount",
    )
    answer: dict[str, Any] = {
        "ImportJobs": [{key: _shape(job)[key] for key in keep} for job in jobs]
    }
    if token:
        answer["NextToken"] = token
    return answer


# --- the work of one job (called by the runner, outside any request) -----------------


def run(db: Database, clock: Clock, settings: Settings, job: Job) -> None:
    """Import ``job``'s file; the job ends COMPLETED (some records may have failed) or,
    when the file cannot be read at all or the contact list is gone, FAILED."""
    source = job.data["ImportDataSource"]
    data_format = source["DataFormat"]
    body = objects.read(db, settings, job.region, source["S3Url"])
    destination = job.data["ImportDestination"]
    if job.subtype == SUPPRESSION_LIST:
        action = destination["SuppressionListDestination"]["SuppressionListImportAction"]
        found, failures = records.suppression_records(body, data_format, action == "PUT")
        list_name = None
    else:
        list_dest = destination["ContactListDestination"]
        list_name, action = list_dest["ContactListName"], list_dest["ContactListImportAction"]
        with db.transaction(readonly=True) as tx:
            contact_list = lists.load(tx, job.account, job.region, list_name)
        if contact_list is None:
            raise records.FileError(lists.missing_list(list_name).message)
        found, failures = records.contact_records(
            body, data_format, lists.topic_defaults(contact_list), list_name
        )
    for start in range(0, len(found), BATCH):
        batch = found[start : start + BATCH]
        if not _apply(db, clock, job, batch, action, list_name):
            return
    now = clock.now().timestamp()
    with db.transaction(lock=store.lock_name(job.id)) as tx:
        current = store.find(tx, job.id)
        if current is None or current.status in FINISHED:
            return
        current.data["FailedRecordsCount"] = len(failures)
        current.data["ProcessedRecordsCount"] = len(found) + len(failures)
        if failures:
            key = f"{job.id}/failed-records.{data_format.lower()}"
            objects.put_local(
                tx,
                JOBS_BUCKET,
                key,
                records.failures_file(failures, data_format),
                now,
            )
            current.data["FailureInfo"] = {
                "FailedRecordsS3Url": f"s3://{JOBS_BUCKET}/{key}",
                "ErrorMessage": f"{len(failures)} record(s) could not be imported.",
            }
        current.status, current.completed_at = COMPLETED, now
        store.save(tx, current)


def _apply(
    db: Database,
    clock: Clock,
    job: Job,
    batch: list[records.Record],
    action: str,
    list_name: str | None,
) -> bool:
    """Apply one batch and count it; False when the job is no longer running."""
    now = clock.now().timestamp()
    lock = (
        contacts.lock_name(job.account, job.region, list_name)
        if list_name is not None
        else store.lock_name(job.id)
    )
    with db.transaction(lock=lock) as tx:
        if list_name is not None:
            tx.lock(store.lock_name(job.id))
        current = store.find(tx, job.id)
        if current is None or current.status in FINISHED:
            return False
        for record in batch:
            if list_name is None:
                if action == "PUT":
                    suppression.put_destination(
                        tx, job.account, job.region, record.email, str(record.reason), now
                    )
                else:
                    suppression.delete_destination(tx, job.account, job.region, record.email)
            elif action == "PUT":
                contact = {
                    "TopicPreferences": record.topics,
                    "UnsubscribeAll": record.unsubscribe_all,
                    "AttributesData": record.attributes,
                }
                contacts.save(tx, job.account, job.region, list_name, record.email, contact, now)
            else:
                # As DeleteContact does: the contact and its unsubscribe links.
                for table in ("ses_contacts", "ses_unsubscribe_links"):
                    tx.execute(
                        f"DELETE FROM {table} WHERE account = ? AND region = ? "
                        "AND list_name = ? AND email = ?",
                        (job.account, job.region, list_name, record.email),
                    )
        current.data["ProcessedRecordsCount"] = int(
            current.data.get("ProcessedRecordsCount", 0)
        ) + len(batch)
        store.save(tx, current)
    return True


V1: dict[str, Handler] = {}
V2: dict[str, Handler] = {
    "CreateImportJob": create_import_job,
    "GetImportJob": get_import_job,
    "ListImportJobs": list_import_jobs,
}
