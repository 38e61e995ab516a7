"""How a user pool's mail leaves: Cognito's own default sender, or the account's SES.

COGNITO_DEFAULT sends from `no-reply@verificationemail.com` (or the From of a SourceArn
identity) through Cognito's account, capped per AWS account per day. DEVELOPER sends
through the SES engine as the pool's account, in the SES identity's region, under every
SES rule; SES's refusal comes back as `CodeDeliveryFailureException` with SES's text.
"""

from __future__ import annotations

import html as html_text
import re
from dataclasses import dataclass
from typing import Any

from poolmail.cognito.pools import log_delivery
from poolmail.context import RequestContext
from poolmail.functions import shaped
from poolmail.mail import composed, mailbox
from poolmail.mail.mailbox import StoredMessage, new_message_id
from poolmail.protocol.errors import AwsError
from poolmail.ses.identities.coverage import bare_address
from poolmail.ses.sending import mime
from poolmail.ses.sending.outbound import (
    IdentityArn,
    Outgoing,
    SendError,
    delivery_events,
    relay_delivered,
    send,
)
from poolmail.store import Transaction

DEFAULT_SENDER = "no-reply@verificationemail.com"
DAY_SECONDS = 86400.0

# AWS's text, seen in aws-amplify/amplify-cli#7412 (AWS_FACTS §2).
DAILY_LIMIT_MESSAGE = (
    "Exceeded daily email limit for the operation or the account. If a higher limit is "
    "required, please configure your user pool to use your own Amazon SES configuration "
    "for sending email."
)
SES_ERROR_PREFIX = (
    "Cognito received the following error from Amazon SES when attempting to send email: "
)


@dataclass(slots=True)
class CognitoEmail:
    """One message a user pool sends: the rendered template and what it carries."""

    to: str
    subject: str
    body: str  # the rendered template; Cognito sends it as HTML
    kind: str  # cognito-sign-up, cognito-invitation, cognito-forgot-password, ...
    pool_id: str
    username: str
    code: str | None = None  # the code or temporary password in the message
    link: str | None = None  # the confirmation link, for link-style sign-up
    # The app client and ClientMetadata of the request, for a custom sender's event.
    client_id: str | None = None
    client_metadata: dict[str, str] | None = None
    # The invocation of the pool's CustomMessage function that shaped it, if one did.
    shaped_by: str | None = None


def _text_of(body: str) -> str:
    # A plain-text alternative of the HTML body, for readers that want text. Without a
    # tag or an entity (AWS's default texts, most templates) there is nothing to undo.
    if "<" not in body and "&" not in body:
        return body
    return html_text.unescape(re.sub(r"<[^>]+>", "", re.sub(r"<br\s*/?>", "\n", body)))


def _details(email: CognitoEmail, sending_account: str, text: str) -> dict[str, Any]:
    return {
        "kind": email.kind,
        "pool_id": email.pool_id,
        "username": email.username,
        "code": email.code,
        "link": email.link,
        "email_sending_account": sending_account,
        "shaped_by": email.shaped_by,
        # The bodies as sent, as SES sends keep theirs: the mailbox's listings show them
        # without parsing the MIME message back (a third of a sign-up's CPU when they did).
        "body": {"text": text, "html": email.body},
    }


def deliver(ctx: RequestContext, pool_settings: dict[str, Any], email: CognitoEmail) -> str:
    """Send ``email`` for the pool whose settings are given; the message id.

    ``ctx`` must carry the pool's account and region. Raises ``LimitExceededException``
    past the default sender's daily cap and ``CodeDeliveryFailureException`` when SES
    refuses the message.
    """
    if (pool_settings.get("LambdaConfig") or {}).get("CustomEmailSender"):
        from poolmail.cognito.triggers import custom_senders

        if custom_senders.replaces(pool_settings, custom_senders.EMAIL):
            # The pool's function sends the mail instead (in the background, as AWS).
            return custom_senders.send(
                ctx,
                custom_senders.EMAIL,
                email.kind,
                email.pool_id,
                email.username,
                email.code,
                client_id=email.client_id,
                metadata=email.client_metadata,
            )
    config = pool_settings.get("EmailConfiguration") or {}
    if not by_default_sender(pool_settings):
        return _through_ses(ctx, config, email, pool_settings)
    return _through_cognito(ctx, config, email)


