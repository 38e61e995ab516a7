"""Custom verification email templates through both APIs, and the mail that verifies an
address with them: its link verifies through SES's own path and redirects."""

from __future__ import annotations

import email
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from poolmail.ses.identities.html_subset import content_problem
from tests.ses.helpers import advance, messages, production_access, verify
from tests.support.server import ServerProcess

SENDER = "welcome@brand.example"
CONTENT = (
    '<html><head></head><body style="font-family:sans-serif;">'
    "<h1>Ready to start?</h1><p>Click the link below.</p></body></html>"
)
TEMPLATE: dict[str, Any] = {
    "TemplateName": "onboarding",
    "FromEmailAddress": SENDER,
    "TemplateSubject": "Please confirm your email address",
    "TemplateContent": CONTENT,
    "SuccessRedirectionURL": "https://app.example/verified",
    "FailureRedirectionURL": "https://app.example/failed",
}


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    error = excinfo.value.response["Error"]
    status = excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]
    return error["Code"], error["Message"], status


def _status(server: ServerProcess, address: str) -> str | None:
    found = server.client("ses").get_identity_verification_attributes(Identities=[address])
    attributes = found["VerificationAttributes"].get(address)
    return None if attributes is None else str(attributes["VerificationStatus"])


def test_v1_template_crud_and_errors(live: ServerProcess) -> None:
    ses = live.client("ses")
    with pytest.raises(ClientError) as excinfo:
        ses.create_custom_verification_email_template(**TEMPLATE)
    assert error_of(excinfo) == (
        "FromEmailAddressNotVerified",
        "Email address is not verified. The following identities failed the check in "
        f"region US-EAST-1: {SENDER}",
        400,
    )
    verify(live, "brand.example")
    ses.create_custom_verification_email_template(**TEMPLATE)
    assert {
        key: value
        for key, value in ses.get_custom_verification_email_template(
            TemplateName="onboarding"
        ).items()
        if key != "ResponseMetadata"
    } == TEMPLATE
    with pytest.raises(ClientError) as excinfo:
        ses.create_custom_verification_email_template(**TEMPLATE)
    assert error_of(excinfo) == (
        "CustomVerificationEmailTemplateAlreadyExists",
        "Custom verification email template onboarding already exists",
        400,
    )
    ses.update_custom_verification_email_template(
        TemplateName="onboarding", TemplateSubject="Confirm, please"
    )
    listed = ses.list_custom_verification_email_templates()["CustomVerificationEmailTemplates"]
    assert listed == [
        {
            **{key: value for key, value in TEMPLATE.items() if key != "TemplateContent"},
            "TemplateSubject": "Confirm, please",
        }
    ]
    with pytest.raises(ClientError) as excinfo:
        ses.update_custom_verification_email_template(
            TemplateName="onboarding", TemplateContent="<script>alert(1)</script>"
        )
    assert error_of(excinfo) == (
        "CustomVerificationEmailInvalidContent",
        "Invalid custom verification email template content: the tag <script> is not allowed.",
        400,
    )
    with pytest.raises(ClientError) as excinfo:
        ses.get_custom_verification_email_template(TemplateName="absent")
    assert error_of(excinfo) == (
        "CustomVerificationEmailTemplateDoesNotExist",
        "Custom verification email template absent does not exist",
        400,
    )
    ses.delete_custom_verification_email_template(TemplateName="onboarding")
    ses.delete_custom_verification_email_template(TemplateName="onboarding")  # no error in v1
    assert ses.list_custom_verification_email_templates()["CustomVerificationEmailTemplates"] == []


