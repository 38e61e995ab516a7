"""The receipt rule actions, run in order on one received message: S3, SNS, Lambda, Bounce,
AddHeader and Stop (WorkMail and Connect are recorded as not delivered).

Deliveries to other services go to the outbox (aws_services/outbox.py) and are stored with
the message in one transaction (`Run.finish`), so a message is never half-received; a
Lambda action with InvocationType RequestResponse runs at its place in the order (its
answer decides what runs next), one with Event after the message is stored.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesHeaderParser
from email.utils import format_datetime, make_msgid
from typing import Any

from poolmail import functions
from poolmail.aws_services import outbox
from poolmail.clock import Clock
from poolmail.config import Settings
from poolmail.mail import mailbox
from poolmail.ses.receiving import notifications
from poolmail.ses.receiving.verdicts import Verdicts
from poolmail.store import Database, Transaction

log = logging.getLogger("poolmail.ses.inbound")

CONTINUE = "CONTINUE"
STOP_RULE = "STOP_RULE"
STOP_RULE_SET = "STOP_RULE_SET"
# "The RequestResponse invocation ... times out after 30 seconds" (receiving quotas).
REQUEST_RESPONSE_DEADLINE = 30.0
# An Event invocation is not waited for; the function's own timeout still ends it.
EVENT_DEADLINE = 900.0
# "Amazon SNS ... email ... up to 150 KB; larger emails bounce" (receiving quotas).
SNS_CONTENT_LIMIT = 150 * 1024
# What the receipt notification's `action.type` says for each action key.
_TYPES = {
    "S3Action": "S3",
    "SNSAction": "SNS",
    "LambdaAction": "Lambda",
    "BounceAction": "Bounce",
    "StopAction": "Stop",
    "WorkmailAction": "WorkMail",
    "AddHeaderAction": "AddHeader",
    "ConnectAction": "Connect",
}
_NOT_EMULATED = {
    "WorkmailAction": "Not delivered: poolmail does not emulate Amazon WorkMail",
    "ConnectAction": "Not delivered: poolmail does not emulate Amazon Connect",
}


def _region_of(arn: str, default: str) -> str:
    parts = arn.split(":")
    return parts[3] if len(parts) > 5 and parts[3] else default


@dataclass
class Pending:
    """An outbox record to store with the message."""

    source: str
    target: outbox.Target
    payload: str


@dataclass
class Run:
    """One message going through the active rule set's rules."""

    settings: Settings
    db: Database
    clock: Clock
    account: str
    region: str
    message_id: str
    verdicts: Verdicts
    mail_from: str
    recipients: list[str]
    received_at: float
    started: float  # perf_counter at the start of processing: processingTimeMillis
    message: bytes  # grows with each AddHeader action
    scanned: bool
    outcomes: list[dict[str, Any]] = field(default_factory=list)
    pending: list[Pending] = field(default_factory=list)
    bounces: list[mailbox.StoredMessage] = field(default_factory=list)
    later: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    # --- the notification's parts ---------------------------------------------------------

    def _mail(self) -> dict[str, Any]:
        return notifications.mail_object(
            timestamp=self.received_at,
            source=self.mail_from,
            message_id=self.message_id,
            message=self.message,
        )

    def _receipt(self, recipients: list[str], action: dict[str, Any]) -> dict[str, Any]:
        return notifications.receipt_object(
            timestamp=self.received_at,
            processing_ms=int((time.perf_counter() - self.started) * 1000),
            recipients=recipients,
            verdicts=self.verdicts,
            scanned=self.scanned,
            action=action,
        )

    def _notify(
        self,
        rule: str,
        topic: str,
        recipients: list[str],
        action: dict[str, Any],
        content: bytes | None = None,
        encoding: str = "UTF-8",
    ) -> None:
        notification = notifications.received(
            self._mail(), self._receipt(recipients, action), content, encoding
        )
        target = outbox.Target(
            "sns",
            topic,
            _region_of(topic, self.region),
            {"subject": notifications.SNS_SUBJECT},
        )
        self.pending.append(Pending(f"ses:receipt:{rule}", target, json.dumps(notification)))

    def _record(self, rule: str, kind: str, recipients: list[str], **detail: Any) -> None:
        self.outcomes.append(
            {"rule": rule, "type": _TYPES.get(kind, kind), "recipients": recipients, **detail}
        )

    # --- the rules ------------------------------------------------------------------------

    def run_rule(self, rule: dict[str, Any], recipients: list[str]) -> str:
        """Run the rule's actions in order; STOP_RULE_SET when no later rule may run."""
        name = str(rule.get("Name", ""))
        for action in rule.get("Actions") or []:
            if not isinstance(action, dict) or not action:
                continue
            kind, config = next(iter(action.items()))
            disposition = self._run_action(name, kind, config or {}, recipients)
            if disposition == STOP_RULE:
                return CONTINUE
            if disposition == STOP_RULE_SET:
                return STOP_RULE_SET
        return CONTINUE

    def _run_action(
        self, rule: str, kind: str, config: dict[str, Any], recipients: list[str]
    ) -> str:
        topic = config.get("TopicArn")
        if kind == "S3Action":
            bucket = str(config["BucketName"])
            key = f"{config.get('ObjectKeyPrefix') or ''}{self.message_id}"
            target = outbox.Target(
                "s3", f"arn:aws:s3:::{bucket}", self.region, {"key": key, "encoding": "base64"}
            )
            payload = base64.b64encode(self.message).decode("ascii")
            self.pending.append(Pending(f"ses:receipt:{rule}", target, payload))
            if topic:
                # Real notifications carry the prefix even when empty, and the whole key.
                action = {
                    "type": "S3",
                    "topicArn": topic,
                    "bucketName": bucket,
                    "objectKeyPrefix": str(config.get("ObjectKeyPrefix") or ""),
                    "objectKey": key,
                }
                self._notify(rule, topic, recipients, action)
            self._record(rule, kind, recipients, status="queued", bucket=bucket, key=key)
            return CONTINUE
        if kind == "SNSAction":
            encoding = str(config.get("Encoding") or "UTF-8")
            action = {"type": "SNS", "topicArn": str(config["TopicArn"]), "encoding": encoding}
            if len(self.message) > SNS_CONTENT_LIMIT:
                # Choice: the bounce a sender of a too-large message gets is the Bounce
                # action's own for 552 5.3.4 ("Message too large").
                self._bounce_to_sender(rule, recipients, "552", "5.3.4", "Message too large")
                self._record(rule, kind, recipients, status="bounced", reason="larger than 150 KB")
                return CONTINUE
            self._notify(rule, str(config["TopicArn"]), recipients, action, self.message, encoding)
            self._record(rule, kind, recipients, status="queued", topic=config["TopicArn"])
            return CONTINUE
        if kind == "LambdaAction":
            return self._lambda(rule, config, recipients)
        if kind == "BounceAction":
            action = {
                "type": "Bounce",
                "smtpReplyCode": str(config["SmtpReplyCode"]),
                "statusCode": str(config.get("StatusCode") or ""),
                "message": str(config["Message"]),
                "sender": str(config["Sender"]),
            }
            if not action["statusCode"]:
                del action["statusCode"]
            sent = self._bounce_to_sender(
                rule,
                recipients,
                action["smtpReplyCode"],
                action.get("statusCode", ""),
                action["message"],
                sender=action["sender"],
            )
            if topic:
                self._notify(rule, topic, recipients, {**action, "topicArn": topic})
            status = "sent" if sent else "not sent: the message has no envelope sender"
            self._record(rule, kind, recipients, status=status, to=self.mail_from)
            return CONTINUE
        if kind == "AddHeaderAction":
            name, value = str(config["HeaderName"]), str(config["HeaderValue"])
            linesep = b"\r\n" if b"\r\n" in self.message else b"\n"
            # Choice: the header goes on top of the message, above SES's own.
            self.message = f"{name}: {value}".encode() + linesep + self.message
            self._record(rule, kind, recipients, status="added", header=f"{name}: {value}")
            return CONTINUE
        if kind == "StopAction":
            if topic:
                self._notify(rule, topic, recipients, {"type": "Stop", "topicArn": topic})
            self._record(rule, kind, recipients, status="stopped")
            return STOP_RULE_SET
        reason = _NOT_EMULATED.get(kind, f"Not delivered: unknown action {kind}")
        if kind == "WorkmailAction" and topic:
            action = {
                "type": "WorkMail",
                "topicArn": topic,
                "organizationArn": str(config.get("OrganizationArn", "")),
            }
            self._notify(rule, topic, recipients, action)
        self._record(rule, kind, recipients, status="not delivered", reason=reason)
        return CONTINUE

    def _lambda(self, rule: str, config: dict[str, Any], recipients: list[str]) -> str:
        arn = str(config["FunctionArn"])
        invocation = str(config.get("InvocationType") or "Event")
        topic = config.get("TopicArn")
        action: dict[str, Any] = {"type": "Lambda"}
        if topic:
            action["topicArn"] = topic
        action.update(functionArn=arn, invocationType=invocation)
        if topic:
            self._notify(rule, topic, recipients, action)
        event = notifications.lambda_event(self._mail(), self._receipt(recipients, action))
        if invocation != "RequestResponse":
            self.later.append((arn, event))
            self._record(rule, "LambdaAction", recipients, status="started", function=arn)
            return CONTINUE
        try:
            output = functions.invoke(
                self.settings,
                self.db,
                self.clock,
                arn,
                event,
                self._caller(),
                deadline=REQUEST_RESPONSE_DEADLINE,
            )
        except functions.FunctionFailure as failure:
            # Choice: a failed synchronous invocation does not stop the rule set; what
            # failed is kept with the message.
            self._record(
                rule, "LambdaAction", recipients, status="failed", function=arn, error=str(failure)
            )
            return CONTINUE
        # "disposition ... STOP_RULE, STOP_RULE_SET or CONTINUE; an invalid or missing
        # value is CONTINUE" (receiving-email-action-lambda-example-functions.html).
        disposition = output.get("disposition") if isinstance(output, dict) else None
        if disposition not in (STOP_RULE, STOP_RULE_SET):
            disposition = CONTINUE
        self._record(
            rule,
            "LambdaAction",
            recipients,
            status="invoked",
            function=arn,
            disposition=disposition,
        )
        return str(disposition)

    def _caller(self) -> functions.Caller:
        return functions.Caller(self.account, self.region, "ses:receipt-rule", self.message_id)

    def _bounce_to_sender(
        self,
        rule: str,
        recipients: list[str],
        reply_code: str,
        status_code: str,
        text: str,
        *,
        sender: str | None = None,
    ) -> bool:
        """A delivery status notification (RFC 3464) to the envelope sender, kept in the
        mailbox like the mail SES sends; False when the message had no envelope sender
        (a bounce is never answered with a bounce, RFC 5321 4.5.5)."""
        if not self.mail_from:
            return False
        sender = sender or f"MAILER-DAEMON@{self.region}.amazonses.com"
        raw = dsn(
            sender=sender,
            to=self.mail_from,
            recipients=recipients,
            reply_code=reply_code,
            status_code=status_code or _status_for(reply_code),
            text=text,
            original=self.message,
            at=self.received_at,
        )
        bounce_id = mailbox.new_message_id(self.received_at)
        self.bounces.append(
            mailbox.StoredMessage(
                id=bounce_id,
                account=self.account,
                region=self.region,
                created_at=self.received_at,
                status="delivered",
                origin="ses",
                source=sender,
                recipients=[self.mail_from],
                subject="Delivery Status Notification (Failure)",
                raw=raw,
                details={
                    "kind": "ses-receipt-bounce",
                    "destination": {"ToAddresses": [self.mail_from]},
                    "inbound_message_id": self.message_id,
                    "rule": rule,
                },
            )
        )
        return True

    # --- the end --------------------------------------------------------------------------

    def finish(self, tx: Transaction, stored: mailbox.StoredMessage) -> None:
        settings = self.settings
        for record in self.pending:
            record_id = outbox.add(
                tx,
                settings,
                account=self.account,
                source=record.source,
                owner=self.message_id,
                target=record.target,
                payload=record.payload,
                now=self.received_at,
            )
            log.debug("receipt delivery %s to %s", record_id, record.target.arn)
        for bounce in self.bounces:
            mailbox.store(tx, bounce)
        mailbox.store(tx, stored)

    def start_later(self) -> None:
        """The Event invocations, once the message is stored: not waited for."""
        for arn, event in self.later:
            thread = threading.Thread(
                target=self._invoke_later, args=(arn, event), name="ses-receipt-lambda", daemon=True
            )
            thread.start()

    def _invoke_later(self, arn: str, event: dict[str, Any]) -> None:
        try:
            functions.invoke(
                self.settings,
                self.db,
                self.clock,
                arn,
                event,
                self._caller(),
                deadline=EVENT_DEADLINE,
            )
        except functions.FunctionFailure as failure:  # recorded with the invocation
            log.info("receipt rule Lambda %s failed: %s", arn, failure)
        except Exception:  # a background thread must not die silently
            log.exception("receipt rule Lambda %s could not run", arn)


