"""Bulk sending: SES v1 SendBulkTemplatedEmail and SES v2 SendBulkEmail.

One template, up to 50 destinations. What the destinations share (sender identities,
configuration set, sending paused, the template) is checked once and refused for the
whole call; then each destination is rendered with the default template data merged
with its replacement data and sent as its own message through the sending engine, so
the sandbox rule and the quotas apply to it alone and it gets its own status.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.protocol.errors import AwsError
from poolmail.ses.account import multi_region_endpoints
from poolmail.ses.identities.coverage import bare_address
from poolmail.ses.sending import mime
from poolmail.ses.sending.outbound import (
    ErrorKind,
    Outgoing,
    SendError,
    address_problem,
    check_shared,
)
from poolmail.ses.sending.outbound import send as engine_send
from poolmail.ses.sending.sending import V1_ERRORS, refusal, simple_outgoing, tags_of
from poolmail.ses.sending.sending_v2 import V2_ERRORS, V2_TEMPLATE_ERRORS, attach
from poolmail.ses.templates import templates
from poolmail.ses.tenants import associations

# AWS quirk: "The maximum number of destinations you can include in a single call to
# SendBulkTemplatedEmail is 50" [model SendBulkTemplatedEmail].
MAX_DESTINATIONS = 50

# The status each API reports for a destination the engine refused. Choice: a
# destination refused by sending authorisation (its recipients outside a policy's
# ses:Recipients) is `Failed`, the model's catch-all: no status names authorisation.
V1_STATUS: dict[ErrorKind, str] = {
    "not-verified": "MessageRejected",
    "rejected": "MessageRejected",
    "invalid": "InvalidParameterValue",
    "configuration-set": "ConfigurationSetDoesNotExist",
    "paused": "AccountSendingPaused",
    "set-paused": "ConfigurationSetSendingPaused",
    "mail-from": "MailFromDomainNotVerified",
    "access-denied": "Failed",
    "rate": "AccountThrottled",
    "daily": "AccountDailyQuotaExceeded",
}
V2_STATUS: dict[ErrorKind, str] = {
    "not-verified": "MESSAGE_REJECTED",
    "rejected": "MESSAGE_REJECTED",
    "invalid": "INVALID_PARAMETER",
    "configuration-set": "CONFIGURATION_SET_NOT_FOUND",
    "paused": "ACCOUNT_SENDING_PAUSED",
    "set-paused": "CONFIGURATION_SET_SENDING_PAUSED",
    "mail-from": "MAIL_FROM_DOMAIN_NOT_VERIFIED",
    "access-denied": "FAILED",
    "rate": "ACCOUNT_THROTTLED",
    "daily": "ACCOUNT_DAILY_QUOTA_EXCEEDED",
}


@dataclass(slots=True)
class Entry:
    """One destination with its replacements."""

    destination: dict[str, list[str]]
    template_data: str | None
    tags: list[dict[str, str]]
    headers: list[dict[str, str]] = field(default_factory=list)


@dataclass(slots=True)
class Bulk:
    """A bulk call in the engine's terms; ``errors`` and ``statuses`` are its API's."""

    source: str
    reply_to: list[str]
    template_name: str
    parts: templates.Parts
    default_data: str
    default_tags: list[dict[str, str]]
    entries: list[Entry]
    errors: Mapping[ErrorKind, tuple[str, int | None]]
    statuses: Mapping[ErrorKind, str]
    success: str
    invalid_status: str
    tag_error: str
    source_arn: str | None = None
    return_path: str | None = None
    return_path_arn: str | None = None
    configuration_set: str | None = None
    default_headers: list[dict[str, str]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)


def merged_data(default: str, replacement: str | None) -> str:
    """The template data of one destination. Choice: the replacement's top-level keys
    replace the default's, the default's other keys stay (AWS documents only that the
    replacement data is used "in place of" the default for that destination); data that
    is not a JSON object is passed on for the renderer to refuse."""
    if replacement is None:
        return default
    try:
        base, extra = json.loads(default), json.loads(replacement)
    except ValueError:
        return replacement
    if not isinstance(base, dict) or not isinstance(extra, dict):
        return replacement
    return json.dumps({**base, **extra})


def _merged(
    defaults: list[dict[str, str]], replacements: list[dict[str, str]], *, any_case: bool = False
) -> dict[str, str]:
    """Name/value pairs, a replacement overriding the default of the same name (header
    names match in any case). Choice: AWS documents replacements as applying to their
    destination, not whether the defaults they leave out stay; they stay here."""
    found: dict[str, tuple[str, str]] = {}
    for pair in [*defaults, *replacements]:
        key = pair["Name"].lower() if any_case else pair["Name"]
        found[key] = (pair["Name"], pair["Value"])
    return dict(found.values())


def _check_count(count: int, code: str) -> None:
    # Choice: AWS's texts for an empty or oversized list were not found.
    if count == 0:
        raise AwsError(code, "At least one destination must be specified.", status=400)
    if count > MAX_DESTINATIONS:
        raise AwsError(
            code,
            f"Too many destinations: {count}. The maximum number of destinations in one "
            f"call is {MAX_DESTINATIONS}.",
            status=400,
        )


def _shared(ctx: RequestContext, bulk: Bulk) -> None:
    """The checks that refuse the whole call, in SES's order."""
    problem = address_problem(bare_address(bulk.source))
    if problem is not None:
        raise refusal(SendError("invalid", problem), bulk.errors)
    everyone = [
        address
        for entry in bulk.entries
        for kind in ("ToAddresses", "CcAddresses", "BccAddresses")
        for address in entry.destination.get(kind, [])
    ]
    probe = Outgoing(
        message_id="",
        source=bulk.source,
        to=everyone,
        cc=[],
        bcc=[],
        subject="",
        raw=b"",
        action="ses:SendBulkTemplatedEmail",
        return_path=bulk.return_path,
        configuration_set=bulk.configuration_set,
        source_arn=bulk.source_arn,
        return_path_arn=bulk.return_path_arn,
    )
    check_shared(ctx, probe, account=ctx.account_id, region=ctx.region, recipients=len(everyone))