def _sender(config: dict[str, Any]) -> str:
    if config.get("From"):
        return str(config["From"])
    if config.get("SourceArn"):
        identity = IdentityArn.parse(str(config["SourceArn"])).identity
        # Not found: the From Cognito uses for a domain identity without From; an address
        # of the domain is the plausible choice.
        return identity if "@" in identity else f"no-reply@{identity}"
    return DEFAULT_SENDER


def _build(
    config: dict[str, Any], email: CognitoEmail, message_id: str, ctx: RequestContext, text: str
) -> bytes:
    reply_to = [config["ReplyToEmailAddress"]] if config.get("ReplyToEmailAddress") else []
    headers = mime.Headers(sender=_sender(config), to=[email.to], reply_to=reply_to)
    content = mime.Content(email.subject, text=text, html=email.body)
    return mime.build(headers, content, message_id, ctx.clock.now())


def _through_ses(
    ctx: RequestContext, config: dict[str, Any], email: CognitoEmail, pool_settings: dict[str, Any]
) -> str:
    arn = IdentityArn.parse(str(config["SourceArn"]))
    message_id = new_message_id(ctx.clock.now().timestamp())
    text = _text_of(email.body)
    outgoing = Outgoing(
        message_id=message_id,
        source=_sender(config),
        to=[email.to],
        cc=[],
        bcc=[],
        subject=email.subject,
        raw=_build(config, email, message_id, ctx, text),
        action="ses:SendEmail",
        origin="cognito",
        configuration_set=config.get("ConfigurationSet"),
        details=_details(email, "DEVELOPER", text),
    )
    try:
        # Cognito's service-linked role sends as the pool's account in the identity's
        # region: that account's sandbox and quotas apply there.
        message_id = send(ctx, outgoing, account=ctx.account_id, region=arn.region)
    except SendError as error:
        log_delivery.notification_failed(ctx, pool_settings, email.pool_id, error.message)
        raise AwsError("CodeDeliveryFailureException", SES_ERROR_PREFIX + error.message) from None
    if email.shaped_by is not None:
        with ctx.db.transaction() as tx:
            shaped.link(tx, email.shaped_by, shaped.MAIL, message_id, ctx.clock.now().timestamp())
    return message_id


def by_default_sender(pool_settings: dict[str, Any]) -> bool:
    """Whether the pool's mail goes out through Cognito's own sender (not the pool's SES,
    nor a CustomEmailSender function)."""
    if ((pool_settings.get("LambdaConfig") or {}).get("CustomEmailSender") or {}).get("LambdaArn"):
        return False
    config = pool_settings.get("EmailConfiguration") or {}
    return config.get("EmailSendingAccount") != "DEVELOPER"


def _through_cognito(ctx: RequestContext, config: dict[str, Any], email: CognitoEmail) -> str:
    # The cap is per AWS account (limits.md: "Email messages sent daily per AWS account"),
    # across its pools and regions; the lock keeps it exact across replicas.
    with ctx.db.transaction(lock=default_sender_lock(ctx.account_id)) as tx:
        sent = send_by_default(tx, ctx, config, email)
    if sent.raw is None:
        raise AwsError("LimitExceededException", DAILY_LIMIT_MESSAGE)
    relay_default(ctx, config, sent)
    return sent.message_id


@dataclass(slots=True)
class DefaultSend:
    """A message stored as Cognito's default sender sent it: its id and MIME bytes, or
    None for bytes when the daily cap refused it."""

    message_id: str
    raw: bytes | None
    to: str


def relay_default(ctx: RequestContext, config: dict[str, Any], sent: DefaultSend) -> None:
    """Hand a default-sender message to `--relay` (call it once its transaction has
    committed), as SES mail is: a relay target sees all of a pool's mail."""
    if sent.raw is not None:
        relay_delivered(ctx, sent.message_id, bare_address(_sender(config)), [sent.to], sent.raw)


def default_sender_lock(account: str) -> str:
    return f"poolmail:cognito-default:{account}"


