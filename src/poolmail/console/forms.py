"""Reading console forms, and refusing cross-site ones.

Protection against cross-site requests is an Origin check rather than a token: it needs
no state, so it holds across replicas behind a load balancer. Browsers send
`Sec-Fetch-Site` (and `Origin`) with every POST; a console POST must come from this very
origin. A request with neither header comes from no browser, so no site could have forged
it (curl and scripts may post directly).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from starlette.requests import Request

MAX_FORM_BYTES = 1024 * 1024


async def read_form(request: Request) -> dict[str, str]:
    """The fields of an `application/x-www-form-urlencoded` body; the last value wins."""
    body = await request.body()
    return dict(parse_qsl(body[:MAX_FORM_BYTES].decode("utf-8", "replace"), keep_blank_values=True))


def cross_site(request: Request) -> str | None:
    """Why this state-changing request must be refused, or None when it is same-origin."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site != "same-origin":
        return f"Sec-Fetch-Site is {fetch_site!r}, not 'same-origin'"
    origin = request.headers.get("origin")
    if origin is None:
        return None
    # "null" is what a sandboxed frame or a privacy-sensitive context sends: never ours.
    own = urlsplit(str(request.base_url))
    given = urlsplit(origin)
    if (given.scheme, given.netloc) != (own.scheme, own.netloc):
        return f"Origin {origin!r} is not this console's origin"
    return None