def send_bulk(ctx: RequestContext, bulk: Bulk) -> list[dict[str, str]]:
    """Send every entry of ``bulk``; one status per entry, in order."""
    throttled: SendError | None = None
    try:
        _shared(ctx, bulk)
    except SendError as error:
        if error.kind != "rate":
            raise refusal(error, bulk.errors) from None
        # Choice: a call over the sending rate reports every destination throttled (the
        # status AWS has for it) rather than failing the call.
        throttled = error
    results: list[dict[str, str]] = []
    for entry in bulk.entries:
        if throttled is not None:
            results.append({"Status": bulk.statuses["rate"], "Error": throttled.message})
            continue
        results.append(_send_entry(ctx, bulk, entry))
    return results


def _send_entry(ctx: RequestContext, bulk: Bulk, entry: Entry) -> dict[str, str]:
    data = merged_data(bulk.default_data, entry.template_data)
    try:
        subject, text, html = templates.render_parts(bulk.template_name, bulk.parts, data)
        outgoing = simple_outgoing(
            ctx,
            source=bulk.source,
            destination=entry.destination,
            content=mime.Content(subject, text, html),
            reply_to=bulk.reply_to,
            extra_headers=_merged(bulk.default_headers, entry.headers, any_case=True),
            action="ses:SendBulkTemplatedEmail",
            kind="ses-send",
            errors=bulk.errors,
        )
        tags = _merged(bulk.default_tags, entry.tags)
        outgoing.tags = tags_of(
            [{"Name": name, "Value": value} for name, value in tags.items()], bulk.tag_error
        )
    except AwsError as error:
        return {"Status": bulk.invalid_status, "Error": error.message}
    if bulk.attachments:
        outgoing.raw = attach(outgoing.raw, bulk.attachments)
    outgoing.source_arn = bulk.source_arn
    outgoing.return_path = bulk.return_path
    outgoing.return_path_arn = bulk.return_path_arn
    outgoing.configuration_set = bulk.configuration_set
    outgoing.rate_checked = True
    outgoing.details["template"] = bulk.template_name
    outgoing.details["template_data"] = data
    outgoing.details["bulk"] = True
    try:
        message_id = engine_send(ctx, outgoing, account=ctx.account_id, region=ctx.region)
    except SendError as error:
        return {"Status": bulk.statuses[error.kind], "Error": error.message}
    return {"Status": bulk.success, "MessageId": message_id}


# --- SES v1 ---------------------------------------------------------------------------


