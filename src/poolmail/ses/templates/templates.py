"""SES email templates: one store behind SES v1 (CreateTemplate, ...) and SES v2
(CreateEmailTemplate, ...), rendered with the Handlebars subset of ``handlebars.py``."""

from __future__ import annotations

import json
from email import policy
from email.message import EmailMessage
from typing import Any

from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.paging import keyset_page
from poolmail.protocol.errors import AwsError
from poolmail.ses.account.tags import check_tags
from poolmail.ses.templates import handlebars
from poolmail.store import Transaction

# AWS quirk: 20,000 stored templates per region, each up to 500 KB, text and HTML parts
# together (docs.aws.amazon.com/ses/latest/dg/send-personalized-email-api.html).
MAX_TEMPLATES = 20_000
MAX_TEMPLATE_BYTES = 500 * 1024

Parts = tuple[str, str | None, str | None]


def _missing(name: str) -> AwsError:
    # AWS quirk: "Template foobar does not exist." (real SES text quoted in getmoto/moto#3783).
    return AwsError(
        "TemplateDoesNotExistException",
        f"Template {name} does not exist.",
        fields={"TemplateName": name},
    )


def _load(tx: Transaction, account: str, region: str, name: str) -> dict[str, Any] | None:
    row = tx.fetchone(
        "SELECT data FROM ses_templates WHERE account = ? AND region = ? AND name = ?",
        (account, region, name),
    )
    return json.loads(row[0]) if row is not None else None


def _name_field(name: str) -> dict[str, Any] | None:
    # Inline templates (SES v2 SendEmail) have no name for the error to carry.
    return {"TemplateName": name} if name else None


def _data(template_name: str, data_json: str) -> dict[str, Any]:
    try:
        data = json.loads(data_json)
    except ValueError as exc:
        raise AwsError(
            "InvalidRenderingParameterException",
            f"Template data is not valid JSON: {exc}",
            fields=_name_field(template_name),
        ) from exc
    if not isinstance(data, dict):
        raise AwsError(
            "InvalidRenderingParameterException",
            "Template data must be a JSON object.",
            fields=_name_field(template_name),
        )
    return data


def _render_parts(name: str, parts: Parts, data_json: str) -> Parts:
    data = _data(name, data_json)
    subject, text, html = parts
    try:
        return (
            handlebars.render(subject, data),
            None if text is None else handlebars.render(text, data),
            None if html is None else handlebars.render(html, data),
        )
    except handlebars.MissingAttribute as missing:
        # AWS quirk: the text SES puts in TestRenderTemplate errors and Rendering Failure
        # events ("Attribute 'favoriteanimal' is not present in the rendering data.",
        # moto's aws_verified test_render_template; AWS knowledge center
        # ses-sendtemplatedemail-delivery-failure).
        raise AwsError(
            "MissingRenderingAttributeException",
            f"Attribute '{missing.name}' is not present in the rendering data.",
            fields=_name_field(name),
        ) from None
    except handlebars.TemplateSyntaxError as error:
        raise _invalid(name, str(error)) from None


def render(tx: Transaction, account: str, region: str, template_name: str, data_json: str) -> Parts:
    """(subject, text, html) of a stored template filled with ``data_json``.

    Raises AwsError with the v1 shapes TemplateDoesNotExistException,
    MissingRenderingAttributeException or InvalidRenderingParameterException, and
    InvalidTemplateException for content Handlebars cannot render (a partial that
    includes itself; inline content that does not parse).
    """
    stored = _load(tx, account, region, template_name)
    if stored is None:
        raise _missing(template_name)
    parts = (stored.get("Subject") or "", stored.get("Text"), stored.get("Html"))
    return _render_parts(template_name, parts, data_json)


def stored_parts(tx: Transaction, account: str, region: str, template_name: str) -> Parts:
    """(subject, text, html) of a stored template as written, for senders that render it
    many times (bulk sends); raises TemplateDoesNotExistException."""
    stored = _load(tx, account, region, template_name)
    if stored is None:
        raise _missing(template_name)
    return (stored.get("Subject") or "", stored.get("Text"), stored.get("Html"))


def render_parts(template_name: str, parts: Parts, data_json: str) -> Parts:
    """``parts`` (from ``stored_parts``, or inline content) filled with ``data_json``,
    raising as ``render`` does."""
    return _render_parts(template_name, parts, data_json)


def render_inline(subject: str, text: str | None, html: str | None, data_json: str) -> Parts:
    """Like ``render`` for template content given in the request (SES v2 inline templates);
    content Handlebars cannot parse raises InvalidTemplateException as well."""
    return _render_parts("", (subject, text, html), data_json)


