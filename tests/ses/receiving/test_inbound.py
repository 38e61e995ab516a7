"""Inbound mail: a message sent with smtplib to the SMTP listener for a verified domain runs
the active receipt rule set: S3 and SNS at moto's server, Lambda through the embedded
runner, AddHeader, Stop, Bounce; SPF, DKIM and DMARC verdicts from the local zone; refusals
for recipients no rule takes, blocked addresses and TLS-only rules."""

from __future__ import annotations

import base64
import json
import smtplib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import dkim
import httpx
import pytest

from poolmail.ses.authentication import dkim_keys
from tests.conftest import BACKENDS
from tests.ses.helpers import messages, verify
from tests.support.functions import write_functions
from tests.support.moto import CREDENTIALS, Moto, free_port, wait_for
from tests.support.server import ServerProcess, serving

DOMAIN = "inbox.example"
STOP_HERE = "arn:aws:lambda:us-east-1:123456789012:function:stop-here"
WORKMAIL = "arn:aws:workmail:us-east-1:123456789012:organization/m-1"
ON_MAIL = "arn:aws:lambda:us-east-1:123456789012:function:on-mail"
SENDER_DOMAIN = "sender.example"
FUNCTIONS = {
    "on-mail": (
        "python3.12",
        "app.handler",
        {"app.py": "def handler(event, context):\n    return None\n"},
    ),
    "stop-here": (
        "python3.12",
        "app.handler",
        {"app.py": "def handler(event, context):\n    return {'disposition': 'STOP_RULE_SET'}\n"},
    ),
}


@dataclass
class Setup:
    server: ServerProcess
    moto: Moto
    smtp_port: int


@pytest.fixture(scope="module", params=BACKENDS)
def setup(
    request: pytest.FixtureRequest, moto: Moto, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Setup]:
    toml = write_functions(tmp_path_factory.mktemp("functions"), FUNCTIONS)
    port = free_port()
    options = [
        "--smtp-port",
        str(port),
        "--aws-endpoint-url",
        moto.url,
        "--functions",
        str(toml),
    ]
    with serving(request.param, options, env=CREDENTIALS) as running:
        yield Setup(running, moto, port)


@pytest.fixture
def world(setup: Setup) -> Setup:
    setup.server.reset()
    verify(setup.server, DOMAIN)
    return setup


# --- helpers ---------------------------------------------------------------------------------


def publish(server: ServerProcess, name: str, value: str) -> None:
    answer = httpx.post(
        f"{server.url}/_poolmail/dns/records", json={"name": name, "type": "TXT", "value": value}
    )
    assert answer.status_code in (200, 201), answer.text


def activate(server: ServerProcess, rules: list[dict[str, Any]]) -> None:
    """A new rule set holding ``rules`` (in order), made active."""
    ses = server.client("ses")
    name = f"set-{uuid.uuid4().hex[:8]}"
    ses.create_receipt_rule_set(RuleSetName=name)
    after: str | None = None
    for rule in rules:
        given = {"Enabled": True, **rule}
        extra = {"After": after} if after else {}
        ses.create_receipt_rule(RuleSetName=name, Rule=given, **extra)
        after = rule["Name"]
    ses.set_active_receipt_rule_set(RuleSetName=name)


def mail(recipient: str, *, sender: str = f"ann@{SENDER_DOMAIN}", body: str = "Hello") -> bytes:
    message = EmailMessage()
    message["From"] = f"Ann <{sender}>"
    message["To"] = recipient
    message["Subject"] = "inbound test"
    message["Message-ID"] = f"<{uuid.uuid4()}@{SENDER_DOMAIN}>"
    message.set_content(body)
    return message.as_bytes().replace(b"\n", b"\r\n")


def deliver(
    setup: Setup, recipients: list[str], data: bytes, *, sender: str = f"ann@{SENDER_DOMAIN}"
) -> tuple[int, str]:
    """One SMTP transaction, unauthenticated; the DATA reply (code, text)."""
    with smtplib.SMTP("127.0.0.1", setup.smtp_port, timeout=60) as client:
        client.ehlo("mx.sender.example")
        assert client.mail(sender)[0] == 250
        for recipient in recipients:
            code, text = client.rcpt(recipient)
            assert code == 250, (code, text)
        code, text = client.data(data)
    return code, text.decode()


