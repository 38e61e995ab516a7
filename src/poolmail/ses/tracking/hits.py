"""A recipient opening tracked mail or following one of its links: the Open or Click
event recorded on the message and published where its configuration set says."""

from __future__ import annotations

import datetime as dt
from typing import Any

from poolmail.clock import Clock
from poolmail.config import Settings
from poolmail.mail.mailbox import Event
from poolmail.ses.events import publishing
from poolmail.ses.tracking import links
from poolmail.store import Database


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def record(
    db: Database,
    clock: Clock,
    settings: Settings,
    kind: links.Kind,
    token: str,
    *,
    ip_address: str,
    user_agent: str,
) -> links.Tracked | None:
    """Record an open or click of ``token``; what it tracks, or None for an unknown
    token. A message no longer in the mailbox gets no event; its links still lead on.

    The event's detail carries SES's open/click fields (facts §2.2): ``ipAddress``,
    ``timestamp``, ``userAgent``; a click adds ``link`` and ``linkTags``.
    """
    now = clock.now()
    with db.transaction() as tx:
        found = links.find(tx, kind, token)
        if found is None:
            return None
        detail: dict[str, Any] = {
            "ipAddress": ip_address,
            "timestamp": _iso(now),
            "userAgent": user_agent,
        }
        if kind == "click":
            detail["link"] = found.link
            detail["linkTags"] = found.tags
        event = Event("Open" if kind == "open" else "Click", now.timestamp(), detail)
        publishing.later_events(tx, settings, found.message_id, [event], now.timestamp())
    return found
