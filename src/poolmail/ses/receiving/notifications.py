"""What SES tells about a received message: the `Received` notification an SNS topic gets
(receiving-email-notifications-contents.html) and the Lambda action's event, both built from
one `mail` object and a `receipt` object per action.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from email.header import decode_header, make_header
from email.parser import BytesHeaderParser
from email.utils import getaddresses
from typing import Any

from poolmail.ses.receiving.verdicts import DISABLED, FAIL, Verdicts

# Like the sending events' `mail`: headers past 10 KB are left out and the flag says so.
HEADERS_LIMIT = 10 * 1024
# The Subject of every receipt notification SNS carries (real notifications).
SNS_SUBJECT = "Amazon SES Email Receipt Notification"
_UNFOLD = re.compile(r"\r?\n(?=[ \t])")


def iso(moment: float) -> str:
    when = dt.datetime.fromtimestamp(moment, dt.UTC)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _decoded(value: str) -> str:
    try:
        return str(make_header(decode_header(value)))
    except Exception:  # an encoded word that does not decode: shown as written
        return value


def _addresses(values: list[str]) -> list[str]:
    shown = []
    for name, address in getaddresses(values):
        if not address:
            continue
        name = _decoded(name)
        shown.append(f"{name} <{address}>" if name else address)
    return shown


def mail_object(
    *, timestamp: float, source: str, message_id: str, message: bytes
) -> dict[str, Any]:
    """The notification's `mail`: the headers as stored (SES's own first), `destination`
    the To and Cc addresses, `commonHeaders` decoded as real notifications show them."""
    parsed = BytesHeaderParser().parsebytes(message)
    headers: list[dict[str, str]] = []
    size = 0
    truncated = False
    for name, value in parsed.items():
        text = _UNFOLD.sub("", str(value))
        size += len(name) + len(text) + 4
        if size > HEADERS_LIMIT:
            truncated = True
            break
        headers.append({"name": name, "value": text})

    def every(name: str) -> list[str]:
        return [_UNFOLD.sub("", str(value)) for value in parsed.get_all(name, [])]

    common: dict[str, Any] = {}
    return_path = every("Return-Path")
    if return_path:
        common["returnPath"] = return_path[0].strip().strip("<>")
    for key, name in (("from", "From"), ("replyTo", "Reply-To"), ("to", "To"), ("cc", "Cc")):
        found = _addresses(every(name))
        if found:
            common[key] = found
    for key, name in (("sender", "Sender"), ("date", "Date")):
        values = every(name)
        if values:
            common[key] = _addresses(values)[0] if key == "sender" else values[0].strip()
    message_ids = every("Message-ID")
    if message_ids:
        common["messageId"] = message_ids[0].strip()
    subjects = every("Subject")
    if subjects:
        common["subject"] = _decoded(subjects[0])
    destination = [address for _, address in getaddresses(every("To") + every("Cc")) if address]
    return {
        "timestamp": iso(timestamp),
        "source": source,
        "messageId": message_id,
        "destination": destination,
        "headersTruncated": truncated,
        "headers": headers,
        "commonHeaders": common,
    }


def receipt_object(
    *,
    timestamp: float,
    processing_ms: int,
    recipients: list[str],
    verdicts: Verdicts,
    scanned: bool,
    action: dict[str, Any],
) -> dict[str, Any]:
    receipt: dict[str, Any] = {
        "timestamp": iso(timestamp),
        "processingTimeMillis": processing_ms,
        "recipients": recipients,
        "spamVerdict": {"status": verdicts.spam if scanned else DISABLED},
        "virusVerdict": {"status": verdicts.virus if scanned else DISABLED},
        "spfVerdict": {"status": verdicts.spf.verdict},
        "dkimVerdict": {"status": verdicts.dkim.verdict},
        "dmarcVerdict": {"status": verdicts.dmarc.verdict},
        "action": action,
    }
    # "dmarcPolicy ... only present when the dmarcVerdict is FAIL" (the notification's
    # contents page).
    if verdicts.dmarc.verdict == FAIL and verdicts.dmarc.policy:
        receipt["dmarcPolicy"] = verdicts.dmarc.policy
    return receipt


def received(
    mail: dict[str, Any], receipt: dict[str, Any], content: bytes | None, encoding: str = "UTF-8"
) -> dict[str, Any]:
    """The SNS message: `content` (the whole message) only for the SNS action."""
    notification: dict[str, Any] = {
        "notificationType": "Received",
        "mail": mail,
        "receipt": receipt,
    }
    if content is not None:
        notification["content"] = (
            base64.b64encode(content).decode("ascii")
            if encoding == "Base64"
            else content.decode("utf-8", "replace")
        )
    return notification


def lambda_event(mail: dict[str, Any], receipt: dict[str, Any]) -> dict[str, Any]:
    """The Lambda action's event: mail and receipt, never the body."""
    return {
        "Records": [
            {
                "eventSource": "aws:ses",
                "eventVersion": "1.0",
                "ses": {"mail": mail, "receipt": receipt},
            }
        ]
    }
