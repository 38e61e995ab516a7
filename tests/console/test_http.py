"""The console over plain HTTP: how `/` routes browsers and AWS clients, the guard on
forms, the headers that keep captured HTML inert, escaping, `/_poolmail/codes`, merged
template saves and the sending log's explanations."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.console.helpers import form_post, production_access, sign_up, signed_up_pool, verify
from tests.support.server import ServerProcess

HTML = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


# ---- `/`: the browser's way in, the AWS endpoint for everything else -----------------------


def test_a_browser_visiting_the_root_is_sent_to_the_console(site: ServerProcess) -> None:
    answer = httpx.get(site.url + "/", headers=HTML)
    assert answer.status_code == 302
    assert answer.headers["location"] == "/console/"
    home = httpx.get(site.url + "/console/", headers=HTML, follow_redirects=True)
    assert home.status_code == 200
    assert "User pools" in home.text


def test_aws_requests_to_the_root_are_untouched(site: ServerProcess) -> None:
    # Every protocol that reaches `/` still answers as AWS: Cognito (JSON 1.1 target) and
    # SES v1 (signed query form), as boto3 sends them.
    cognito = site.client("cognito-idp")
    pool_id = cognito.create_user_pool(PoolName="still-aws")["UserPool"]["Id"]
    assert cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]["Name"] == "still-aws"
    ses = site.client("ses")
    ses.verify_email_identity(EmailAddress="a@example.com")
    assert ses.list_identities()["Identities"] == ["a@example.com"]
    # A GET with AWS's marks goes to the AWS pipeline even when it accepts HTML.
    signed = httpx.get(
        site.url + "/",
        params={"Action": "ListIdentities"},
        headers={
            **HTML,
            "Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20260101/"
            "us-east-1/ses/aws4_request, SignedHeaders=host, Signature=00",
        },
    )
    assert signed.status_code == 200
    assert "<ListIdentitiesResponse" in signed.text
    # Without Accept: text/html, `GET /` is the AWS front door's refusal, as before.
    plain = httpx.get(site.url + "/")
    assert plain.status_code == 400
    assert plain.json()["__type"] == "UnknownOperationException"
    # POST / is never redirected, whatever it accepts.
    posted = httpx.post(site.url + "/", headers=HTML, content=b"")
    assert posted.status_code == 400


# ---- state-changing forms -----------------------------------------------------------------


def test_cross_site_posts_are_refused(site: ServerProcess) -> None:
    fields = {"identity": "victim@example.com", "account": "123456789012", "region": "us-east-1"}
    refused = form_post(site, "/console/ses/identities", fields, origin="https://evil.example")
    assert refused.status_code == 403
    assert "cross-site" in refused.text
    fetch_refused = httpx.post(
        f"{site.url}/console/ses/identities",
        data=fields,
        headers={"Sec-Fetch-Site": "cross-site", "Origin": site.url},
    )
    assert fetch_refused.status_code == 403
    assert site.client("ses").list_identities()["Identities"] == []
    accepted = form_post(site, "/console/ses/identities", fields)
    assert accepted.status_code == 303
    assert site.client("ses").list_identities()["Identities"] == ["victim@example.com"]


def test_a_post_without_origin_comes_from_no_browser_and_is_accepted(
    site: ServerProcess,
) -> None:
    fields = {"identity": "script@example.com"}
    assert form_post(site, "/console/ses/identities", fields, origin=None).status_code == 303


# ---- what a captured message may do --------------------------------------------------------


def _send_html(site: ServerProcess, html: str, subject: str = "Hello") -> str:
    verify(site, "sender@example.com")
    production_access(site)
    answer = site.client("ses").send_email(
        Source="sender@example.com",
        Destination={"ToAddresses": ["reader@example.org"]},
        Message={
            "Subject": {"Data": subject},
            "Body": {"Html": {"Data": html}, "Text": {"Data": "plain <b>text</b>"}},
        },
    )
    return str(answer["MessageId"])


def test_the_html_body_is_served_under_a_policy_that_forbids_scripts_and_loads(
    site: ServerProcess,
) -> None:
    message_id = _send_html(site, "<p>hi</p><script>alert(1)</script>")
    body = httpx.get(f"{site.url}/console/mail/{message_id}/html")
    assert body.status_code == 200
    policy = body.headers["content-security-policy"]
    assert policy.startswith("default-src 'none'; style-src 'unsafe-inline'; img-src data:")
    assert "sandbox" in policy
    assert body.headers["x-content-type-options"] == "nosniff"
    view = httpx.get(f"{site.url}/console/mail/{message_id}")
    assert f'sandbox src="/console/mail/{message_id}/html"' in view.text
    assert "allow-scripts" not in view.text
    assert "script-src 'self'" in view.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in view.headers["content-security-policy"]


def test_every_captured_value_is_escaped(site: ServerProcess) -> None:
    subject = '<img src=x onerror="alert(1)">'
    message_id = _send_html(site, "<b>x</b>", subject=subject)
    for path in ("/console/mail", "/console/mail/rows", f"/console/mail/{message_id}"):
        page = httpx.get(site.url + path).text
        assert subject not in page
        assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page
    view = httpx.get(f"{site.url}/console/mail/{message_id}").text
    assert "&lt;b&gt;x&lt;/b&gt;" in view  # the HTML body's source, below its frame
    for name in ("text", "source"):
        view = httpx.get(f"{site.url}/console/mail/{message_id}", params={"view": name}).text
        assert "plain &lt;b&gt;text&lt;/b&gt;" in view


def test_a_javascript_link_in_captured_details_is_never_clickable() -> None:
    from poolmail.console.render import safe_link

    assert safe_link("javascript:alert(1)") is None
    assert safe_link("JAVASCRIPT:alert(1)") is None
    assert safe_link("data:text/html,hi") is None
    assert safe_link("http://127.0.0.1:4747/confirmUser?x=1") is not None


# ---- /_poolmail/codes -----------------------------------------------------------------------


def test_codes_answers_the_newest_code_of_a_user(site: ServerProcess) -> None:
    pool_id, client_id = signed_up_pool(site, "alice", "alice@example.com")
    found = httpx.get(
        f"{site.url}/_poolmail/codes", params={"pool_id": pool_id, "username": "alice"}
    )
    assert found.status_code == 200
    first = found.json()
    assert first["kind"] == "cognito-sign-up"
    assert first["code"].isdigit() and len(first["code"]) == 6
    assert first["link"] is None
    site.client("cognito-idp").resend_confirmation_code(ClientId=client_id, Username="alice")
    again = httpx.get(
        f"{site.url}/_poolmail/codes", params={"pool_id": pool_id, "username": "alice"}
    ).json()
    assert again["kind"] == "cognito-resend-code"
    assert again["message_id"] != first["message_id"]
    # The code confirms the user: it is the one the mail carried.
    site.client("cognito-idp").confirm_sign_up(
        ClientId=client_id, Username="alice", ConfirmationCode=again["code"]
    )
    by_address = httpx.get(
        f"{site.url}/_poolmail/codes",
        params={"pool_id": pool_id, "username": "alice@example.com"},
    )
    assert by_address.json()["message_id"] == again["message_id"]


def test_codes_answers_404_and_400(site: ServerProcess) -> None:
    pool_id, _ = signed_up_pool(site, "bob", "bob@example.com")
    missing = httpx.get(f"{site.url}/_poolmail/codes", params={"pool_id": pool_id, "username": "x"})
    assert missing.status_code == 404
    other_pool = httpx.get(
        f"{site.url}/_poolmail/codes", params={"pool_id": "us-east-1_none", "username": "bob"}
    )
    assert other_pool.status_code == 404
    assert httpx.get(f"{site.url}/_poolmail/codes").status_code == 400


# ---- templates merge like the email settings -------------------------------------------------


def test_saving_templates_keeps_every_other_setting(site: ServerProcess) -> None:
    cognito = site.client("cognito-idp")
    pool = cognito.create_user_pool(
        PoolName="kept",
        AutoVerifiedAttributes=["email"],
        DeletionProtection="ACTIVE",
        MfaConfiguration="OFF",
        UserPoolTags={"team": "shop"},
        AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
        AccountRecoverySetting={"RecoveryMechanisms": [{"Priority": 1, "Name": "verified_email"}]},
    )["UserPool"]
    before = cognito.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]
    fields = {
        "account": "123456789012",
        "default_email_option": "CONFIRM_WITH_CODE",
        "email_subject": "Your shop code",
        "email_message": "Use {####} to finish signing up.",
        "invite_subject": "Welcome",
        "invite_message": "Hello {username}, your password is {####}",
    }
    answer = form_post(site, f"/console/pools/{pool['Id']}/templates", fields)
    assert answer.status_code == 303, answer.text
    after = cognito.describe_user_pool(UserPoolId=pool["Id"])["UserPool"]
    assert after["VerificationMessageTemplate"]["EmailSubject"] == "Your shop code"
    assert (
        after["VerificationMessageTemplate"]["EmailMessage"] == "Use {####} to finish signing up."
    )
    invite = after["AdminCreateUserConfig"]["InviteMessageTemplate"]
    assert invite == {
        "EmailSubject": "Welcome",
        "EmailMessage": "Hello {username}, your password is {####}",
    }
    assert after["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    changed = {
        "LastModifiedDate",
        "VerificationMessageTemplate",
        "AdminCreateUserConfig",
        "EmailVerificationMessage",
        "EmailVerificationSubject",
    }
    assert {key: value for key, value in before.items() if key not in changed} == {
        key: value for key, value in after.items() if key not in changed
    }


def test_a_refused_template_shows_cognitos_error_and_changes_nothing(site: ServerProcess) -> None:
    cognito = site.client("cognito-idp")
    pool_id = cognito.create_user_pool(PoolName="strict")["UserPool"]["Id"]
    before = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    fields = {"default_email_option": "CONFIRM_WITH_CODE", "email_message": "no code here"}
    answer = form_post(site, f"/console/pools/{pool_id}/templates", fields)
    assert answer.status_code == 400
    assert "InvalidParameterException" in answer.text
    assert "no code here" in answer.text  # the form keeps what was typed
    assert cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"] == before


# ---- the sending log --------------------------------------------------------------------------


def _log(site: ServerProcess) -> str:
    return httpx.get(site.url + "/console/log").text


def test_the_log_explains_the_sandbox_and_the_unverified_sender(site: ServerProcess) -> None:
    ses = site.client("ses")
    with pytest.raises(ClientError):
        ses.send_email(
            Source="nobody@example.com",
            Destination={"ToAddresses": ["x@example.org"]},
            Message={"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "t"}}},
        )
    log = _log(site)
    assert "Unverified sender identity" in log
    assert "MessageRejected" in log
    assert (
        "Email address is not verified. The following identities failed the check in region "
        "US-EAST-1: nobody@example.com, x@example.org" in log
    )
    verify(site, "nobody@example.com")
    with pytest.raises(ClientError):
        site.client("sesv2").send_email(
            FromEmailAddress="nobody@example.com",
            Destination={"ToAddresses": ["stranger@example.org"]},
            Content={"Simple": {"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "t"}}}},
        )
    assert "SES sandbox: unverified recipient" in _log(site)


def test_the_log_points_at_the_other_region_where_the_sender_is_verified(
    site: ServerProcess,
) -> None:
    verify(site, "eu@example.com", region="eu-west-1")
    with pytest.raises(ClientError):
        site.client("ses").send_email(
            Source="eu@example.com",
            Destination={"ToAddresses": ["success@simulator.amazonses.com"]},
            Message={"Subject": {"Data": "s"}, "Body": {"Text": {"Data": "t"}}},
        )
    log = _log(site)
    assert "Identity verified in another region" in log
    assert "eu@example.com is verified in eu-west-1" in log


def test_the_log_explains_cognitos_delivery_failure_and_a_pause(site: ServerProcess) -> None:
    verify(site, "sender@example.com")
    arn = "arn:aws:ses:us-east-1:123456789012:identity/sender@example.com"
    cognito = site.client("cognito-idp")
    pool_id = cognito.create_user_pool(
        PoolName="dev",
        AutoVerifiedAttributes=["email"],
        EmailConfiguration={"EmailSendingAccount": "DEVELOPER", "SourceArn": arn},
    )["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="web")[
        "UserPoolClient"
    ]["ClientId"]
    with pytest.raises(ClientError):
        sign_up(site, client_id, "carol", "carol@example.org")
    log = _log(site)
    assert "CodeDeliveryFailureException" in log
    assert (
        "Cognito received the following error from Amazon SES when attempting to send email: "
        in log
    )
    assert "SES sandbox: unverified recipient" in log
    assert "/console/ses/account?account=123456789012&amp;region=us-east-1" in log
    site.client("sesv2").put_account_sending_attributes(SendingEnabled=False)
    with pytest.raises(ClientError):
        sign_up(site, client_id, "dave", "sender@example.com")
    log = _log(site)
    assert "Sending paused" in log
    assert "Sending paused for this account." in log


def test_the_log_shows_cognitos_daily_cap(tmp_path: Any) -> None:
    capped = ServerProcess(
        ["--data-dir", str(tmp_path), "--cognito-default-daily-email-limit", "1"]
    ).start()
    try:
        pool_id, client_id = signed_up_pool(capped, "first", "first@example.com")
        with pytest.raises(ClientError) as excinfo:
            sign_up(capped, client_id, "second", "second@example.com")
        assert excinfo.value.response["Error"]["Code"] == "LimitExceededException"
        log = httpx.get(capped.url + "/console/log").text
        assert "Cognito&#39;s default email cap" in log
        assert "LimitExceededException" in log
        assert "Exceeded daily email limit for the operation or the account." in log
        # The refusal carries no code anybody received.
        code = httpx.get(
            f"{capped.url}/_poolmail/codes", params={"pool_id": pool_id, "username": "second"}
        )
        assert code.status_code == 404
    finally:
        capped.stop()


# ---- pages answer, errors show AWS's words ----------------------------------------------------


def test_a_missing_pool_shows_cognitos_error(site: ServerProcess) -> None:
    answer = httpx.get(f"{site.url}/console/pools/us-east-1_missing")
    assert answer.status_code == 404
    assert "ResourceNotFoundException" in answer.text
    assert "User pool us-east-1_missing does not exist." in answer.text
    malformed = httpx.get(f"{site.url}/console/pools/no-region-here")
    assert malformed.status_code == 400
    assert "InvalidParameterException" in malformed.text  # the model's pattern, as the API
    assert httpx.get(f"{site.url}/console/mail/no-such-message").status_code == 404
    assert httpx.get(f"{site.url}/console/ses/identities/nobody@example.com").status_code == 404


def test_static_files_are_served(site: ServerProcess) -> None:
    css = httpx.get(f"{site.url}/console/static/console.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert httpx.get(f"{site.url}/console/static/console.js").status_code == 200


def test_the_scope_switcher_shows_another_account_and_region(site: ServerProcess) -> None:
    other = site.client("cognito-idp", region="eu-west-1", access_key="111122223333")
    other.create_user_pool(PoolName="elsewhere")
    default = httpx.get(f"{site.url}/console/pools").text
    assert "elsewhere" not in default
    scoped = httpx.get(
        f"{site.url}/console/pools", params={"account": "111122223333", "region": "eu-west-1"}
    ).text
    assert "elsewhere" in scoped
    assert '<option value="111122223333" selected>' in scoped