def _invalid(name: str, detail: str) -> AwsError:
    # Not found: SES's wording for a template it cannot parse; this names the problem.
    which = f"Template {name}" if name else "The template"
    return AwsError(
        "InvalidTemplateException", f"{which} is invalid: {detail}", fields=_name_field(name)
    )


def _check_content(name: str, subject: str | None, text: str | None, html: str | None) -> None:
    if not subject:
        # AWS quirk: a template without a subject is refused so (moto's SES backend,
        # matching the message SES returns).
        raise AwsError("InvalidParameterValue", "The subject must be specified.", status=400)
    size = sum(len(part.encode()) for part in (subject, text, html) if part)
    if size > MAX_TEMPLATE_BYTES:
        raise _invalid(name, f"the template is {size} bytes; the maximum is 500 KB.")
    for part in (subject, text, html):
        if part is not None:
            try:
                handlebars.parse(part)
            except handlebars.TemplateSyntaxError as error:
                raise _invalid(name, str(error)) from None


def _v2(error: AwsError) -> AwsError:
    """The SES v2 form of a v1 error: v2 models only a few generic exceptions."""
    code = {
        "TemplateDoesNotExistException": "NotFoundException",
        "AlreadyExistsException": "AlreadyExistsException",
        "LimitExceededException": "LimitExceededException",
    }.get(error.code, "BadRequestException")
    return AwsError(code, error.message)


def _create(
    ctx: RequestContext, name: str, content: tuple[str | None, str | None, str | None], tags: Any
) -> None:
    subject, text, html = content
    _check_content(name, subject, text, html)
    now = ctx.clock.now().timestamp()
    data = {"Subject": subject, "Text": text, "Html": html, "Tags": tags or []}
    with ctx.db.transaction(lock=f"ses-templates:{ctx.account_id}:{ctx.region}") as tx:
        row = tx.fetchone(
            "SELECT COUNT(*) FROM ses_templates WHERE account = ? AND region = ?",
            (ctx.account_id, ctx.region),
        )
        if row is not None and int(row[0]) >= MAX_TEMPLATES:
            raise AwsError(
                "LimitExceededException",
                f"You have reached the maximum of {MAX_TEMPLATES} templates in this region.",
            )
        added = tx.execute(
            "INSERT INTO ses_templates (account, region, name, created_at, data) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (ctx.account_id, ctx.region, name, now, json.dumps(data)),
        )
    if not added:
        # Not found: AWS's exact text for a duplicate name; the model's field is Name.
        raise AwsError(
            "AlreadyExistsException", f"Template {name} already exists.", fields={"Name": name}
        )


def _update(
    ctx: RequestContext, name: str, content: tuple[str | None, str | None, str | None]
) -> None:
    subject, text, html = content
    _check_content(name, subject, text, html)
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction() as tx:
        stored = _load(tx, ctx.account_id, ctx.region, name)
        if stored is None:
            raise _missing(name)
        stored.update({"Subject": subject, "Text": text, "Html": html, "UpdatedAt": now})
        tx.execute(
            "UPDATE ses_templates SET data = ? WHERE account = ? AND region = ? AND name = ?",
            (json.dumps(stored), ctx.account_id, ctx.region, name),
        )


def _get(ctx: RequestContext, name: str) -> dict[str, Any]:
    with ctx.db.transaction(readonly=True) as tx:
        stored = _load(tx, ctx.account_id, ctx.region, name)
    if stored is None:
        raise _missing(name)
    return stored


def _delete(ctx: RequestContext, name: str) -> int:
    with ctx.db.transaction() as tx:
        return tx.execute(
            "DELETE FROM ses_templates WHERE account = ? AND region = ? AND name = ?",
            (ctx.account_id, ctx.region, name),
        )


def _page(
    ctx: RequestContext, limit: int, token: str | None, token_error: str
) -> tuple[list[tuple[str, float]], str | None]:
    with ctx.db.transaction() as tx:
        rows, next_token = keyset_page(
            tx,
            "SELECT name, created_at FROM ses_templates WHERE account = ? AND region = ?",
            [ctx.account_id, ctx.region],
            key="name",
            token=token,
            token_error=token_error,
            limit=limit,
        )
    return [(str(name), float(created)) for name, created in rows], next_token


