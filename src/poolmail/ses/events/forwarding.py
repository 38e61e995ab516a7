"""Email feedback forwarding: the bounce (an RFC 3464 delivery status notification from
`MAILER-DAEMON@amazonses.com`) and complaint (an RFC 5965 abuse report from
`complaints@email-abuse.amazonses.com`) mail SES sends to the sender of a message.

SES forwards to the SMTP MAIL FROM; for SendEmail the ReturnPath, else the Source; for
SendRawEmail the Source, else the Return-Path header, else the From
(docs.aws.amazon.com/ses/latest/dg/monitor-sending-activity-using-notifications-email.html).
The mail is stored in the mailbox (kind ``ses-feedback``) under an id derived from the
original's, so the sending path can hand it to the `--relay` server after its transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Sequence
from email.utils import format_datetime

from poolmail.mail import composed
from poolmail.mail.mailbox import Event, StoredMessage
from poolmail.ses.identities.coverage import bare_address
from poolmail.ses.sending import mime, simulator
from poolmail.store import Database, Transaction

BOUNCE_SENDER = "MAILER-DAEMON@amazonses.com"
COMPLAINT_SENDER = "complaints@email-abuse.amazonses.com"
BOUNCE_SUBJECT = "Delivery Status Notification (Failure)"
KIND = "ses-feedback"
_KINDS = {"Bounce": "bounce", "Complaint": "complaint"}


def feedback_message_id(original_id: str, event_type: str) -> str:
    """The mailbox id of ``original_id``'s forwarded bounce or complaint."""
    return f"{original_id}-{_KINDS[event_type]}"


def forwarding_address(message: StoredMessage) -> str:
    """Where SES forwards ``message``'s feedback. Choice: for a raw message sent without
    Source, the From stands in (poolmail keeps no separate Return-Path header)."""
    return bare_address(message.details.get("return_path") or message.source)


def rfc5322_date(moment: float) -> str:
    return format_datetime(dt.datetime.fromtimestamp(moment, dt.UTC))


def _part(content_type: str, body: str) -> str:
    return f"Content-Type: {content_type}\r\n\r\n{body}"


def _report(
    *,
    sender: str,
    to: str,
    subject: str,
    report_type: str,
    parts: Sequence[str],
    original: bytes | None,
    message_id: str,
    now: float,
) -> bytes:
    """A multipart/report message (RFC 6522) with ``parts`` and the original message."""
    boundary = f"----={uuid.uuid4().hex}"
    head = (
        f"From: {sender}\r\n"
        f"To: {to}\r\n"
        f"Subject: {subject}\r\n"
        f"Date: {rfc5322_date(now)}\r\n"
        f"Message-ID: {mime.message_id_header(message_id)}\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type={report_type}; boundary="{boundary}"\r\n'
        "\r\n"
    )
    body = "".join(f"--{boundary}\r\n{part}\r\n" for part in parts)
    if original is None:
        return (head + body + f"--{boundary}--\r\n").encode()
    body += f"--{boundary}\r\nContent-Type: message/rfc822\r\n\r\n"
    original = original.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    return (head + body).encode() + original + f"\r\n--{boundary}--\r\n".encode()


def delivery_status_notification(
    *,
    sender: str,
    to: str,
    reporting_mta: str,
    recipients: Sequence[Sequence[tuple[str, str]]],
    original: bytes | None,
    message_id: str,
    now: float,
    explanation: str | None = None,
    arrival_date: float | None = None,
    extension_fields: Sequence[tuple[str, str]] = (),
) -> bytes:
    """An RFC 3464 DSN: a human-readable part, `message/delivery-status` with the
    per-message fields and one block of (field, value) pairs per recipient
    (Final-Recipient, Action, Status, ...), and the original message."""
    addresses = [
        value.removeprefix("rfc822; ")
        for recipient in recipients
        for name, value in recipient
        if name == "Final-Recipient"
    ]
    text = explanation or (
        "An error occurred while trying to deliver the mail to the following recipients:\r\n"
        + "\r\n".join(addresses)
    )
    fields = [("Reporting-MTA", reporting_mta)]
    if arrival_date is not None:
        fields.append(("Arrival-Date", rfc5322_date(arrival_date)))
    fields += list(extension_fields)
    blocks = [fields, *recipients]
    status = "\r\n\r\n".join(
        "\r\n".join(f"{name}: {value}" for name, value in block) for block in blocks
    )
    status += "\r\n"
    return _report(
        sender=sender,
        to=to,
        subject=BOUNCE_SUBJECT,
        report_type="delivery-status",
        parts=[
            _part("text/plain; charset=UTF-8", text + "\r\n"),
            _part("message/delivery-status", status),
        ],
        original=original,
        message_id=message_id,
        now=now,
    )


