"""The SMS outbox: every text message a user pool sends (through SNS on AWS) is stored
here, as the mailbox stores mail."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

from poolmail.context import RequestContext


@dataclass(slots=True)
class Sms:
    """One text message a user pool sends."""

    to: str  # E.164
    text: str
    kind: str  # cognito-mfa, cognito-otp, cognito-sign-up, cognito-forgot-password, ...
    pool_id: str
    username: str
    code: str | None = None


def send(ctx: RequestContext, sms: Sms) -> str:
    """Store ``sms`` as sent by the pool in ``ctx``'s account and region; its id."""
    message_id = secrets.token_hex(16)
    data = {
        "text": sms.text,
        "kind": sms.kind,
        "username": sms.username,
        "code": sms.code,
    }
    with ctx.db.transaction() as tx:
        tx.execute(
            "INSERT INTO sms_messages (id, account, region, created_at, pool_id, destination, "
            "status, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                message_id,
                ctx.account_id,
                ctx.region,
                ctx.clock.now().timestamp(),
                sms.pool_id,
                sms.to,
                "delivered",
                json.dumps(data),
            ),
        )
    return message_id