def send_bulk_templated_email(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    destinations = params["Destinations"]
    _check_count(len(destinations), "InvalidParameterValue")
    name = params["Template"]
    with ctx.db.transaction(readonly=True) as tx:
        parts = templates.stored_parts(tx, ctx.account_id, ctx.region, name)
    bulk = Bulk(
        source=params["Source"],
        reply_to=params.get("ReplyToAddresses", []),
        template_name=name,
        parts=parts,
        default_data=params["DefaultTemplateData"],
        default_tags=params.get("DefaultTags", []),
        entries=[
            Entry(
                destination=d["Destination"],
                template_data=d.get("ReplacementTemplateData"),
                tags=d.get("ReplacementTags", []),
            )
            for d in destinations
        ],
        errors=V1_ERRORS,
        statuses=V1_STATUS,
        success="Success",
        invalid_status="InvalidParameterValue",
        tag_error="InvalidParameterValue",
        source_arn=params.get("SourceArn"),
        return_path=params.get("ReturnPath"),
        return_path_arn=params.get("ReturnPathArn"),
        configuration_set=params.get("ConfigurationSetName"),
    )
    return {"Status": send_bulk(ctx, bulk)}


# --- SES v2 ---------------------------------------------------------------------------


def _v2_parts(ctx: RequestContext, template: dict[str, Any]) -> tuple[str, templates.Parts]:
    if "TemplateContent" in template:
        inline = template["TemplateContent"]
        return "", (inline.get("Subject", ""), inline.get("Text"), inline.get("Html"))
    name = template.get("TemplateName") or str(template.get("TemplateArn", "")).rpartition("/")[2]
    if not name:
        # Choice: AWS's text for a template given neither by name, ARN nor content.
        raise AwsError(
            "BadRequestException",
            "Template must specify TemplateName, TemplateArn or TemplateContent.",
        )
    try:
        with ctx.db.transaction(readonly=True) as tx:
            return name, templates.stored_parts(tx, ctx.account_id, ctx.region, name)
    except AwsError as error:
        raise AwsError(V2_TEMPLATE_ERRORS.get(error.code, error.code), error.message) from None


def send_bulk_email(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("EndpointId") is not None:
        # A send through a multi-region endpoint runs in the endpoint's primary Region.
        ctx = replace(ctx, region=multi_region_endpoints.for_send(ctx, params["EndpointId"]))
    entries = params["BulkEmailEntries"]
    _check_count(len(entries), "BadRequestException")
    template = params["DefaultContent"].get("Template")
    if template is None:
        # Choice: BulkEmailContent has only Template; AWS's text for an empty one.
        raise AwsError("BadRequestException", "DefaultContent must contain Template.")
    source = params.get("FromEmailAddress")
    if not source:
        raise AwsError("BadRequestException", "Missing required field FromEmailAddress.")
    name, parts = _v2_parts(ctx, template)
    if params.get("TenantName") is not None:
        associations.check_send(
            ctx,
            params["TenantName"],
            source=source,
            source_arn=params.get("FromEmailAddressIdentityArn"),
            configuration_set=params.get("ConfigurationSetName"),
            template=template,
        )
    bulk = Bulk(
        source=source,
        reply_to=params.get("ReplyToAddresses", []),
        template_name=name,
        parts=parts,
        default_data=template.get("TemplateData", "{}"),
        default_tags=params.get("DefaultEmailTags", []),
        entries=[
            Entry(
                destination=e["Destination"],
                template_data=(e.get("ReplacementEmailContent") or {})
                .get("ReplacementTemplate", {})
                .get("ReplacementTemplateData"),
                tags=e.get("ReplacementTags", []),
                headers=e.get("ReplacementHeaders", []),
            )
            for e in entries
        ],
        errors=V2_ERRORS,
        statuses=V2_STATUS,
        success="SUCCESS",
        invalid_status="INVALID_PARAMETER",
        tag_error="BadRequestException",
        source_arn=params.get("FromEmailAddressIdentityArn"),
        return_path=params.get("FeedbackForwardingEmailAddress"),
        return_path_arn=params.get("FeedbackForwardingEmailAddressIdentityArn"),
        configuration_set=params.get("ConfigurationSetName"),
        default_headers=template.get("Headers", []),
        attachments=template.get("Attachments", []),
    )
    return {"BulkEmailEntryResults": send_bulk(ctx, bulk)}


V1: dict[str, Handler] = {"SendBulkTemplatedEmail": send_bulk_templated_email}
V2: dict[str, Handler] = {"SendBulkEmail": send_bulk_email}
