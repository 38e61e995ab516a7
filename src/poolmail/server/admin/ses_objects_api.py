"""poolmail's own object store for SES import and export jobs, used when no S3 endpoint
is configured: `PUT /_poolmail/ses/objects/<bucket>/<key>` stores an import file,
`GET` reads an export (or a job's failed records), `DELETE` removes one. Also the
background job that runs SES import and export jobs (ses/jobs/runner.py).
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from poolmail.server.admin.admin import admin_error, services_of
from poolmail.server.background import Job
from poolmail.server.pipeline import Services
from poolmail.ses.jobs import objects


def _where(request: Request) -> tuple[str, str]:
    return request.path_params["bucket"], request.path_params["key"]


async def put_object(request: Request) -> Response:
    services = services_of(request)
    bucket, key = _where(request)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > objects.MAX_OBJECT_BYTES:
        return admin_error(413, "EntityTooLarge", "the object is larger than the jobs accept")
    body = await request.body()
    if len(body) > objects.MAX_OBJECT_BYTES:
        return admin_error(413, "EntityTooLarge", "the object is larger than the jobs accept")
    now = services.clock.now().timestamp()

    def store() -> None:
        with services.db.transaction() as tx:
            objects.put_local(tx, bucket, key, body, now)

    await run_in_threadpool(store)
    return JSONResponse({"bucket": bucket, "key": key, "size": len(body)})


async def get_object(request: Request) -> Response:
    services = services_of(request)
    bucket, key = _where(request)

    def read() -> bytes | None:
        with services.db.transaction(readonly=True) as tx:
            return objects.get_local(tx, bucket, key)

    body = await run_in_threadpool(read)
    if body is None:
        return admin_error(404, "NoSuchKey", "The specified key does not exist.")
    return Response(body, media_type="application/octet-stream")


async def delete_object(request: Request) -> Response:
    services = services_of(request)
    bucket, key = _where(request)

    def delete() -> bool:
        with services.db.transaction() as tx:
            return objects.delete_local(tx, bucket, key)

    if not await run_in_threadpool(delete):
        return admin_error(404, "NoSuchKey", "The specified key does not exist.")
    return JSONResponse({"deleted": True})


# How often the SES import and export jobs are looked for: runner.POLL_SECONDS, written
# out so that start-up does not import the runner and the SES modules it pulls in
# (tests/test_registry.py holds the two equal).
POLL_SECONDS = 0.5


def _run_jobs(services: Services) -> None:
    from poolmail.ses.jobs import runner

    runner.run_pending_jobs(services.db, services.clock, services.settings)


ROUTES: list[BaseRoute] = [
    Route("/_poolmail/ses/objects/{bucket}/{key:path}", put_object, methods=["PUT"]),
    Route("/_poolmail/ses/objects/{bucket}/{key:path}", get_object, methods=["GET"]),
    Route("/_poolmail/ses/objects/{bucket}/{key:path}", delete_object, methods=["DELETE"]),
]
JOBS: list[Job] = [Job(name="ses-jobs", interval=lambda services: POLL_SECONDS, run=_run_jobs)]
