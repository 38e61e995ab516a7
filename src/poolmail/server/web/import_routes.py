"""User import jobs on the web side: the PreSignedUrl that accepts a job's CSV by PUT, as
the S3 URL AWS hands out does; the per-user import log (AWS writes it to CloudWatch Logs);
and the background job that runs started imports.
"""

from __future__ import annotations

import secrets
from xml.sax.saxutils import escape

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from poolmail.cognito.imports import jobs
from poolmail.server.admin.admin import services_of
from poolmail.server.background import Job
from poolmail.server.pipeline import Services

# S3's answers to a PUT it refuses (S3 API reference, "Error responses"); the bodies are
# S3's XML error document. S3 answers an unknown or altered pre-signed URL with 403
# SignatureDoesNotMatch, an expired one with 403 AccessDenied "Request has expired".
_REFUSALS = {
    "unknown": (
        403,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided.",
    ),
    "expired": (403, "AccessDenied", "Request has expired"),
    "too-large": (400, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size"),
}


def _s3_error(kind: str, request_id: str) -> Response:
    status, code, message = _REFUSALS[kind]
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{escape(message)}</Message>"
        f"<RequestId>{request_id}</RequestId></Error>"
    )
    return Response(body, status_code=status, media_type="application/xml")


async def upload_csv(request: Request) -> Response:
    """PUT the CSV file to a job's PreSignedUrl: 200 with the ETag, as S3 answers."""
    # Imported here and in run_imports, not at start: they pull in the users' and the
    # mail's modules, which the first API calls after a start do not need.
    from poolmail.cognito.imports.rows import MAX_FILE_BYTES

    services = services_of(request)
    request_id = _request_id()
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_FILE_BYTES:
        # "The maximum csv file size is 100 MB" (developer guide): refused before reading.
        return _s3_error("too-large", request_id)
    body = await request.body()
    if len(body) > MAX_FILE_BYTES:
        return _s3_error("too-large", request_id)
    now = services.clock.now().timestamp()
    token = request.path_params["token"]
    upload = await run_in_threadpool(jobs.store_upload, services.db, token, body, now)
    if upload.refusal:
        return _s3_error(upload.refusal, request_id)
    headers = {"ETag": upload.etag, "x-amz-request-id": request_id}
    encryption = request.headers.get("x-amz-server-side-encryption")
    if encryption:
        # S3 names the encryption a PUT asked for in its answer (the developer guide's curl
        # asks for aws:kms).
        headers["x-amz-server-side-encryption"] = encryption
    return Response(b"", status_code=200, headers=headers)


async def import_log(request: Request) -> JSONResponse:
    """The lines AWS writes to the job's CloudWatch Logs stream for users it skipped or
    failed, in AWS's form (`[FAILED] Line Number 3 - <why>`), oldest line first."""
    services = services_of(request)
    job_id = request.path_params["job_id"]

    def read() -> tuple[bool, list[tuple[int, str, str]]]:
        with services.db.transaction(readonly=True) as tx:
            job = jobs.find_job(tx, job_id)
            rows = tx.fetchall(
                "SELECT line, outcome, message FROM cognito_import_log WHERE job_id = ? "
                "ORDER BY line",
                (job_id,),
            )
        return job is not None, [(int(line), str(kind), str(text)) for line, kind, text in rows]

    found, rows = await run_in_threadpool(read)
    if not found:
        return JSONResponse(
            {"error": "NotFound", "message": f"no import job {job_id}"}, status_code=404
        )
    events = [f"[{kind}] Line Number {line} - {text}" for line, kind, text in rows]
    return JSONResponse({"jobId": job_id, "events": events})


def _request_id() -> str:
    return secrets.token_hex(8).upper()


# How often started jobs are looked for: runner.POLL_SECONDS, written out so that start-up
# does not import the runner (tests/test_registry.py holds the two equal).
POLL_SECONDS = 0.25


def run_imports(services: Services) -> None:
    from poolmail.cognito.imports import runner

    runner.run_pending_imports(services.db, services.clock, services.settings)


ROUTES: list[BaseRoute] = [
    Route(jobs.UPLOAD_PATH + "{token}", upload_csv, methods=["PUT"]),
    Route("/_poolmail/cognito/import-jobs/{job_id}/log", import_log, methods=["GET"]),
]
JOBS: list[Job] = [
    Job(
        name="cognito-user-import",
        interval=lambda services: POLL_SECONDS,
        run=run_imports,
    )
]
