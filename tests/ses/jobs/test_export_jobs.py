"""SES v2 export jobs, black-box, with files in poolmail's own object store: message
insights and metrics of the mail sent in the test, listing, paging, cancelling and the
error paths."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.ses.helpers import production_access, verify
from tests.ses.jobs.support import download, finished
from tests.support.server import ServerProcess

SENDER = "sender@example.com"


def _refused(call: Any, **params: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    error = excinfo.value.response["Error"]
    return (
        error["Code"],
        error["Message"],
        excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"],
    )


def send(sesv2: Any, to: str, subject: str) -> str:
    return str(
        sesv2.send_email(
            FromEmailAddress=SENDER,
            Destination={"ToAddresses": [to]},
            Content={"Simple": {"Subject": {"Data": subject}, "Body": {"Text": {"Data": "Hi"}}}},
            EmailTags=[{"Name": "campaign", "Value": "spring"}],
        )["MessageId"]
    )


def window() -> dict[str, dt.datetime]:
    now = dt.datetime.now(dt.UTC)
    return {"StartDate": now - dt.timedelta(hours=1), "EndDate": now + dt.timedelta(hours=1)}


def insights_export(sesv2: Any, data_format: str, **source: Any) -> dict[str, Any]:
    job_id = sesv2.create_export_job(
        ExportDataSource={"MessageInsightsDataSource": {**window(), **source}},
        ExportDestination={"DataFormat": data_format},
    )["JobId"]
    return finished(sesv2.get_export_job, job_id)


def test_message_insights_export_lists_the_messages_sent(live: ServerProcess) -> None:
    verify(live, SENDER)
    production_access(live)
    sesv2 = live.client("sesv2")
    first = send(sesv2, "ann@gmail.com", "Spring sale")
    second = send(sesv2, "bounce@simulator.amazonses.com", "Spring sale, again")

    job = insights_export(sesv2, "JSON")
    assert job["JobStatus"] == "COMPLETED"
    assert job["ExportSourceType"] == "MESSAGE_INSIGHTS"
    assert job["Statistics"] == {"ProcessedRecordsCount": 2, "ExportedRecordsCount": 2}
    url = job["ExportDestination"]["S3Url"]
    assert url == f"s3://poolmail-ses-jobs/{job['JobId']}/export.json"
    rows = [json.loads(line) for line in download(live, url).decode().splitlines()]
    by_id = {row["messageId"]: row for row in rows}
    assert set(by_id) == {first, second}
    assert by_id[first]["destination"] == "ann@gmail.com"
    assert by_id[first]["isp"] == "Gmail"
    assert by_id[first]["fromEmailAddress"] == SENDER
    assert by_id[first]["subject"] == "Spring sale"
    assert by_id[first]["lastDeliveryEvent"] == "DELIVERY"
    assert json.loads(by_id[first]["emailTags"]) == [{"Name": "campaign", "Value": "spring"}]
    assert by_id[second]["lastDeliveryEvent"] == "PERMANENT_BOUNCE"

    job = insights_export(
        sesv2,
        "CSV",
        Include={"LastDeliveryEvent": ["PERMANENT_BOUNCE"]},
    )
    table = list(
        csv.DictReader(io.StringIO(download(live, job["ExportDestination"]["S3Url"]).decode()))
    )
    assert [row["messageId"] for row in table] == [second]
    job = insights_export(sesv2, "JSON", Exclude={"Isp": ["gmail"]}, MaxResults=5)
    lines = download(live, job["ExportDestination"]["S3Url"]).decode().splitlines()
    assert [json.loads(line)["messageId"] for line in lines] == [second]
    assert job["ExportDataSource"]["MessageInsightsDataSource"]["MaxResults"] == 5


def test_metrics_export_counts_the_days_sends(live: ServerProcess) -> None:
    verify(live, SENDER)
    production_access(live)
    sesv2 = live.client("sesv2")
    for address in ("ann@gmail.com", "bob@outlook.com", "cy@gmail.com"):
        send(sesv2, address, "Hello")
    job_id = sesv2.create_export_job(
        ExportDataSource={
            "MetricsDataSource": {
                "Dimensions": {"ISP": ["Gmail"]},
                "Namespace": "VDM",
                "Metrics": [
                    {"Name": "SEND", "Aggregation": "VOLUME"},
                    {"Name": "DELIVERY", "Aggregation": "RATE"},
                ],
                **window(),
            }
        },
        ExportDestination={"DataFormat": "CSV", "S3Url": "s3://reports/metrics.csv"},
    )["JobId"]
    job = finished(sesv2.get_export_job, job_id)
    assert job["JobStatus"] == "COMPLETED"
    assert job["ExportDestination"] == {"DataFormat": "CSV", "S3Url": "s3://reports/metrics.csv"}
    rows = list(csv.DictReader(io.StringIO(download(live, "s3://reports/metrics.csv").decode())))
    assert [(row["metric"], row["aggregation"], float(row["value"])) for row in rows] == [
        ("SEND", "VOLUME", 2.0),
        ("DELIVERY", "RATE", 1.0),
    ]


def test_listing_paging_and_cancelling(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    ids = [
        sesv2.create_export_job(
            ExportDataSource={"MessageInsightsDataSource": window()},
            ExportDestination={"DataFormat": "JSON"},
        )["JobId"]
        for _ in range(3)
    ]
    for job_id in ids:
        finished(sesv2.get_export_job, job_id)
    seen: list[str] = []
    token: dict[str, str] = {}
    while True:
        page = sesv2.list_export_jobs(PageSize=2, **token)
        seen += [job["JobId"] for job in page["ExportJobs"]]
        if "NextToken" not in page:
            break
        token = {"NextToken": page["NextToken"]}
    assert seen == list(reversed(ids))
    assert sesv2.list_export_jobs(ExportSourceType="METRICS_DATA")["ExportJobs"] == []
    done = sesv2.list_export_jobs(JobStatus="COMPLETED")["ExportJobs"]
    assert len(done) == 3 and "CompletedTimestamp" in done[0]
    assert _refused(sesv2.cancel_export_job, JobId=ids[0]) == (
        "BadRequestException",
        f"Export job {ids[0]} cannot be cancelled: its status is COMPLETED.",
        400,
    )
    assert _refused(sesv2.cancel_export_job, JobId="absent") == (
        "NotFoundException",
        "Export job absent does not exist.",
        404,
    )


def test_refusals_change_nothing(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    now = dt.datetime.now(dt.UTC)
    assert _refused(
        sesv2.create_export_job,
        ExportDataSource={},
        ExportDestination={"DataFormat": "JSON"},
    ) == (
        "BadRequestException",
        "ExportDataSource must contain exactly one of MetricsDataSource or "
        "MessageInsightsDataSource.",
        400,
    )
    assert _refused(
        sesv2.create_export_job,
        ExportDataSource={
            "MessageInsightsDataSource": {"StartDate": now, "EndDate": now - dt.timedelta(days=1)}
        },
        ExportDestination={"DataFormat": "JSON"},
    ) == ("BadRequestException", "EndDate must not be earlier than StartDate.", 400)
    assert _refused(sesv2.get_export_job, JobId="absent")[0] == "NotFoundException"
    assert _refused(sesv2.list_export_jobs, NextToken="bad!")[0] == "BadRequestException"
    assert sesv2.list_export_jobs()["ExportJobs"] == []
