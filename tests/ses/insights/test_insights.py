"""SES v2 insights, black-box: GetMessageInsights of delivered, bounced and complained
mail, BatchGetMetricData counting the test's own sends, GetEmailAddressInsights, and
ListRecommendations naming the domain without DMARC."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.ses.helpers import production_access, verify
from tests.support.server import ServerProcess

SENDER = "news@sender.example"


def _refused(call: Any, **params: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    error = excinfo.value.response["Error"]
    return (
        error["Code"],
        error["Message"],
        excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"],
    )


def send(sesv2: Any, to: list[str], subject: str = "Hello", **extra: Any) -> str:
    return str(
        sesv2.send_email(
            FromEmailAddress=f"News <{SENDER}>",
            Destination={"ToAddresses": to},
            Content={"Simple": {"Subject": {"Data": subject}, "Body": {"Text": {"Data": "Hi"}}}},
            **extra,
        )["MessageId"]
    )


@pytest.fixture
def sending(live: ServerProcess) -> Any:
    verify(live, "sender.example")
    production_access(live)
    return live.client("sesv2")


def test_message_insights_of_a_bounce_and_a_delivery(sending: Any) -> None:
    message_id = send(
        sending,
        ["bounce@simulator.amazonses.com", "ann@gmail.com"],
        "Spring",
        EmailTags=[{"Name": "campaign", "Value": "spring"}],
    )
    found = sending.get_message_insights(MessageId=message_id)
    assert found["MessageId"] == message_id
    assert found["FromEmailAddress"] == SENDER
    assert found["Subject"] == "Spring"
    assert found["EmailTags"] == [{"Name": "campaign", "Value": "spring"}]
    bounced, delivered = found["Insights"]
    assert bounced["Destination"] == "bounce@simulator.amazonses.com"
    assert bounced["Isp"] == "Other"
    assert [event["Type"] for event in bounced["Events"]] == ["SEND", "BOUNCE"]
    bounce = bounced["Events"][1]["Details"]["Bounce"]
    assert bounce["BounceType"] == "PERMANENT"
    assert bounce["BounceSubType"] == "General"
    assert bounce["DiagnosticCode"].startswith("smtp; 550")
    assert isinstance(bounced["Events"][0]["Timestamp"], dt.datetime)
    assert delivered["Destination"] == "ann@gmail.com"
    assert delivered["Isp"] == "Gmail"
    assert [event["Type"] for event in delivered["Events"]] == ["SEND", "DELIVERY"]

    complained = sending.get_message_insights(
        MessageId=send(sending, ["complaint@simulator.amazonses.com"])
    )
    events = complained["Insights"][0]["Events"]
    assert [event["Type"] for event in events] == ["SEND", "DELIVERY", "COMPLAINT"]
    assert events[2]["Details"]["Complaint"]["ComplaintFeedbackType"] == "abuse"


def test_message_insights_of_unknown_or_foreign_messages(live: ServerProcess, sending: Any) -> None:
    assert _refused(sending.get_message_insights, MessageId="nope") == (
        "NotFoundException",
        "Message nope does not exist.",
        404,
    )
    message_id = send(sending, ["ann@gmail.com"])
    other_region = live.client("sesv2", region="eu-west-1")
    assert _refused(other_region.get_message_insights, MessageId=message_id)[0] == (
        "NotFoundException"
    )


def _query(query_id: str, metric: str, **dimensions: str) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC)
    query: dict[str, Any] = {
        "Id": query_id,
        "Namespace": "VDM",
        "Metric": metric,
        "StartDate": now - dt.timedelta(days=2),
        "EndDate": now + dt.timedelta(hours=1),
    }
    if dimensions:
        query["Dimensions"] = dimensions
    return query


def test_batch_get_metric_data_counts_the_sends_made(live: ServerProcess, sending: Any) -> None:
    sending.create_configuration_set(ConfigurationSetName="promo")
    for address in ("ann@gmail.com", "bob@gmail.com", "cy@outlook.com"):
        send(sending, [address])
    send(sending, ["dee@gmail.com"], ConfigurationSetName="promo")
    # Not counted by VDM: the mailbox simulator, and mail to more than one recipient.
    send(sending, ["bounce@simulator.amazonses.com"])
    send(sending, ["eve@gmail.com", "fay@gmail.com"])
    answer = sending.batch_get_metric_data(
        Queries=[
            _query("all", "SEND"),
            _query("gmail", "DELIVERY", ISP="Gmail"),
            _query("promo", "SEND", CONFIGURATION_SET="promo"),
            _query("identity", "SEND", EMAIL_IDENTITY="sender.example"),
            _query("bounces", "PERMANENT_BOUNCE"),
            _query("elsewhere", "SEND", EMAIL_IDENTITY="other.example"),
        ]
    )
    assert answer["Errors"] == []
    results = {result["Id"]: result for result in answer["Results"]}
    (day,) = results["all"]["Timestamps"]
    assert (day.hour, day.minute, day.second) == (0, 0, 0)  # daily buckets
    assert results["all"]["Values"] == [4]
    assert results["gmail"]["Values"] == [3]
    assert results["promo"]["Values"] == [1]
    assert results["identity"]["Values"] == [4]
    assert results["bounces"]["Values"] == [0]
    assert results["elsewhere"] == {"Id": "elsewhere", "Timestamps": [], "Values": []}

    now = dt.datetime.now(dt.UTC)
    late = {**_query("x", "SEND"), "StartDate": now, "EndDate": now - dt.timedelta(days=1)}
    assert _refused(sending.batch_get_metric_data, Queries=[late]) == (
        "BadRequestException",
        "EndDate must not be earlier than StartDate.",
        400,
    )
    assert _refused(
        sending.batch_get_metric_data, Queries=[_query("x", "SEND"), _query("x", "OPEN")]
    ) == ("BadRequestException", "Query identifiers must be unique within a batch.", 400)


def _evaluations(sesv2: Any, address: str) -> dict[str, str]:
    found = sesv2.get_email_address_insights(EmailAddress=address)["MailboxValidation"]
    verdicts = {name: item["ConfidenceVerdict"] for name, item in found["Evaluations"].items()}
    return {"IsValid": found["IsValid"]["ConfidenceVerdict"], **verdicts}


def test_email_address_insights(sending: Any) -> None:
    assert _evaluations(sending, "success@simulator.amazonses.com") == {
        "IsValid": "HIGH",
        "HasValidSyntax": "HIGH",
        "HasValidDnsRecords": "HIGH",
        "MailboxExists": "HIGH",
        "IsRoleAddress": "LOW",
        "IsDisposable": "LOW",
        "IsRandomInput": "LOW",
    }
    bounced = _evaluations(sending, "bounce@simulator.amazonses.com")
    assert (bounced["IsValid"], bounced["MailboxExists"]) == ("LOW", "LOW")
    broken = _evaluations(sending, "not an address")
    assert (broken["IsValid"], broken["HasValidSyntax"]) == ("LOW", "LOW")
    role = _evaluations(sending, "support@mailinator.com")
    assert (role["IsRoleAddress"], role["IsDisposable"], role["IsValid"]) == ("HIGH", "HIGH", "LOW")
    assert _evaluations(sending, "xkqzvbtrwp@simulator.amazonses.com")["IsRandomInput"] == "HIGH"


def publish(server: ServerProcess, name: str, value: str) -> None:
    httpx.post(
        f"{server.url}/_poolmail/dns/records", json={"name": name, "type": "TXT", "value": value}
    ).raise_for_status()


def test_recommendations_name_the_domain_without_dmarc(live: ServerProcess) -> None:
    verify(live, "with-dmarc.example")
    verify(live, "without-dmarc.example")
    verify(live, "someone@address.example")  # an address: no domain recommendations
    publish(live, "_dmarc.with-dmarc.example", "v=DMARC1; p=none")
    publish(live, "with-dmarc.example", "v=spf1 include:amazonses.com ~all")
    sesv2 = live.client("sesv2")
    dmarc = sesv2.list_recommendations(Filter={"TYPE": "DMARC"})["Recommendations"]
    arn = "arn:aws:ses:us-east-1:123456789012:identity/without-dmarc.example"
    assert [item["ResourceArn"] for item in dmarc] == [arn]
    assert dmarc[0]["Status"] == "OPEN"
    assert dmarc[0]["Impact"] == "HIGH"
    spf = sesv2.list_recommendations(Filter={"TYPE": "SPF"})["Recommendations"]
    assert [item["ResourceArn"] for item in spf] == [arn]
    every = sesv2.list_recommendations()["Recommendations"]
    assert {item["Type"] for item in every} <= {"DKIM", "DMARC", "SPF"}
    assert all(item["ResourceArn"].endswith("-dmarc.example") for item in every)

    # Publishing the record fixes the recommendation; it keeps when it was first seen.
    publish(live, "_dmarc.without-dmarc.example", "v=DMARC1; p=reject")
    fixed = sesv2.list_recommendations(Filter={"TYPE": "DMARC", "RESOURCE_ARN": arn})
    (item,) = fixed["Recommendations"]
    assert item["Status"] == "FIXED"
    assert item["CreatedTimestamp"] == dmarc[0]["CreatedTimestamp"]
    assert item["LastUpdatedTimestamp"] >= item["CreatedTimestamp"]
    assert (
        sesv2.list_recommendations(Filter={"STATUS": "OPEN", "TYPE": "DMARC"})["Recommendations"]
        == []
    )

    page = sesv2.list_recommendations(PageSize=1)
    assert len(page["Recommendations"]) == 1 and "NextToken" in page
    rest = sesv2.list_recommendations(PageSize=100, NextToken=page["NextToken"])
    assert len(rest["Recommendations"]) == len(sesv2.list_recommendations()["Recommendations"]) - 1
    assert _refused(sesv2.list_recommendations, Filter={"IMPACT": "MEDIUM"}) == (
        "BadRequestException",
        "Invalid IMPACT filter value MEDIUM: must be one of LOW, HIGH.",
        400,
    )
    assert _refused(sesv2.list_recommendations, NextToken="zz")[0] == "BadRequestException"
