"""SES v2 export jobs: CreateExportJob, GetExportJob, ListExportJobs, CancelExportJob,
and the work of one job (``run``): message insights or VDM metrics from the sending
history, written as CSV or JSON lines to the destination's `s3://` URL (see
``objects``).

Choice: without an S3Url, the file goes to poolmail's own store at
`s3://poolmail-ses-jobs/<job id>/export.csv|json`, which GetExportJob names.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

from poolmail.clock import Clock
from poolmail.config import Settings
from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.ses.insights import message_insights, metrics
from poolmail.ses.jobs import objects, store
from poolmail.ses.jobs.requests import JOBS_BUCKET, bad, existing, listed, new_job, one_of
from poolmail.ses.jobs.store import CANCELLED, COMPLETED, CREATED, PROCESSING, Job
from poolmail.store import Database

METRICS_DATA, MESSAGE_INSIGHTS = "METRICS_DATA", "MESSAGE_INSIGHTS"
# Choice: AWS's text for this was not found.
NOT_CANCELLABLE = "Export job {} cannot be cancelled: its status is {}."


def _epoch(value: Any) -> float:
    return value.timestamp() if isinstance(value, dt.datetime) else float(value)


def _dates(source: dict[str, Any]) -> dict[str, float]:
    start, end = _epoch(source["StartDate"]), _epoch(source["EndDate"])
    if end < start:
        raise bad("EndDate must not be earlier than StartDate.")
    return {"StartDate": start, "EndDate": end}


def _source(params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    given = params["ExportDataSource"]
    # The model: "It can only contain one of MetricsDataSource or
    # MessageInsightsDataSource object." Choice: the text is poolmail's.
    chosen = one_of(
        given,
        "MetricsDataSource",
        "MessageInsightsDataSource",
        "ExportDataSource must contain exactly one of MetricsDataSource or "
        "MessageInsightsDataSource.",
    )
    if chosen == "MetricsDataSource":
        metrics_source = given[chosen]
        kept = {
            "Dimensions": {
                name: list(values) for name, values in metrics_source["Dimensions"].items()
            },
            "Namespace": metrics_source["Namespace"],
            "Metrics": [dict(metric) for metric in metrics_source["Metrics"]],
            **_dates(metrics_source),
        }
        return METRICS_DATA, {"MetricsDataSource": kept}
    insights_source = given[chosen]
    kept = {**_dates(insights_source)}
    for name in ("Include", "Exclude"):
        if insights_source.get(name):
            kept[name] = {key: list(values) for key, values in insights_source[name].items()}
    if insights_source.get("MaxResults") is not None:
        kept["MaxResults"] = int(insights_source["MaxResults"])
    return MESSAGE_INSIGHTS, {"MessageInsightsDataSource": kept}


def create_export_job(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    subtype, source = _source(params)
    destination = dict(params["ExportDestination"])
    job_id = store.new_job_id()
    if destination.get("S3Url") is None:
        extension = destination["DataFormat"].lower()
        destination["S3Url"] = f"s3://{JOBS_BUCKET}/{job_id}/export.{extension}"
    elif not objects.S3_URL.match(destination["S3Url"]):
        raise bad(f"Invalid S3 URL {destination['S3Url']}.")
    data = {"ExportDataSource": source, "ExportDestination": destination}
    job = new_job(ctx, "export", subtype, data, job_id)
    with ctx.db.transaction() as tx:
        store.insert(tx, job)
    return {"JobId": job.id}


def _summary(job: Job) -> dict[str, Any]:
    answer: dict[str, Any] = {
        "JobId": job.id,
        "ExportSourceType": job.subtype,
        "JobStatus": job.status,
        "CreatedTimestamp": job.created_at,
    }
    if job.completed_at is not None:
        answer["CompletedTimestamp"] = job.completed_at
    return answer


def get_export_job(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with ctx.db.transaction(readonly=True) as tx:
        job = existing(tx, ctx, "export", params["JobId"])
    answer = {
        **_summary(job),
        "ExportDestination": job.data["ExportDestination"],
        "ExportDataSource": job.data["ExportDataSource"],
        "Statistics": {
            "ProcessedRecordsCount": int(job.data.get("ProcessedRecordsCount", 0)),
            "ExportedRecordsCount": int(job.data.get("ExportedRecordsCount", 0)),
        },
    }
    if job.data.get("FailureInfo"):
        answer["FailureInfo"] = job.data["FailureInfo"]
    return answer


def list_export_jobs(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return listed(
        ctx,
        params,
        "export",
        subtype=params.get("ExportSourceType"),
        status=params.get("JobStatus"),
        member="ExportJobs",
        shape=_summary,
    )


def cancel_export_job(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    job_id = params["JobId"]
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction(lock=store.lock_name(job_id)) as tx:
        job = existing(tx, ctx, "export", job_id)
        if job.status not in (CREATED, PROCESSING):
            raise bad(NOT_CANCELLABLE.format(job_id, job.status))
        job.status, job.completed_at = CANCELLED, now
        store.save(tx, job)
    return {}


# --- the work of one job (called by the runner, outside any request) -----------------


def _iso(at: float) -> str:
    moment = dt.datetime.fromtimestamp(at, dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _metric_rows(db: Database, job: Job) -> tuple[list[dict[str, Any]], int]:
    """Choice: one row per day with mail and per asked metric: timestamp (the UTC day),
    metric, aggregation and value (a VOLUME count, or a RATE relative to SEND)."""
    source = job.data["ExportDataSource"]["MetricsDataSource"]
    with db.transaction(readonly=True) as tx:
        days = metrics.daily_counts(
            tx,
            job.account,
            job.region,
            source["StartDate"],
            source["EndDate"],
            source["Dimensions"],
        )
    rows = []
    for day, counts in days.items():
        for metric in source["Metrics"]:
            name = metric.get("Name", "SEND")
            aggregation = metric.get("Aggregation", "VOLUME")
            value: float = counts[name]
            if aggregation == "RATE":
                value = counts[name] / counts["SEND"] if counts["SEND"] else 0.0
            rows.append(
                {
                    "timestamp": _iso(day),
                    "metric": name,
                    "aggregation": aggregation,
                    "value": value,
                }
            )
    return rows, len(days)


def _insight_rows(db: Database, job: Job) -> tuple[list[dict[str, Any]], int]:
    source = job.data["ExportDataSource"]["MessageInsightsDataSource"]
    seen = [0]
    with db.transaction(readonly=True) as tx:
        rows = list(message_insights.export_rows(tx, job.account, job.region, source, seen))
    return rows, seen[0]


def render(rows: list[dict[str, Any]], data_format: str) -> bytes:
    if data_format == "JSON":
        return "".join(json.dumps(row) + "\n" for row in rows).encode()
    if not rows:
        return b""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def run(db: Database, clock: Clock, settings: Settings, job: Job) -> None:
    """Compute and write ``job``'s file; the job ends COMPLETED unless cancelled
    meanwhile (then nothing is written)."""
    if job.subtype == METRICS_DATA:
        rows, processed = _metric_rows(db, job)
    else:
        rows, processed = _insight_rows(db, job)
    destination = job.data["ExportDestination"]
    with db.transaction(readonly=True) as tx:
        current = store.running(tx, job.id)
    if current is None:
        return
    body = render(rows, destination["DataFormat"])
    objects.write(db, settings, job.region, destination["S3Url"], body, clock.now().timestamp())
    with db.transaction(lock=store.lock_name(job.id)) as tx:
        current = store.running(tx, job.id)
        if current is None:
            return
        current.data["ProcessedRecordsCount"] = processed
        current.data["ExportedRecordsCount"] = len(rows)
        current.status, current.completed_at = COMPLETED, clock.now().timestamp()
        store.save(tx, current)


V1: dict[str, Handler] = {}
V2: dict[str, Handler] = {
    "CreateExportJob": create_export_job,
    "GetExportJob": get_export_job,
    "ListExportJobs": list_export_jobs,
    "CancelExportJob": cancel_export_job,
}
