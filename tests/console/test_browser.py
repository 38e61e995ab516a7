"""The console in headless Chromium: each item of issue 7's "Done when", clicked through
as a developer would. With POOLMAIL_SCREENSHOTS=1 the tests also refresh the pictures in
docs/screenshots."""

from __future__ import annotations

import re
from typing import Any

import httpx
from botocore.exceptions import ClientError
from playwright.sync_api import Page, expect

from tests.console.conftest import screenshot
from tests.console.helpers import production_access, sign_up, signed_up_pool, verify
from tests.ses.helpers import advance
from tests.support.server import ServerProcess

SENDER = "sender@example.com"
SENDER_ARN = f"arn:aws:ses:us-east-1:123456789012:identity/{SENDER}"

# A pool with many settings, to see that the Edit page changes only its email.
RICH_POOL: dict[str, Any] = {
    "Policies": {"PasswordPolicy": {"MinimumLength": 12, "RequireNumbers": True}},
    "AutoVerifiedAttributes": ["email"],
    "DeletionProtection": "ACTIVE",
    "MfaConfiguration": "OFF",
    "UserPoolTags": {"team": "shop"},
    "VerificationMessageTemplate": {
        "DefaultEmailOption": "CONFIRM_WITH_CODE",
        "EmailSubject": "Your shop code",
        "EmailMessage": "Your code is {####}",
    },
    "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
    "AccountRecoverySetting": {"RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]},
    "UserAttributeUpdateSettings": {"AttributesRequireVerificationBeforeUpdate": ["email"]},
}


def test_pool_email_is_configured_through_the_edit_page(page: Page, site: ServerProcess) -> None:
    verify(site, SENDER)
    cognito = site.client("cognito-idp")
    pool_id = cognito.create_user_pool(PoolName="shop", **RICH_POOL)["UserPool"]["Id"]
    cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="web")
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username="jane",
        UserAttributes=[{"Name": "email", "Value": "jane@example.com"}],
    )
    before = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]

    page.goto("/console/pools")
    page.get_by_role("link", name="shop").click()
    expect(page.locator("h1")).to_contain_text("shop")
    expect(page.locator("main")).to_contain_text("FORCE_CHANGE_PASSWORD")
    screenshot(page, "pool")
    page.get_by_role("link", name="Edit").click()

    # Cognito's own sender with the identity: its policy does not allow Cognito, and the
    # page shows UpdateUserPool's refusal without changing anything.
    form = page.locator("#email-form")
    form.locator("select[name=source_arn]").select_option(SENDER_ARN)
    form.get_by_role("button", name="Save changes").click()
    expect(page.locator(".error .code")).to_have_text("InvalidEmailRoleAccessPolicyException")
    assert cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"] == before

    form.get_by_label("Send email with Amazon SES").check()
    form.locator("select[name=source_arn]").select_option(SENDER_ARN)
    form.get_by_label("FROM sender name").fill("Shop Team")
    form.get_by_label("REPLY-TO email address").fill("help@example.com")
    screenshot(page, "pool-email-edit")
    form.get_by_role("button", name="Save changes").click()
    expect(page.locator(".notice")).to_have_text("Email configuration saved.")
    expect(page.locator("#email-summary")).to_contain_text("Send email with Amazon SES")

    after = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert after["EmailConfiguration"] == {
        "EmailSendingAccount": "DEVELOPER",
        "SourceArn": SENDER_ARN,
        "From": "Shop Team <sender@example.com>",
        "ReplyToEmailAddress": "help@example.com",
    }
    changed = {"EmailConfiguration", "LastModifiedDate"}
    assert {k: v for k, v in after.items() if k not in changed} == {
        k: v for k, v in before.items() if k not in changed
    }


