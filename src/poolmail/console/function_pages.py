"""The functions page: the `--functions` file's functions and every invocation, newest
first, with its request, response or error, log and the messages it shaped; filtered by
function, trigger source, owner (a pool) or id."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from poolmail.console.invocation_links import shaped_of
from poolmail.console.layout import show
from poolmail.console.scope import scope_of
from poolmail.functions import records as invocation_records
from poolmail.server.admin.admin import services_of
from poolmail.server.admin.functions_api import configured

SHOWN = 100


@dataclass(frozen=True, slots=True)
class InvocationQuery:
    """What the page's form asks for; every value a plain string, empty when unset."""

    function: str = ""
    source: str = ""
    owner: str = ""
    id: str = ""

    @classmethod
    def of(cls, given: Any) -> InvocationQuery:
        return cls(**{name: (given.get(name) or "").strip() for name in cls.__slots__})


def _shown(
    invocation: invocation_records.Invocation, shaped: list[dict[str, str]]
) -> dict[str, Any]:
    return {
        "id": invocation.id,
        "created_at": invocation.created_at,
        "function": invocation.function_name,
        "arn": invocation.arn,
        "runner": invocation.runner,
        "source": invocation.source,
        "owner": invocation.owner,
        "duration": f"{invocation.duration_ms:.1f} ms",
        "error_type": invocation.error_type,
        "error_message": invocation.error_message,
        "request": json.dumps(invocation.request, indent=2),
        "response": json.dumps(invocation.response, indent=2),
        "log": invocation.log,
        "shaped": shaped,
    }


async def functions_page(request: Request) -> Response:
    services = services_of(request)
    scope = scope_of(request, services)
    wanted = InvocationQuery.of(request.query_params)

    def build() -> dict[str, Any]:
        where = invocation_records.InvocationFilter(
            function_name=wanted.function or None,
            source=wanted.source or None,
            owner=wanted.owner or None,
            invocation_id=wanted.id or None,
            limit=SHOWN,
        )
        with services.db.transaction(readonly=True) as tx:
            found = invocation_records.find(tx, where)
            shaped = shaped_of(tx, found)
        settings = services.settings
        return {
            "functions": configured(services),
            "functions_file": settings.functions,
            "endpoint": settings.lambda_endpoint_url or settings.aws_endpoint_url,
            "invocations": [
                _shown(invocation, shaped.get(invocation.id, [])) for invocation in found
            ],
            "filter": wanted,
        }

    return await show(request, scope, "functions.html", "functions", build)
