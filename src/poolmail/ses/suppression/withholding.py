"""What a send to a suppressed address becomes. Placeholder until built."""

from __future__ import annotations

from typing import TYPE_CHECKING

from poolmail.mail.mailbox import Event, Status
from poolmail.store import Transaction

if TYPE_CHECKING:
    from poolmail.ses.outbound import Outgoing


def withhold(
    tx: Transaction,
    outgoing: Outgoing,
    account: str,
    region: str,
    now: float,
    events: list[Event],
    status: Status,
) -> tuple[list[Event], Status]:
    """``events`` with each suppressed recipient's Delivery replaced by its bounce (or
    complaint), and the message's status; unchanged when none is suppressed."""
    return events, status
