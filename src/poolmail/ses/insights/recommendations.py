"""ListRecommendations: what VDM would advise about the account's verified domains,
found from their real state each time it is asked, and kept so a finding keeps the time
it was first seen (CreatedTimestamp) and turns FIXED once it clears.

Choice: AWS's rules are not public; poolmail's, for every verified domain identity:
- DKIM (HIGH): DKIM signing is off, or its DKIM records are not verified (SUCCESS).
- DMARC (HIGH): no `v=DMARC1` TXT record at `_dmarc.<domain>` (nor at the parent
  domain's, for a subdomain), looked up through the local zone and DNS.
- SPF (LOW): no `v=spf1` TXT record at the custom MAIL FROM domain, or at the domain
  itself when it has none.
- BOUNCE (HIGH): over the last 14 days, permanent bounces are 5% or more of the
  domain's counted sends (AWS reviews accounts at a 5% bounce rate).
- COMPLAINT (HIGH): over the last 14 days, complaints are 0.1% or more of them.
BIMI, FEEDBACK_3P and IP_LISTING are never raised: poolmail has nothing to judge them by.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.paging import decode_token, encode_token
from poolmail.protocol.errors import AwsError
from poolmail.ses.identities.coverage import effective_status
from poolmail.ses.identities.dns import Resolver, resolver_for
from poolmail.ses.identities.verification import DOMAIN, dkim_status
from poolmail.ses.insights.history import sent_messages
from poolmail.ses.insights.metrics import counts_of
from poolmail.store import Transaction

WINDOW = 14 * 86400.0
BOUNCE_RATE, COMPLAINT_RATE = 0.05, 0.001
TYPES = ("DKIM", "DMARC", "SPF", "BIMI", "COMPLAINT", "BOUNCE", "FEEDBACK_3P", "IP_LISTING")
_FILTER_VALUES = {"TYPE": TYPES, "IMPACT": ("LOW", "HIGH"), "STATUS": ("OPEN", "FIXED")}
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 100

Finding = tuple[str, str, str, str]  # resource ARN, type, impact, description


def _bad(message: str) -> AwsError:
    return AwsError("BadRequestException", message)


def _has_txt(resolver: Resolver, name: str, prefix: str) -> bool:
    return any(value.strip().lower().startswith(prefix.lower()) for value in resolver.txt(name))


def _domains(
    tx: Transaction, account: str, region: str, now: float
) -> list[tuple[str, dict[str, Any]]]:
    rows = tx.fetchall(
        "SELECT identity, data FROM ses_identities WHERE account = ? AND region = ? "
        "AND kind = ? ORDER BY identity",
        (account, region, DOMAIN),
    )
    found = []
    for identity, data in rows:
        parsed = json.loads(data)
        if effective_status(DOMAIN, parsed, now) == "Success":
            found.append((str(identity), parsed))
    return found


def _findings(ctx: RequestContext, now: float) -> list[Finding]:
    with ctx.db.transaction(readonly=True) as tx:
        domains = _domains(tx, ctx.account_id, ctx.region, now)
        sent: dict[str, Counter[str]] = {}
        if domains:
            for message in sent_messages(tx, ctx.account_id, ctx.region, now - WINDOW, now):
                if message.identity is not None:
                    sent.setdefault(message.identity.lower(), Counter()).update(counts_of(message))
    resolver = resolver_for(ctx.db, ctx.settings.dns_server)
    findings: list[Finding] = []
    for domain, data in domains:
        arn = f"arn:aws:ses:{ctx.region}:{ctx.account_id}:identity/{domain}"
        if not data.get("DkimEnabled") or dkim_status(data, now) != "Success":
            findings.append(
                (arn, "DKIM", "HIGH", f"DKIM signing is not enabled and verified for {domain}.")
            )
        parent = domain.split(".", 1)[1] if domain.count(".") > 1 else None
        dmarc_names = [f"_dmarc.{domain}"] + ([f"_dmarc.{parent}"] if parent else [])
        if not any(_has_txt(resolver, name, "v=DMARC1") for name in dmarc_names):
            findings.append(
                (arn, "DMARC", "HIGH", f"No DMARC record is published at _dmarc.{domain}.")
            )
        mail_from = (data.get("MailFrom") or {}).get("Domain") or domain
        if not _has_txt(resolver, mail_from, "v=spf1"):
            findings.append((arn, "SPF", "LOW", f"No SPF record is published at {mail_from}."))
        counts = sent.get(domain.lower(), Counter())
        if counts["SEND"]:
            if counts["PERMANENT_BOUNCE"] / counts["SEND"] >= BOUNCE_RATE:
                findings.append(
                    (arn, "BOUNCE", "HIGH", f"The bounce rate of {domain} is 5% or more.")
                )
            if counts["COMPLAINT"] / counts["SEND"] >= COMPLAINT_RATE:
                findings.append(
                    (arn, "COMPLAINT", "HIGH", f"The complaint rate of {domain} is 0.1% or more.")
                )
    return findings


def _record(ctx: RequestContext, findings: list[Finding], now: float) -> list[dict[str, Any]]:
    """Store ``findings`` (new ones OPEN, cleared ones FIXED); every recommendation."""
    current = {(arn, kind): (impact, text) for arn, kind, impact, text in findings}
    scope = (ctx.account_id, ctx.region)
    with ctx.db.transaction(lock=f"ses-recommendations:{ctx.account_id}:{ctx.region}") as tx:
        stored = {
            (str(row[0]), str(row[1])): row
            for row in tx.fetchall(
                "SELECT resource_arn, type, description, impact, status, created_at, "
                "updated_at FROM ses_recommendations WHERE account = ? AND region = ?",
                scope,
            )
        }
        for key, (impact, text) in current.items():
            row = stored.get(key)
            if row is None:
                tx.execute(
                    "INSERT INTO ses_recommendations (account, region, resource_arn, type, "
                    "description, impact, status, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, 'OPEN', ?, ?)",
                    (*scope, *key, text, impact, now, now),
                )
            elif row[4] != "OPEN" or row[2] != text:
                tx.execute(
                    "UPDATE ses_recommendations SET status = 'OPEN', description = ?, "
                    "impact = ?, updated_at = ? WHERE account = ? AND region = ? "
                    "AND resource_arn = ? AND type = ?",
                    (text, impact, now, *scope, *key),
                )
        for key, row in stored.items():
            if key not in current and row[4] == "OPEN":
                tx.execute(
                    "UPDATE ses_recommendations SET status = 'FIXED', updated_at = ? "
                    "WHERE account = ? AND region = ? AND resource_arn = ? AND type = ?",
                    (now, *scope, *key),
                )
        rows = tx.fetchall(
            "SELECT resource_arn, type, description, impact, status, created_at, updated_at "
            "FROM ses_recommendations WHERE account = ? AND region = ? "
            "ORDER BY created_at, resource_arn, type",
            scope,
        )
    return [
        {
            "ResourceArn": str(row[0]),
            "Type": str(row[1]),
            "Description": str(row[2]),
            "Impact": str(row[3]),
            "Status": str(row[4]),
            "CreatedTimestamp": float(row[5]),
            "LastUpdatedTimestamp": float(row[6]),
        }
        for row in rows
    ]


def _check_filter(given: dict[str, str]) -> dict[str, str]:
    for key, value in given.items():
        allowed = _FILTER_VALUES.get(key)
        if allowed is not None and value not in allowed:
            # Choice: AWS's text was not found.
            raise _bad(f"Invalid {key} filter value {value}: must be one of {', '.join(allowed)}.")
    return given


def _page_size(params: dict[str, Any]) -> int:
    """Choice: the model sets no bounds; 100 by default and at most, at least 1."""
    size = params.get("PageSize")
    if size is None:
        return DEFAULT_PAGE_SIZE
    if size < 1:
        raise _bad("PageSize must be at least 1.")
    return int(min(size, MAX_PAGE_SIZE))


def list_recommendations(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    filters = _check_filter(params.get("Filter") or {})
    size = _page_size(params)
    start = 0
    if params.get("NextToken") is not None:
        (start,) = decode_token(params["NextToken"], "BadRequestException", 1)
        if not isinstance(start, int) or isinstance(start, bool) or start < 0:
            raise _bad("Invalid pagination token.")
    now = ctx.clock.now().timestamp()
    every = _record(ctx, _findings(ctx, now), now)
    fields = {"TYPE": "Type", "IMPACT": "Impact", "STATUS": "Status", "RESOURCE_ARN": "ResourceArn"}
    chosen = [
        item
        for item in every
        if all(item[fields[key]] == value for key, value in filters.items() if key in fields)
    ]
    answer: dict[str, Any] = {"Recommendations": chosen[start : start + size]}
    if start + size < len(chosen):
        answer["NextToken"] = encode_token([start + size])
    return answer


V1: dict[str, Handler] = {}
V2: dict[str, Handler] = {"ListRecommendations": list_recommendations}
