"""SES v1 send operations (SendEmail, SendRawEmail, SendTemplatedEmail) and the pieces
SES v2's SendEmail shares with them: each turns its request into an ``outbound.Outgoing``
and maps the engine's refusals to its own API's error codes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from poolmail.context import RequestContext
from poolmail.mail.mailbox import new_message_id
from poolmail.operations import Handler, local_only
from poolmail.protocol.errors import AwsError
from poolmail.ses.identities.coverage import bare_address
from poolmail.ses.sending import mime
from poolmail.ses.sending.outbound import ErrorKind, Outgoing, SendError, address_problem, send
from poolmail.ses.templates import templates

V1_LIMIT = 10 * 1024 * 1024

# The error each API answers for each kind of refusal (v1 codes are model shape names, or
# AWS's unmodelled query codes with their status).
_V1_ERRORS: dict[ErrorKind, tuple[str, int | None]] = {
    "not-verified": ("MessageRejected", None),
    "rejected": ("MessageRejected", None),
    "invalid": ("InvalidParameterValue", 400),
    "configuration-set": ("ConfigurationSetDoesNotExistException", None),
    "paused": ("AccountSendingPausedException", None),
    "set-paused": ("ConfigurationSetSendingPausedException", None),
    "mail-from": ("MailFromDomainNotVerifiedException", None),
    "access-denied": ("AccessDenied", 403),
    "rate": ("Throttling", 400),
    "daily": ("Throttling", 400),
}
# The same table under a public name, for the bulk sender (ses/sending/bulk.py).
V1_ERRORS = _V1_ERRORS
_TAG_NAME = re.compile(r"[A-Za-z0-9_-]*")
_TAG_VALUE = re.compile(r"[A-Za-z0-9_\-.@]*")


def deliver(ctx: RequestContext, outgoing: Outgoing, errors: Mapping[ErrorKind, Any]) -> str:
    try:
        return send(ctx, outgoing, account=ctx.account_id, region=ctx.region)
    except SendError as error:
        raise refusal(error, errors) from None


def refusal(error: SendError, errors: Mapping[ErrorKind, Any]) -> AwsError:
    """SES's refusal as the calling API answers it."""
    code, status = errors[error.kind]
    return AwsError(code, error.message, status=status)


