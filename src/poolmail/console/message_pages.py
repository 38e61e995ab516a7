"""One message of the mailbox, as Mailpit shows one: its HTML in a sandboxed frame, text,
source, headers, attachments, links and an HTML check, each a view of the page
(`?view=`); and, on request only, a check of its links and its release to an SMTP
server chosen in the page."""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import getaddresses, parseaddr
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from poolmail.console import invocation_links, mail_views
from poolmail.console.forms import read_form
from poolmail.console.layout import same_origin_only, show
from poolmail.console.render import message_document
from poolmail.console.scope import scope_of
from poolmail.mail import attachments, queries
from poolmail.mail.relay import relay
from poolmail.protocol.errors import AwsError
from poolmail.server.admin.admin import admin_error, services_of
from poolmail.server.pipeline import Services

VIEWS = {
    "html": "HTML",
    "text": "Text",
    "source": "Source",
    "headers": "Headers",
    "attachments": "Attachments",
    "links": "Links",
    "check": "HTML check",
    "release": "Release",
}
# The source view shows this much of a message; the download has all of it.
SOURCE_LIMIT = 512 * 1024
# Where a release goes unless the page says otherwise: Mailpit's and MailHog's SMTP port.
RELEASE_HOST = "127.0.0.1"
RELEASE_PORT = "1025"


@dataclass(frozen=True, slots=True)
class Release:
    """The release form as typed, and how the release went (``sent`` or ``error``)."""

    host: str = RELEASE_HOST
    port: str = RELEASE_PORT
    to: str = ""
    sent: str | None = None
    error: str | None = None


def _build(
    services: Services,
    message_id: str,
    view: str | None,
    *,
    check_links: bool = False,
    release: Release | None = None,
) -> dict[str, Any]:
    """The page's values (run it in the thread pool: it reads the database, and with
    ``check_links`` asks every link's server)."""
    # Imported here: their html.parser would add to every start-up, and most servers never
    # show a message.
    from poolmail.console import html_check, link_check

    with services.db.transaction(readonly=True) as tx:
        message = queries.full_message(tx, message_id)
        raw = queries.raw_message(tx, message_id)
        details = message["details"] if message is not None else {}
        shaped_by = invocation_links.shaper(tx, details.get("shaped_by"))
    if message is None:
        raise AwsError("NotFoundException", f"No message {message_id}.")
    message["kind_label"] = mail_views.KIND_LABELS.get(message["kind"], message["kind"])
    html, text = message.get("html"), message.get("text")
    parts = attachments.attachments(raw) if raw is not None else []
    links = link_check.links_of(html, text)
    answers = link_check.check_links([link.url for link in links]) if check_links else None
    findings = html_check.check_html(html) if html else []
    counts = {"attachments": len(parts), "links": len(links), "check": len(findings)}
    shown = {
        "html": html is not None,
        "text": text is not None,
        "source": raw is not None,
        "headers": raw is not None,
        "attachments": raw is not None,
        "links": bool(html or text),
        "check": html is not None,
        # After a release was asked for, its outcome shows, even for a refused message.
        "release": raw is not None or release is not None,
    }
    views = [(key, label, counts.get(key)) for key, label in VIEWS.items() if shown[key]]
    if view not in shown or not shown[view]:
        view = views[0][0] if views else None
    source = raw[:SOURCE_LIMIT].decode("utf-8", "replace") if raw is not None else None
    return {
        "message": message,
        "shaped_by": shaped_by,
        "chips": mail_views.chips(message),
        "view": view,
        "views": views,
        "headers": mail_views.headers_of(raw),
        "has_raw": raw is not None,
        "source": source,
        "source_cut": raw is not None and len(raw) > SOURCE_LIMIT,
        "attachments": parts,
        "links": [(link, (answers or {}).get(link.url)) for link in links],
        "checked": answers is not None,
        "findings": findings,
        "release": release or Release(to=", ".join(message["recipients"])),
    }


async def message_page(request: Request) -> Response:
    services = services_of(request)
    message_id = request.path_params["message_id"]
    view = request.query_params.get("view")
    return await show(
        request,
        scope_of(request, services),
        "message.html",
        "mail",
        lambda: _build(services, message_id, view),
    )