def received_id(reply: tuple[int, str]) -> str:
    code, text = reply
    assert code == 250, reply
    return text.split()[-1]


def stored(server: ServerProcess, message_id: str) -> dict[str, Any]:
    found = wait_for(
        lambda: [m for m in messages(server, kind="ses-inbound") if m["id"] == message_id]
    )
    assert found, message_id
    message: dict[str, Any] = found[0]
    return message


def raw_of(server: ServerProcess, message_id: str) -> bytes:
    answer = httpx.get(f"{server.url}/_poolmail/messages/{message_id}/raw")
    answer.raise_for_status()
    return answer.content


def new_bucket(moto: Moto) -> str:
    bucket = f"mail-{uuid.uuid4().hex[:10]}"
    moto.client("s3").create_bucket(Bucket=bucket)
    return bucket


def s3_object(moto: Moto, bucket: str, key: str) -> bytes:
    s3 = moto.client("s3")

    def found() -> bytes | None:
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read() if key in keys else None

    body = wait_for(found, 30)
    assert body is not None, f"s3://{bucket}/{key} never arrived"
    return bytes(body)


def topic_with_queue(moto: Moto) -> tuple[str, str]:
    sns, sqs = moto.client("sns"), moto.client("sqs")
    name = f"inbound-{uuid.uuid4().hex[:8]}"
    topic = sns.create_topic(Name=name)["TopicArn"]
    queue = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    return topic, queue


def notifications_in(moto: Moto, queue: str, count: int = 1) -> list[dict[str, Any]]:
    sqs = moto.client("sqs")
    got: list[dict[str, Any]] = []

    def enough() -> bool:
        answer = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for message in answer.get("Messages", []):
            got.append(json.loads(message["Body"]))
        return len(got) >= count

    assert wait_for(enough, 30), got
    return got


def dkim_signed(data: bytes, selector: str, pem: bytes) -> bytes:
    signature: bytes = dkim.sign(
        data,
        selector.encode(),
        SENDER_DOMAIN.encode(),
        pem,
        include_headers=[b"from", b"to", b"subject"],
    )
    return signature + data


# --- the tests -------------------------------------------------------------------------------


