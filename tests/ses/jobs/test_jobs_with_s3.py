"""Import and export jobs against moto's S3 through `--aws-endpoint-url`: the import
file read from a bucket, the export written to one and read back."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest

from tests.ses.helpers import production_access, verify
from tests.ses.jobs.support import finished
from tests.ses.jobs.test_export_jobs import SENDER, send, window
from tests.support.moto import CREDENTIALS, Moto, unique, wait_for
from tests.support.server import ServerProcess, serving


def test_export_goes_to_s3_and_import_comes_from_it(moto_server: ServerProcess, moto: Moto) -> None:
    server = moto_server
    verify(server, SENDER)
    production_access(server)
    sesv2 = server.client("sesv2")
    s3 = moto.client("s3")
    bucket = unique("exports")
    s3.create_bucket(Bucket=bucket)
    sent = {send(sesv2, "ann@gmail.com", "One"), send(sesv2, "bob@yahoo.com", "Two")}
    job_id = sesv2.create_export_job(
        ExportDataSource={"MessageInsightsDataSource": window()},
        ExportDestination={"DataFormat": "JSON", "S3Url": f"s3://{bucket}/insights/all.json"},
    )["JobId"]
    assert finished(sesv2.get_export_job, job_id)["JobStatus"] == "COMPLETED"
    body = s3.get_object(Bucket=bucket, Key="insights/all.json")["Body"].read().decode()
    rows = [json.loads(line) for line in body.splitlines()]
    assert {row["messageId"] for row in rows} == sent
    assert {row["isp"] for row in rows} == {"Gmail", "Yahoo"}

    s3.put_object(Bucket=bucket, Key="in/suppressed.csv", Body=b"zed@example.com,BOUNCE\n")
    job_id = sesv2.create_import_job(
        ImportDestination={"SuppressionListDestination": {"SuppressionListImportAction": "PUT"}},
        ImportDataSource={"S3Url": f"s3://{bucket}/in/suppressed.csv", "DataFormat": "CSV"},
    )["JobId"]
    assert finished(sesv2.get_import_job, job_id)["JobStatus"] == "COMPLETED"
    found = sesv2.get_suppressed_destination(EmailAddress="zed@example.com")
    assert found["SuppressedDestination"]["Reason"] == "BOUNCE"

    # A bucket that does not exist fails the job with S3's own words.
    job_id = sesv2.create_export_job(
        ExportDataSource={"MessageInsightsDataSource": window()},
        ExportDestination={"DataFormat": "CSV", "S3Url": "s3://no-such-bucket-here/x.csv"},
    )["JobId"]
    job = finished(sesv2.get_export_job, job_id)
    assert job["JobStatus"] == "FAILED"
    assert job["FailureInfo"]["ErrorMessage"].startswith(
        "Failed to write s3://no-such-bucket-here/x.csv: "
    )


@pytest.fixture(scope="module")
def silent() -> Iterator[socket.socket]:
    """An endpoint that accepts connections and never answers: a job writing there stays
    PROCESSING until its read times out, long enough to be cancelled."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    yield listener
    listener.close()


def test_a_processing_export_can_be_cancelled(silent: socket.socket) -> None:
    url = f"http://127.0.0.1:{silent.getsockname()[1]}"
    with serving("sqlite", ["--aws-endpoint-url", url], env=CREDENTIALS) as running:
        sesv2 = running.client("sesv2")
        job_id = sesv2.create_export_job(
            ExportDataSource={"MessageInsightsDataSource": window()},
            ExportDestination={"DataFormat": "JSON", "S3Url": "s3://bucket/out.json"},
        )["JobId"]
        assert wait_for(lambda: sesv2.get_export_job(JobId=job_id)["JobStatus"] == "PROCESSING")
        sesv2.cancel_export_job(JobId=job_id)
        job = sesv2.get_export_job(JobId=job_id)
        assert job["JobStatus"] == "CANCELLED"
        assert "CompletedTimestamp" in job
        listed = sesv2.list_export_jobs(JobStatus="CANCELLED")["ExportJobs"]
        assert [item["JobId"] for item in listed] == [job_id]
