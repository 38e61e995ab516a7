"""Predictive inbox placement tests: CreateDeliverabilityTestReport and the reports it
makes (Get, List).

AWS sends the sample message to seed mailboxes at several providers and reports, about
24 hours later, where it landed [model]. poolmail has no seed mailboxes: the message is
built as SES would send it and kept in the report, which completes after
``TEST_SECONDS`` of poolmail's clock (advance the clock to skip the wait).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from email.utils import parseaddr
from typing import Any

from poolmail.context import RequestContext
from poolmail.mail.mailbox import new_message_id
from poolmail.operations import Handler, local_only
from poolmail.paging import keyset_page
from poolmail.protocol.errors import AwsError
from poolmail.ses.account import quota
from poolmail.ses.account.tags import check_tags
from poolmail.ses.dedicated_ips.pools import page_size
from poolmail.ses.deliverability import dashboard
from poolmail.ses.identities.coverage import covering_identity
from poolmail.ses.sending import mime
from poolmail.ses.sending.sending_v2 import V2_TEMPLATE_ERRORS
from poolmail.ses.templates import templates

# Choice: AWS takes about 24 hours; a local test should not wait that long, nor finish so
# fast that IN_PROGRESS is never seen.
TEST_SECONDS = 10.0
# Choice: the providers whose placement a report lists: the four largest mailbox
# providers AWS's seed list covers.
SEED_PROVIDERS = ("Gmail", "Hotmail", "Yahoo", "AOL")


def _bad(message: str) -> AwsError:
    return AwsError("BadRequestException", message)


def _message(ctx: RequestContext, sender: str, content: dict[str, Any], now: float) -> bytes:
    """The sample message, as SES would build it from SendEmail's Content."""
    message_id = new_message_id(now)
    sent = dt.datetime.fromtimestamp(now, dt.UTC)
    if "Raw" in content:
        raw = mime.parse_raw(content["Raw"]["Data"])
        if raw.message.get("From") is None:
            raw.message["From"] = sender
        return mime.finish_raw(raw, message_id, sent)
    if "Simple" in content:
        simple = content["Simple"]
        body = simple.get("Body") or {}
        parts = mime.Content(
            subject=simple["Subject"]["Data"],
            text=(body.get("Text") or {}).get("Data"),
            html=(body.get("Html") or {}).get("Data"),
        )
        extra = {header["Name"]: header["Value"] for header in simple.get("Headers") or []}
    elif "Template" in content:
        template = content["Template"]
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
                with ctx.db.transaction(readonly=True) as tx:
                    subject, text, html = templates.render(
                        tx, ctx.account_id, ctx.region, name, data
                    )
        except AwsError as error:
            code = V2_TEMPLATE_ERRORS.get(error.code, error.code)
            raise AwsError(code, error.message) from None
        parts = mime.Content(subject, text, html)
        extra = {header["Name"]: header["Value"] for header in template.get("Headers") or []}
    else:
        raise _bad("Content must contain Simple, Raw or Template.")
    return mime.build(mime.Headers(sender=sender, extra=extra), parts, message_id, sent)


def _subject(raw: bytes) -> str:
    return str(mime.parse_raw(raw).message.get("Subject", ""))