def test_mail_for_a_verified_domain_lands_in_s3_and_on_sns(world: Setup) -> None:
    server, moto = world.server, world.moto
    bucket = new_bucket(moto)
    topic, queue = topic_with_queue(moto)
    selector, pem = "mail", dkim_keys.generate_pem(1024)
    publish(server, SENDER_DOMAIN, "v=spf1 ip4:127.0.0.1 -all")
    publish(server, f"{selector}._domainkey.{SENDER_DOMAIN}", dkim_keys.key_record(pem))
    publish(server, f"_dmarc.{SENDER_DOMAIN}", "v=DMARC1; p=reject")
    activate(
        server,
        [
            {
                "Name": "store",
                "Recipients": [DOMAIN],
                "Actions": [
                    {"S3Action": {"BucketName": bucket, "ObjectKeyPrefix": "mail/"}},
                    {"SNSAction": {"TopicArn": topic, "Encoding": "UTF-8"}},
                ],
            }
        ],
    )
    original = dkim_signed(mail(f"bob@{DOMAIN}"), selector, pem)
    message_id = received_id(deliver(world, [f"bob@{DOMAIN}"], original))

    body = s3_object(moto, bucket, f"mail/{message_id}")
    assert body.startswith(f"Return-Path: <ann@{SENDER_DOMAIN}>\r\nReceived: from ".encode())
    assert body.endswith(original)
    headers = body[: -len(original)].decode()
    assert f"by inbound-smtp.us-east-1.amazonaws.com with SMTP id {message_id}" in headers
    assert "X-SES-Spam-Verdict" not in headers  # no rule scans
    assert (
        f"Received-SPF: pass (spfCheck: domain of {SENDER_DOMAIN} designates 127.0.0.1 as "
        f"permitted sender) client-ip=127.0.0.1; envelope-from=ann@{SENDER_DOMAIN}; "
        "helo=mx.sender.example;"
    ) in headers
    assert (
        f"dkim=pass header.i=@{SENDER_DOMAIN}; dmarc=pass header.from={SENDER_DOMAIN};"
    ) in headers
    assert "\r\nX-SES-RECEIPT: " in headers
    assert "\r\nX-SES-DKIM-SIGNATURE: v=1; a=rsa-sha256;" in headers

    [envelope] = notifications_in(moto, queue)
    assert envelope["Subject"] == "Amazon SES Email Receipt Notification"
    notification = json.loads(envelope["Message"])
    assert notification["notificationType"] == "Received"
    assert notification["content"].encode() == body
    receipt = notification["receipt"]
    assert receipt["recipients"] == [f"bob@{DOMAIN}"]
    assert {key: receipt[key]["status"] for key in receipt if key.endswith("Verdict")} == {
        "spamVerdict": "DISABLED",
        "virusVerdict": "DISABLED",
        "spfVerdict": "PASS",
        "dkimVerdict": "PASS",
        "dmarcVerdict": "PASS",
    }
    assert receipt["action"] == {"type": "SNS", "topicArn": topic, "encoding": "UTF-8"}
    assert "dmarcPolicy" not in receipt
    sent = notification["mail"]
    assert sent["messageId"] == message_id
    assert sent["source"] == f"ann@{SENDER_DOMAIN}"
    assert sent["destination"] == [f"bob@{DOMAIN}"]
    assert sent["commonHeaders"]["from"] == [f"Ann <ann@{SENDER_DOMAIN}>"]
    assert sent["commonHeaders"]["subject"] == "inbound test"
    assert sent["commonHeaders"]["returnPath"] == f"ann@{SENDER_DOMAIN}"
    assert [h["name"] for h in sent["headers"][:2]] == ["Return-Path", "Received"]

    kept = stored(server, message_id)
    assert kept["origin"] == "inbound"
    assert kept["recipients"] == [f"bob@{DOMAIN}"]
    assert raw_of(server, message_id) == body
    assert [a["type"] for a in kept["details"]["inbound"]["actions"]] == ["S3", "SNS"]


def test_spf_dkim_and_dmarc_fail_by_the_records(world: Setup) -> None:
    server = world.server
    selector, pem = "mail", dkim_keys.generate_pem(1024)
    publish(server, SENDER_DOMAIN, "v=spf1 ip4:192.0.2.1 -all")
    publish(server, f"{selector}._domainkey.{SENDER_DOMAIN}", dkim_keys.key_record(pem))
    publish(server, f"_dmarc.{SENDER_DOMAIN}", "v=DMARC1; p=quarantine")
    activate(server, [{"Name": "keep", "Recipients": [], "Actions": []}])
    signed = dkim_signed(mail(f"bob@{DOMAIN}"), selector, pem)
    tampered = signed.replace(b"Hello", b"Hullo")
    message_id = received_id(deliver(world, [f"bob@{DOMAIN}"], tampered))
    verdicts = stored(server, message_id)["details"]["inbound"]["verdicts"]
    assert verdicts == {
        "spam": "DISABLED",
        "virus": "DISABLED",
        "spf": "FAIL",
        "dkim": "FAIL",
        "dmarc": "FAIL",
        "dmarcPolicy": "quarantine",
    }
    headers = raw_of(server, message_id).decode()
    assert f"Received-SPF: fail (spfCheck: domain of {SENDER_DOMAIN} does not designate" in headers
    assert f"dkim=fail header.i=@{SENDER_DOMAIN}; dmarc=fail header.from={SENDER_DOMAIN};" in (
        headers
    )

    # Unsigned, from a domain that publishes nothing: GRAY all round; a scanning rule adds
    # the scan verdicts, which a test header can turn.
    activate(server, [{"Name": "scan", "ScanEnabled": True, "Actions": []}])
    data = mail(f"bob@{DOMAIN}", sender="carl@quiet.example")
    data = b"X-Poolmail-Spam-Verdict: FAIL\r\n" + data
    message_id = received_id(deliver(world, [f"bob@{DOMAIN}"], data, sender="carl@quiet.example"))
    verdicts = stored(server, message_id)["details"]["inbound"]["verdicts"]
    assert verdicts == {
        "spam": "FAIL",
        "virus": "PASS",
        "spf": "GRAY",
        "dkim": "GRAY",
        "dmarc": "GRAY",
        "dmarcPolicy": None,
    }
    headers = raw_of(server, message_id).decode()
    assert "\r\nX-SES-Spam-Verdict: FAIL\r\nX-SES-Virus-Verdict: PASS\r\n" in headers
    assert "dkim=" not in headers.split("\r\n\r\n")[0]

    # The console labels received mail and shows its verdicts and actions.
    rows = httpx.get(f"{server.url}/console/mail/rows").text
    assert 'class="badge badge-inbound">inbound</span>' in rows
    page = httpx.get(f"{server.url}/console/mail/{message_id}").text
    assert 'data-verdict="spam">spam <code>FAIL</code>' in page
    assert 'data-verdict="spf">spf <code>GRAY</code>' in page
    assert "No action ran." in page


