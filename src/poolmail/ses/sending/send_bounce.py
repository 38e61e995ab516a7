"""SES v1 SendBounce: a bounce for a message SES received, as an RFC 3464 delivery status
notification from a verified identity to the message's sender.

The bounce is stored in the mailbox (kind ``ses-bounce``) and handed to the `--relay`
server with the null sender, as bounces are. Choice: it does not count toward the sending
quota; AWS does not say whether it does.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from poolmail.context import RequestContext
from poolmail.mail import composed, mailbox
from poolmail.mail.mailbox import Event, StoredMessage
from poolmail.operations import Handler
from poolmail.protocol.errors import AwsError
from poolmail.ses.events import forwarding
from poolmail.ses.identities.coverage import bare_address, covering_identity
from poolmail.ses.sending import outbound
from poolmail.store import Transaction

KIND = "ses-bounce"
# The status and SMTP reply of each BounceType, from SES's receipt-rule bounce templates
# (550 5.1.1 user unknown, 552 5.3.4 too large, 552 5.2.2 mailbox full, 500 5.6.1 content
# rejected, 554 5.0.0 undefined, 450 4.0.0 temporary failure). Choice: the pairing of
# BounceType with template is poolmail's; AWS's was not found.
_BOUNCE_TYPES = {
    "DoesNotExist": ("5.1.1", "smtp; 550 5.1.1 user unknown"),
    "MessageTooLarge": ("5.3.4", "smtp; 552 5.3.4 Message too large"),
    "ExceededQuota": ("5.2.2", "smtp; 552 5.2.2 Mailbox full"),
    "ContentRejected": ("5.6.1", "smtp; 500 5.6.1 Message content rejected"),
    "Undefined": ("5.0.0", "smtp; 554 5.0.0 Undefined error"),
    "TemporaryFailure": ("4.0.0", "smtp; 450 4.0.0 Temporary failure"),
}
_FIELD_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")


def _invalid(message: str) -> AwsError:
    return AwsError("InvalidParameterValue", message)


def _extension_fields(fields: list[dict[str, str]]) -> list[tuple[str, str]]:
    """AWS quirk: a name is 1-50 letters, digits and dashes; a value up to 2048 characters
    without line breaks (ExtensionField in the model)."""
    checked = []
    for field in fields:
        name, value = field["Name"], field["Value"]
        if not 1 <= len(name) <= 50 or not set(name) <= _FIELD_NAME_CHARS:
            raise _invalid(f"Invalid extension field name: {name}")
        if len(value) > 2048 or "\r" in value or "\n" in value:
            raise _invalid(f"Invalid value for extension field {name}.")
        checked.append((name, value))
    return checked


def _moment(value: Any) -> float:
    return value.timestamp() if isinstance(value, dt.datetime) else float(value)


def _recipient_block(info: dict[str, Any]) -> list[tuple[str, str]]:
    """One recipient's fields: RecipientDsnFields as given, BounceType's defaults else.

    AWS quirk: each BouncedRecipientInfo needs "either this parameter [BounceType] or
    RecipientDsnFields" [model]."""
    recipient = info["Recipient"]
    problem = outbound.address_problem(bare_address(recipient))
    if problem is not None:
        raise _invalid(problem)
    fields: dict[str, Any] = info.get("RecipientDsnFields") or {}
    bounce_type = info.get("BounceType")
    if not fields and not bounce_type:
        raise _invalid(
            f"Either BounceType or RecipientDsnFields must be specified for {recipient}."
        )
    status, diagnostic = _BOUNCE_TYPES[bounce_type or "Undefined"]
    block = [
        ("Final-Recipient", f"rfc822; {fields.get('FinalRecipient') or recipient}"),
        ("Action", str(fields.get("Action", "failed"))),
    ]
    if fields.get("RemoteMta"):
        block.append(("Remote-MTA", str(fields["RemoteMta"])))
    block.append(("Status", str(fields.get("Status") or status)))
    block.append(("Diagnostic-Code", str(fields.get("DiagnosticCode") or diagnostic)))
    if fields.get("LastAttemptDate") is not None:
        block.append(
            ("Last-Attempt-Date", forwarding.rfc5322_date(_moment(fields["LastAttemptDate"])))
        )
    block += _extension_fields(fields.get("ExtensionFields") or [])
    return block


def _original(tx: Transaction, ctx: RequestContext, message_id: str) -> StoredMessage:
    """The message being bounced: one in the account's mailbox in the region.

    Choice: AWS's refusal of an unknown message id was not found; poolmail answers
    `MessageRejected`, the operation's one modelled error."""
    message = mailbox.load(tx, message_id)
    if message is None or (message.account, message.region) != (ctx.account_id, ctx.region):
        raise AwsError("MessageRejected", f"Could not find the message with id {message_id}.")
    return message


def send_bounce(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    sender = params["BounceSender"]
    problem = outbound.address_problem(bare_address(sender))
    if problem is not None:
        raise _invalid(problem)
    infos: list[dict[str, Any]] = params["BouncedRecipientInfoList"]
    if not infos:
        raise _invalid("BouncedRecipientInfoList must contain at least one recipient.")
    recipients = [_recipient_block(info) for info in infos]
    dsn: dict[str, Any] = params.get("MessageDsn") or {}
    extension_fields = _extension_fields(dsn.get("ExtensionFields") or [])
    reporting_mta = dsn.get("ReportingMta") or f"dns; inbound-smtp.{ctx.region}.amazonaws.com"
    now = ctx.clock.now().timestamp()
    message_id = mailbox.new_message_id(now)
    with ctx.db.transaction() as tx:
        original = _original(tx, ctx, params["OriginalMessageId"])
        identity = covering_identity(tx, ctx.account_id, ctx.region, sender, now)
        if identity is None:
            # As a send from an unverified address is refused (ses/sending/outbound.py).
            raise AwsError(
                "MessageRejected",
                "Email address is not verified. The following identities failed the check "
                f"in region {ctx.region.upper()}: {sender}",
            )
        to = bare_address(original.source)
        raw = forwarding.delivery_status_notification(
            sender=sender,
            to=to,
            reporting_mta=reporting_mta,
            recipients=recipients,
            original=original.raw,
            message_id=message_id,
            now=now,
            explanation=params.get("Explanation"),
            arrival_date=_moment(dsn["ArrivalDate"]) if dsn.get("ArrivalDate") else None,
            extension_fields=extension_fields,
        )
        composed.store_delivered(
            tx,
            message_id,
            (ctx.account_id, ctx.region),
            now,
            origin="ses",
            source=sender,
            to=to,
            subject=forwarding.BOUNCE_SUBJECT,
            raw=raw,
            details={
                "kind": KIND,
                "identity": identity,
                "original_message_id": original.id,
                "destination": {"to": [to], "cc": [], "bcc": []},
            },
            events=[Event("Send", now, {"recipients": [to]}), Event("Delivery", now, {})],
        )
    outbound.relay_delivered(ctx, message_id, "", [to], raw)
    return {"MessageId": message_id}


V1: dict[str, Handler] = {"SendBounce": send_bounce}
V2: dict[str, Handler] = {}