def _bounce_mail(
    message: StoredMessage, bounces: Sequence[Event], to: str, mail_id: str, now: float
) -> bytes:
    first = bounces[0].detail
    recipients = []
    for event in bounces:
        detail = event.detail
        block = [
            ("Final-Recipient", f"rfc822; {bare_address(str(detail.get('recipient', '')))}"),
            ("Action", str(detail.get("action", "failed"))),
            ("Status", str(detail.get("status", "5.0.0"))),
        ]
        if detail.get("diagnosticCode"):
            block.append(("Diagnostic-Code", str(detail["diagnosticCode"])))
        recipients.append(block)
    reporting = first.get("reportingMTA") or f"dsn; {simulator.outgoing_host(message.region)}"
    return delivery_status_notification(
        sender=BOUNCE_SENDER,
        to=to,
        reporting_mta=str(reporting).replace("dsn; ", "dns; ", 1),
        recipients=recipients,
        original=message.raw,
        message_id=mail_id,
        now=now,
        arrival_date=message.created_at,
    )


def _complaint_mail(
    message: StoredMessage, complaints: Sequence[Event], to: str, mail_id: str, now: float
) -> bytes:
    first = complaints[0].detail
    arrival = rfc5322_date(float(first.get("arrivalDate", now)))
    complained = [bare_address(str(event.detail.get("recipient", ""))) for event in complaints]
    text = (
        "This is an email abuse report for an email message sent through Amazon SES "
        f"on {arrival}.\r\nThe recipients who complained: {', '.join(complained)}\r\n"
    )
    report = [
        f"Feedback-Type: {first.get('complaintFeedbackType') or 'abuse'}",
        f"User-Agent: {first.get('userAgent') or 'Amazon SES'}",
        "Version: 1",
        f"Original-Mail-From: {to}",
        *[f"Original-Rcpt-To: {address}" for address in complained],
        f"Arrival-Date: {arrival}",
    ]
    return _report(
        sender=COMPLAINT_SENDER,
        to=to,
        subject=message.subject,
        report_type="feedback-report",
        parts=[
            _part("text/plain; charset=UTF-8", text),
            _part("message/feedback-report", "\r\n".join(report) + "\r\n"),
        ],
        original=message.raw,
        message_id=mail_id,
        now=now,
    )


def forward(
    tx: Transaction, message: StoredMessage, event_type: str, events: Sequence[Event], now: float
) -> str | None:
    """Store the forwarded bounce or complaint mail for ``events`` of ``message``; its id,
    or None when this message's feedback of that type was already forwarded."""
    if not events:
        return None
    mail_id = feedback_message_id(message.id, event_type)
    if tx.fetchone("SELECT 1 FROM messages WHERE id = ?", (mail_id,)) is not None:
        return None
    to = forwarding_address(message)
    if event_type == "Bounce":
        sender, subject = BOUNCE_SENDER, BOUNCE_SUBJECT
        raw = _bounce_mail(message, events, to, mail_id, now)
    else:
        sender, subject = COMPLAINT_SENDER, message.subject
        raw = _complaint_mail(message, events, to, mail_id, now)
    composed.store_delivered(
        tx,
        mail_id,
        (message.account, message.region),
        now,
        origin="ses",
        source=sender,
        to=to,
        subject=subject,
        raw=raw,
        details={"kind": KIND, "feedback_type": event_type, "in_reply_to": message.id},
        events=[Event("Delivery", now, {"recipient": to})],
    )
    return mail_id


def stored_feedback(db: Database, original_id: str) -> list[tuple[str, list[str], bytes]]:
    """(id, recipients, raw) of the feedback mail forwarded for ``original_id``: what the
    sending path hands to the `--relay` server once its transaction is committed."""
    wanted = [feedback_message_id(original_id, kind) for kind in _KINDS]
    with db.transaction(readonly=True) as tx:
        rows = tx.fetchall(
            "SELECT id, recipients, raw FROM messages WHERE id IN (?, ?)", tuple(wanted)
        )
    return [(row[0], json.loads(row[1]), bytes(row[2])) for row in rows if row[2] is not None]
