"""Sending through SES v1 and v2: the sandbox, quotas, simulator, mailbox and errors."""

from __future__ import annotations

import email
from email import policy

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.ses.helpers import advance, messages, production_access, simple_message, verify
from tests.support.server import ServerProcess

NOT_VERIFIED = "Email address is not verified. The following identities failed the check in region "


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    error = excinfo.value.response["Error"]
    return (
        error["Code"],
        error["Message"],
        excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"],
    )


def test_sandbox_refuses_an_unverified_recipient_with_awss_text(live: ServerProcess) -> None:
    verify(live, "sender@example.com")
    ses = live.client("ses")
    with pytest.raises(ClientError) as excinfo:
        ses.send_email(
            Source="sender@example.com",
            Destination={"ToAddresses": ["someone@example.net", "other@example.org"]},
            Message=simple_message(),
        )
    assert error_of(excinfo) == (
        "MessageRejected",
        NOT_VERIFIED + "US-EAST-1: someone@example.net, other@example.org",
        400,
    )
    rejected = messages(live, status="rejected")
    assert len(rejected) == 1
    assert rejected[0]["details"]["error"]["message"].startswith(NOT_VERIFIED)
    events = httpx.get(f"{live.url}/_poolmail/messages/{rejected[0]['id']}/events").json()
    assert [event["type"] for event in events["events"]] == ["Reject"]
    assert httpx.get(f"{live.url}/_aws/ses").json() == {"messages": []}


def test_unverified_friendly_from_is_listed_twice(live: ServerProcess) -> None:
    production_access(live, region="ap-southeast-2")
    with pytest.raises(ClientError) as excinfo:
        live.client("ses", region="ap-southeast-2").send_email(
            Source="Ann Mathon <contact@annmathon.com.au>",
            Destination={"ToAddresses": ["friend@example.com"]},
            Message=simple_message(),
        )
    assert error_of(excinfo)[1] == (
        NOT_VERIFIED + "AP-SOUTHEAST-2: Ann Mathon <contact@annmathon.com.au>, "
        "contact@annmathon.com.au"
    )


def test_verified_recipient_is_delivered_and_readable_everywhere(live: ServerProcess) -> None:
    verify(live, "sender@example.com")
    verify(live, "friend@example.net")
    sent = live.client("ses").send_email(
        Source="Shop <sender@example.com>",
        Destination={"ToAddresses": ["friend@example.net"], "BccAddresses": ["sender@example.com"]},
        Message={
            "Subject": {"Data": "Your order"},
            "Body": {"Text": {"Data": "Thanks!"}, "Html": {"Data": "<p>Thanks!</p>"}},
        },
        ReplyToAddresses=["help@example.com"],
    )
    message_id = sent["MessageId"]
    local = httpx.get(f"{live.url}/_aws/ses", params={"id": message_id}).json()["messages"]
    assert local == [
        {
            "Id": message_id,
            "Region": "us-east-1",
            "Timestamp": local[0]["Timestamp"],
            "Source": "Shop <sender@example.com>",
            "Destination": {
                "ToAddresses": ["friend@example.net"],
                "CcAddresses": [],
                "BccAddresses": ["sender@example.com"],
            },
            "Subject": "Your order",
            "Body": {"text_part": "Thanks!", "html_part": "<p>Thanks!</p>"},
        }
    ]
    by_source = httpx.get(
        f"{live.url}/_aws/ses", params={"email": "Shop <sender@example.com>"}
    ).json()
    assert [m["Id"] for m in by_source["messages"]] == [message_id]

    raw = httpx.get(f"{live.url}/_poolmail/messages/{message_id}/raw")
    assert raw.headers["content-type"] == "message/rfc822"
    parsed = email.message_from_bytes(raw.content, policy=policy.default)
    assert parsed["Subject"] == "Your order"
    assert parsed["Reply-To"] == "help@example.com"
    assert parsed["Bcc"] is None
    assert parsed["Message-ID"] == f"<{message_id}@email.amazonses.com>"

    full = httpx.get(f"{live.url}/_poolmail/messages/{message_id}").json()
    assert full["status"] == "delivered"
    assert full["details"]["identity"] == "sender@example.com"
    assert [event["type"] for event in full["events"]] == ["Send", "Delivery", "Delivery"]
    sent_to_friend = messages(live, recipient="friend@example.net", kind="ses-send")
    assert [m["id"] for m in sent_to_friend] == [message_id]
    assert messages(live, recipient="nobody@example.net") == []