def test_add_header_shows_in_s3_and_stop_ends_the_rule_set(world: Setup) -> None:
    server, moto = world.server, world.moto
    bucket = new_bucket(moto)
    activate(
        server,
        [
            {
                "Name": "first",
                "Actions": [
                    {"AddHeaderAction": {"HeaderName": "X-Routed", "HeaderValue": "first rule"}},
                    {"S3Action": {"BucketName": bucket, "ObjectKeyPrefix": "a/"}},
                    {"StopAction": {"Scope": "RuleSet"}},
                ],
            },
            {
                "Name": "second",
                "Actions": [{"S3Action": {"BucketName": bucket, "ObjectKeyPrefix": "b/"}}],
            },
        ],
    )
    message_id = received_id(deliver(world, [f"bob@{DOMAIN}"], mail(f"bob@{DOMAIN}")))
    body = s3_object(moto, bucket, f"a/{message_id}")
    assert body.startswith(b"X-Routed: first rule\r\nReturn-Path: ")
    kept = stored(server, message_id)["details"]["inbound"]
    assert [(a["rule"], a["type"]) for a in kept["actions"]] == [
        ("first", "AddHeader"),
        ("first", "S3"),
        ("first", "Stop"),
    ]
    records = httpx.get(f"{server.url}/_poolmail/outbox", params={"owner": message_id}).json()
    assert [r["target"]["key"] for r in records["records"]] == [f"a/{message_id}"]


def test_recipients_no_rule_takes_are_refused(world: Setup) -> None:
    server = world.server
    activate(
        server,
        [
            {"Name": "off", "Enabled": False},  # a disabled rule takes no one
            {"Name": "team", "Recipients": [f"team@{DOMAIN}", ".sub.example"]},
        ],
    )
    with smtplib.SMTP("127.0.0.1", world.smtp_port, timeout=60) as client:
        client.ehlo("mx.sender.example")
        client.mail(f"ann@{SENDER_DOMAIN}")
        assert client.rcpt(f"other@{DOMAIN}") == (
            550,
            b"5.1.1 Requested action not taken: mailbox unavailable",
        )
        assert client.rcpt(f"team@{DOMAIN}")[0] == 250
        # Once inbound, a recipient on another domain is no mailbox of this account.
        assert client.rcpt("someone@elsewhere.example")[0] == 550
    verify(server, "sub.example")
    with smtplib.SMTP("127.0.0.1", world.smtp_port, timeout=60) as client:
        client.ehlo("mx.sender.example")
        client.mail(f"ann@{SENDER_DOMAIN}")
        assert client.rcpt("x@deep.sub.example")[0] == 250
    with smtplib.SMTP("127.0.0.1", world.smtp_port, timeout=60) as client:
        client.ehlo("mx.sender.example")
        client.mail(f"ann@{SENDER_DOMAIN}")
        assert client.rcpt("x@sub.example")[0] == 550  # `.sub.example` is its subdomains only

    # A TLS-only rule refuses this listener's plain sessions; an IP filter blocks first.
    activate(server, [{"Name": "tls", "TlsPolicy": "Require"}])
    with smtplib.SMTP("127.0.0.1", world.smtp_port, timeout=60) as client:
        client.ehlo("mx.sender.example")
        client.mail(f"ann@{SENDER_DOMAIN}")
        assert client.rcpt(f"bob@{DOMAIN}") == (
            530,
            b"5.7.0 Must issue a STARTTLS command first",
        )
    ses = server.client("ses")
    ses.create_receipt_filter(
        Filter={"Name": "loopback", "IpFilter": {"Policy": "Block", "Cidr": "127.0.0.0/8"}}
    )
    with smtplib.SMTP("127.0.0.1", world.smtp_port, timeout=60) as client:
        client.ehlo("mx.sender.example")
        client.mail(f"ann@{SENDER_DOMAIN}")
        assert client.rcpt(f"bob@{DOMAIN}") == (554, b"5.7.1 Access denied")
    ses.create_receipt_filter(
        Filter={"Name": "me", "IpFilter": {"Policy": "Allow", "Cidr": "127.0.0.1"}}
    )
    with smtplib.SMTP("127.0.0.1", world.smtp_port, timeout=60) as client:
        client.ehlo("mx.sender.example")
        client.mail(f"ann@{SENDER_DOMAIN}")
        assert client.rcpt(f"bob@{DOMAIN}")[0] == 530
    assert messages(server, kind="ses-inbound") == []


