"""Unit tests of inbound mail's pure parts: which rule takes an address, IP filters, the
verdicts from a resolver that answers from a dict, the notification's shapes and the
headers SES puts on top of a received message."""

from __future__ import annotations

import base64
import json

import dkim
import pytest

from poolmail.ses.authentication import dkim_keys
from poolmail.ses.receiving import actions, inbound, notifications, verdicts

SENDER = "sender.example"


class Zone:
    """A resolver answering TXT from a dict."""

    def __init__(self, records: dict[str, list[str]]) -> None:
        self.records = records

    def txt(self, name: str) -> list[str]:
        return self.records.get(name, [])

    def cname(self, name: str) -> str | None:
        return None

    def mx(self, name: str) -> list[str]:
        return []


MESSAGE = (
    b"From: =?utf-8?q?Ann_=C3=85?= <ann@sender.example>\r\nTo: Bob <bob@inbox.example>\r\n"
    b"Cc: carl@inbox.example\r\nSubject: =?utf-8?q?h=C3=A9llo?=\r\n"
    b"Message-ID: <m1@sender.example>\r\n"
    b"Date: Sun, 06 Dec 2026 09:00:00 +0000\r\n\r\nbody\r\n"
)


@pytest.mark.parametrize(
    ("conditions", "address", "taken"),
    [
        ([], "anyone@inbox.example", True),
        (["bob@inbox.example"], "Bob@Inbox.example", True),
        (["bob@inbox.example"], "carl@inbox.example", False),
        (["inbox.example"], "carl@inbox.example", True),
        (["inbox.example"], "carl@sub.inbox.example", False),
        ([".inbox.example"], "carl@sub.inbox.example", True),
        ([".inbox.example"], "carl@inbox.example", False),
        (["other.example", "inbox.example"], "x@inbox.example", True),
    ],
)
def test_recipient_conditions(conditions: list[str], address: str, taken: bool) -> None:
    assert inbound.matches(conditions, address) is taken


def test_ip_filters_block_unless_allowed() -> None:
    block = {"Name": "b", "IpFilter": {"Policy": "Block", "Cidr": "10.0.0.0/8"}}
    allow = {"Name": "a", "IpFilter": {"Policy": "Allow", "Cidr": "10.1.2.3"}}
    assert inbound.blocked("10.9.9.9", [block])
    assert not inbound.blocked("10.1.2.3", [block, allow])
    assert not inbound.blocked("192.0.2.1", [block])
    assert not inbound.blocked("192.0.2.1", [allow])
    assert not inbound.blocked("::1", [block])


def test_verdicts_from_the_zone() -> None:
    pem = dkim_keys.generate_pem(1024)
    signed = dkim.sign(MESSAGE, b"s1", SENDER.encode(), pem, include_headers=[b"from", b"to"])
    zone = Zone(
        {
            SENDER: ["v=spf1 ip4:192.0.2.0/24 ~all"],
            f"s1._domainkey.{SENDER}": [dkim_keys.key_record(pem)],
            f"_dmarc.{SENDER}": ["v=DMARC1; p=reject; sp=none"],
        }
    )
    found = verdicts.evaluate(
        signed + MESSAGE,
        ip="192.0.2.7",
        mail_from=f"a@{SENDER}",
        helo="mx",
        resolver=zone,
        dns_server=None,
    )
    assert (found.spf.verdict, found.dkim.verdict, found.dmarc.verdict) == ("PASS", "PASS", "PASS")
    found = verdicts.evaluate(
        MESSAGE,
        ip="198.51.100.1",
        mail_from=f"a@{SENDER}",
        helo="mx",
        resolver=zone,
        dns_server=None,
    )
    assert found.spf.result == "softfail"
    assert (found.spf.verdict, found.dkim.verdict, found.dmarc.verdict) == ("FAIL", "GRAY", "FAIL")
    assert found.dmarc.policy == "reject"
    # A subdomain without its own record meets the organisational domain's sp=.
    from_sub = MESSAGE.replace(b"ann@sender.example", b"ann@mail.sender.example")
    found = verdicts.evaluate(
        from_sub,
        ip="198.51.100.1",
        mail_from=f"a@{SENDER}",
        helo="mx",
        resolver=zone,
        dns_server=None,
    )
    assert (found.dmarc.verdict, found.dmarc.policy) == ("FAIL", "none")
    # A bounce (null sender) is checked for the HELO name; a broken record is an error.
    broken = Zone({"mx.sender.example": ["v=spf1 include:"]})
    found = verdicts.evaluate(
        MESSAGE,
        ip="192.0.2.7",
        mail_from="",
        helo="mx.sender.example",
        resolver=broken,
        dns_server=None,
    )
    assert (found.spf.result, found.spf.verdict) == ("permerror", "PROCESSING_FAILED")
    assert found.spf.comment == "spfCheck: Error in processing SPF Record"