def test_a_verified_domain_covers_addresses_and_plus_labels_are_covered(
    live: ServerProcess,
) -> None:
    verify(live, "example.com")
    verify(live, "friend@example.net")
    ses = live.client("ses")
    ses.send_email(
        Source="anyone@mail.example.com",
        Destination={"ToAddresses": ["friend+orders@example.net"]},
        Message=simple_message(),
    )
    advance(live, 1)
    with pytest.raises(ClientError) as excinfo:
        ses.send_email(
            Source="anyone@example.org",
            Destination={"ToAddresses": ["Friend@example.net"]},
            Message=simple_message(),
        )
    # Email addresses are case-sensitive: Friend@ is not friend@.
    assert error_of(excinfo)[1] == (
        NOT_VERIFIED + "US-EAST-1: anyone@example.org, Friend@example.net"
    )


def test_mailbox_simulator_in_the_sandbox(live: ServerProcess) -> None:
    verify(live, "sender@example.com")
    ses = live.client("ses")
    outcomes = {}
    for mailbox in ("success", "bounce", "complaint", "ooto", "suppressionlist"):
        sent = ses.send_email(
            Source="sender@example.com",
            Destination={"ToAddresses": [f"{mailbox}+test@simulator.amazonses.com"]},
            Message=simple_message(subject=mailbox),
        )
        events = httpx.get(f"{live.url}/_poolmail/messages/{sent['MessageId']}/events").json()
        outcomes[mailbox] = [event["type"] for event in events["events"]]
        advance(live, 1)
    assert outcomes == {
        "success": ["Send", "Delivery"],
        "bounce": ["Send", "Bounce"],
        "complaint": ["Send", "Delivery", "Complaint"],
        "ooto": ["Send", "Delivery", "AutoReply"],
        "suppressionlist": ["Send", "Bounce"],
    }
    replies = messages(live, recipient="sender@example.com", kind="ses-simulator-auto-reply")
    assert [reply["subject"] for reply in replies] == ["Out of the Office: ooto"]
    # The simulator counts toward the rate but not the daily quota.
    assert live.client("ses").get_send_quota()["SentLast24Hours"] == 0


def test_the_sandbox_sends_one_a_second(live: ServerProcess) -> None:
    verify(live, "sender@example.com")
    ses = live.client("ses")
    send = {
        "Source": "sender@example.com",
        "Destination": {"ToAddresses": ["success@simulator.amazonses.com"]},
        "Message": simple_message(),
    }
    ses.send_email(**send)
    with pytest.raises(ClientError) as excinfo:
        ses.send_email(**send)
    assert error_of(excinfo) == ("Throttling", "Maximum sending rate exceeded.", 400)
    advance(live, 1.01)
    ses.send_email(**send)


def test_the_sandbox_sends_200_a_day(live: ServerProcess) -> None:
    verify(live, "sender@example.com")
    verify(live, "friend@example.net")
    ses = live.client("ses")
    send = {
        "Source": "sender@example.com",
        "Destination": {"ToAddresses": ["friend@example.net"]},
        "Message": simple_message(),
    }
    for _ in range(200):
        ses.send_email(**send)
        advance(live, 1.01)
    assert ses.get_send_quota()["SentLast24Hours"] == 200
    with pytest.raises(ClientError) as excinfo:
        ses.send_email(**send)
    assert error_of(excinfo) == ("Throttling", "Daily message quota exceeded.", 400)
    advance(live, 24 * 3600)
    ses.send_email(**send)


def test_production_access_lets_anyone_receive(live: ServerProcess) -> None:
    verify(live, "sender@example.com")
    production_access(live)
    sent = live.client("sesv2").send_email(
        FromEmailAddress="sender@example.com",
        Destination={"ToAddresses": ["stranger@example.org"]},
        Content={"Simple": simple_message(subject="v2")},
    )
    assert messages(live, recipient="stranger@example.org")[0]["id"] == sent["MessageId"]
    # ...but the From must still be verified.
    with pytest.raises(ClientError) as excinfo:
        live.client("sesv2").send_email(
            FromEmailAddress="nobody@example.org",
            Destination={"ToAddresses": ["stranger@example.org"]},
            Content={"Simple": simple_message()},
        )
    assert error_of(excinfo) == (
        "MessageRejected",
        NOT_VERIFIED + "US-EAST-1: nobody@example.org",
        400,
    )


