"""Rendering managed-login pages: one Jinja2 environment that escapes everything, the
headers every page carries, and the `_csrf` token bound to the `XSRF-TOKEN` cookie.

Cognito's classic pages post a `_csrf` field that must match their `XSRF-TOKEN` cookie
(aws-amplify/amplify-js#6236): a form posted from another site carries no such pair.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import HTMLResponse

if TYPE_CHECKING:
    from jinja2 import Environment

    from poolmail.hosted.call import HostedCall

CSRF_COOKIE = "XSRF-TOKEN"
CSRF_FIELD = "_csrf"

# Pages load nothing from elsewhere and run no script (the two passkey pages add their
# script file, passkeys.py); styles are inline (the pool's own
# CSS among them), logos are data: URLs. No form-action: a sign-in's POST ends in a
# redirect to the app's callback URL, which browsers check against form-action.
PAGE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "frame-ancestors 'none'"
)
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Content-Security-Policy": PAGE_POLICY,
}


@functools.cache
def _environment() -> Environment:
    # Built at the first page, not at import: most servers never serve a login page.
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    return Environment(
        loader=PackageLoader("poolmail.hosted", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def csrf_token(request: Request) -> str:
    """The page's token: the browser's cookie when it has a well-formed one."""
    given = request.cookies.get(CSRF_COOKIE, "")
    return given if 32 <= len(given) <= 128 and given.isascii() else secrets.token_urlsafe(32)


def csrf_ok(request: Request, form: dict[str, str]) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    field = form.get(CSRF_FIELD, "")
    return bool(cookie) and hmac.compare_digest(cookie.encode(), field.encode())


def page(
    request: Request, cookie_path: str, template: str, status: int = 200, **values: Any
) -> HTMLResponse:
    """A full page with its `_csrf` token, the cookie that matches it, and the headers."""
    token = csrf_token(request)
    body = _environment().get_template(template).render(csrf=token, **values)
    response = HTMLResponse(body, status_code=status, headers=HEADERS)
    secure = request.url.scheme == "https"
    response.set_cookie(
        CSRF_COOKIE, token, path=cookie_path or "/", httponly=True, samesite="lax", secure=secure
    )
    return response


def bare_page(call: HostedCall, status: int, title: str, text: str) -> HTMLResponse:
    """A page outside any sign-in (no client's look): a confirmation link's answer."""
    from poolmail.hosted.pages.branding import Look

    body = (
        _environment()
        .get_template("message.html")
        .render(
            csrf="",
            title=title,
            look=Look(),
            app_name="",
            error=None,
            notice=None,
            text=text,
            link_url=None,
            link_text="",
        )
    )
    return HTMLResponse(body, status_code=status, headers=HEADERS)
