"""An upper bound of the recipients an account sent within the last second, kept in its
`ses_send_totals` row, so that a send far below the maximum rate is let through without
summing the last second of `ses_sends` (hundreds of rows at a few hundred sends a
second). The exact sum is still read whenever the bound does not settle the question,
so the answer is always the one the log gives.

The row holds ``rate_second`` S, the latest whole second a send was counted in;
``rate_current``, the recipients counted in S (a send stamped earlier than S, from a
replica whose clock runs behind, is counted in S too: an overcount keeps it a bound);
and ``rate_previous``, those counted in S - 1. A send at ``now`` looks back to
``now - 1``, which lies in second ``floor(now) - 1`` at the earliest.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

# The columns ``bound`` reads, of a `ses_send_totals` row aliased `t`.
COLUMNS = "t.rate_second, t.rate_current, t.rate_previous"

# Counts ``recipients`` at second ``floor(now)``; every SET expression reads the row as
# it was (both stores evaluate them so), and ``quota_recipients`` moves as it always did.
UPSERT = (
    "INSERT INTO ses_send_totals "
    "(account, region, quota_recipients, rate_second, rate_current, rate_previous) "
    "VALUES (?, ?, ?, ?, ?, 0) ON CONFLICT (account, region) DO UPDATE SET "
    "quota_recipients = ses_send_totals.quota_recipients + excluded.quota_recipients, "
    "rate_previous = CASE "
    "WHEN excluded.rate_second <= ses_send_totals.rate_second "
    "THEN ses_send_totals.rate_previous "
    "WHEN excluded.rate_second = ses_send_totals.rate_second + 1 "
    "THEN ses_send_totals.rate_current ELSE 0 END, "
    "rate_current = CASE "
    "WHEN excluded.rate_second <= ses_send_totals.rate_second "
    "THEN ses_send_totals.rate_current + excluded.rate_current "
    "ELSE excluded.rate_current END, "
    "rate_second = CASE "
    "WHEN excluded.rate_second <= ses_send_totals.rate_second "
    "THEN ses_send_totals.rate_second ELSE excluded.rate_second END"
)


def upsert_params(
    account: str, region: str, now: float, recipients: int, quota_recipients: int
) -> tuple[Any, ...]:
    return (account, region, quota_recipients, math.floor(now), recipients)


def bound(state: Sequence[Any], now: float) -> int | None:
    """At least the recipients sent in (now - 1, now], from the row's ``COLUMNS``; None
    when the row cannot tell (no row yet, or a second later than ``now`` counted)."""
    second, current, previous = state
    if second is None:
        return None
    latest = int(second)
    this = math.floor(now)
    if this == latest:
        return int(current) + int(previous)
    if this == latest + 1:
        return int(current)
    if this > latest + 1:
        # Nothing was counted after second `this - 2`, so nothing lies in the window.
        return 0
    return None