def test_v2_errors_use_v2_codes(live: ServerProcess) -> None:
    verify(live, "sender@example.com")
    sesv2 = live.client("sesv2")
    send = {
        "FromEmailAddress": "sender@example.com",
        "Destination": {"ToAddresses": ["success@simulator.amazonses.com"]},
        "Content": {"Simple": simple_message()},
    }
    with pytest.raises(ClientError) as excinfo:
        sesv2.send_email(**send, ConfigurationSetName="missing")
    assert error_of(excinfo) == (
        "NotFoundException",
        "Configuration set <missing> does not exist.",
        404,
    )
    sesv2.send_email(**send)
    with pytest.raises(ClientError) as excinfo:
        sesv2.send_email(**send)
    assert error_of(excinfo) == (
        "TooManyRequestsException",
        "Maximum sending rate exceeded.",
        429,
    )


def test_unknown_configuration_set_v1(live: ServerProcess) -> None:
    verify(live, "sender@example.com")
    with pytest.raises(ClientError) as excinfo:
        live.client("ses").send_email(
            Source="sender@example.com",
            Destination={"ToAddresses": ["success@simulator.amazonses.com"]},
            Message=simple_message(),
            ConfigurationSetName="nope",
        )
    assert error_of(excinfo) == (
        "ConfigurationSetDoesNotExist",
        "Configuration set <nope> does not exist.",
        400,
    )


def test_raw_email_keeps_attachments_and_drops_bcc(live: ServerProcess) -> None:
    verify(live, "sender@example.com")
    production_access(live)
    message = email.message.EmailMessage()
    message["From"] = "sender@example.com"
    message["To"] = "a@example.org"
    message["Bcc"] = "hidden@example.org"
    message["Subject"] = "Report"
    message.set_content("See attached.")
    message.add_attachment(b"1,2,3\n", maintype="text", subtype="csv", filename="r.csv")
    sent = live.client("ses").send_raw_email(RawMessage={"Data": message.as_bytes()})
    stored = httpx.get(f"{live.url}/_poolmail/messages/{sent['MessageId']}").json()
    assert stored["recipients"] == ["a@example.org", "hidden@example.org"]
    assert stored["text"] == "See attached.\n"
    raw = httpx.get(f"{live.url}/_poolmail/messages/{sent['MessageId']}/raw").content
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert parsed["Bcc"] is None
    assert [part.get_filename() for part in parsed.iter_attachments()] == ["r.csv"]
    shaped = httpx.get(f"{live.url}/_aws/ses", params={"id": sent["MessageId"]}).json()
    assert shaped["messages"][0]["Subject"] == "Report"
    assert "RawData" in shaped["messages"][0]


def test_v2_raw_without_from_is_a_bad_request(live: ServerProcess) -> None:
    with pytest.raises(ClientError) as excinfo:
        live.client("sesv2").send_email(
            Destination={"ToAddresses": ["a@example.org"]},
            Content={"Raw": {"Data": b"Subject: x\r\n\r\nbody"}},
        )
    assert error_of(excinfo) == ("BadRequestException", "Missing required header 'From'.", 400)


def test_tags_are_validated(live: ServerProcess) -> None:
    verify(live, "sender@example.com")
    with pytest.raises(ClientError) as excinfo:
        live.client("ses").send_email(
            Source="sender@example.com",
            Destination={"ToAddresses": ["success@simulator.amazonses.com"]},
            Message=simple_message(),
            Tags=[{"Name": "bad tag", "Value": "x"}],
        )
    assert error_of(excinfo) == (
        "InvalidParameterValue",
        "Invalid tag name <bad tag>: only alphanumeric ASCII characters, '_',  '-' are allowed.",
        400,
    )
    assert messages(live, kind="ses-send") == []


