"""Links between function invocations and the messages they shaped, as the console shows
them: the message page names its invocation, the functions and pool pages list what each
invocation shaped."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from poolmail.functions import records, shaped
from poolmail.store import Transaction

# How many of a pool's newest invocations its page lists.
POOL_RECENT = 10


def invocation_url(invocation_id: str) -> str:
    """The functions page narrowed to one invocation, scrolled to it."""
    return f"/console/functions?{urlencode({'id': invocation_id})}#invocation-{invocation_id}"


def message_url(item: shaped.Shaped, owner: str) -> str:
    if item.channel == shaped.MAIL:
        return f"/console/mail/{quote(item.message_id, safe='')}"
    # The outbox has no page per text: its listing for the pool, at the text's row.
    return f"/console/sms?{urlencode({'pool': owner})}#sms-{item.message_id}"


def shaper(tx: Transaction, invocation_id: str | None) -> dict[str, Any] | None:
    """What the message page says of the invocation that shaped a message: its trigger
    source, function and duration, or only its id once the record has aged out."""
    if not invocation_id:
        return None
    found = records.get(tx, invocation_id)
    return {
        "id": invocation_id,
        "url": invocation_url(invocation_id),
        "source": found.source if found else None,
        "function": found.function_name if found else None,
        "duration": _duration(found.duration_ms) if found else None,
    }


def shaped_of(
    tx: Transaction, invocations: list[records.Invocation]
) -> dict[str, list[dict[str, str]]]:
    """For each invocation that shaped any, its messages as links: {id: [{label, url}]}."""
    owners = {invocation.id: invocation.owner for invocation in invocations}
    return {
        invocation_id: [
            {
                "label": f"{'mail' if item.channel == shaped.MAIL else 'SMS'} {item.message_id}",
                "url": message_url(item, owners[invocation_id]),
            }
            for item in items
        ]
        for invocation_id, items in shaped.shaped_by(tx, owners).items()
    }


def recent_for_pool(tx: Transaction, pool_id: str) -> list[dict[str, Any]]:
    """The pool's newest trigger invocations, each with its link and what it shaped."""
    found = records.find(tx, records.InvocationFilter(owner=pool_id, limit=POOL_RECENT))
    links = shaped_of(tx, found)
    return [
        {
            "id": invocation.id,
            "created_at": invocation.created_at,
            "source": invocation.source,
            "function": invocation.function_name,
            "runner": invocation.runner,
            "duration": _duration(invocation.duration_ms),
            "error_type": invocation.error_type,
            "url": invocation_url(invocation.id),
            "shaped": links.get(invocation.id, []),
        }
        for invocation in found
    ]


def _duration(milliseconds: float) -> str:
    return f"{milliseconds:.0f} ms" if milliseconds >= 10 else f"{milliseconds:.1f} ms"
