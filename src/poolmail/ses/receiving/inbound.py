"""Mail arriving for the account's verified domains: the SMTP listener hands each recipient
(`recipient`) and then the message (`receive`) here when they are inbound.

Choice (when a message is inbound): an SMTP session that did not authenticate, whose
first RCPT TO address is on a verified domain identity (or a subdomain of one) of the
default account (`--account-id`) in the default region (`--region`), while that region has
an active receipt rule set. Anything else is an outbound send, exactly as before. SES
receives on its own endpoint (`inbound-smtp.<region>.amazonaws.com`); poolmail's one
listener tells the two apart this way.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import threading
import time
import weakref
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.utils import format_datetime
from typing import Any

from aiosmtpd.smtp import Envelope, Session

from poolmail.clock import Clock
from poolmail.config import Settings
from poolmail.mail import mailbox
from poolmail.ses.authentication import dkim_keys
from poolmail.ses.authentication.dkim_keys import AMAZONSES_DOMAIN
from poolmail.ses.authentication.dkim_signing import signature
from poolmail.ses.identities.coverage import candidates, verified_identities
from poolmail.ses.identities.dns import resolver_for
from poolmail.ses.receiving import verdicts as checks
from poolmail.ses.receiving.actions import STOP_RULE_SET, Run, new_message_id
from poolmail.ses.receiving.active import active_rules, ip_filters
from poolmail.store import Database, Transaction

# Choice: SES's exact inbound SMTP texts are not documented; these use RFC 5321's codes
# and RFC 3463's enhanced status codes for each refusal.
NO_MAILBOX = "550 5.1.1 Requested action not taken: mailbox unavailable"
ACCESS_DENIED = "554 5.7.1 Access denied"
TLS_REQUIRED = "530 5.7.0 Must issue a STARTTLS command first"
PROCESSING_ERROR = "451 4.3.0 Requested action aborted: local error in processing"

log = logging.getLogger("poolmail.ses.inbound")


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose mail this is: the account and region receiving it."""

    account: str
    region: str


# The envelopes of inbound transactions (aiosmtpd makes a new envelope for each message).
_INBOUND: weakref.WeakKeyDictionary[Envelope, Scope] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def is_inbound(envelope: Envelope) -> bool:
    with _LOCK:
        return envelope in _INBOUND


def may_be_inbound(session: Session, envelope: Envelope) -> bool:
    """Whether ``recipient`` needs asking (an authenticated session, or a transaction that
    is already an outbound send, never is inbound): no database read for those."""
    return not session.authenticated and (is_inbound(envelope) or not envelope.rcpt_tos)


def _scope_of(envelope: Envelope) -> Scope | None:
    with _LOCK:
        return _INBOUND.get(envelope)


def matches(conditions: list[str], address: str) -> bool:
    """Whether a rule's Recipients take ``address``: `user@example.com` that address,
    `example.com` every address of the domain (not its subdomains), `.example.com` every
    address of its subdomains; no condition takes every address."""
    if not conditions:
        return True
    address = address.strip().lower()
    domain = address.rpartition("@")[2]
    for condition in conditions:
        wanted = condition.strip().lower()
        if "@" in wanted:
            if address == wanted:
                return True
        elif wanted.startswith("."):
            if domain.endswith(wanted):
                return True
        elif domain == wanted:
            return True
    return False


