"""The SES sending engine: every path that sends mail (SES v1, v2, SMTP, Cognito) ends here.

It checks a message the way SES does, in SES's order — addresses, configuration set,
sending paused, verified identities (and, in the sandbox, recipients), sending
authorisation, quotas — then stores it in the mailbox with its events. A refusal raises
``SendError`` with SES's text and leaves a rejected entry in the mailbox for the sending
log; each API turns the error's kind into its own error code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from poolmail.context import RequestContext
from poolmail.mail import mailbox
from poolmail.mail.mailbox import Event, Origin, Status, StoredMessage
from poolmail.mail.relay import relay
from poolmail.ses.account import quota
from poolmail.ses.authentication import dkim_signing, mail_from
from poolmail.ses.configuration import options as configuration_set_options
from poolmail.ses.configuration import sets as configuration_sets
from poolmail.ses.contacts import list_management
from poolmail.ses.dedicated_ips import ips
from poolmail.ses.events import forwarding, publishing
from poolmail.ses.identities import policies
from poolmail.ses.identities.coverage import (
    bare_address,
    candidates,
    covering_identity,
    is_simulator,
    rows_remembered,
    verified_identities,
)
from poolmail.ses.sending import delivery_delays, mime, send_lookups, simulator
from poolmail.ses.suppression import withholding
from poolmail.ses.tracking import instrument
from poolmail.store import Transaction

MAX_RECIPIENTS = 50

ErrorKind = Literal[
    "not-verified",  # MessageRejected: Email address is not verified...
    "rejected",  # MessageRejected, other reasons
    "invalid",  # InvalidParameterValue / BadRequestException
    "configuration-set",  # ConfigurationSetDoesNotExist / NotFoundException
    "paused",  # sending disabled for the account
    "set-paused",  # sending disabled for the configuration set
    "mail-from",  # custom MAIL FROM domain not in place, BehaviorOnMXFailure RejectMessage
    "access-denied",  # delegate sending without authorisation
    "rate",  # Maximum sending rate exceeded.
    "daily",  # Daily message quota exceeded.
]


class SendError(Exception):
    def __init__(self, kind: ErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


@dataclass(slots=True)
class IdentityArn:
    region: str
    account: str
    identity: str

    @classmethod
    def parse(cls, arn: str) -> IdentityArn:
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[2] != "ses" or not parts[5].startswith("identity/"):
            raise SendError("invalid", f"Invalid identity ARN: {arn}")
        return cls(parts[3], parts[4], parts[5].removeprefix("identity/"))


@dataclass(slots=True)
class Outgoing:
    """A message on its way: envelope, finished MIME bytes (built by the caller with
    ``message_id``), and what the sending log should remember about it."""

    message_id: str
    source: str
    to: list[str]
    cc: list[str]
    bcc: list[str]
    subject: str
    raw: bytes
    action: str  # the ses: action authorised for delegate sending, e.g. ses:SendEmail
    origin: Origin = "ses"
    return_path: str | None = None
    # The envelope sender SES chose (custom MAIL FROM domain or amazonses.com), if any.
    mail_from: str | None = None
    configuration_set: str | None = None
    source_arn: str | None = None
    return_path_arn: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    # Other sender addresses of a raw message (its From and Sender headers) that SES
    # checks like the Source.
    other_senders: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    # One destination of a bulk send: the call's sending rate was checked once for all
    # of them (``check_shared``), so this message only counts toward it.
    rate_checked: bool = False

    @property
    def recipients(self) -> list[str]:
        return [*self.to, *self.cc, *self.bcc]


def send(ctx: RequestContext, outgoing: Outgoing, *, account: str, region: str) -> str:
    """Check and deliver ``outgoing`` as account ``account`` in ``region``; its message id.

    ``account`` and ``region`` are the sending account's: its sandbox and quotas apply.
    """
    now = ctx.clock.now()
    try:
        with (
            ctx.db.transaction(lock=quota.lock_name(account, region)) as tx,
            rows_remembered(),
        ):
            identity = _check(tx, ctx, outgoing, account, region, now.timestamp())
            found = send_lookups.read(tx, account, region, outgoing.recipients)
            # The dedicated IP it leaves from, if any.
            outgoing.details.update(
                ips.sending_ip(
                    tx,
                    account,
                    region,
                    outgoing.configuration_set,
                    outgoing.message_id,
                    found.ips,
                )
            )
            outgoing.raw = instrument.instrument(tx, ctx, outgoing, account, region)
            outgoing.raw = dkim_signing.signed(
                tx, ctx, outgoing, account=account, region=region, amazonses_key=found.amazonses_key
            )
            _store(tx, ctx, outgoing, account, region, now, identity, found)
    except SendError as error:
        if error.kind != "invalid":
            _record_rejection(ctx, outgoing, account, region, now, error)
        raise
    envelope_from = outgoing.mail_from or bare_address(outgoing.return_path or outgoing.source)
    recipients = withholding.deliverable(outgoing, list_management.deliverable(outgoing))
    require_tls = bool(ctx.settings.relay) and configuration_set_options.requires_tls(
        ctx.db, account, region, outgoing.configuration_set
    )
    relay_delivered(
        ctx, outgoing.message_id, envelope_from, recipients, outgoing.raw, require_tls=require_tls
    )
    if ctx.settings.relay:
        # Forwarded bounces and complaints go out with the null sender, as DSNs do.
        for feedback_id, to, raw in forwarding.stored_feedback(ctx.db, outgoing.message_id):
            relay_delivered(ctx, feedback_id, "", to, raw)
    return outgoing.message_id


def relay_delivered(
    ctx: RequestContext,
    message_id: str,
    envelope_from: str,
    to: list[str],
    raw: bytes,
    *,
    require_tls: bool = False,
) -> None:
    """Hand a delivered message to the `--relay` SMTP server, if any, and record how that
    went as its event; the mailbox simulator keeps its mail. Every delivered message goes
    this way: SES's own sends and Cognito's, whichever account sent them."""
    if not ctx.settings.relay:
        return
    recipients = [address for address in to if not is_simulator(address)]
    if not recipients:
        return
    failure = relay(ctx.settings.relay, envelope_from, recipients, raw, require_tls=require_tls)
    detail: dict[str, Any] = {"relay": ctx.settings.relay, "recipients": recipients}
    if failure is not None:
        detail["error"] = failure
    with ctx.db.transaction() as tx:
        row = tx.fetchone("SELECT COUNT(*) FROM message_events WHERE message_id = ?", (message_id,))
        position = int(row[0]) if row else 0
        mailbox.add_events(
            tx,
            message_id,
            [Event("RelayFailed" if failure else "Relayed", ctx.clock.now().timestamp(), detail)],
            start=position,
        )


def check_shared(
    ctx: RequestContext, outgoing: Outgoing, *, account: str, region: str, recipients: int
) -> None:
    """SES's checks of what the destinations of one bulk send share — configuration set,
    sending paused, the sender identities, the sending rate for ``recipients`` in all —
    raising ``SendError``; nothing is stored. Each destination then goes through ``send``
    with ``rate_checked`` set, which checks its recipients and counts its quota."""
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction(lock=quota.lock_name(account, region)) as tx:
        limits = _check_account(tx, ctx, outgoing, account, region).limits
        owner, owner_region, identity, failed = _sender_failures(tx, outgoing, account, region, now)
        if failed:
            raise _not_verified(region, failed)
        if owner != account:
            _authorize(tx, outgoing, account, owner, owner_region, identity, now)
        if quota.rate_exceeded(tx, account, region, now, recipients, limits):
            raise SendError("rate", quota.RATE_MESSAGE)


def _check_account(
    tx: Transaction, ctx: RequestContext, outgoing: Outgoing, account: str, region: str
) -> quota.Standing:
    if outgoing.configuration_set and not configuration_sets.exists(
        tx, account, region, outgoing.configuration_set
    ):
        raise SendError(
            "configuration-set",
            f"Configuration set <{outgoing.configuration_set}> does not exist.",
        )
    # The limits with the running total `quota.reserve` counts the message against: the
    # send holds the account's quota lock throughout, so the total is the same then.
    found = quota.standing(tx, ctx.settings, account, region)
    if not found.limits.sending_enabled:
        raise SendError("paused", quota.PAUSED_MESSAGE)
    return found


def _not_verified(region: str, failed: list[str]) -> SendError:
    return SendError(
        "not-verified",
        "Email address is not verified. The following identities failed the check in "
        f"region {region.upper()}: {', '.join(failed)}",
    )


def _check(
    tx: Transaction, ctx: RequestContext, outgoing: Outgoing, account: str, region: str, now: float
) -> str | None:
    recipients = outgoing.recipients
    _check_addresses(outgoing, recipients)
    standing = _check_account(tx, ctx, outgoing, account, region)
    limits = standing.limits
    owner, owner_region, identity, failed = _sender_failures(tx, outgoing, account, region, now)
    if not limits.production_access:
        failed += [
            address
            for address in recipients
            if not is_simulator(address)
            and covering_identity(tx, account, region, address, now) is None
        ]
    if failed:
        raise _not_verified(region, failed)
    if owner != account:
        _authorize(tx, outgoing, account, owner, owner_region, identity, now)
    own_identity = identity if owner == account else None
    outgoing.configuration_set, paused = configuration_set_options.for_send(
        tx, account, region, outgoing.configuration_set, own_identity
    )
    if paused:
        raise SendError("set-paused", paused)
    outgoing.mail_from, refused = mail_from.envelope_sender(
        tx, owner, owner_region, identity, outgoing.message_id, now
    )
    if refused:
        raise SendError("mail-from", refused)
    try:
        quota.reserve(
            tx,
            ctx.settings,
            account,
            region,
            now,
            recipients=len(recipients),
            quota_recipients=sum(1 for address in recipients if not is_simulator(address)),
            quota=limits,
            check_rate=not outgoing.rate_checked,
            totals=standing.totals,
            message_id=outgoing.message_id,
        )
    except quota.QuotaExceeded as exceeded:
        raise SendError(exceeded.reason, exceeded.message) from None
    return identity


def _sender_failures(
    tx: Transaction, outgoing: Outgoing, account: str, region: str, now: float
) -> tuple[str, str, str | None, list[str]]:
    """Owner account, region and identity that cover the From; the sender addresses
    (From, a raw message's other senders, Return-Path) that no verified identity covers."""
    owner, owner_region, identity = _sending_identity(tx, outgoing, account, region, now)
    failed: list[str] = []
    if identity is None:
        # AWS quirk: a friendly-name From is listed twice, as written and as the bare address.
        failed.append(outgoing.source)
        if bare_address(outgoing.source) != outgoing.source.strip():
            failed.append(bare_address(outgoing.source))
    for address in outgoing.other_senders:
        if bare_address(address) != bare_address(outgoing.source) and (
            covering_identity(tx, owner, owner_region, address, now) is None
        ):
            failed.append(address)
    if outgoing.return_path:
        return_owner = account
        if outgoing.return_path_arn:
            return_owner = IdentityArn.parse(outgoing.return_path_arn).account
        if covering_identity(tx, return_owner, owner_region, outgoing.return_path, now) is None:
            failed.append(outgoing.return_path)
    return owner, owner_region, identity, failed


def _check_addresses(outgoing: Outgoing, recipients: list[str]) -> None:
    if not recipients:
        raise SendError("rejected", "There are no recipients specified.")
    if len(recipients) > MAX_RECIPIENTS:
        raise SendError("invalid", f"Recipient count exceeds {MAX_RECIPIENTS}.")
    for address in [outgoing.source, *recipients]:
        problem = address_problem(bare_address(address))
        if problem is not None:
            raise SendError("invalid", problem)


def address_problem(bare: str) -> str | None:
    """SES's refusal of a malformed address, or None.

    AWS quirk: the texts name no address. Without `@`: `Missing final '@domain'`
    (boto/boto#351, anymail/django-anymail#281); with nothing before it: `Missing local
    name` (arithmetic/aws-lambda-ses-forwarder#103); a domain with an empty label, such as
    a trailing dot: `Missing domain` (brave/accounts#35). Choice: a domain without a dot
    (`a@localhost`) is refused like a missing one; AWS's answer for it was not found.
    """
    local, at, domain = bare.rpartition("@")
    if not at:
        return "Missing final '@domain'"
    if not local:
        return "Missing local name"
    if not domain or "" in domain.split("."):
        return "Missing domain"
    if "." not in domain:
        return "Missing final '@domain'"
    return None


def _sending_identity(
    tx: Transaction, outgoing: Outgoing, account: str, region: str, now: float
) -> tuple[str, str, str | None]:
    """Owner account, region and the verified identity that covers the From address."""
    if outgoing.source_arn is None:
        return account, region, covering_identity(tx, account, region, outgoing.source, now)
    # Delegate sending names the identity exactly: it must be verified and cover the From.
    arn = IdentityArn.parse(outgoing.source_arn)
    name = arn.identity if "@" in arn.identity else arn.identity.lower()
    covers = name in candidates(outgoing.source)
    verified = verified_identities(tx, arn.account, arn.region, [name], now)
    return arn.account, arn.region, name if covers and verified else None


def _authorize(
    tx: Transaction,
    outgoing: Outgoing,
    account: str,
    owner: str,
    region: str,
    identity: str | None,
    now: float,
) -> None:
    resource = f"arn:aws:ses:{region}:{owner}:identity/{identity}"
    allowed = identity is not None and policies.is_authorized(
        tx,
        owner_account=owner,
        region=region,
        identity=identity,
        principal_account=account,
        principal_service=None,
        action=outgoing.action,
        context={
            "ses:FromAddress": bare_address(outgoing.source),
            "ses:Recipients": outgoing.recipients,
            "aws:SourceAccount": account,
        },
        now=now,
    )
    if not allowed:
        raise SendError(
            "access-denied",
            f"User `arn:aws:iam::{account}:root' is not authorized to perform "
            f"`{outgoing.action}' on resource `{resource}'",
        )


def delivery_events(
    recipients: list[str], now: float, region: str = "us-east-1"
) -> tuple[list[Event], Status]:
    """The events of an accepted message, the mailbox simulator's outcomes included, and
    its status: ``bounced`` when no recipient received it. Each event's detail carries the
    fields of SES's own bounce, complaint or delivery object (ses/sending/simulator.py)."""
    events = [Event("Send", now, {"recipients": recipients})]
    bounced = 0
    for address in recipients:
        result = simulator.outcome(address)
        if result in ("bounce", "suppressed"):
            bounced += 1
            detail = simulator.bounce_detail(address, result, region, now)
            events.append(Event("Bounce", now, detail))
            continue
        events.append(Event("Delivery", now, simulator.delivery_detail(address, region)))
        if result == "complaint":
            events.append(Event("Complaint", now, simulator.complaint_detail(address, now)))
        elif result == "ooto":
            events.append(Event("AutoReply", now, {"recipient": address}))
    status: Status = "bounced" if bounced == len(recipients) else "delivered"
    return events, status


def _entry(
    outgoing: Outgoing,
    account: str,
    region: str,
    moment: float,
    status: Status,
    events: list[Event],
    **details: Any,
) -> StoredMessage:
    """The mailbox entry for ``outgoing``, accepted or refused."""
    return StoredMessage(
        id=outgoing.message_id,
        account=account,
        region=region,
        created_at=moment,
        status=status,
        origin=outgoing.origin,
        source=outgoing.source,
        recipients=outgoing.recipients,
        subject=outgoing.subject,
        raw=outgoing.raw if status != "rejected" else None,
        details={
            "kind": "ses-send",
            **outgoing.details,
            "destination": {"to": outgoing.to, "cc": outgoing.cc, "bcc": outgoing.bcc},
            **details,
        },
        events=events,
    )


def _store(
    tx: Transaction,
    ctx: RequestContext,
    outgoing: Outgoing,
    account: str,
    region: str,
    now: dt.datetime,
    identity: str | None,
    found: send_lookups.Lookups,
) -> None:
    events, status = delivery_events(outgoing.recipients, now.timestamp(), region)
    events = delivery_delays.delayed(tx, events, region, now.timestamp(), found.delays)
    events, status = list_management.withhold(
        tx, outgoing, account, region, now.timestamp(), events, status
    )
    events, status = withholding.withhold(
        tx, outgoing, account, region, now.timestamp(), events, status, found.suppressed
    )
    entry = _entry(
        outgoing,
        account,
        region,
        now.timestamp(),
        status,
        events,
        identity=identity,
        return_path=outgoing.return_path,
        mail_from=outgoing.mail_from,
        configuration_set=outgoing.configuration_set,
        source_arn=outgoing.source_arn,
        tags=outgoing.tags,
        source_ip=ctx.source_ip,
    )
    mailbox.store(tx, entry)
    publishing.message_events(tx, ctx.settings, entry, events, now.timestamp())
    if any(event.type == "AutoReply" for event in events):
        _store_auto_reply(tx, outgoing, account, region, now)


def _store_auto_reply(
    tx: Transaction, outgoing: Outgoing, account: str, region: str, now: dt.datetime
) -> None:
    reply_id = mailbox.new_message_id(now.timestamp())
    subject = f"Out of the Office: {outgoing.subject}"
    raw = mime.build(
        mime.Headers(sender=simulator.AUTO_REPLY_SENDER, to=[bare_address(outgoing.source)]),
        mime.Content(subject, text="I am out of the office and will reply when I return."),
        reply_id,
        now,
    )
    mailbox.store(
        tx,
        StoredMessage(
            id=reply_id,
            account=account,
            region=region,
            created_at=now.timestamp(),
            status="delivered",
            origin="ses",
            source=simulator.AUTO_REPLY_SENDER,
            recipients=[bare_address(outgoing.source)],
            subject=subject,
            raw=raw,
            details={"kind": "ses-simulator-auto-reply", "in_reply_to": outgoing.message_id},
            events=[Event("Delivery", now.timestamp(), {})],
        ),
    )


def _record_rejection(
    ctx: RequestContext,
    outgoing: Outgoing,
    account: str,
    region: str,
    now: dt.datetime,
    error: SendError,
) -> None:
    moment = now.timestamp()
    events = [Event("Reject", moment, {"reason": error.message})]
    error_detail = {"kind": error.kind, "message": error.message}
    with ctx.db.transaction() as tx:
        mailbox.store(
            tx, _entry(outgoing, account, region, moment, "rejected", events, error=error_detail)
        )
