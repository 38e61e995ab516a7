"""Rendering console pages: one Jinja2 environment that escapes everything, and the
security headers every page carries."""

from __future__ import annotations

import datetime as dt
import functools
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from starlette.responses import HTMLResponse

if TYPE_CHECKING:
    from jinja2 import Environment

# Console pages load scripts, styles and frames from this origin only; nothing may frame
# them, and forms post back here.
PAGE_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "frame-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; "
    "frame-ancestors 'none'"
)
# A captured message's HTML: no scripts, nothing fetched from anywhere (inline styles and
# data: images only). `sandbox` keeps it scriptless even when opened outside its iframe.
MESSAGE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox; frame-ancestors 'self'"
)
COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    # Verification links carry secrets in their path; no page leaks them to other sites.
    # (Not no-referrer: under it, browsers send `Origin: null` with the console's own forms.)
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def _when(epoch: float | None) -> str:
    if epoch is None:
        return ""
    return dt.datetime.fromtimestamp(float(epoch), dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def safe_link(url: object) -> str | None:
    """``url`` when it is an http(s) URL a page may link to; None otherwise (a
    `javascript:` link in captured data must never become clickable)."""
    if not isinstance(url, str):
        return None
    return url if urlsplit(url).scheme in ("http", "https") else None


@functools.cache
def _environment() -> Environment:
    # Built at the first page, not at import: Jinja2 is a fair share of the server's
    # start-up, and most servers answer API calls only.
    from jinja2 import ChainableUndefined, Environment, PackageLoader, select_autoescape

    env = Environment(
        loader=PackageLoader("poolmail.console", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        # AWS shapes leave optional members out; a missing one reads as empty.
        undefined=ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = _when
    env.filters["safe_link"] = safe_link
    return env


def render(template: str, **values: Any) -> str:
    return _environment().get_template(template).render(**values)


def page(template: str, status: int = 200, **values: Any) -> HTMLResponse:
    """A full console page (or fragment) with the console's security headers."""
    headers = {**COMMON_HEADERS, "Content-Security-Policy": PAGE_POLICY}
    return HTMLResponse(render(template, **values), status_code=status, headers=headers)


def message_document(html: str) -> HTMLResponse:
    """A captured HTML body, for the sandboxed iframe of the message view."""
    headers = {**COMMON_HEADERS, "Content-Security-Policy": MESSAGE_POLICY}
    return HTMLResponse(html, headers=headers)