def _mime(subject: str, text: str | None, html: str | None) -> str:
    """The preview TestRenderTemplate answers: the MIME message SES would build."""
    message = EmailMessage(policy=policy.SMTP)
    message["Subject"] = subject
    if text is not None and html is not None:
        message.set_content(text)
        message.add_alternative(html, subtype="html")
    elif html is not None:
        message.set_content(html, subtype="html")
    else:
        message.set_content(text or "")
    return message.as_string()


# --- SES v1 ---------------------------------------------------------------------------


def _v1_content(template: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    return template.get("SubjectPart"), template.get("TextPart"), template.get("HtmlPart")


def create_template(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    template = params["Template"]
    _create(ctx, template["TemplateName"], _v1_content(template), None)
    return {}


def update_template(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    template = params["Template"]
    _update(ctx, template["TemplateName"], _v1_content(template))
    return {}


def get_template(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["TemplateName"]
    stored = _get(ctx, name)
    template = {
        "TemplateName": name,
        "SubjectPart": stored.get("Subject"),
        "TextPart": stored.get("Text"),
        "HtmlPart": stored.get("Html"),
    }
    return {"Template": {key: value for key, value in template.items() if value is not None}}


def delete_template(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    # AWS quirk: v1 DeleteTemplate models no error; deleting an unknown name succeeds.
    _delete(ctx, params["TemplateName"])
    return {}


def list_templates(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    # AWS quirk: "If more than 100 items are requested, the page size will automatically
    # set to 100. If you do not specify a value, 10 is the default page size." [model]
    requested = params.get("MaxItems")
    limit = 10 if requested is None or requested < 1 else min(requested, 100)
    rows, token = _page(ctx, limit, params.get("NextToken"), "InvalidParameterValue")
    result: dict[str, Any] = {
        "TemplatesMetadata": [{"Name": name, "CreatedTimestamp": at} for name, at in rows]
    }
    if token:
        result["NextToken"] = token
    return result


def test_render_template(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with ctx.db.transaction() as tx:
        parts = render(
            tx, ctx.account_id, ctx.region, params["TemplateName"], params["TemplateData"]
        )
    return {"RenderedTemplate": _mime(*parts)}


# --- SES v2 ---------------------------------------------------------------------------


def _v2_content(content: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    return content.get("Subject"), content.get("Text"), content.get("Html")


def create_email_template(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    try:
        _create(
            ctx,
            params["TemplateName"],
            _v2_content(params["TemplateContent"]),
            check_tags(params.get("Tags") or []),
        )
    except AwsError as error:
        raise _v2(error) from None
    return {}


def update_email_template(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    try:
        _update(ctx, params["TemplateName"], _v2_content(params["TemplateContent"]))
    except AwsError as error:
        raise _v2(error) from None
    return {}


def get_email_template(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["TemplateName"]
    try:
        stored = _get(ctx, name)
    except AwsError as error:
        raise _v2(error) from None
    content = {"Subject": stored.get("Subject"), "Text": stored.get("Text")}
    content["Html"] = stored.get("Html")
    return {
        "TemplateName": name,
        "TemplateContent": {key: value for key, value in content.items() if value is not None},
        "Tags": stored.get("Tags") or [],
    }


def delete_email_template(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["TemplateName"]
    if not _delete(ctx, name):
        raise _v2(_missing(name))
    return {}


def list_email_templates(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    size = params.get("PageSize")
    if size is not None and not 1 <= size <= 100:
        # AWS quirk: "has to be at least 1, and can be no more than 100" [model].
        raise AwsError("BadRequestException", "PageSize must be between 1 and 100.")
    rows, token = _page(ctx, size or 10, params.get("NextToken"), "BadRequestException")
    result: dict[str, Any] = {
        "TemplatesMetadata": [{"TemplateName": name, "CreatedTimestamp": at} for name, at in rows]
    }
    if token:
        result["NextToken"] = token
    return result


def test_render_email_template(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    try:
        result = test_render_template(ctx, params)
    except AwsError as error:
        raise _v2(error) from None
    return result


V1: dict[str, Handler] = {
    "CreateTemplate": create_template,
    "GetTemplate": get_template,
    "UpdateTemplate": update_template,
    "DeleteTemplate": delete_template,
    "ListTemplates": list_templates,
    "TestRenderTemplate": test_render_template,
}
V2: dict[str, Handler] = {
    "CreateEmailTemplate": create_email_template,
    "GetEmailTemplate": get_email_template,
    "UpdateEmailTemplate": update_email_template,
    "DeleteEmailTemplate": delete_email_template,
    "ListEmailTemplates": list_email_templates,
    "TestRenderEmailTemplate": test_render_email_template,
}