def test_v2_templates_limit_paging_and_tags(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    verify(live, "brand.example")
    for index in range(50):
        sesv2.create_custom_verification_email_template(
            **{**TEMPLATE, "TemplateName": f"t{index:02}"},
            Tags=[{"Key": "team", "Value": "growth"}] if index == 0 else [],
        )
    with pytest.raises(ClientError) as excinfo:
        sesv2.create_custom_verification_email_template(**{**TEMPLATE, "TemplateName": "t50"})
    assert error_of(excinfo)[0::2] == ("LimitExceededException", 400)
    first = sesv2.list_custom_verification_email_templates(PageSize=30)
    second = sesv2.list_custom_verification_email_templates(
        PageSize=30, NextToken=first["NextToken"]
    )
    names = [t["TemplateName"] for t in first["CustomVerificationEmailTemplates"]]
    names += [t["TemplateName"] for t in second["CustomVerificationEmailTemplates"]]
    assert names == [f"t{index:02}" for index in range(50)] and "NextToken" not in second
    got = sesv2.get_custom_verification_email_template(TemplateName="t00")
    assert got["Tags"] == [{"Key": "team", "Value": "growth"}]
    with pytest.raises(ClientError) as excinfo:
        sesv2.create_custom_verification_email_template(**{**TEMPLATE, "TemplateName": "t00"})
    assert error_of(excinfo) == (
        "AlreadyExistsException",
        "Custom verification email template t00 already exists",
        400,
    )
    sesv2.delete_custom_verification_email_template(TemplateName="t01")
    with pytest.raises(ClientError) as excinfo:
        sesv2.delete_custom_verification_email_template(TemplateName="t01")
    assert error_of(excinfo) == (
        "NotFoundException",
        "Custom verification email template t01 does not exist",
        404,
    )


def test_custom_verification_mail_verifies_its_address_and_redirects(
    live: ServerProcess,
) -> None:
    ses = live.client("ses")
    verify(live, "brand.example")
    ses.create_custom_verification_email_template(**TEMPLATE)
    # Custom verification mail needs production access.
    with pytest.raises(ClientError) as excinfo:
        ses.send_custom_verification_email(
            EmailAddress="new@user.example", TemplateName="onboarding"
        )
    code, _, status = error_of(excinfo)
    assert (code, status) == ("ProductionAccessNotGranted", 400)
    assert _status(live, "new@user.example") is None
    production_access(live)
    with pytest.raises(ClientError) as excinfo:
        ses.send_custom_verification_email(EmailAddress="new@user.example", TemplateName="nope")
    assert error_of(excinfo)[0] == "CustomVerificationEmailTemplateDoesNotExist"

    sent = ses.send_custom_verification_email(
        EmailAddress="new@user.example", TemplateName="onboarding"
    )
    assert _status(live, "new@user.example") == "Pending"
    (mail,) = messages(live, recipient="new@user.example")
    assert mail["id"] == sent["MessageId"]
    assert mail["source"] == SENDER and mail["subject"] == TEMPLATE["TemplateSubject"]
    link = mail["details"]["link"]
    raw = httpx.get(f"{live.url}/_poolmail/messages/{mail['id']}/raw").content
    parsed = email.message_from_bytes(raw)
    assert parsed.get_content_type() == "text/html"
    body = parsed.get_payload(decode=True).decode()
    # The template's content, then the link and SES's disclaimer inside its body.
    assert body.startswith(CONTENT.removesuffix("</body></html>"))
    assert f'<a href="{link}">' in body and "ses-enforcement@amazon.com" in body
    assert body.rstrip().endswith("</body></html>")

    opened = httpx.get(link, follow_redirects=False)
    assert opened.status_code == 302
    assert opened.headers["location"] == "https://app.example/verified"
    assert _status(live, "new@user.example") == "Success"
    # It counts as the account's sending.
    assert ses.get_send_quota()["SentLast24Hours"] == 1.0
    # A template whose From is no longer verified cannot send.
    ses.delete_identity(Identity="brand.example")
    with pytest.raises(ClientError) as excinfo:
        ses.send_custom_verification_email(
            EmailAddress="other@user.example", TemplateName="onboarding"
        )
    assert error_of(excinfo) == (
        "FromEmailAddressNotVerified",
        "Email address is not verified. The following identities failed the check in "
        f"region US-EAST-1: {SENDER}",
        400,
    )
    assert _status(live, "other@user.example") is None


def test_v2_send_and_an_expired_link_goes_to_the_failure_url(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    production_access(live)
    verify(live, "brand.example")
    sesv2.create_custom_verification_email_template(**TEMPLATE)
    with pytest.raises(ClientError) as excinfo:
        sesv2.send_custom_verification_email(
            EmailAddress="late@user.example", TemplateName="onboarding", ConfigurationSetName="x"
        )
    assert error_of(excinfo) == ("NotFoundException", "Configuration set <x> does not exist.", 404)
    assert sesv2.list_email_identities()["EmailIdentities"] == [
        {
            "IdentityType": "DOMAIN",
            "IdentityName": "brand.example",
            "SendingEnabled": True,
            "VerificationStatus": "SUCCESS",
        }
    ]
    sesv2.send_custom_verification_email(
        EmailAddress="late@user.example", TemplateName="onboarding"
    )
    (mail,) = messages(live, recipient="late@user.example", status="delivered")
    advance(live, 25 * 3600)
    opened = httpx.get(mail["details"]["link"], follow_redirects=False)
    assert (opened.status_code, opened.headers["location"]) == (302, "https://app.example/failed")
    assert _status(live, "late@user.example") == "Failed"


def test_allowed_html_follows_aws_table() -> None:
    assert content_problem(CONTENT) is None
    assert content_problem('<!DOCTYPE html><img src="data:image/png;base64,AA" alt="x">') is None
    assert content_problem('<a href="https://x">x</a>') == (
        "Invalid custom verification email template content: the tag <a> is not allowed."
    )
    assert content_problem('<p onclick="x()">x</p>') == (
        "Invalid custom verification email template content: the attribute onclick is not "
        "allowed in <p>."
    )
