"""poolmail's endpoints for functions: the `--functions` file's functions, their invocations
with request, response and log (`/_poolmail/functions/invocations`), one function's logs,
and a test invocation (`POST /_poolmail/functions/{name}/invoke`)."""

from __future__ import annotations

import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from poolmail.functions import Caller, FunctionError, InvokeError, InvokeTimeout, invoke, shaped
from poolmail.functions import records as invocation_records
from poolmail.server.admin.admin import admin_error, services_of
from poolmail.server.pipeline import Services


def _limit(request: Request, default: int = 100) -> int | None:
    text = request.query_params.get("limit", str(default))
    if not text.isdigit() or not 1 <= int(text) <= invocation_records.MAX_LIMIT:
        return None
    return int(text)


def configured(services: Services) -> list[dict[str, Any]]:
    """The functions of the `--functions` file, as the API and the console show them."""
    if services.settings.functions is None:
        return []
    from poolmail.functions.runner import runner_for

    return [
        {
            "name": spec.name,
            "runtime": spec.runtime,
            "handler": spec.handler,
            "code": str(spec.code),
            "timeout": spec.timeout,
            "memory": spec.memory,
            "environment": sorted(spec.environment),
        }
        for spec in runner_for(services.settings.functions).specs.values()
    ]


async def list_functions(request: Request) -> JSONResponse:
    """`{"functions": [...], "file": ..., "lambdaEndpoint": ...}`."""
    services = services_of(request)
    settings = services.settings
    return JSONResponse(
        {
            "file": settings.functions,
            "functions": await run_in_threadpool(configured, services),
            "lambdaEndpoint": settings.lambda_endpoint_url or settings.aws_endpoint_url,
        }
    )


async def list_invocations(request: Request) -> Response:
    """`{"invocations": [...]}`, newest first; `?function=`, `?source=`, `?owner=`,
    `?limit=` (1 to 1000, default 100) narrow it."""
    services = services_of(request)
    limit = _limit(request)
    if limit is None:
        return admin_error(400, "InvalidRequest", "limit must be a whole number from 1 to 1000")
    query = request.query_params
    where = invocation_records.InvocationFilter(
        function_name=query.get("function") or None,
        source=query.get("source") or None,
        owner=query.get("owner") or None,
        limit=limit,
    )

    def read() -> list[dict[str, Any]]:
        with services.db.transaction(readonly=True) as tx:
            found = invocation_records.find(tx, where)
            links = shaped.shaped_by(tx, [invocation.id for invocation in found])
        return [_with_shaped(invocation, links) for invocation in found]

    return JSONResponse({"invocations": await run_in_threadpool(read)})


def _with_shaped(
    invocation: invocation_records.Invocation, links: dict[str, list[shaped.Shaped]]
) -> dict[str, Any]:
    """The record, and the messages it shaped (a CustomMessage's mail or text)."""
    return {
        **invocation_records.to_json(invocation),
        "shaped": [
            {"channel": item.channel, "messageId": item.message_id}
            for item in links.get(invocation.id, [])
        ],
    }


async def one_invocation(request: Request) -> Response:
    services = services_of(request)
    invocation_id = request.path_params["invocation_id"]

    def read() -> dict[str, Any] | None:
        with services.db.transaction(readonly=True) as tx:
            found = invocation_records.get(tx, invocation_id)
            if found is None:
                return None
            return _with_shaped(found, shaped.shaped_by(tx, [found.id]))

    answer = await run_in_threadpool(read)
    if answer is None:
        return admin_error(404, "NotFound", f"No invocation {invocation_id}.")
    return JSONResponse(answer)


async def function_logs(request: Request) -> Response:
    """A function's log, one entry per invocation, newest first (`?limit=`, default 100);
    `text` is the same oldest first, as one would read a log stream."""
    services = services_of(request)
    name = request.path_params["name"]
    limit = _limit(request)
    if limit is None:
        return admin_error(400, "InvalidRequest", "limit must be a whole number from 1 to 1000")
    where = invocation_records.InvocationFilter(function_name=name, limit=limit)

    def read() -> list[invocation_records.Invocation]:
        with services.db.transaction(readonly=True) as tx:
            return invocation_records.find(tx, where)

    found = await run_in_threadpool(read)
    known = {entry["name"] for entry in await run_in_threadpool(configured, services)}
    if not found and name not in known:
        return admin_error(404, "NotFound", f"No function {name} and no invocation of it.")
    entries = [{"invocation": i.id, "time": i.created_at, "log": i.log} for i in found]
    text = "".join(invocation.log for invocation in reversed(found))
    return JSONResponse({"function": name, "logs": entries, "text": text})


async def invoke_function(request: Request) -> Response:
    """Run a function on the JSON body as event, as a trigger would: `{"result": ...}`, or
    `{"error": {"type", "message", "kind"}}` with kind `function`, `invoke` or `timeout`.
    `?source=`, `?owner=`, `?deadline=` (seconds, default 5) describe the caller."""
    services = services_of(request)
    settings = services.settings
    try:
        event = json.loads(await request.body() or b"{}")
        deadline = float(request.query_params.get("deadline", "5"))
    except ValueError:
        return admin_error(400, "InvalidRequest", "the body must be JSON, deadline a number")
    if not 0 < deadline <= 900:
        return admin_error(400, "InvalidRequest", "deadline must be between 0 and 900 seconds")
    query = request.query_params
    caller = Caller(
        account=settings.account_id,
        region=query.get("region") or settings.default_region,
        source=query.get("source") or "poolmail-api",
        owner=query.get("owner") or "",
    )
    arn = request.path_params["name"]

    def run() -> dict[str, Any]:
        try:
            result = invoke(
                settings, services.db, services.clock, arn, event, caller, deadline=deadline
            )
        except FunctionError as error:
            return {
                "error": {"kind": "function", "type": error.error_type, "message": error.message}
            }
        except InvokeError as error:
            return {"error": {"kind": "invoke", "type": error.code, "message": error.message}}
        except InvokeTimeout as error:
            return {"error": {"kind": "timeout", "type": "InvokeTimeout", "message": str(error)}}
        return {"result": result}

    return JSONResponse(await run_in_threadpool(run))


async def console_page(request: Request) -> Response:
    # Imported at the first visit: the console's templates are not needed to start.
    from poolmail.console.function_pages import functions_page

    return await functions_page(request)


ROUTES: list[BaseRoute] = [
    Route("/console/functions", console_page, methods=["GET"]),
    Route("/_poolmail/functions", list_functions, methods=["GET"]),
    Route("/_poolmail/functions/invocations", list_invocations, methods=["GET"]),
    Route("/_poolmail/functions/invocations/{invocation_id}", one_invocation, methods=["GET"]),
    Route("/_poolmail/functions/{name}/logs", function_logs, methods=["GET"]),
    Route("/_poolmail/functions/{name:path}/invoke", invoke_function, methods=["POST"]),
]
