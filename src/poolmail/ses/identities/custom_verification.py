"""Custom verification email templates (SES v1 and v2) and SendCustomVerificationEmail.

The account's own mail, from the template's verified From address, asks an address to
verify itself: the template's content, then the unique link and SES's disclaimer. The
link is an ordinary verification link (``verification.new_link``), so following it
verifies the address exactly as SES's own mail does; this module only remembers where
the reader goes afterwards (the template's success or failure URL).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from poolmail.context import RequestContext
from poolmail.mail.mailbox import new_message_id
from poolmail.operations import Handler
from poolmail.paging import keyset_page
from poolmail.protocol.errors import AwsError
from poolmail.protocol.models import SESV2
from poolmail.ses.account import quota
from poolmail.ses.account.tags import check_tags
from poolmail.ses.identities import verification
from poolmail.ses.identities.coverage import covering_identity
from poolmail.ses.identities.html_subset import content_problem
from poolmail.ses.identities.identities import auto_verifies
from poolmail.ses.identities.verification import EMAIL_ADDRESS, check_name, identity_lock
from poolmail.ses.sending import mime
from poolmail.ses.sending.outbound import Outgoing, SendError
from poolmail.ses.sending.outbound import send as engine_send
from poolmail.store import Database, Transaction

# AWS quirk: "You can create up to 50 custom verification email templates per Amazon
# SES account"; "Custom verification email templates may not exceed 10 MB in size"
# (docs.aws.amazon.com/ses/latest/dg/creating-identities.html#send-email-verify-address-custom-faq).
# Choice: counted per region, where the templates live.
MAX_TEMPLATES = 50
MAX_CONTENT_BYTES = 10 * 1024 * 1024
# AWS quirk: appended to every custom verification mail and cannot be removed (same FAQ).
DISCLAIMER = (
    "If you did not request to verify this email address, please disregard this message. "
    "If you have any concerns, please forward this message to the following "
    '<a href="mailto:ses-enforcement@amazon.com">email address</a> along with your '
    "questions or comments."
)
FIELDS = (
    "FromEmailAddress",
    "TemplateSubject",
    "TemplateContent",
    "SuccessRedirectionURL",
    "FailureRedirectionURL",
)


def _v2(ctx: RequestContext) -> bool:
    return ctx.service == SESV2


# --- errors ---------------------------------------------------------------------------
# Choice: the texts below follow "Custom verification email template <name> already
# exists", which a third-party emulator reports checking against AWS; the others were
# not found and keep its wording.


def _missing(name: str, v2: bool) -> AwsError:
    message = f"Custom verification email template {name} does not exist"
    if v2:
        return AwsError("NotFoundException", message)
    return AwsError(
        "CustomVerificationEmailTemplateDoesNotExistException",
        message,
        fields={"CustomVerificationEmailTemplateName": name},
    )


def _already_exists(name: str, v2: bool) -> AwsError:
    message = f"Custom verification email template {name} already exists"
    if v2:
        return AwsError("AlreadyExistsException", message)
    return AwsError(
        "CustomVerificationEmailTemplateAlreadyExistsException",
        message,
        fields={"CustomVerificationEmailTemplateName": name},
    )


def _from_not_verified(address: str, region: str, v2: bool) -> AwsError:
    # Choice: SES's usual text for an unverified identity; v2 models no specific error
    # for templates, so BadRequestException.
    message = (
        "Email address is not verified. The following identities failed the check in "
        f"region {region.upper()}: {address}"
    )
    if v2:
        return AwsError("BadRequestException", message)
    return AwsError(
        "FromEmailAddressNotVerifiedException", message, fields={"FromEmailAddress": address}
    )


def _invalid_content(message: str, v2: bool) -> AwsError:
    code = "BadRequestException" if v2 else "CustomVerificationEmailInvalidContentException"
    return AwsError(code, message)


# --- storage --------------------------------------------------------------------------


def _load(tx: Transaction, account: str, region: str, name: str) -> dict[str, Any] | None:
    row = tx.fetchone(
        "SELECT data FROM ses_custom_verification_templates "
        "WHERE account = ? AND region = ? AND name = ?",
        (account, region, name),
    )
    return json.loads(row[0]) if row is not None else None


def _check_fields(ctx: RequestContext, tx: Transaction, fields: dict[str, Any], v2: bool) -> None:
    content = fields.get("TemplateContent")
    if content is not None:
        if len(content.encode()) > MAX_CONTENT_BYTES:
            # Choice: AWS's text for an oversized template was not found.
            raise _invalid_content(
                "The custom verification email template content exceeds 10 MB.", v2
            )
        problem = content_problem(content)
        if problem is not None:
            raise _invalid_content(problem, v2)
    sender = fields.get("FromEmailAddress")
    if sender is not None:
        now = ctx.clock.now().timestamp()
        if covering_identity(tx, ctx.account_id, ctx.region, sender, now) is None:
            raise _from_not_verified(sender, ctx.region, v2)


def _create(ctx: RequestContext, params: dict[str, Any]) -> None:
    v2 = _v2(ctx)
    name = params["TemplateName"]
    data = {key: params[key] for key in FIELDS}
    if v2:
        data["Tags"] = check_tags(params.get("Tags") or [])
    now = ctx.clock.now().timestamp()
    lock = f"ses-custom-verification-templates:{ctx.account_id}:{ctx.region}"
    with ctx.db.transaction(lock=lock) as tx:
        if _load(tx, ctx.account_id, ctx.region, name) is not None:
            raise _already_exists(name, v2)
        _check_fields(ctx, tx, data, v2)
        row = tx.fetchone(
            "SELECT COUNT(*) FROM ses_custom_verification_templates "
            "WHERE account = ? AND region = ?",
            (ctx.account_id, ctx.region),
        )
        if row is not None and int(row[0]) >= MAX_TEMPLATES:
            # Choice: AWS's text for the 51st template was not found.
            raise AwsError(
                "LimitExceededException",
                f"You have reached the maximum of {MAX_TEMPLATES} custom verification email "
                "templates.",
            )
        tx.execute(
            "INSERT INTO ses_custom_verification_templates "
            "(account, region, name, created_at, data) VALUES (?, ?, ?, ?, ?)",
            (ctx.account_id, ctx.region, name, now, json.dumps(data)),
        )


def _get(ctx: RequestContext, name: str) -> dict[str, Any]:
    with ctx.db.transaction(readonly=True) as tx:
        data = _load(tx, ctx.account_id, ctx.region, name)
    if data is None:
        raise _missing(name, _v2(ctx))
    return data


def create_custom_verification_email_template(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    _create(ctx, params)
    return {}


def get_custom_verification_email_template(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    name = params["TemplateName"]
    data = _get(ctx, name)
    result = {"TemplateName": name, **{key: data[key] for key in FIELDS}}
    if _v2(ctx):
        result["Tags"] = data.get("Tags") or []
    return result


def update_custom_verification_email_template(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    # "The attributes you specify overwrite the attributes that were originally in the
    # template" (the FAQ above): only the given ones change.
    v2 = _v2(ctx)
    name = params["TemplateName"]
    changes = {key: params[key] for key in FIELDS if params.get(key) is not None}
    lock = f"ses-custom-verification-templates:{ctx.account_id}:{ctx.region}"
    with ctx.db.transaction(lock=lock) as tx:
        data = _load(tx, ctx.account_id, ctx.region, name)
        if data is None:
            raise _missing(name, v2)
        _check_fields(ctx, tx, changes, v2)
        data.update(changes)
        tx.execute(
            "UPDATE ses_custom_verification_templates SET data = ? "
            "WHERE account = ? AND region = ? AND name = ?",
            (json.dumps(data), ctx.account_id, ctx.region, name),
        )
    return {}


def delete_custom_verification_email_template(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    name = params["TemplateName"]
    with ctx.db.transaction() as tx:
        deleted = tx.execute(
            "DELETE FROM ses_custom_verification_templates "
            "WHERE account = ? AND region = ? AND name = ?",
            (ctx.account_id, ctx.region, name),
        )
    # AWS quirk: v1 models no error here, so an unknown name is no error; v2 models
    # NotFoundException.
    if not deleted and _v2(ctx):
        raise _missing(name, True)
    return {}


def list_custom_verification_email_templates(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    v2 = _v2(ctx)
    if v2:
        size = params.get("PageSize")
        if size is not None and not 1 <= size <= 50:
            # AWS quirk: "has to be at least 1, and can be no more than 50" [model].
            raise AwsError("BadRequestException", "PageSize must be between 1 and 50.")
        limit = size or 50
    else:
        # "If you do not specify a value, or if you specify a value less than 1 or
        # greater than 50, the operation returns up to 50 results" [model].
        requested = params.get("MaxResults")
        limit = requested if requested is not None and 1 <= requested <= 50 else 50
    with ctx.db.transaction(readonly=True) as tx:
        rows, token = keyset_page(
            tx,
            "SELECT name, created_at, data FROM ses_custom_verification_templates "
            "WHERE account = ? AND region = ?",
            [ctx.account_id, ctx.region],
            key="name",
            token=params.get("NextToken"),
            token_error="BadRequestException" if v2 else "InvalidParameterValue",
            limit=limit,
        )
    listed = []
    for name, _, raw in rows:
        data = json.loads(raw)
        listed.append(
            {"TemplateName": name} | {key: data[key] for key in FIELDS if key != "TemplateContent"}
        )
    result: dict[str, Any] = {"CustomVerificationEmailTemplates": listed}
    if token:
        result["NextToken"] = token
    return result


# --- sending --------------------------------------------------------------------------


def _body(content: str, link: str) -> str:
    """The template's content with the link and the disclaimer after it ("followed by a
    link that recipients must click", FAQ Q2), inside the body when there is one."""
    added = f'<p><a href="{link}">{link}</a></p><p>{DISCLAIMER}</p>'
    position = content.lower().rfind("</body>")
    if position < 0:
        return content + added
    return content[:position] + added + content[position:]


