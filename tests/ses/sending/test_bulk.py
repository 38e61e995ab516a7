"""Bulk sending through both APIs: per-destination status, replacement data, the sandbox
rule and the quotas per destination."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from poolmail.ses.sending.bulk import merged_data
from tests.ses.helpers import advance, messages, production_access, verify
from tests.support.server import ServerProcess

SENDER = "news@example.com"
TEMPLATE = {
    "TemplateName": "digest",
    "SubjectPart": "Hello {{name}}",
    "TextPart": "Dear {{name}}, your plan is {{plan}}.",
    "HtmlPart": "<p>Dear {{name}}, your plan is {{plan}}.</p>",
}


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    error = excinfo.value.response["Error"]
    status = excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]
    return error["Code"], error["Message"], status


def raw_of(server: ServerProcess, message_id: str) -> str:
    answer = httpx.get(f"{server.url}/_poolmail/messages/{message_id}/raw")
    answer.raise_for_status()
    return answer.text


def _destination(address: str, name: str) -> dict[str, Any]:
    return {
        "Destination": {"ToAddresses": [address]},
        "ReplacementTemplateData": json.dumps({"name": name}),
    }


def test_v1_bulk_to_fifty_in_the_sandbox_reports_each_destination(live: ServerProcess) -> None:
    ses = live.client("ses")
    verify(live, SENDER)
    verify(live, "team.example")  # covers every address at team.example
    ses.create_template(Template=TEMPLATE)
    addresses = [
        f"user{i}@team.example" if i % 3 else f"user{i}@elsewhere.example" for i in range(50)
    ]
    answer = ses.send_bulk_templated_email(
        Source=SENDER,
        Template="digest",
        DefaultTemplateData=json.dumps({"name": "friend", "plan": "basic"}),
        Destinations=[_destination(a, f"N{i}") for i, a in enumerate(addresses)],
    )
    statuses = answer["Status"]
    assert len(statuses) == 50
    for address, status in zip(addresses, statuses, strict=True):
        if address.endswith("@team.example"):
            assert set(status) == {"Status", "MessageId"}
            assert status["Status"] == "Success"
        else:
            assert status == {
                "Status": "MessageRejected",
                "Error": "Email address is not verified. The following identities failed "
                f"the check in region US-EAST-1: {address}",
            }
    sent = [s["MessageId"] for s in statuses if s["Status"] == "Success"]
    assert len(sent) == 33
    # Each accepted destination is its own message, rendered with its replacement data
    # merged over the default data.
    raw = raw_of(live, statuses[1]["MessageId"])
    assert "Subject: Hello N1" in raw
    assert "Dear N1, your plan is basic." in raw
    assert "To: user1@team.example" in raw
    # Quotas count per destination: 33 recipients, the refused ones not at all.
    assert ses.get_send_quota()["SentLast24Hours"] == 33.0
    rejected = messages(live, status="rejected", recipient="user0@elsewhere.example")
    assert len(rejected) == 1


def test_v1_bulk_refusals_for_the_whole_call(live: ServerProcess) -> None:
    ses = live.client("ses")
    ses.create_template(Template=TEMPLATE)
    verify(live, "to@example.com")
    call: dict[str, Any] = {
        "Source": SENDER,
        "Template": "digest",
        "DefaultTemplateData": "{}",
        "Destinations": [_destination("to@example.com", "A")],
    }
    with pytest.raises(ClientError) as excinfo:
        ses.send_bulk_templated_email(**call)
    assert error_of(excinfo) == (
        "MessageRejected",
        "Email address is not verified. The following identities failed the check in "
        f"region US-EAST-1: {SENDER}",
        400,
    )
    verify(live, SENDER)
    with pytest.raises(ClientError) as excinfo:
        ses.send_bulk_templated_email(**{**call, "Template": "nope"})
    assert error_of(excinfo) == ("TemplateDoesNotExist", "Template nope does not exist.", 400)
    with pytest.raises(ClientError) as excinfo:
        ses.send_bulk_templated_email(**{**call, "ConfigurationSetName": "missing"})
    assert error_of(excinfo) == (
        "ConfigurationSetDoesNotExist",
        "Configuration set <missing> does not exist.",
        400,
    )
    with pytest.raises(ClientError) as excinfo:
        ses.send_bulk_templated_email(
            **{**call, "Destinations": [_destination("to@example.com", "A")] * 51}
        )
    code, message, status = error_of(excinfo)
    assert (code, status) == ("InvalidParameterValue", 400)
    assert "50" in message
    # Nothing was sent by any refused call.
    assert ses.get_send_quota()["SentLast24Hours"] == 0.0


def test_v1_bulk_rendering_failure_rate_and_daily_quota_are_per_destination(
    live: ServerProcess,
) -> None:
    ses = live.client("ses")
    verify(live, SENDER)
    verify(live, "team.example")
    ses.create_template(Template=TEMPLATE)

    def crowd(start: int, count: int) -> dict[str, Any]:
        return {
            "Destination": {"ToAddresses": [f"u{start + i}@team.example" for i in range(count)]},
            "ReplacementTemplateData": json.dumps({"plan": "pro"}),
        }

    answer = ses.send_bulk_templated_email(
        Source=SENDER,
        Template="digest",
        DefaultTemplateData=json.dumps({"name": "friend"}),
        Destinations=[
            crowd(0, 50),
            {"Destination": {"ToAddresses": ["b@team.example"]}},
            crowd(50, 50),
            crowd(100, 50),
            crowd(150, 49),
        ],
    )
    first, second, *rest = answer["Status"]
    assert first["Status"] == "Success"
    assert second == {
        "Status": "InvalidParameterValue",
        "Error": "Attribute 'plan' is not present in the rendering data.",
    }
    assert [status["Status"] for status in rest] == ["Success"] * 3
    assert "Dear friend, your plan is pro." in raw_of(live, first["MessageId"])
    assert ses.get_send_quota()["SentLast24Hours"] == 199.0
    # Right after 199 recipients the sandbox's rate (1 a second) is spent: every
    # destination of the next call is throttled, and nothing is counted.
    again = [crowd(300, 1), crowd(301, 1)]
    named = json.dumps({"name": "friend"})
    throttled = ses.send_bulk_templated_email(
        Source=SENDER, Template="digest", DefaultTemplateData=named, Destinations=again
    )
    assert (
        throttled["Status"]
        == [{"Status": "AccountThrottled", "Error": "Maximum sending rate exceeded."}] * 2
    )
    # A moment later the rate allows it, and the daily quota (200) stops the second.
    advance(live, 2)
    later = ses.send_bulk_templated_email(
        Source=SENDER, Template="digest", DefaultTemplateData=named, Destinations=again
    )
    assert later["Status"][0]["Status"] == "Success"
    assert later["Status"][1] == {
        "Status": "AccountDailyQuotaExceeded",
        "Error": "Daily message quota exceeded.",
    }
    assert ses.get_send_quota()["SentLast24Hours"] == 200.0


def test_v2_bulk_with_replacement_data_tags_and_headers(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    production_access(live)
    verify(live, SENDER)
    sesv2.create_email_template(
        TemplateName="promo",
        TemplateContent={"Subject": "Offer for {{name}}", "Text": "{{name}}: {{offer}}"},
    )
    answer = sesv2.send_bulk_email(
        FromEmailAddress=SENDER,
        DefaultContent={
            "Template": {
                "TemplateName": "promo",
                "TemplateData": json.dumps({"name": "customer", "offer": "10% off"}),
                "Headers": [{"Name": "X-Campaign", "Value": "spring"}],
            }
        },
        DefaultEmailTags=[{"Name": "campaign", "Value": "spring"}],
        BulkEmailEntries=[
            {
                "Destination": {"ToAddresses": ["ann@example.org"]},
                "ReplacementEmailContent": {
                    "ReplacementTemplate": {"ReplacementTemplateData": '{"name": "Ann"}'}
                },
                "ReplacementHeaders": [{"Name": "x-campaign", "Value": "vip"}],
                "ReplacementTags": [{"Name": "tier", "Value": "gold"}],
            },
            {"Destination": {"ToAddresses": ["bob@example.org"]}},
            {"Destination": {"ToAddresses": ["broken@"]}},
        ],
    )
    ann, bob, broken = answer["BulkEmailEntryResults"]
    assert ann["Status"] == bob["Status"] == "SUCCESS"
    assert broken == {"Status": "INVALID_PARAMETER", "Error": "Missing domain"}
    ann_raw = raw_of(live, ann["MessageId"])
    assert "Subject: Offer for Ann" in ann_raw and "Ann: 10% off" in ann_raw
    assert "x-campaign: vip" in ann_raw and "spring" not in ann_raw.split("\n\n")[0]
    bob_raw = raw_of(live, bob["MessageId"])
    assert "Offer for customer" in bob_raw and "X-Campaign: spring" in bob_raw
    stored = messages(live, recipient="ann@example.org")[0]
    assert stored["details"]["tags"] == {"campaign": "spring", "tier": "gold"}


def test_v2_bulk_inline_template_and_sandbox(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    verify(live, SENDER)
    verify(live, "known@example.org")
    answer = sesv2.send_bulk_email(
        FromEmailAddress=SENDER,
        DefaultContent={
            "Template": {
                "TemplateContent": {"Subject": "Hi {{who}}", "Html": "<b>{{who}}</b>"},
                "TemplateData": '{"who": "you"}',
            }
        },
        BulkEmailEntries=[
            {"Destination": {"ToAddresses": ["known@example.org"]}},
            {"Destination": {"ToAddresses": ["stranger@example.org"]}},
        ],
    )
    known, stranger = answer["BulkEmailEntryResults"]
    assert known["Status"] == "SUCCESS"
    assert stranger == {
        "Status": "MESSAGE_REJECTED",
        "Error": "Email address is not verified. The following identities failed the check "
        "in region US-EAST-1: stranger@example.org",
    }
    with pytest.raises(ClientError) as excinfo:
        sesv2.send_bulk_email(
            FromEmailAddress=SENDER,
            DefaultContent={"Template": {"TemplateName": "absent"}},
            BulkEmailEntries=[{"Destination": {"ToAddresses": ["known@example.org"]}}],
        )
    assert error_of(excinfo) == ("NotFoundException", "Template absent does not exist.", 404)


def test_merged_data_keeps_defaults_the_replacement_leaves_out() -> None:
    assert json.loads(merged_data('{"a": 1, "b": 2}', '{"b": 3}')) == {"a": 1, "b": 3}
    assert merged_data('{"a": 1}', None) == '{"a": 1}'
    assert merged_data('{"a": 1}', "not json") == "not json"