def test_lambda_actions_get_the_ses_event(world: Setup) -> None:
    server, moto = world.server, world.moto
    bucket = new_bucket(moto)
    activate(
        server,
        [
            {
                "Name": "functions",
                "Actions": [
                    {"LambdaAction": {"FunctionArn": ON_MAIL, "InvocationType": "Event"}},
                    {
                        "LambdaAction": {
                            "FunctionArn": STOP_HERE,
                            "InvocationType": "RequestResponse",
                        }
                    },
                ],
            },
            {
                "Name": "after",
                "Actions": [{"S3Action": {"BucketName": bucket}}],
            },
        ],
    )
    message_id = received_id(deliver(world, [f"bob@{DOMAIN}"], mail(f"bob@{DOMAIN}")))

    def invocations() -> list[dict[str, Any]]:
        answer = httpx.get(
            f"{server.url}/_poolmail/functions/invocations", params={"owner": message_id}
        )
        found: list[dict[str, Any]] = answer.json()["invocations"]
        return found if len(found) == 2 else []

    found = wait_for(invocations, 60)
    assert found, "both functions ran"
    by_name = {invocation["function"]: invocation for invocation in found}
    event = by_name["on-mail"]["request"]
    [record] = event["Records"]
    assert record["eventSource"] == "aws:ses"
    assert record["eventVersion"] == "1.0"
    assert record["ses"]["mail"]["messageId"] == message_id
    assert "content" not in record["ses"]
    assert record["ses"]["receipt"]["action"] == {
        "type": "Lambda",
        "functionArn": ON_MAIL,
        "invocationType": "Event",
    }
    assert by_name["stop-here"]["response"] == {"disposition": "STOP_RULE_SET"}
    actions = stored(server, message_id)["details"]["inbound"]["actions"]
    assert [(a["rule"], a.get("disposition")) for a in actions] == [
        ("functions", None),
        ("functions", "STOP_RULE_SET"),
    ]


