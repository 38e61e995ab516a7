"""An SMTP listener that accepts mail like SES's SMTP interface (`--smtp-port`).

Mail goes through the same engine as the APIs, under the same rules; refusals come back
with the SMTP replies SES documents (`554 Message rejected: ...`, `454 Throttling
failure: ...`). The listener runs on the server's own event loop.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from starlette.concurrency import run_in_threadpool

from poolmail.context import RequestContext
from poolmail.protocol.errors import AwsError
from poolmail.server.pipeline import Services
from poolmail.ses.receiving import inbound
from poolmail.ses.sending.outbound import SendError, send
from poolmail.ses.sending.sending import V1_LIMIT, raw_outgoing

_ACCOUNT_KEY = re.compile(r"\d{12}")

# SES's SMTP replies for each kind of refusal (manage-sending-quotas-errors, smtp docs).
_REPLIES = {
    "rate": "454 Throttling failure: Maximum sending rate exceeded",
    "daily": "454 Throttling failure: Daily message quota exceeded",
    "paused": "454 Sending suspended for this account",
}


class SesSmtpHandler:
    """aiosmtpd handler: each message is one SendRawEmail by the authenticated account."""

    def __init__(self, services: Services) -> None:
        self.services = services

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        # Mail for the account's own verified domains is received, not sent
        # (ses/receiving/inbound.py says when).
        if inbound.may_be_inbound(session, envelope):
            services = self.services
            refused = await run_in_threadpool(
                inbound.recipient,
                services.settings,
                services.db,
                services.clock,
                session,
                envelope,
                address,
            )
            if refused is not None:
                return refused
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if inbound.is_inbound(envelope):
            services = self.services
            return await run_in_threadpool(
                inbound.receive, services.settings, services.db, services.clock, session, envelope
            )
        account = self._account(session)
        try:
            message_id = await run_in_threadpool(self._send, account, envelope)
        except SendError as error:
            reply = _REPLIES.get(error.kind)
            if reply is None:
                prefix = "Access denied" if error.kind == "access-denied" else "Message rejected"
                reply = f"554 {prefix}: {error.message}"
            return reply
        except AwsError as error:
            return f"554 Message rejected: {error.message}"
        return f"250 Ok {message_id}"

    def _account(self, session: Session) -> str:
        login = session.auth_data
        if isinstance(login, LoginPassword):
            user = login.login.decode("utf-8", "replace")
            if _ACCOUNT_KEY.fullmatch(user):
                return user
        return self.services.settings.account_id

    def _send(self, account: str, envelope: Envelope) -> str:
        settings = self.services.settings
        ctx = RequestContext(
            service="ses",
            operation="SMTP",
            account_id=account,
            region=settings.default_region,
            request_id=str(uuid.uuid4()),
            signed=True,
            db=self.services.db,
            clock=self.services.clock,
            settings=settings,
        )
        content = envelope.original_content or envelope.content or b""
        data = content if isinstance(content, bytes) else content.encode()
        outgoing = raw_outgoing(
            ctx,
            data,
            source=envelope.mail_from or None,
            destinations=list(envelope.rcpt_tos),
            limit=V1_LIMIT,
            too_big=("MessageRejected", None),
            missing_from=("MessageRejected", None),
        )
        outgoing.origin = "smtp"
        return send(ctx, outgoing, account=account, region=ctx.region)


def _accept_any(*_: Any) -> AuthResult:
    # Like the rest of poolmail without --verify-signatures, any credentials are accepted;
    # a 12-digit user name selects that account.
    return AuthResult(success=True)


async def start(services: Services, host: str, port: int) -> asyncio.base_events.Server:
    loop = asyncio.get_running_loop()
    handler = SesSmtpHandler(services)
    return await loop.create_server(
        lambda: SMTP(
            handler,
            hostname="email-smtp.poolmail.local",
            authenticator=_accept_any,
            auth_require_tls=False,
            auth_required=False,
            data_size_limit=V1_LIMIT,
        ),
        host=host,
        port=port,
        # `--workers N`: every worker listens on the port, and the kernel spreads the
        # connections among them.
        reuse_port=services.settings.workers > 1,
    )