@same_origin_only
async def check_message_links(request: Request) -> Response:
    """Ask each link's server once and show the page with the answers: a POST, because it
    reaches out to every site the message links to."""
    services = services_of(request)
    message_id = request.path_params["message_id"]
    return await show(
        request,
        scope_of(request, services),
        "message.html",
        "mail",
        lambda: _build(services, message_id, "links", check_links=True),
    )


@same_origin_only
async def release_message(request: Request) -> Response:
    """Send the stored MIME message, unchanged, to the SMTP server the form names."""
    services = services_of(request)
    message_id = request.path_params["message_id"]
    form = await read_form(request)
    typed = Release(
        host=form.get("host", "").strip(),
        port=form.get("port", "").strip(),
        to=form.get("to", "").strip(),
    )

    def act() -> tuple[Release, int]:
        with services.db.transaction(readonly=True) as tx:
            found = queries.list_messages(tx, queries.MessageFilter(message_id=message_id))
            raw = queries.raw_message(tx, message_id)
        if not found:
            return typed, 404  # the page says so
        return _release(typed, found[0], raw)

    outcome, status = await run_in_threadpool(act)
    return await show(
        request,
        scope_of(request, services),
        "message.html",
        "mail",
        lambda: _build(services, message_id, "release", release=outcome),
        status=status,
    )


def _release(typed: Release, message: dict[str, Any], raw: bytes | None) -> tuple[Release, int]:
    """Relay ``raw`` as the form says: (the form with its outcome, the page's status)."""
    problem = _form_problem(typed)
    if problem is None and raw is None:
        problem = "A refused message has no MIME message to release."
    if problem is not None:
        return _with(typed, error=problem), 400
    recipients = [address for _, address in getaddresses([typed.to]) if address]
    # The envelope sender SES used: its MAIL FROM address (custom MAIL FROM domain or
    # amazonses.com) when it chose one, else the Return-Path when one was set, else the source.
    details = message["details"]
    chosen = details.get("mail_from") or details.get("return_path") or message["source"]
    envelope_from = parseaddr(chosen)[1]
    host = f"[{typed.host.strip('[]')}]" if ":" in typed.host else typed.host
    assert raw is not None
    failure = relay(f"smtp://{host}:{typed.port}", envelope_from, recipients, raw)
    if failure is not None:
        return _with(typed, error=f"{typed.host}:{typed.port} did not take it: {failure}"), 502
    sent = f"Released to {typed.host}:{typed.port} for {', '.join(recipients)}."
    return _with(typed, sent=sent), 200


def _form_problem(typed: Release) -> str | None:
    host = typed.host.strip("[]")
    if not host or not all(char.isascii() and (char.isalnum() or char in ".-_:") for char in host):
        return "The host is a name or an IP address, such as 127.0.0.1."
    if not (typed.port.isascii() and typed.port.isdigit()) or not 0 < int(typed.port) < 65536:
        return "The port is a number from 1 to 65535, such as 1025."
    addresses = [address for _, address in getaddresses([typed.to])]
    # Line breaks in the field would be SMTP commands of their own: refused whole.
    if (
        not typed.to.isprintable()
        or not addresses
        or not all(_is_address(address) for address in addresses)
    ):
        return "Name at least one recipient address; separate several with commas."
    return None


def _is_address(address: str) -> bool:
    # No spaces or control characters: they would end the SMTP command early.
    return "@" in address and all(char.isprintable() and not char.isspace() for char in address)


def _with(typed: Release, **outcome: str) -> Release:
    return Release(host=typed.host, port=typed.port, to=typed.to, **outcome)


async def message_html(request: Request) -> Response:
    """The message's HTML body as its own document, for the sandboxed iframe only: the
    response's policy forbids scripts and every load from anywhere."""
    services = services_of(request)
    message_id = request.path_params["message_id"]

    def read() -> str | None:
        with services.db.transaction(readonly=True) as tx:
            message = queries.full_message(tx, message_id)
        return None if message is None else message.get("html")

    html = await run_in_threadpool(read)
    if html is None:
        return admin_error(404, "NotFound", f"No HTML body in message {message_id}.")
    return message_document(html)