def test_bounce_action_mails_a_bounce_to_the_sender(world: Setup) -> None:
    server = world.server
    activate(
        server,
        [
            {
                "Name": "bounce",
                "Actions": [
                    {"WorkmailAction": {"OrganizationArn": WORKMAIL}},
                    {
                        "BounceAction": {
                            "SmtpReplyCode": "550",
                            "StatusCode": "5.1.1",
                            "Message": "Mailbox does not exist",
                            "Sender": f"mailer-daemon@{DOMAIN}",
                        }
                    },
                ],
            }
        ],
    )
    # SES accepts the message, then bounces it.
    message_id = received_id(deliver(world, [f"gone@{DOMAIN}"], mail(f"gone@{DOMAIN}")))
    [bounce] = wait_for(lambda: messages(server, kind="ses-receipt-bounce"))
    assert bounce["recipients"] == [f"ann@{SENDER_DOMAIN}"]
    assert bounce["source"] == f"mailer-daemon@{DOMAIN}"
    assert bounce["details"]["inbound_message_id"] == message_id
    raw = raw_of(server, bounce["id"]).decode()
    assert 'Content-Type: multipart/report; report-type="delivery-status"' in raw
    assert f"Final-Recipient: rfc822; gone@{DOMAIN}" in raw
    assert "Diagnostic-Code: smtp; 550 5.1.1 Mailbox does not exist" in raw
    actions = stored(server, message_id)["details"]["inbound"]["actions"]
    assert [(a["type"], a["status"]) for a in actions] == [
        ("WorkMail", "not delivered"),
        ("Bounce", "sent"),
    ]
    assert actions[0]["reason"] == "Not delivered: poolmail does not emulate Amazon WorkMail"


def test_authenticated_sessions_and_other_domains_still_send(world: Setup) -> None:
    server = world.server
    activate(server, [{"Name": "all"}])
    verify(server, f"ann@{DOMAIN}")
    httpx.post(
        f"{server.url}/_poolmail/ses/account/sandbox",
        json={"account": "123456789012", "region": "us-east-1", "production_access": True},
    ).raise_for_status()
    with smtplib.SMTP("127.0.0.1", world.smtp_port, timeout=60) as client:
        client.login("AKIDSMTPUSER", "secret")
        client.sendmail(
            f"ann@{DOMAIN}", [f"bob@{DOMAIN}"], mail(f"bob@{DOMAIN}", sender=f"ann@{DOMAIN}")
        )
    sent = wait_for(lambda: messages(server, kind="ses-send"))
    assert [m["origin"] for m in sent] == ["smtp"]
    assert messages(server, kind="ses-inbound") == []


def test_base64_sns_content_and_s3_topic_notification(world: Setup) -> None:
    server, moto = world.server, world.moto
    bucket = new_bucket(moto)
    topic, queue = topic_with_queue(moto)
    activate(
        server,
        [
            {
                "Name": "both",
                "Actions": [
                    {"S3Action": {"BucketName": bucket, "TopicArn": topic}},
                    {"SNSAction": {"TopicArn": topic, "Encoding": "Base64"}},
                ],
            }
        ],
    )
    message_id = received_id(deliver(world, [f"bob@{DOMAIN}"], mail(f"bob@{DOMAIN}")))
    got = [json.loads(n["Message"]) for n in notifications_in(moto, queue, 2)]
    by_type = {n["receipt"]["action"]["type"]: n for n in got}
    assert by_type["S3"]["receipt"]["action"] == {
        "type": "S3",
        "topicArn": topic,
        "bucketName": bucket,
        "objectKeyPrefix": "",
        "objectKey": message_id,
    }
    assert "content" not in by_type["S3"]
    content = base64.b64decode(by_type["SNS"]["content"])
    assert content == s3_object(moto, bucket, message_id)


def test_sns_action_bounces_mail_over_150_kb(world: Setup) -> None:
    server, moto = world.server, world.moto
    topic, _queue = topic_with_queue(moto)
    activate(server, [{"Name": "big", "Actions": [{"SNSAction": {"TopicArn": topic}}]}])
    big = mail(f"bob@{DOMAIN}", body="x" * 70 + "\n" * 1 + ("y" * 76 + "\n") * 2100)
    message_id = received_id(deliver(world, [f"bob@{DOMAIN}"], big))
    [bounce] = wait_for(lambda: messages(server, kind="ses-receipt-bounce"))
    assert (
        "Diagnostic-Code: smtp; 552 5.3.4 Message too large"
        in raw_of(server, bounce["id"]).decode()
    )
    actions = stored(server, message_id)["details"]["inbound"]["actions"]
    assert [(a["type"], a["status"]) for a in actions] == [("SNS", "bounced")]
    records = httpx.get(f"{server.url}/_poolmail/outbox", params={"owner": message_id}).json()
    assert records["records"] == []
