"""The open pixel and click redirects of tracked SES mail: each request records an Open
or Click event on its message, with the requester's address and User-Agent."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from poolmail.server.admin.admin import services_of
from poolmail.server.background import Job
from poolmail.ses.tracking import hits, links

# A transparent 1x1 GIF, the image SES's open pixel serves.
PIXEL = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00"
    b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
# Every fetch must reach poolmail, or opens after the first would go unseen.
_NO_STORE = {"Cache-Control": "no-cache, no-store, must-revalidate"}


async def _record(request: Request, kind: links.Kind) -> links.Tracked | None:
    services = services_of(request)
    if request.method != "GET":  # a HEAD (link checkers, previews) opens nothing
        return await run_in_threadpool(_find, request, kind)
    return await run_in_threadpool(
        hits.record,
        services.db,
        services.clock,
        services.settings,
        kind,
        request.path_params["token"],
        ip_address=request.client.host if request.client else "",
        user_agent=request.headers.get("user-agent", ""),
    )


def _find(request: Request, kind: links.Kind) -> links.Tracked | None:
    with services_of(request).db.transaction(readonly=True) as tx:
        return links.find(tx, kind, request.path_params["token"])


async def open_pixel(request: Request) -> Response:
    found = await _record(request, "open")
    if found is None:
        return PlainTextResponse("Unknown tracking link.", status_code=404)
    return Response(PIXEL, media_type="image/gif", headers=_NO_STORE)


async def click(request: Request) -> Response:
    found = await _record(request, "click")
    if found is None or found.link is None:
        return PlainTextResponse("Unknown tracking link.", status_code=404)
    return RedirectResponse(found.link, status_code=302, headers=_NO_STORE)


ROUTES: list[BaseRoute] = [
    Route(links.PATH + "open/{token}", open_pixel, methods=["GET"]),
    Route(links.PATH + "click/{token}", click, methods=["GET"]),
]
JOBS: list[Job] = []