def _status_for(reply_code: str) -> str:
    # The Bounce action's templates (receiving-email-action-bounce.html).
    return {
        "550": "5.1.1",
        "552": "5.3.4",
        "500": "5.6.1",
        "554": "5.0.0",
        "450": "4.0.0",
    }.get(reply_code, "5.0.0" if reply_code.startswith("5") else "4.0.0")


def dsn(
    *,
    sender: str,
    to: str,
    recipients: list[str],
    reply_code: str,
    status_code: str,
    text: str,
    original: bytes,
    at: float,
) -> bytes:
    """A multipart/report delivery status notification (RFC 3464) for ``recipients``."""
    from email.mime.base import MIMEBase
    from email.mime.multipart import MIMEMultipart
    from email.mime.text import MIMEText

    when = format_datetime(dt.datetime.fromtimestamp(at, dt.UTC))
    report = MIMEMultipart("report", report_type="delivery-status")
    report["From"] = sender
    report["To"] = to
    report["Subject"] = "Delivery Status Notification (Failure)"
    report["Date"] = when
    report["Message-ID"] = make_msgid(domain="amazonses.com")
    explanation = (
        "An error occurred while trying to deliver the mail to the following recipients:\n"
        + "\n".join(recipients)
        + f"\n\n{text}\n"
    )
    report.attach(MIMEText(explanation, "plain"))
    # message/delivery-status holds header blocks: the message's, then one a recipient.
    status = MIMEBase("message", "delivery-status")
    first = Message()
    first["Reporting-MTA"] = "dns; amazonses.com"
    first["Arrival-Date"] = when
    blocks: list[Message | str] = [first]
    for recipient in recipients:
        block = Message()
        block["Final-Recipient"] = f"rfc822; {recipient}"
        block["Action"] = "failed"
        block["Status"] = status_code
        block["Diagnostic-Code"] = f"smtp; {reply_code} {status_code} {text}"
        blocks.append(block)
    status.set_payload(blocks)
    report.attach(status)
    headers = BytesHeaderParser().parsebytes(original)
    returned = MIMEBase("text", "rfc822-headers")
    returned.set_payload("".join(f"{name}: {value}\n" for name, value in headers.items()))
    report.attach(returned)
    return report.as_bytes()


def new_message_id() -> str:
    """An id like SES's for received mail: 40 characters of base32hex, lower case
    (`7k822gft4kqtq4dgji1sqdhnqgqnj9bsv76lqoo1`)."""
    return base64.b32hexencode(uuid.uuid4().bytes + uuid.uuid4().bytes[:9]).decode().lower()[:40]