def tags_of(tags: list[dict[str, str]] | None, invalid: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for tag in tags or []:
        name, value = tag.get("Name", ""), tag.get("Value", "")
        if not name:
            raise AwsError(invalid, "The tag name must be specified.", status=400)
        if not value:
            raise AwsError(invalid, "The tag value must be specified.", status=400)
        if not _TAG_NAME.fullmatch(name.removeprefix("ses:")):
            raise AwsError(
                invalid,
                f"Invalid tag name <{name}>: only alphanumeric ASCII characters, '_',  '-' "
                "are allowed.",
                status=400,
            )
        if not _TAG_VALUE.fullmatch(value):
            raise AwsError(
                invalid,
                f"Invalid tag value <{value}>: only alphanumeric ASCII characters, '_',  '-' "
                ", '.', '@' are allowed.",
                status=400,
            )
        found[name] = value
    return found


def simple_outgoing(
    ctx: RequestContext,
    *,
    source: str,
    destination: dict[str, list[str]],
    content: mime.Content,
    reply_to: list[str],
    extra_headers: dict[str, str],
    action: str,
    kind: str,
    errors: Mapping[ErrorKind, Any],
) -> Outgoing:
    message_id = new_message_id(ctx.clock.now().timestamp())
    to = destination.get("ToAddresses", [])
    cc = destination.get("CcAddresses", [])
    # Malformed addresses are refused in SES's words before the message is built (the
    # email package cannot even parse `someone@`).
    for address in [source, *to, *cc, *destination.get("BccAddresses", [])]:
        problem = address_problem(bare_address(address))
        if problem is not None:
            raise refusal(SendError("invalid", problem), errors)
    headers = mime.Headers(sender=source, to=to, cc=cc, reply_to=reply_to, extra=extra_headers)
    try:
        raw = mime.build(headers, content, message_id, ctx.clock.now())
    except ValueError as error:
        # A header value with a line break (the email package refuses to write it). Not
        # found: AWS's text for this refusal; the email package's says what is wrong.
        raise refusal(SendError("invalid", str(error)), errors) from None
    return Outgoing(
        message_id=message_id,
        source=source,
        to=to,
        cc=cc,
        bcc=destination.get("BccAddresses", []),
        subject=content.subject,
        raw=raw,
        action=action,
        # The parts as given, for readers such as /_aws/ses that show them unchanged.
        details={
            "kind": kind,
            "reply_to": reply_to,
            "body": {"text": content.text, "html": content.html},
        },
    )


@local_only
def send_email(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    message = params["Message"]
    body = message["Body"]
    content = mime.Content(
        subject=message["Subject"]["Data"],
        text=body.get("Text", {}).get("Data"),
        html=body.get("Html", {}).get("Data"),
    )
    outgoing = simple_outgoing(
        ctx,
        source=params["Source"],
        destination=params["Destination"],
        content=content,
        reply_to=params.get("ReplyToAddresses", []),
        extra_headers={},
        action="ses:SendEmail",
        kind="ses-send",
        errors=_V1_ERRORS,
    )
    _v1_options(outgoing, params)
    return {"MessageId": deliver(ctx, outgoing, _V1_ERRORS)}


@local_only
def send_templated_email(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with ctx.db.transaction() as tx:
        subject, text, html = templates.render(
            tx, ctx.account_id, ctx.region, params["Template"], params["TemplateData"]
        )
    outgoing = simple_outgoing(
        ctx,
        source=params["Source"],
        destination=params["Destination"],
        content=mime.Content(subject, text, html),
        reply_to=params.get("ReplyToAddresses", []),
        extra_headers={},
        action="ses:SendTemplatedEmail",
        kind="ses-send",
        errors=_V1_ERRORS,
    )
    outgoing.details["template"] = params["Template"]
    outgoing.details["template_data"] = params["TemplateData"]
    _v1_options(outgoing, params)
    return {"MessageId": deliver(ctx, outgoing, _V1_ERRORS)}


def _v1_options(outgoing: Outgoing, params: dict[str, Any]) -> None:
    outgoing.return_path = params.get("ReturnPath")
    outgoing.return_path_arn = params.get("ReturnPathArn")
    outgoing.source_arn = params.get("SourceArn")
    outgoing.configuration_set = params.get("ConfigurationSetName")
    outgoing.tags = tags_of(params.get("Tags"), "InvalidParameterValue")


def raw_outgoing(
    ctx: RequestContext,
    data: bytes,
    *,
    source: str | None,
    destinations: list[str] | None,
    limit: int,
    too_big: tuple[str, int | None],
    missing_from: tuple[str, int | None],
) -> Outgoing:
    if len(data) > limit:
        code, status = too_big
        raise AwsError(
            code, f"Message length is more than {limit} bytes long: '{len(data)}'.", status=status
        )
    raw = mime.parse_raw(data)
    sender = source or raw.sender
    if not sender:
        code, status = missing_from
        raise AwsError(code, "Missing required header 'From'.", status=status)
    message_id = new_message_id(ctx.clock.now().timestamp())
    to = raw.header_addresses("To")
    cc = raw.header_addresses("Cc")
    bcc = raw.header_addresses("Bcc")
    if destinations:
        listed = set(to + cc)
        to, cc, bcc = (
            [a for a in destinations if a in listed],
            [],
            [a for a in destinations if a not in listed],
        )
    others = [str(value) for name in ("From", "Sender") for value in raw.message.get_all(name, [])]
    outgoing = Outgoing(
        message_id=message_id,
        source=sender,
        to=to,
        cc=cc,
        bcc=bcc,
        subject=raw.subject,
        raw=mime.finish_raw(raw, message_id, ctx.clock.now()),
        action="ses:SendRawEmail",
        other_senders=others,
        details={"kind": "ses-send", "raw": True},
    )
    outgoing.configuration_set = raw.control.get("X-SES-CONFIGURATION-SET")
    outgoing.source_arn = raw.control.get("X-SES-SOURCE-ARN") or raw.control.get("X-SES-FROM-ARN")
    outgoing.return_path_arn = raw.control.get("X-SES-RETURN-PATH-ARN")
    return outgoing


@local_only
def send_raw_email(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    outgoing = raw_outgoing(
        ctx,
        params["RawMessage"]["Data"],
        source=params.get("Source"),
        destinations=params.get("Destinations"),
        limit=V1_LIMIT,
        too_big=("MessageRejected", None),
        missing_from=("MessageRejected", None),
    )
    outgoing.source_arn = params.get("SourceArn") or params.get("FromArn") or outgoing.source_arn
    outgoing.return_path_arn = params.get("ReturnPathArn") or outgoing.return_path_arn
    outgoing.configuration_set = params.get("ConfigurationSetName") or outgoing.configuration_set
    outgoing.tags = tags_of(params.get("Tags"), "InvalidParameterValue")
    return {"MessageId": deliver(ctx, outgoing, _V1_ERRORS)}


V1: dict[str, Handler] = {
    "SendEmail": send_email,
    "SendRawEmail": send_raw_email,
    "SendTemplatedEmail": send_templated_email,
}
V2: dict[str, Handler] = {}  # SES v2 SendEmail lives in sending_v2.py