def test_an_email_identity_is_verified_by_clicking_the_link_in_the_mailbox(
    page: Page, site: ServerProcess
) -> None:
    page.goto("/console/ses/identities")
    page.get_by_label("Email address or domain").fill("me@example.com")
    page.get_by_role("button", name="Create identity").click()
    expect(page.locator("#verification-status")).to_contain_text("PENDING")

    page.get_by_role("link", name="open the verification mail").click()
    page.get_by_role("link", name=re.compile("Email Address Verification")).click()
    chip = page.locator(".chip[data-chip='Verification link'] a.chip-value")
    expect(chip).to_contain_text("/_poolmail/ses/verify/")
    with page.context.expect_page() as opened:
        chip.click()
    confirmation = opened.value
    expect(confirmation.locator("h1")).to_have_text("Congratulations!")
    confirmation.close()

    page.goto("/console/ses/identities")
    expect(page.locator("tr[data-identity='me@example.com']")).to_contain_text("SUCCESS")
    status = site.client("sesv2").get_email_identity(EmailIdentity="me@example.com")
    assert status["VerificationStatus"] == "SUCCESS"


def test_a_domain_is_verified_by_publishing_its_records(page: Page, site: ServerProcess) -> None:
    page.goto("/console/ses/identities")
    page.get_by_label("Email address or domain").fill("example.org")
    page.get_by_role("button", name="Create identity").click()
    records = page.locator("#records tbody tr")
    expect(records).to_have_count(4)
    expect(records.first).to_contain_text("_amazonses.example.org")
    expect(page.locator("#verification-status")).to_contain_text("PENDING")
    screenshot(page, "domain-records")

    page.get_by_role("button", name="Publish to poolmail's local DNS zone").click()
    expect(page.locator(".notice")).to_have_text("Records published in poolmail's local DNS zone.")
    expect(page.locator("#verification-status")).to_contain_text("SUCCESS")
    expect(records.nth(1)).to_contain_text("published")
    identity = site.client("sesv2").get_email_identity(EmailIdentity="example.org")
    assert identity["VerificationStatus"] == "SUCCESS"
    assert identity["DkimAttributes"]["Status"] == "SUCCESS"
    zone = httpx.get(f"{site.url}/_poolmail/dns/records").json()["records"]
    assert {record["type"] for record in zone} == {"TXT", "CNAME"}


def test_production_access_is_requested_and_granted(page: Page, site: ServerProcess) -> None:
    # A day of sends for the chart: a verified domain covers sender and recipients alike.
    verify(site, "example.com")
    ses = site.client("ses")
    for hour, recipients in enumerate((1, 3, 2, 5, 4, 2, 6, 3)):
        ses.send_email(
            Source="news@example.com",
            Destination={"ToAddresses": [f"r{n}@example.com" for n in range(recipients)]},
            Message={"Subject": {"Data": f"Hour {hour}"}, "Body": {"Text": {"Data": "."}}},
        )
        advance(site, 2.5 * 3600)
    page.goto("/console/ses/account")
    expect(page.locator("#sandbox-status")).to_contain_text("in the sandbox")
    expect(page.locator("#account-facts")).to_contain_text("26 used of 200")
    expect(page.locator(".chart figcaption")).to_contain_text("(26 in all)")
    expect(page.locator(".chart rect.bar")).to_have_count(24)
    form = page.locator("#request-form")
    form.get_by_label("Website URL").fill("https://shop.example.com")
    form.get_by_label("Use case description").fill("Sign-up and password-reset mail.")
    form.get_by_role("button", name="Request production access").click()
    expect(page.locator(".notice")).to_contain_text("Production access requested")
    expect(page.locator("#production-access")).to_contain_text("PENDING")
    details = site.client("sesv2").get_account()["Details"]
    assert details["ReviewDetails"]["Status"] == "PENDING"
    assert details["WebsiteURL"] == "https://shop.example.com"
    screenshot(page, "ses-account")

    page.locator("#review-form").get_by_role("button", name="Grant").click()
    expect(page.locator("#sandbox-status")).to_contain_text("production access")
    expect(page.locator("#production-access")).to_contain_text("GRANTED")
    account = site.client("sesv2").get_account()
    assert account["ProductionAccessEnabled"] is True
    assert account["SendQuota"]["Max24HourSend"] == 50000