def _enabled(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [rule for rule in rules if rule.get("Enabled")]


def _rules_for(rules: list[dict[str, Any]], address: str) -> list[dict[str, Any]]:
    return [rule for rule in _enabled(rules) if matches(rule.get("Recipients") or [], address)]


def _on_verified_domain(tx: Transaction, scope: Scope, address: str, now: float) -> bool:
    domains = [name for name in candidates(address) if "@" not in name]
    return bool(verified_identities(tx, scope.account, scope.region, domains, now))


def _peer_ip(session: Session) -> str:
    peer: Any = session.peer
    if isinstance(peer, tuple) and peer:
        return str(peer[0])
    return str(peer or "127.0.0.1")


def blocked(ip: str, filters: list[dict[str, Any]]) -> bool:
    """IP filters: a Block filter refuses its addresses unless an Allow filter takes them.
    Choice: Allow wins over Block, as SES's own block list gives way to the account's allow
    list (receiving-email-concepts.html)."""
    policies = {
        str(f["IpFilter"]["Policy"])
        for f in filters
        if checks.peer_in(ip, str(f["IpFilter"]["Cidr"]))
    }
    return "Block" in policies and "Allow" not in policies


def recipient(
    settings: Settings,
    db: Database,
    clock: Clock,
    session: Session,
    envelope: Envelope,
    address: str,
) -> str | None:
    """The reply refusing ``address``, or None when the listener accepts it (as an inbound
    recipient, or as a destination of an outbound send)."""
    if session.authenticated:
        return None
    scope = _scope_of(envelope)
    if scope is None and envelope.rcpt_tos:
        return None  # an outbound transaction stays one
    wanted = scope or Scope(settings.account_id, settings.default_region)
    now = clock.now().timestamp()
    with db.transaction(readonly=True) as tx:
        rules = active_rules(tx, wanted.account, wanted.region)
        if rules is None or not _on_verified_domain(tx, wanted, address, now):
            return None if scope is None else NO_MAILBOX
        filters = ip_filters(tx, wanted.account, wanted.region)
    if blocked(_peer_ip(session), filters):
        return ACCESS_DENIED
    matching = _rules_for(rules, address)
    if not matching:
        # "If you specify a recipient condition, it must match ... otherwise the email is
        # blocked" (receiving-email-concepts.html).
        return NO_MAILBOX
    # TlsPolicy Require: "Amazon SES bounces emails that are not received over TLS".
    if session.ssl is None and any(rule.get("TlsPolicy") == "Require" for rule in matching):
        return TLS_REQUIRED
    with _LOCK:
        _INBOUND[envelope] = wanted
    return None


def _content(envelope: Envelope) -> bytes:
    content = envelope.original_content or envelope.content or b""
    return content if isinstance(content, bytes) else content.encode()


def receive(
    settings: Settings, db: Database, clock: Clock, session: Session, envelope: Envelope
) -> str:
    """Run the active rule set on the message; the SMTP reply. SES accepts the message
    and runs the actions after (a Bounce action mails a bounce back, it does not refuse)."""
    try:
        return _receive(settings, db, clock, session, envelope)
    except Exception:
        # Nothing was stored (the message and its deliveries are one transaction): the
        # sender is told to try again later, as an MTA would be.
        log.exception("receiving a message failed")
        return PROCESSING_ERROR


def _receive(
    settings: Settings, db: Database, clock: Clock, session: Session, envelope: Envelope
) -> str:
    scope = _scope_of(envelope)
    if scope is None:  # pragma: no cover - the listener asks is_inbound first
        return NO_MAILBOX
    started = time.perf_counter()
    raw = _content(envelope)
    now = clock.now().timestamp()
    ip = _peer_ip(session)
    helo = session.host_name or ip
    mail_from = envelope.mail_from or ""
    # The DNS lookups happen before any transaction: a slow resolver holds no lock.
    found = checks.evaluate(
        raw,
        ip=ip,
        mail_from=mail_from,
        helo=helo,
        resolver=resolver_for(db, settings.dns_server),
        dns_server=settings.dns_server,
    )
    recipients = list(envelope.rcpt_tos)
    with db.transaction(readonly=True) as tx:
        rules = active_rules(tx, scope.account, scope.region) or []
    plan = []
    for rule in _enabled(rules):
        taken = [r for r in recipients if matches(rule.get("Recipients") or [], r)]
        if taken:
            plan.append((rule, taken))
    if not plan:  # the rule set changed between RCPT and DATA
        return NO_MAILBOX
    message_id = new_message_id()
    scanned = any(rule.get("ScanEnabled") for rule, _ in plan)
    with db.transaction() as tx:
        key = dkim_keys.amazonses_key(tx, scope.region, now)
    message = with_receipt_headers(
        raw,
        verdicts=found,
        scanned=scanned,
        message_id=message_id,
        scope=scope,
        ip=ip,
        helo=helo,
        mail_from=mail_from,
        recipient=recipients[0],
        at=now,
        dkim_key=(key.selector, key.pem),
    )
    run = Run(
        settings=settings,
        db=db,
        clock=clock,
        account=scope.account,
        region=scope.region,
        message_id=message_id,
        verdicts=found,
        mail_from=mail_from,
        recipients=recipients,
        received_at=now,
        started=started,
        message=message,
        scanned=scanned,
    )
    used = []
    for rule, taken in plan:
        used.append(str(rule.get("Name", "")))
        if run.run_rule(rule, taken) == STOP_RULE_SET:
            break
    stored = _stored(run, scope, found, ip, helo, used)
    with db.transaction() as tx:
        run.finish(tx, stored)
    run.start_later()
    return f"250 Ok {message_id}"


def _stored(
    run: Run, scope: Scope, found: checks.Verdicts, ip: str, helo: str, rules: list[str]
) -> mailbox.StoredMessage:
    headers = BytesHeaderParser().parsebytes(run.message)
    return mailbox.StoredMessage(
        id=run.message_id,
        account=scope.account,
        region=scope.region,
        created_at=run.received_at,
        status="delivered",
        origin="inbound",
        source=run.mail_from,
        recipients=run.recipients,
        subject=str(headers.get("Subject", "")),
        raw=run.message,
        details={
            "kind": "ses-inbound",
            "destination": {"ToAddresses": run.recipients},
            "inbound": {
                "peer": ip,
                "helo": helo,
                "rules": rules,
                "verdicts": {
                    "spam": found.spam if run.scanned else checks.DISABLED,
                    "virus": found.virus if run.scanned else checks.DISABLED,
                    "spf": found.spf.verdict,
                    "dkim": found.dkim.verdict,
                    "dmarc": found.dmarc.verdict,
                    "dmarcPolicy": found.dmarc.policy,
                },
                "actions": run.outcomes,
            },
        },
    )


def _auth_results(found: checks.Verdicts, ip: str, helo: str, mail_from: str) -> tuple[str, str]:
    """`Received-SPF` and `Authentication-Results` as SES writes them."""
    spf = found.spf
    envelope = f"client-ip={ip}; envelope-from={mail_from}; helo={helo};"
    received_spf = f"{spf.result} ({spf.comment}) {envelope}"
    parts = [f"amazonses.com; spf={spf.result} ({spf.comment}) {envelope}"]
    # An unsigned message gets no dkim= part (real Authentication-Results).
    for domain, verified in found.dkim.checked:
        parts.append(f" dkim={'pass' if verified else 'fail'} header.i=@{domain};")
    if found.dmarc.from_domain:
        word = {"PASS": "pass", "FAIL": "fail", "GRAY": "none"}.get(
            found.dmarc.verdict, "temperror"
        )
        parts.append(f" dmarc={word} header.from={found.dmarc.from_domain};")
    return received_spf, "".join(parts)


def with_receipt_headers(
    raw: bytes,
    *,
    verdicts: checks.Verdicts,
    scanned: bool,
    message_id: str,
    scope: Scope,
    ip: str,
    helo: str,
    mail_from: str,
    recipient: str,
    at: float,
    dkim_key: tuple[str, bytes],
) -> bytes:
    """The message as SES stores it: Return-Path, Received, the scan verdicts (when a rule
    scans), Received-SPF, Authentication-Results, X-SES-RECEIPT and X-SES-DKIM-SIGNATURE on
    top of the message as received."""
    linesep = "\r\n" if b"\r\n" in raw else "\n"
    when = format_datetime(dt.datetime.fromtimestamp(at, dt.UTC))
    received_spf, results = _auth_results(verdicts, ip, helo, mail_from)
    lines = [
        f"Return-Path: <{mail_from}>",
        f"Received: from {helo} ({helo} [{ip}]){linesep} by inbound-smtp.{scope.region}"
        f".amazonaws.com with SMTP id {message_id}{linesep} for {recipient};{linesep}"
        f" {when} (UTC)",
    ]
    if scanned:
        lines += [
            f"X-SES-Spam-Verdict: {verdicts.spam}",
            f"X-SES-Virus-Verdict: {verdicts.virus}",
        ]
    lines += [f"Received-SPF: {received_spf}", f"Authentication-Results: {results}"]
    # Choice: X-SES-RECEIPT is opaque in SES (an encrypted blob); poolmail's is the base64
    # of what it names: the account, region and message id.
    receipt = json.dumps({"account": scope.account, "region": scope.region, "id": message_id})
    lines.append(f"X-SES-RECEIPT: {base64.b64encode(receipt.encode()).decode()}")
    message = (linesep.join(lines) + linesep).encode() + raw
    # Choice: X-SES-DKIM-SIGNATURE is a real signature by poolmail's amazonses.com key (the
    # one outbound mail carries, published in the local zone), renamed as SES renames it.
    selector, pem = dkim_key
    signed = signature(message, AMAZONSES_DOMAIN, selector, pem, int(at))
    renamed = b"X-SES-DKIM-SIGNATURE" + signed[len(b"DKIM-Signature") :]
    return _insert_after_receipt(message, renamed)


def _insert_after_receipt(message: bytes, header: bytes) -> bytes:
    """``header`` right after X-SES-RECEIPT (SES's order)."""
    marker = b"X-SES-RECEIPT: "
    start = message.index(marker)
    end = message.index(b"\n", start) + 1
    return message[:end] + header + message[end:]
