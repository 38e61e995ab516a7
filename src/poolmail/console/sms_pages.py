"""The SMS outbox page: every text a user pool sent, newest first, live like the mailbox,
filtered by number, pool, user and kind, each code one click from the clipboard."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from poolmail.console.layout import show
from poolmail.console.mail_pages import POLL_MILLISECONDS
from poolmail.console.mail_views import KIND_LABELS
from poolmail.console.render import page
from poolmail.console.scope import scope_of
from poolmail.server.admin.admin import services_of
from poolmail.sms import queries
from poolmail.sms.queries import SmsFilter
from poolmail.store import Transaction

SHOWN = 200
# The kinds of text a pool sends: the mailbox's Cognito kinds, and the sign-in codes.
SMS_KINDS: dict[str, str] = {
    **{kind: label for kind, label in KIND_LABELS.items() if kind.startswith("cognito-")},
    "cognito-mfa": "MFA code",
    "cognito-sign-in-code": "Sign-in code",
}


@dataclass(frozen=True, slots=True)
class TextFilter:
    """What the page's form asks for; every value a plain string, empty when unset."""

    to: str = ""
    pool: str = ""
    user: str = ""
    kind: str = ""

    @classmethod
    def of(cls, given: Any) -> TextFilter:
        values = {name: (given.get(name) or "").strip() for name in cls.__slots__}
        if values["kind"] not in SMS_KINDS:
            values["kind"] = ""
        return cls(**values)

    def query(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in self.__slots__ if getattr(self, name)}


def list_texts(tx: Transaction, wanted: TextFilter) -> list[dict[str, Any]]:
    """Matching texts, newest first, each with its kind's label."""
    where = SmsFilter(
        destination=wanted.to or None,
        pool_id=wanted.pool or None,
        username=wanted.user or None,
        kind=wanted.kind or None,
        limit=SHOWN,
    )
    found = queries.list_sms(tx, where)
    for sms in found:
        sms["kind_label"] = SMS_KINDS.get(str(sms["kind"]), sms["kind"])
    return found


async def outbox_page(request: Request) -> Response:
    services = services_of(request)
    scope = scope_of(request, services)
    wanted = TextFilter.of(request.query_params)

    def build() -> dict[str, Any]:
        with services.db.transaction() as tx:
            texts = list_texts(tx, wanted)
        return {
            "texts": texts,
            "filter": wanted,
            "kinds": SMS_KINDS,
            "rows_url": "/console/sms/rows?" + urlencode(wanted.query()),
            "poll": POLL_MILLISECONDS,
        }

    return await show(request, scope, "sms.html", "sms", build)


async def outbox_rows(request: Request) -> Response:
    """The list's rows alone, for the page's polling script."""
    services = services_of(request)
    wanted = TextFilter.of(request.query_params)

    def read() -> list[dict[str, Any]]:
        with services.db.transaction() as tx:
            return list_texts(tx, wanted)

    return page("sms_rows.html", texts=await run_in_threadpool(read))