def send_by_default(
    tx: Transaction, ctx: RequestContext, config: dict[str, Any], email: CognitoEmail
) -> DefaultSend:
    """Store ``email`` as sent by Cognito's default sender in ``tx``, or, past the daily
    cap, as refused (no bytes). Once ``tx`` has committed, the caller raises
    ``LimitExceededException`` for a refused message, or relays a sent one
    (``relay_default``).

    ``tx`` holds ``default_sender_lock(ctx.account_id)``, so a caller may create the user
    and mail the code in one transaction (one commit, where a sign-up used to need two).
    """
    moment = ctx.clock.now().timestamp()
    message_id = new_message_id(moment)
    if email.shaped_by is not None:
        shaped.link(tx, email.shaped_by, shaped.MAIL, message_id, moment)
    limit = ctx.settings.cognito_default_daily_email_limit
    if not _counted(tx, ctx.account_id, moment, limit):
        _record_cap_refusal(tx, ctx, config, email, message_id, moment)
        return DefaultSend(message_id, None, email.to)
    tx.execute(
        "INSERT INTO cognito_default_sends (account, region, pool_id, sent_at, message_id) "
        "VALUES (?, ?, ?, ?, ?)",
        (ctx.account_id, ctx.region, email.pool_id, moment, message_id),
    )
    events, status = delivery_events([email.to], moment)
    text = _text_of(email.body)
    raw = _build(config, email, message_id, ctx, text)
    composed.store_delivered(
        tx,
        message_id,
        (ctx.account_id, ctx.region),
        moment,
        origin="cognito",
        source=_sender(config),
        to=email.to,
        subject=email.subject,
        raw=raw,
        details={
            **_details(email, "COGNITO_DEFAULT", text),
            "destination": {"to": [email.to], "cc": [], "bcc": []},
            "identity": bare_address(_sender(config)),
        },
        events=events,
        status=status,
    )
    return DefaultSend(message_id, raw, email.to)


def _counted(tx: Transaction, account: str, now: float, limit: int) -> bool:
    """Count one more default-sender mail in the account's rolling day up to ``now`` (and
    any stamped later, by a replica whose clock runs ahead), unless the day holds
    ``limit`` already: whether it was counted.

    Rows that left the window are dropped as we go, so the running total in
    `cognito_default_totals` is the day's count, and the check costs the same on the
    ten-thousandth sign-up of a day as on the first. The statement that counts the mail
    returns the new total, which spares reading it first: only a refusal (the cap
    reached) takes its count back.
    """
    dropped = tx.execute(
        "DELETE FROM cognito_default_sends WHERE account = ? AND sent_at <= ?",
        (account, now - DAY_SECONDS),
    )
    row = tx.fetchone(_COUNT_SENDS + " RETURNING sends", (account, 1 - dropped))
    if row is not None and int(row[0]) <= limit:
        return True
    _count_default_sends(tx, account, -1)
    return False


def _count_default_sends(tx: Transaction, account: str, change: int) -> None:
    if change == 0:
        return
    tx.execute(_COUNT_SENDS, (account, change))


_COUNT_SENDS = (
    "INSERT INTO cognito_default_totals (account, sends) VALUES (?, ?) "
    "ON CONFLICT (account) DO UPDATE SET sends = cognito_default_totals.sends + excluded.sends"
)


def _record_cap_refusal(
    tx: Transaction,
    ctx: RequestContext,
    config: dict[str, Any],
    email: CognitoEmail,
    message_id: str,
    moment: float,
) -> None:
    # Kept as a refused message (no MIME, no code anybody received), so the console's
    # sending log and `poolmail doctor` can show why the mail never came.
    error = {"kind": "cognito-daily-cap", "message": DAILY_LIMIT_MESSAGE}
    mailbox.store(
        tx,
        StoredMessage(
            id=message_id,
            account=ctx.account_id,
            region=ctx.region,
            created_at=moment,
            status="rejected",
            origin="cognito",
            source=_sender(config),
            recipients=[email.to],
            subject=email.subject,
            raw=None,
            details={**_details(email, "COGNITO_DEFAULT", _text_of(email.body)), "error": error},
            events=[mailbox.Event("Reject", moment, {"reason": DAILY_LIMIT_MESSAGE})],
        ),
    )
