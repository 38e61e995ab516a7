"""GetEmailAddressInsights: the model's mailbox checks, computed from what poolmail can
know without mailing anyone — the address's syntax, its domain's MX records (through
the resolver domain verification uses: the local zone, then DNS), the account's
history with the address, and small documented word lists.

Choices (AWS's method is not public): HasValidSyntax is HIGH when SES would accept the
address for sending, else LOW; HasValidDnsRecords HIGH when the domain has an MX
record, else LOW; MailboxExists HIGH when the account's mail to it was delivered, LOW
when it hard-bounced or is on the suppression list for BOUNCE, else MEDIUM (LOW without
DNS records); IsRoleAddress HIGH for the role local parts below; IsDisposable HIGH for
the disposable domains below; IsRandomInput HIGH for a local part of 8 or more
characters with no vowel or a run of 6 consonants, else LOW. IsValid is LOW when
syntax, DNS or mailbox is LOW or the address is disposable, HIGH when syntax, DNS and
mailbox are HIGH, else MEDIUM. The mailbox simulator's addresses answer as their
outcome says.
"""

from __future__ import annotations

import re
from typing import Any

from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.ses.identities.coverage import bare_address, is_simulator
from poolmail.ses.identities.dns import resolver_for
from poolmail.ses.sending import simulator
from poolmail.ses.suppression import store as suppression
from poolmail.store import Transaction

ROLE_LOCAL_PARTS = frozenset(
    {
        "abuse", "admin", "administrator", "billing", "contact", "help", "hostmaster",
        "hr", "info", "jobs", "marketing", "no-reply", "noreply", "office", "postmaster",
        "sales", "security", "support", "team", "webmaster",
    }
)  # fmt: skip
DISPOSABLE_DOMAINS = frozenset(
    {
        "10minutemail.com", "dispostable.com", "getnada.com", "guerrillamail.com",
        "mailinator.com", "maildrop.cc", "sharklasers.com", "temp-mail.org",
        "throwawaymail.com", "trashmail.com", "yopmail.com",
    }
)  # fmt: skip
_VOWELS = set("aeiouy")
_CONSONANT_RUN = re.compile(r"[bcdfghjklmnpqrstvwxz]{6,}")


def _verdict(level: str) -> dict[str, str]:
    return {"ConfidenceVerdict": level}


def _syntax_ok(address: str) -> bool:
    from poolmail.ses.sending.outbound import address_problem

    return (
        bool(address)
        and bare_address(address) == address
        and address_problem(address) is None
        and len(address) <= 320
    )


def _random(local: str) -> bool:
    letters = local.lower()
    if len(letters) < 8:
        return False
    return not (_VOWELS & set(letters)) or bool(_CONSONANT_RUN.search(letters))


def _history(tx: Transaction, account: str, region: str, address: str) -> str | None:
    """``delivered`` or ``bounced`` as the account's last mail to the address went;
    ``bounced`` too when the suppression list holds it for BOUNCE; None when unknown."""
    listed = suppression.get_destination(tx, account, region, address)
    if listed is not None and listed.get("Reason") == "BOUNCE":
        return "bounced"
    rows = tx.fetchall(
        "SELECT e.type FROM message_recipients r "
        "JOIN messages m ON m.id = r.message_id "
        "JOIN message_events e ON e.message_id = m.id "
        "WHERE r.recipient = ? AND m.account = ? AND m.region = ? "
        "AND e.type IN ('Delivery', 'Bounce') "
        "ORDER BY r.created_at DESC, e.position DESC LIMIT 1",
        (address.lower(), account, region),
    )
    if not rows:
        return None
    return "delivered" if rows[0][0] == "Delivery" else "bounced"


def get_email_address_insights(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    address = str(params["EmailAddress"]).strip()
    local, _, domain = address.rpartition("@")
    syntax = _syntax_ok(address)
    if not syntax:
        dns, mailbox = "LOW", "LOW"
    elif is_simulator(address):
        dns = "HIGH"
        mailbox = "HIGH" if simulator.outcome(address) not in ("bounce", "suppressed") else "LOW"
    else:
        has_mx = bool(resolver_for(ctx.db, ctx.settings.dns_server).mx(domain.lower()))
        dns = "HIGH" if has_mx else "LOW"
        with ctx.db.transaction(readonly=True) as tx:
            known = _history(tx, ctx.account_id, ctx.region, address)
        if known == "delivered":
            mailbox = "HIGH"
        elif known == "bounced" or not has_mx:
            mailbox = "LOW"
        else:
            mailbox = "MEDIUM"
    role = local.lower().split("+", 1)[0] in ROLE_LOCAL_PARTS
    disposable = domain.lower() in DISPOSABLE_DOMAINS
    if "LOW" in (dns, mailbox) or not syntax or disposable:
        valid = "LOW"
    elif dns == mailbox == "HIGH":
        valid = "HIGH"
    else:
        valid = "MEDIUM"
    return {
        "MailboxValidation": {
            "IsValid": _verdict(valid),
            "Evaluations": {
                "HasValidSyntax": _verdict("HIGH" if syntax else "LOW"),
                "HasValidDnsRecords": _verdict(dns),
                "MailboxExists": _verdict(mailbox),
                "IsRoleAddress": _verdict("HIGH" if role else "LOW"),
                "IsDisposable": _verdict("HIGH" if disposable else "LOW"),
                "IsRandomInput": _verdict("HIGH" if _random(local) else "LOW"),
            },
        }
    }


V1: dict[str, Handler] = {}
V2: dict[str, Handler] = {"GetEmailAddressInsights": get_email_address_insights}