def test_templated_email_v1_and_v2(live: ServerProcess) -> None:
    verify(live, "sender@example.com")
    ses = live.client("ses")
    ses.create_template(
        Template={
            "TemplateName": "welcome",
            "SubjectPart": "Welcome, {{name}}",
            "TextPart": "Hi {{name}}!",
            "HtmlPart": "<p>Hi {{name}}!</p>",
        }
    )
    sent = ses.send_templated_email(
        Source="sender@example.com",
        Destination={"ToAddresses": ["success@simulator.amazonses.com"]},
        Template="welcome",
        TemplateData='{"name": "Ana"}',
    )
    stored = httpx.get(f"{live.url}/_poolmail/messages/{sent['MessageId']}").json()
    assert (stored["subject"], stored["text"]) == ("Welcome, Ana", "Hi Ana!\n")
    shaped = httpx.get(f"{live.url}/_aws/ses", params={"id": sent["MessageId"]}).json()
    assert shaped["messages"][0]["Template"] == "welcome"
    advance(live, 1)
    v2 = live.client("sesv2").send_email(
        FromEmailAddress="sender@example.com",
        Destination={"ToAddresses": ["success@simulator.amazonses.com"]},
        Content={"Template": {"TemplateName": "welcome", "TemplateData": '{"name": "Bo"}'}},
    )
    assert httpx.get(f"{live.url}/_poolmail/messages/{v2['MessageId']}").json()["subject"] == (
        "Welcome, Bo"
    )
    with pytest.raises(ClientError) as excinfo:
        ses.send_templated_email(
            Source="sender@example.com",
            Destination={"ToAddresses": ["success@simulator.amazonses.com"]},
            Template="missing",
            TemplateData="{}",
        )
    assert error_of(excinfo)[0] == "TemplateDoesNotExist"


def test_delegate_sending_needs_the_owners_policy(live: ServerProcess) -> None:
    owner, delegate = "111111111111", "222222222222"
    verify(live, "example.com", account=owner)
    production_access(live, account=delegate)
    arn = f"arn:aws:ses:us-east-1:{owner}:identity/example.com"
    send = {
        "Source": "news@example.com",
        "SourceArn": arn,
        "Destination": {"ToAddresses": ["reader@example.org"]},
        "Message": simple_message(),
    }
    as_delegate = live.client("ses", access_key=delegate)
    with pytest.raises(ClientError) as excinfo:
        as_delegate.send_email(**send)
    assert error_of(excinfo) == (
        "AccessDenied",
        f"User `arn:aws:iam::{delegate}:root' is not authorized to perform `ses:SendEmail' "
        f"on resource `{arn}'",
        403,
    )
    policy_text = (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
        f'"Principal":{{"AWS":"{delegate}"}},"Action":["ses:SendEmail"],"Resource":"{arn}"}}]}}'
    )
    live.client("ses", access_key=owner).put_identity_policy(
        Identity="example.com", PolicyName="delegate", Policy=policy_text
    )
    sent = as_delegate.send_email(**send)
    stored = httpx.get(f"{live.url}/_poolmail/messages/{sent['MessageId']}").json()
    assert stored["account"] == delegate
    assert stored["details"]["source_arn"] == arn


def test_message_api_filters_and_clears(live: ServerProcess) -> None:
    verify(live, "sender@example.com")
    ses = live.client("ses")
    first = ses.send_email(
        Source="sender@example.com",
        Destination={"ToAddresses": ["success@simulator.amazonses.com"]},
        Message=simple_message(subject="first"),
    )["MessageId"]
    advance(live, 1)
    second = ses.send_email(
        Source="sender@example.com",
        Destination={"ToAddresses": ["bounce@simulator.amazonses.com"]},
        Message=simple_message(subject="second"),
    )["MessageId"]
    assert [m["id"] for m in messages(live, kind="ses-send")] == [second, first]
    assert [m["id"] for m in messages(live, status="bounced")] == [second]
    assert [m["id"] for m in messages(live, sender="sender@example.com", limit=1)] == [second]
    assert messages(live, kind="ses-verification")[0]["recipients"] == ["sender@example.com"]
    assert httpx.delete(f"{live.url}/_poolmail/messages/{first}").status_code == 204
    assert httpx.get(f"{live.url}/_poolmail/messages/{first}").status_code == 404
    assert httpx.delete(f"{live.url}/_aws/ses").status_code == 204
    assert httpx.get(f"{live.url}/_aws/ses").json() == {"messages": []}
