"""The Deliverability dashboard's reports, computed from the account's real sending
history in the mailbox (``messages``, ``message_events``) for its subscribed domains:
the domain statistics report, campaigns, and the blacklist report of its dedicated IPs.

What poolmail sees of a message decides its placement. Choice: a recipient who received
it (a Delivery event) counts in the inbox, one who complained (a Complaint event, as the
simulator's complaint@ address makes) counts in the spam folder; the panel is the whole
mailbox, so projected volumes equal the raw counts; a read is an Open event (open
tracking); poolmail never sees a deletion, so delete rates are 0. A recipient's mailbox
provider is named from its domain (Gmail, Hotmail, Yahoo, AOL), else the domain itself.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.paging import decode_token, encode_token
from poolmail.protocol.errors import AwsError
from poolmail.ses.dedicated_ips.ips import missing_ip
from poolmail.ses.dedicated_ips.pools import page_size
from poolmail.ses.deliverability import dashboard
from poolmail.ses.identities.coverage import bare_address, domain_of
from poolmail.store import Transaction

DAY = 86400.0
MAX_RANGE_DAYS = 30
# Mail in the mailbox that the account did not send (as ses/account/account.py counts it).
NOT_SENT = ("ses-verification", "ses-simulator-auto-reply", "ses-receipt-bounce")
PROVIDERS = {
    "gmail.com": "Gmail",
    "googlemail.com": "Gmail",
    "hotmail.com": "Hotmail",
    "outlook.com": "Hotmail",
    "live.com": "Hotmail",
    "msn.com": "Hotmail",
    "yahoo.com": "Yahoo",
    "ymail.com": "Yahoo",
    "aol.com": "AOL",
}
_EVENT_BATCH = 500


def provider(address: str) -> str:
    domain = domain_of(address)
    return PROVIDERS.get(domain, domain)


@dataclass(slots=True)
class Sent:
    """One message from a subscribed domain and what became of it."""

    id: str
    created_at: float
    source: str
    subject: str
    recipients: list[str]
    outgoing_ip: str | None
    delivered: dict[str, float] = field(default_factory=dict)
    complained: set[str] = field(default_factory=set)
    opened: bool = False


def _sent(
    tx: Transaction, account: str, region: str, domain: str, start: float, end: float
) -> list[Sent]:
    rows = tx.fetchall(
        "SELECT id, created_at, source, subject, recipients, data FROM messages "
        "WHERE account = ? AND region = ? AND created_at >= ? AND created_at < ? "
        "AND status <> 'rejected' ORDER BY created_at, id",
        (account, region, start, end),
    )
    found: dict[str, Sent] = {}
    for message_id, created_at, source, subject, recipients, data in rows:
        details = json.loads(data)
        if details.get("kind") in NOT_SENT or details.get("email_sending_account") == (
            "COGNITO_DEFAULT"
        ):
            continue
        if domain_of(str(source)) != domain:
            continue
        found[str(message_id)] = Sent(
            str(message_id),
            float(created_at),
            bare_address(str(source)),
            str(subject),
            list(json.loads(recipients)),
            details.get("outgoing_ip"),
        )
    ids = list(found)
    for index in range(0, len(ids), _EVENT_BATCH):
        batch = ids[index : index + _EVENT_BATCH]
        marks = ", ".join("?" for _ in batch)
        events = tx.fetchall(
            f"SELECT message_id, type, created_at, data FROM message_events "
            f"WHERE message_id IN ({marks}) AND type IN ('Delivery', 'Complaint', 'Open')",
            batch,
        )
        for message_id, kind, at, data in events:
            sent = found[str(message_id)]
            recipient = str(json.loads(data).get("recipient", ""))
            if kind == "Delivery":
                sent.delivered[recipient] = float(at)
            elif kind == "Complaint":
                sent.complained.add(recipient)
            else:
                sent.opened = True
    return list(found.values())


def _window(params: dict[str, Any]) -> tuple[float, float]:
    """[first day, day after the last day) of the request, UTC days."""
    start, end = params["StartDate"].timestamp(), params["EndDate"].timestamp()
    if end < start:
        raise AwsError("BadRequestException", "The EndDate can't be earlier than the StartDate.")
    if end - start > MAX_RANGE_DAYS * DAY:
        # The model's own words for the rule.
        raise AwsError(
            "BadRequestException",
            "The EndDate that you specify has to be less than or equal to 30 days after "
            "the StartDate.",
        )
    return start - start % DAY, end - end % DAY + DAY


@dataclass(slots=True)
class Counts:
    inbox: int = 0
    spam: int = 0
    read: int = 0
    by_provider: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))

    def add(self, sent: Sent) -> None:
        for recipient in sent.delivered:
            spam = recipient in sent.complained
            self.spam += spam
            self.inbox += not spam
            self.by_provider[provider(recipient)][1 if spam else 0] += 1
        self.read += sent.opened and bool(sent.delivered)

    def volume(self) -> dict[str, int]:
        return {
            "InboxRawCount": self.inbox,
            "SpamRawCount": self.spam,
            "ProjectedInbox": self.inbox,
            "ProjectedSpam": self.spam,
        }

    def placements(self) -> list[dict[str, Any]]:
        placed = []
        for name, (inbox, spam) in sorted(self.by_provider.items()):
            total = inbox + spam
            placed.append(
                {
                    "IspName": name,
                    "InboxRawCount": inbox,
                    "SpamRawCount": spam,
                    "InboxPercentage": _percent(inbox, total),
                    "SpamPercentage": _percent(spam, total),
                }
            )
        return placed


def _percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 2) if whole else 0.0


def get_domain_statistics_report(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    domain = params["Domain"].lower()
    start, end = _window(params)
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction(readonly=True) as tx:
        dashboard.require_domain(tx, ctx.account_id, ctx.region, domain, now)
        sent = _sent(tx, ctx.account_id, ctx.region, domain, start, end)
    overall = Counts()
    days: dict[float, Counts] = {day: Counts() for day in _days(start, end)}
    for message in sent:
        overall.add(message)
        days[message.created_at - message.created_at % DAY].add(message)
    delivered = sum(len(message.delivered) for message in sent)
    return {
        "OverallVolume": {
            "VolumeStatistics": overall.volume(),
            "ReadRatePercent": _percent(overall.read, delivered),
            "DomainIspPlacements": overall.placements(),
        },
        "DailyVolumes": [
            {
                "StartDate": day,
                "VolumeStatistics": counts.volume(),
                "DomainIspPlacements": counts.placements(),
            }
            for day, counts in days.items()
        ],
    }


def _days(start: float, end: float) -> Iterable[float]:
    day = start
    while day < end:
        yield day
        day += DAY


# --- campaigns -----------------------------------------------------------------------------


def campaign_id(account: str, region: str, sender: str, subject: str) -> str:
    """Choice: a campaign is the messages one address sent with one subject; its id is a
    digest of them, so the same campaign keeps its id in every report."""
    digest = hashlib.sha256(f"{account}\n{region}\n{sender}\n{subject}".encode()).hexdigest()
    return digest[:32]


def _campaigns(ctx: RequestContext, sent: list[Sent]) -> list[dict[str, Any]]:
    groups: dict[str, list[Sent]] = {}
    for message in sent:
        key = campaign_id(ctx.account_id, ctx.region, message.source, message.subject)
        groups.setdefault(key, []).append(message)
    found = []
    for key, messages in groups.items():
        counts = Counts()
        for message in messages:
            counts.add(message)
        seen = sorted(at for message in messages for at in message.delivered.values())
        delivered = len(seen)
        campaign: dict[str, Any] = {
            "CampaignId": key,
            "Subject": messages[0].subject,
            "FromAddress": messages[0].source,
            "SendingIps": sorted({m.outgoing_ip for m in messages if m.outgoing_ip}),
            "InboxCount": counts.inbox,
            "SpamCount": counts.spam,
            "ReadRate": _percent(counts.read, delivered),
            "DeleteRate": 0.0,
            "ReadDeleteRate": 0.0,
            "ProjectedVolume": sum(len(message.recipients) for message in messages),
            "Esps": sorted(counts.by_provider),
        }
        if seen:
            campaign["FirstSeenDateTime"] = seen[0]
            campaign["LastSeenDateTime"] = seen[-1]
        found.append(campaign)
    # Oldest first: by the first message of each campaign.
    first = {key: min(m.created_at for m in messages) for key, messages in groups.items()}
    return sorted(found, key=lambda c: (first[c["CampaignId"]], c["CampaignId"]))


def list_domain_deliverability_campaigns(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    domain = params["SubscribedDomain"].lower()
    limit = page_size(params)
    start, end = _window(params)
    after = None
    if params.get("NextToken") is not None:
        after = str(decode_token(params["NextToken"], "BadRequestException", 1)[0])
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction(readonly=True) as tx:
        dashboard.require_domain(tx, ctx.account_id, ctx.region, domain, now)
        campaigns = _campaigns(ctx, _sent(tx, ctx.account_id, ctx.region, domain, start, end))
    if after is not None:
        ids = [campaign["CampaignId"] for campaign in campaigns]
        campaigns = campaigns[ids.index(after) + 1 :] if after in ids else []
    answer: dict[str, Any] = {"DomainDeliverabilityCampaigns": campaigns[:limit]}
    if len(campaigns) > limit:
        answer["NextToken"] = encode_token([campaigns[limit - 1]["CampaignId"]])
    return answer


def get_domain_deliverability_campaign(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    wanted = params["CampaignId"]
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction(readonly=True) as tx:
        state = dashboard.require(tx, ctx.account_id, ctx.region, now)
        # Every subscribed domain's mail since its subscription started.
        for domain, option in sorted(state["Domains"].items()):
            since = float(option["StartDate"])
            sent = _sent(tx, ctx.account_id, ctx.region, domain, since - since % DAY, now + 1)
            for campaign in _campaigns(ctx, sent):
                if campaign["CampaignId"] == wanted:
                    return {"DomainDeliverabilityCampaign": campaign}
    # Choice: AWS's text was not found; this one names the campaign.
    raise AwsError("NotFoundException", f"Campaign <{wanted}> not found.")


# --- blacklists ----------------------------------------------------------------------------


def get_blacklist_reports(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Choice: each name must be one of the account's dedicated IPs ("you can only specify
    the dedicated IP addresses that you use to send email" [model]); poolmail's addresses
    come from the documentation ranges, which no blocklist lists, so each has no entry."""
    names = list(params["BlacklistItemNames"])
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction(readonly=True) as tx:
        dashboard.require(tx, ctx.account_id, ctx.region, now)
        if names:
            marks = ", ".join("?" for _ in names)
            rows = tx.fetchall(
                f"SELECT ip FROM ses_dedicated_ips "
                f"WHERE account = ? AND region = ? AND ip IN ({marks})",
                (ctx.account_id, ctx.region, *names),
            )
            held = {str(row[0]) for row in rows}
            for name in names:
                if name not in held:
                    raise missing_ip(name)
    return {"BlacklistReport": {name: [] for name in names}}


V1: dict[str, Handler] = {}
V2: dict[str, Handler] = {
    "GetDomainStatisticsReport": get_domain_statistics_report,
    "ListDomainDeliverabilityCampaigns": list_domain_deliverability_campaigns,
    "GetDomainDeliverabilityCampaign": get_domain_deliverability_campaign,
    "GetBlacklistReports": get_blacklist_reports,
}