def send_custom_verification_email(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    v2 = _v2(ctx)
    address, name = params["EmailAddress"], params["TemplateName"]
    check_name(address, EMAIL_ADDRESS, "BadRequestException" if v2 else "InvalidParameterValue")
    with ctx.db.transaction() as tx:
        template = _load(tx, ctx.account_id, ctx.region, name)
        if template is None:
            raise _missing(name, v2)
        limits = quota.limits(tx, ctx.settings, ctx.account_id, ctx.region)
    if not limits.production_access:
        # AWS quirk: custom verification mail needs production access (v1 models
        # ProductionAccessNotGrantedException). Choice: the text, and v2's
        # MessageRejected (v2 models no production-access error).
        message = (
            "Production access has not been granted for this account in region "
            f"{ctx.region.upper()}: custom verification emails can be sent only out of the "
            "sandbox."
        )
        raise AwsError("MessageRejected" if v2 else "ProductionAccessNotGrantedException", message)
    now = ctx.clock.now()
    token = secrets.token_urlsafe(32)
    link = f"{ctx.base_url}{verification.LINK_PATH}{token}"
    message_id = new_message_id(now.timestamp())
    content = mime.Content(
        template["TemplateSubject"], html=_body(template["TemplateContent"], link)
    )
    outgoing = Outgoing(
        message_id=message_id,
        source=template["FromEmailAddress"],
        to=[address],
        cc=[],
        bcc=[],
        subject=content.subject,
        raw=mime.build(
            mime.Headers(sender=template["FromEmailAddress"], to=[address]),
            content,
            message_id,
            now,
        ),
        action="ses:SendCustomVerificationEmail",
        configuration_set=params.get("ConfigurationSetName"),
        details={"custom_verification_template": name, "identity": address, "link": link},
    )
    try:
        engine_send(ctx, outgoing, account=ctx.account_id, region=ctx.region)
    except SendError as error:
        raise _send_refusal(error, v2, template["FromEmailAddress"]) from None
    # The address becomes a pending identity ("Adds an email address to the list of
    # identities ... and attempts to verify it" [model]) once its mail has left.
    moment = now.timestamp()
    with ctx.db.transaction(lock=identity_lock(ctx.account_id, ctx.region, address)) as tx:
        verification.add_pending_address(tx, ctx.account_id, ctx.region, address, moment)
        verification.new_link(
            tx,
            account=ctx.account_id,
            region=ctx.region,
            address=address,
            base_url=ctx.base_url,
            now=moment,
            token=token,
        )
        tx.execute(
            "INSERT INTO ses_custom_verification_links "
            "(token, template, success_url, failure_url) VALUES (?, ?, ?, ?)",
            (token, name, template["SuccessRedirectionURL"], template["FailureRedirectionURL"]),
        )
        if auto_verifies(ctx):
            verification.verify_now(tx, ctx.account_id, ctx.region, address, moment)
    return {"MessageId": message_id}


def _send_refusal(error: SendError, v2: bool, sender: str) -> AwsError:
    if error.kind == "not-verified" and not v2:
        # The template's From stopped being verified after the template was made.
        return AwsError(
            "FromEmailAddressNotVerifiedException",
            error.message,
            fields={"FromEmailAddress": sender},
        )
    codes = {
        "configuration-set": (
            "NotFoundException" if v2 else "ConfigurationSetDoesNotExistException"
        ),
        "paused": quota.PAUSED_CODE_V2 if v2 else quota.PAUSED_CODE_V1,
        "rate": "TooManyRequestsException" if v2 else "Throttling",
        "daily": "LimitExceededException" if v2 else "Throttling",
        "invalid": "BadRequestException" if v2 else "InvalidParameterValue",
    }
    code = codes.get(error.kind, "MessageRejected")
    status = 400 if code in ("Throttling", "InvalidParameterValue") else None
    return AwsError(code, error.message, status=status)


@dataclass(frozen=True, slots=True)
class Redirects:
    success: str
    failure: str


def redirects(db: Database, token: str) -> Redirects | None:
    """Where the reader of a custom verification link goes, or None for SES's own links."""
    with db.transaction(readonly=True) as tx:
        row = tx.fetchone(
            "SELECT success_url, failure_url FROM ses_custom_verification_links WHERE token = ?",
            (token,),
        )
    return Redirects(str(row[0]), str(row[1])) if row is not None else None


_OPERATIONS: dict[str, Handler] = {
    "CreateCustomVerificationEmailTemplate": create_custom_verification_email_template,
    "GetCustomVerificationEmailTemplate": get_custom_verification_email_template,
    "UpdateCustomVerificationEmailTemplate": update_custom_verification_email_template,
    "DeleteCustomVerificationEmailTemplate": delete_custom_verification_email_template,
    "ListCustomVerificationEmailTemplates": list_custom_verification_email_templates,
    "SendCustomVerificationEmail": send_custom_verification_email,
}
# The operations carry the same names in both APIs; each reads its API from the context.
V1: dict[str, Handler] = dict(_OPERATIONS)
V2: dict[str, Handler] = dict(_OPERATIONS)
