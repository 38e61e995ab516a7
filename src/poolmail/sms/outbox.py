"""The SMS outbox: every text message a user pool sends (through SNS on AWS) is stored
here, as the mailbox stores mail; the one writer of the `sms_messages` table."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from poolmail.context import RequestContext
from poolmail.functions import shaped
from poolmail.store import Transaction

# Every captured text counts as delivered: poolmail emulates no SNS sandbox, spend limit
# or carrier, so nothing between Cognito and the phone refuses one.
DELIVERED = "delivered"


@dataclass(slots=True)
class Sms:
    """One text message a user pool sends."""

    to: str  # E.164
    text: str
    kind: str  # cognito-mfa, cognito-sign-up, cognito-forgot-password, cognito-invitation, ...
    pool_id: str
    username: str
    code: str | None = None  # the code or temporary password the text carries
    # Where SNS would have published it from: SmsConfiguration's SnsRegion (or the End
    # User Messaging region) and the IAM role Cognito would have assumed.
    sns_region: str | None = None
    caller_arn: str | None = None
    # The app client and ClientMetadata of the request, for a CustomSMSSender's event.
    client_id: str | None = None
    client_metadata: dict[str, str] | None = None
    # The invocation of the pool's CustomMessage function that shaped it, if one did.
    shaped_by: str | None = None


def send(ctx: RequestContext, sms: Sms, tx: Transaction | None = None) -> str:
    """Store ``sms`` as sent by the pool in ``ctx``'s account and region; its id.

    In ``tx`` when given (the text then commits with the caller's other writes), in a
    transaction of its own otherwise. Ids are UUIDs, as SNS's Publish answers MessageId.
    """
    message_id = str(uuid.uuid4())
    data = {
        "text": sms.text,
        "kind": sms.kind,
        "username": sms.username,
        "code": sms.code,
        "operation": ctx.operation,
        "sns_region": sms.sns_region,
        "caller_arn": sms.caller_arn,
        "shaped_by": sms.shaped_by,
    }
    moment = ctx.clock.now().timestamp()
    row = (
        message_id,
        ctx.account_id,
        ctx.region,
        moment,
        sms.pool_id,
        sms.to,
        DELIVERED,
        json.dumps(data),
    )
    insert = (
        "INSERT INTO sms_messages (id, account, region, created_at, pool_id, destination, "
        "status, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    )
    if tx is not None:
        _store(tx, insert, row, sms, message_id, moment)
        return message_id
    with ctx.db.transaction() as own:
        _store(own, insert, row, sms, message_id, moment)
    return message_id


def _store(
    tx: Transaction, insert: str, row: tuple[object, ...], sms: Sms, message_id: str, at: float
) -> None:
    tx.execute(insert, row)
    if sms.shaped_by is not None:
        shaped.link(tx, sms.shaped_by, shaped.SMS, message_id, at)