def test_a_sign_up_mail_appears_live_with_its_code_chip(page: Page, site: ServerProcess) -> None:
    pool_id, client_id = signed_up_pool(site, "first", "first@example.com")
    page.goto("/console/mail")
    expect(page.locator("#mail-rows tr[data-message-id]")).to_have_count(1)
    page.evaluate("window.poolmailMarker = 'same page'")

    sign_up(site, client_id, "alice", "alice@example.com")
    row = page.locator("#mail-rows tr", has_text="alice@example.com")
    expect(row).to_be_visible()
    expect(row).to_contain_text("Sign-up")
    # It arrived without a reload: the page's own state is still there.
    assert page.evaluate("window.poolmailMarker") == "same page"
    screenshot(page, "mailbox")

    code = httpx.get(
        f"{site.url}/_poolmail/codes", params={"pool_id": pool_id, "username": "alice"}
    ).json()["code"]
    row.get_by_role("link").click()
    chip = page.locator(".chip[data-chip='Code']")
    expect(chip.locator(".chip-value")).to_have_text(code)
    chip.get_by_role("button", name="Copy").click()
    expect(chip.locator("button.copy")).to_have_text("Copied")
    screenshot(page, "message")


def test_the_mailbox_filters_by_kind_and_status(page: Page, site: ServerProcess) -> None:
    signed_up_pool(site, "first", "first@example.com")
    site.client("ses").verify_email_identity(EmailAddress="me@example.com")
    page.goto("/console/mail")
    expect(page.locator("#mail-rows tr[data-message-id]")).to_have_count(2)
    page.locator("#mail-filters select[name=kind]").select_option("ses-verification")
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#mail-rows tr[data-message-id]")).to_have_count(1)
    expect(page.locator("#mail-rows")).to_contain_text("me@example.com")
    page.goto("/console/mail?status=rejected")
    expect(page.locator("#mail-rows")).to_contain_text("No messages match")


def test_a_rejected_send_is_explained_in_the_log(page: Page, site: ServerProcess) -> None:
    verify(site, SENDER)
    try:
        site.client("ses").send_email(
            Source=SENDER,
            Destination={"ToAddresses": ["stranger@example.org"]},
            Message={"Subject": {"Data": "Hi"}, "Body": {"Text": {"Data": "Hello"}}},
        )
    except ClientError as error:
        aws_message = error.response["Error"]["Message"]
    else:
        raise AssertionError("the sandbox let the message through")

    page.goto("/console/log")
    entry = page.locator(".log-entry").first
    expect(entry).to_contain_text("SES sandbox: unverified recipient")
    expect(entry.locator(".aws-error .message")).to_have_text(aws_message)
    expect(entry.locator(".aws-error")).to_contain_text("MessageRejected")
    expect(entry.locator(".fix")).to_contain_text("request production access")
    screenshot(page, "sending-log")
    entry.get_by_role("link", name="Request production access").click()
    expect(page.locator("h1")).to_contain_text("SES account")


def test_a_script_in_an_html_mail_does_not_run(page: Page, site: ServerProcess) -> None:
    verify(site, SENDER)
    production_access(site)
    remote = f"{site.url}/_poolmail/health?loaded-by-mail"
    html = (
        "<p id='hello'>Hello from the mail</p>"
        "<script>document.body.setAttribute('data-ran', 'yes');"
        "parent.document.title = 'pwned';</script>"
        f"<img src='{remote}' onerror=\"document.body.setAttribute('data-ran', 'yes')\">"
    )
    message_id = site.client("ses").send_email(
        Source=SENDER,
        Destination={"ToAddresses": ["reader@example.org"]},
        Message={"Subject": {"Data": "Scripted"}, "Body": {"Html": {"Data": html}}},
    )["MessageId"]
    loaded: list[str] = []
    blocked: list[str | None] = []
    page.on("requestfinished", lambda request: loaded.append(request.url))
    page.on("requestfailed", lambda request: blocked.append(request.failure))

    page.goto(f"/console/mail/{message_id}")
    frame = page.frame_locator("iframe.html-body")
    expect(frame.locator("#hello")).to_have_text("Hello from the mail")
    page.wait_for_timeout(300)  # time enough for a script or a load to happen
    assert frame.locator("body").get_attribute("data-ran") is None
    assert page.title() != "pwned"
    # The image was never fetched: the frame's policy stopped it in the browser.
    assert not any("loaded-by-mail" in url for url in loaded)
    assert blocked == ["csp"]
    sandbox = page.locator("iframe.html-body").get_attribute("sandbox")
    assert sandbox == ""