def test_scan_verdicts_follow_the_test_headers() -> None:
    assert verdicts.scan_verdicts(MESSAGE) == ("PASS", "PASS")
    asked = b"X-Poolmail-Virus-Verdict: fail\r\nX-Poolmail-Spam-Verdict: nonsense\r\n" + MESSAGE
    assert verdicts.scan_verdicts(asked) == ("PASS", "FAIL")


def test_mail_object_reads_like_a_real_notification() -> None:
    mail = notifications.mail_object(
        timestamp=1_765_011_600.5, source="a@sender.example", message_id="id1", message=MESSAGE
    )
    assert mail["timestamp"] == "2025-12-06T09:00:00.500Z"
    assert mail["destination"] == ["bob@inbox.example", "carl@inbox.example"]
    assert mail["headersTruncated"] is False
    assert mail["commonHeaders"] == {
        "from": ["Ann Å <ann@sender.example>"],
        "to": ["Bob <bob@inbox.example>"],
        "cc": ["carl@inbox.example"],
        "date": "Sun, 06 Dec 2026 09:00:00 +0000",
        "messageId": "<m1@sender.example>",
        "subject": "héllo",
    }
    big = b"".join(b"X-Filler-%d: %s\r\n" % (n, b"x" * 100) for n in range(200)) + MESSAGE
    mail = notifications.mail_object(timestamp=0, source="", message_id="id", message=big)
    assert mail["headersTruncated"] is True
    assert sum(len(h["name"]) + len(h["value"]) for h in mail["headers"]) < 10 * 1024


def test_received_notification_content_encodings() -> None:
    utf8 = notifications.received({}, {}, "é".encode())
    assert utf8["content"] == "é"
    encoded = notifications.received({}, {}, b"\xff\x00", "Base64")
    assert base64.b64decode(encoded["content"]) == b"\xff\x00"
    assert "content" not in notifications.received({}, {}, None)
    event = notifications.lambda_event({"m": 1}, {"r": 2})
    assert event["Records"][0]["ses"] == {"mail": {"m": 1}, "receipt": {"r": 2}}


def test_receipt_headers_and_their_signature() -> None:
    pem = dkim_keys.generate_pem(1024)
    found = verdicts.evaluate(
        MESSAGE,
        ip="127.0.0.1",
        mail_from="a@x.example",
        helo="h",
        resolver=Zone({}),
        dns_server=None,
    )
    stored = inbound.with_receipt_headers(
        MESSAGE,
        verdicts=found,
        scanned=False,
        message_id="abc",
        scope=inbound.Scope("123456789012", "eu-west-1"),
        ip="127.0.0.1",
        helo="h",
        mail_from="a@x.example",
        recipient="bob@inbox.example",
        at=0,
        dkim_key=("sel", pem),
    )
    assert stored.endswith(MESSAGE)
    head = stored[: -len(MESSAGE)].decode()
    names = [line.split(":")[0] for line in head.split("\r\n") if line and line[0] not in " \t"]
    assert names == [
        "Return-Path",
        "Received",
        "Received-SPF",
        "Authentication-Results",
        "X-SES-RECEIPT",
        "X-SES-DKIM-SIGNATURE",
    ]
    assert "by inbound-smtp.eu-west-1.amazonaws.com with SMTP id abc" in head
    assert "dmarc=none header.from=sender.example;" in head
    receipt = head.split("X-SES-RECEIPT: ")[1].split("\r\n")[0]
    assert json.loads(base64.b64decode(receipt)) == {
        "account": "123456789012",
        "region": "eu-west-1",
        "id": "abc",
    }
    # Renamed back, the signature verifies against the key's record.
    as_dkim = stored.replace(b"X-SES-DKIM-SIGNATURE:", b"DKIM-Signature:")
    record = dkim_keys.key_record(pem).encode()
    assert dkim.verify(as_dkim, dnsfunc=lambda name, timeout=5: record)


def test_bounce_is_a_delivery_status_report() -> None:
    raw = actions.dsn(
        sender="postmaster@inbox.example",
        to="a@sender.example",
        recipients=["bob@inbox.example", "carl@inbox.example"],
        reply_code="550",
        status_code="5.1.1",
        text="Mailbox does not exist",
        original=MESSAGE,
        at=0,
    ).decode()
    assert 'Content-Type: multipart/report; report-type="delivery-status"' in raw
    assert raw.count("Action: failed") == 2
    assert "Diagnostic-Code: smtp; 550 5.1.1 Mailbox does not exist" in raw
    assert "Content-Type: text/rfc822-headers" in raw
    assert "Message-ID: <m1@sender.example>" in raw


def test_message_ids_look_like_ses_receiving_ids() -> None:
    ids = {actions.new_message_id() for _ in range(50)}
    assert len(ids) == 50
    assert all(len(i) == 40 and set(i) <= set("0123456789abcdefghijklmnopqrstuv") for i in ids)
