"""The SES account page's chart: recipients the account sent per hour over the last day,
drawn as a small inline SVG (no script, no remote load)."""

from __future__ import annotations

from dataclasses import dataclass

from poolmail.mail import queries
from poolmail.mail.queries import MessageFilter
from poolmail.ses.account.account import NOT_SENT_BY_THE_ACCOUNT
from poolmail.ses.identities.coverage import is_simulator
from poolmail.store import Transaction

HOURS = 24
HOUR = 3600.0
WIDTH = 480
HEIGHT = 120
BAR_GAP = 2


@dataclass(frozen=True, slots=True)
class Bar:
    x: int
    y: int
    width: int
    height: int
    count: int
    hours_ago: int


def hourly_sends(tx: Transaction, account: str, region: str, now: float) -> list[int]:
    """Recipients counted toward the daily quota, per hour, oldest hour first.

    As the quota counts: accepted messages the account sent itself (not SES's or
    Cognito's default sender's), simulator addresses left out.
    """
    since = now - HOURS * HOUR
    where = MessageFilter(account=account, region=region, since=since, limit=100_000)
    counts = [0] * HOURS
    for message in queries.list_messages(tx, where):
        details = message["details"]
        if message["status"] == "rejected" or message["kind"] in NOT_SENT_BY_THE_ACCOUNT:
            continue
        if details.get("email_sending_account") == "COGNITO_DEFAULT":
            continue
        slot = min(HOURS - 1, int((message["created_at"] - since) // HOUR))
        counts[slot] += sum(1 for address in message["recipients"] if not is_simulator(address))
    return counts


def bars(counts: list[int]) -> list[Bar]:
    top = max(counts, default=0) or 1
    width = WIDTH // len(counts) if counts else WIDTH
    drawn = []
    for index, count in enumerate(counts):
        height = round((HEIGHT - 10) * count / top)
        drawn.append(
            Bar(
                x=index * width,
                y=HEIGHT - height,
                width=width - BAR_GAP,
                height=height,
                count=count,
                hours_ago=len(counts) - index,
            )
        )
    return drawn