def create_deliverability_test_report(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    sender = params["FromEmailAddress"]
    tags = check_tags(params.get("Tags") or [])
    now = ctx.clock.now().timestamp()
    address = parseaddr(sender)[1]
    if "@" not in address:
        raise _bad(f"Invalid FromEmailAddress: {sender}")
    with ctx.db.transaction(readonly=True) as tx:
        # Choice: the tests come with the dashboard subscription ("you also gain the
        # ability to perform predictive inbox placement tests" [model]).
        dashboard.require(tx, ctx.account_id, ctx.region, now)
        account = quota.find_account(tx, ctx.account_id, ctx.region) or {}
        if not quota.limits_of(account, ctx.settings).sending_enabled:
            raise AwsError("SendingPausedException", quota.PAUSED_MESSAGE)
        if covering_identity(tx, ctx.account_id, ctx.region, address, now) is None:
            # The sender's check and answer, as for SendEmail (ses/sending/outbound.py).
            raise AwsError(
                "MessageRejected",
                "Email address is not verified. The following identities failed the check "
                f"in region {ctx.region.upper()}: {sender}",
            )
    raw = _message(ctx, sender, params["Content"], now)
    report_id = secrets.token_hex(16)
    data = {
        "ReportName": params.get("ReportName"),
        "FromEmailAddress": sender,
        "Subject": _subject(raw),
        "Message": raw.decode("utf-8", "replace"),
        "Tags": tags,
    }
    with ctx.db.transaction() as tx:
        tx.execute(
            "INSERT INTO ses_deliverability_test_reports "
            "(account, region, report_id, created_at, data) VALUES (?, ?, ?, ?, ?)",
            (ctx.account_id, ctx.region, report_id, now, json.dumps(data)),
        )
    return {"ReportId": report_id, "DeliverabilityTestStatus": "IN_PROGRESS"}


def _status(created_at: float, now: float) -> str:
    return "COMPLETED" if now >= created_at + TEST_SECONDS else "IN_PROGRESS"


def _summary(report_id: str, created_at: float, data: dict[str, Any], now: float) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "ReportId": report_id,
        "Subject": data["Subject"],
        "FromEmailAddress": data["FromEmailAddress"],
        "CreateDate": created_at,
        "DeliverabilityTestStatus": _status(created_at, now),
    }
    if data.get("ReportName"):
        summary["ReportName"] = data["ReportName"]
    return summary


def placement() -> dict[str, float]:
    """Choice: every seed mailbox receives the message in its inbox (poolmail filters no
    mail as spam), and it passes SPF and DKIM: SES sends from its own MAIL FROM domain
    (or the identity's verified custom one) and signs every message with its
    amazonses.com key."""
    return {
        "InboxPercentage": 100.0,
        "SpamPercentage": 0.0,
        "MissingPercentage": 0.0,
        "SpfPercentage": 100.0,
        "DkimPercentage": 100.0,
    }


@local_only
def get_deliverability_test_report(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    report_id = params["ReportId"]
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction(readonly=True) as tx:
        row = tx.fetchone(
            "SELECT created_at, data FROM ses_deliverability_test_reports "
            "WHERE account = ? AND region = ? AND report_id = ?",
            (ctx.account_id, ctx.region, report_id),
        )
    if row is None:
        # Choice: AWS's text was not found; this one names the report.
        raise AwsError("NotFoundException", f"Deliverability test report <{report_id}> not found.")
    created_at, data = float(row[0]), json.loads(row[1])
    done = _status(created_at, now) == "COMPLETED"
    # While the test runs there is no placement yet: the required members come empty.
    return {
        "DeliverabilityTestReport": _summary(report_id, created_at, data, now),
        "OverallPlacement": placement() if done else {},
        "IspPlacements": (
            [{"IspName": isp, "PlacementStatistics": placement()} for isp in SEED_PROVIDERS]
            if done
            else []
        ),
        "Message": data["Message"],
        "Tags": data.get("Tags") or [],
    }


@local_only
def list_deliverability_test_reports(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    limit = page_size(params)
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction(readonly=True) as tx:
        rows, token = keyset_page(
            tx,
            "SELECT report_id, created_at, data FROM ses_deliverability_test_reports "
            "WHERE account = ? AND region = ?",
            [ctx.account_id, ctx.region],
            key="report_id",
            token=params.get("NextToken"),
            token_error="BadRequestException",
            limit=limit,
        )
    answer: dict[str, Any] = {
        "DeliverabilityTestReports": [
            _summary(str(report_id), float(created), json.loads(data), now)
            for report_id, created, data in rows
        ]
    }
    if token:
        answer["NextToken"] = token
    return answer


V1: dict[str, Handler] = {}
V2: dict[str, Handler] = {
    "CreateDeliverabilityTestReport": create_deliverability_test_report,
    "GetDeliverabilityTestReport": get_deliverability_test_report,
    "ListDeliverabilityTestReports": list_deliverability_test_reports,
}
