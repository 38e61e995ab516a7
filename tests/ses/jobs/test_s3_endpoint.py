"""`--s3-endpoint-url` overrides `--aws-endpoint-url` for S3, as the other
`--*-endpoint-url` options do for their services: job files go to moto's S3 while the
general endpoint answers nothing."""

from __future__ import annotations

import json

import pytest

from tests.conftest import BACKENDS
from tests.ses.helpers import production_access, verify
from tests.ses.jobs.support import finished
from tests.ses.jobs.test_export_jobs import SENDER, send, window
from tests.support.moto import CREDENTIALS, Moto, free_port
from tests.support.server import serving


@pytest.mark.parametrize("backend", BACKENDS)
def test_job_files_go_to_the_s3_endpoint(backend: str, moto: Moto) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    options = ["--aws-endpoint-url", nowhere, "--s3-endpoint-url", moto.url]
    with serving(backend, options, env=CREDENTIALS) as server:
        verify(server, SENDER)
        production_access(server)
        sesv2 = server.client("sesv2")
        s3 = moto.client("s3")
        bucket = f"exports-{free_port()}"
        s3.create_bucket(Bucket=bucket)
        sent = send(sesv2, "ann@gmail.com", "One")
        job_id = sesv2.create_export_job(
            ExportDataSource={"MessageInsightsDataSource": window()},
            ExportDestination={"DataFormat": "JSON", "S3Url": f"s3://{bucket}/all.json"},
        )["JobId"]
        assert finished(sesv2.get_export_job, job_id)["JobStatus"] == "COMPLETED"
        body = s3.get_object(Bucket=bucket, Key="all.json")["Body"].read().decode()
        assert [json.loads(line)["messageId"] for line in body.splitlines()] == [sent]
