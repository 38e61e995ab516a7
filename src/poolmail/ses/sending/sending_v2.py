"""SES v2 SendEmail: simple, raw and templated content through the same engine as v1."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from poolmail.context import RequestContext
from poolmail.operations import Handler, local_only
from poolmail.protocol.errors import AwsError
from poolmail.ses.account import multi_region_endpoints
from poolmail.ses.contacts import list_management
from poolmail.ses.sending import mime
from poolmail.ses.sending.outbound import ErrorKind
from poolmail.ses.sending.sending import deliver, raw_outgoing, simple_outgoing, tags_of
from poolmail.ses.templates import templates
from poolmail.ses.tenants import associations

V2_LIMIT = 40 * 1024 * 1024

# SES v2 has no Throttling code: a rate overrun is TooManyRequests (429) and, as poolmail
# chooses, a spent daily quota LimitExceeded, both modelled on v2 SendEmail.
V2_ERRORS: dict[ErrorKind, tuple[str, int | None]] = {
    "not-verified": ("MessageRejected", None),
    "rejected": ("MessageRejected", None),
    "invalid": ("BadRequestException", None),
    "configuration-set": ("NotFoundException", None),
    "paused": ("SendingPausedException", None),
    "set-paused": ("SendingPausedException", None),
    "mail-from": ("MailFromDomainNotVerifiedException", None),
    "access-denied": ("AccessDeniedException", 403),
    "rate": ("TooManyRequestsException", None),
    "daily": ("LimitExceededException", None),
}
V2_TEMPLATE_ERRORS = {
    "TemplateDoesNotExistException": "NotFoundException",
    "MissingRenderingAttributeException": "BadRequestException",
    "InvalidRenderingParameterException": "BadRequestException",
    "InvalidTemplateException": "BadRequestException",
}


def _v2_template(ctx: RequestContext, template: dict[str, Any]) -> mime.Content:
    data = template.get("TemplateData", "{}")
    try:
        if "TemplateContent" in template:
            inline = template["TemplateContent"]
            subject, text, html = templates.render_inline(
                inline.get("Subject", ""), inline.get("Text"), inline.get("Html"), data
            )
        else:
            name = (
                template.get("TemplateName")
                or str(template.get("TemplateArn", "")).rpartition("/")[2]
            )
            with ctx.db.transaction() as tx:
                subject, text, html = templates.render(tx, ctx.account_id, ctx.region, name, data)
    except AwsError as error:
        raise AwsError(V2_TEMPLATE_ERRORS.get(error.code, error.code), error.message) from None
    return mime.Content(subject, text, html)


def attach(raw: bytes, attachments: list[dict[str, Any]]) -> bytes:
    message = mime.parse_raw(raw).message
    if not message.is_multipart():
        message.make_mixed()
    for attachment in attachments:
        maintype, _, subtype = attachment.get("ContentType", "application/octet-stream").partition(
            "/"
        )
        message.add_attachment(
            attachment["RawContent"],
            maintype=maintype,
            subtype=subtype or "octet-stream",
            filename=attachment["FileName"],
        )
    return message.as_bytes()


def _v2_headers(headers: list[dict[str, str]] | None) -> dict[str, str]:
    return {header["Name"]: header["Value"] for header in headers or []}


@local_only
def send_email(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("EndpointId") is not None:
        # A send through a multi-region endpoint runs in the endpoint's primary Region.
        ctx = replace(ctx, region=multi_region_endpoints.for_send(ctx, params["EndpointId"]))
    content = params["Content"]
    destination = params.get("Destination", {})
    source = params.get("FromEmailAddress")
    if "Raw" in content:
        outgoing = raw_outgoing(
            ctx,
            content["Raw"]["Data"],
            source=source,
            destinations=None,
            limit=V2_LIMIT,
            too_big=("MessageRejected", None),
            missing_from=("BadRequestException", None),
        )
        listed = [*outgoing.recipients]
        extra = [
            a
            for a in (
                destination.get("ToAddresses", [])
                + destination.get("CcAddresses", [])
                + destination.get("BccAddresses", [])
            )
            if a not in listed
        ]
        outgoing.bcc += extra
    else:
        if not source:
            raise AwsError("BadRequestException", "Missing required field FromEmailAddress.")
        if "Simple" in content:
            simple = content["Simple"]
            body = simple.get("Body", {})
            body_content = mime.Content(
                subject=simple["Subject"]["Data"],
                text=body.get("Text", {}).get("Data"),
                html=body.get("Html", {}).get("Data"),
            )
            headers = _v2_headers(simple.get("Headers"))
            attachments = simple.get("Attachments", [])
        elif "Template" in content:
            template = list_management.keep_placeholder(
                content["Template"], params.get("ListManagementOptions")
            )
            body_content = _v2_template(ctx, template)
            headers = _v2_headers(content["Template"].get("Headers"))
            attachments = content["Template"].get("Attachments", [])
        else:
            raise AwsError("BadRequestException", "Content must contain Simple, Raw or Template.")
        outgoing = simple_outgoing(
            ctx,
            source=source,
            destination=destination,
            content=body_content,
            reply_to=params.get("ReplyToAddresses", []),
            extra_headers=headers,
            action="ses:SendEmail",
            kind="ses-send",
            errors=V2_ERRORS,
        )
        if attachments:
            outgoing.raw = attach(outgoing.raw, attachments)
    outgoing.source_arn = params.get("FromEmailAddressIdentityArn") or outgoing.source_arn
    outgoing.return_path = params.get("FeedbackForwardingEmailAddress")
    outgoing.return_path_arn = params.get("FeedbackForwardingEmailAddressIdentityArn")
    outgoing.configuration_set = params.get("ConfigurationSetName") or outgoing.configuration_set
    outgoing.tags = tags_of(
        [{"Name": t["Name"], "Value": t["Value"]} for t in params.get("EmailTags", [])],
        "BadRequestException",
    )
    list_management.prepare(ctx, outgoing, params.get("ListManagementOptions"))
    if params.get("TenantName") is not None:
        associations.check_send(
            ctx,
            params["TenantName"],
            source=outgoing.source,
            source_arn=outgoing.source_arn,
            configuration_set=outgoing.configuration_set,
            template=content.get("Template"),
        )
        outgoing.details["tenant"] = params["TenantName"]
    return {"MessageId": deliver(ctx, outgoing, V2_ERRORS)}


V1: dict[str, Handler] = {}
V2: dict[str, Handler] = {"SendEmail": send_email}
