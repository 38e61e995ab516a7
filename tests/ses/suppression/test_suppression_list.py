"""The SES v2 suppression list: account and configuration-set settings, the list's
operations, sends to listed addresses withheld as SES reports them, and the addresses
hard bounces and complaints add."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.ses.helpers import advance, messages, production_access, simple_message, verify
from tests.support.server import ServerProcess
from tests.test_awscli import aws, ok

SENDER = "news@brand.example"
DIAGNOSTIC = (
    "Amazon SES did not send the message to this address because it is on the suppression "
    "list for your account. For more information about removing addresses from the "
    "suppression list, see the Amazon SES Developer Guide at "
    "https://docs.aws.amazon.com/ses/latest/DeveloperGuide/sending-email-suppression-list.html"
)


def refused(call: Any, **params: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    error = excinfo.value.response["Error"]
    return (
        error["Code"],
        error["Message"],
        excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"],
    )


def ready(server: ServerProcess) -> Any:
    """A production account with a verified sender; its SES v2 client."""
    verify(server, "brand.example")
    production_access(server)
    return server.client("sesv2")


def send(sesv2: Any, *to: str, configuration_set: str | None = None) -> str:
    params: dict[str, Any] = {
        "FromEmailAddress": SENDER,
        "Destination": {"ToAddresses": list(to)},
        "Content": {"Simple": simple_message()},
    }
    if configuration_set:
        params["ConfigurationSetName"] = configuration_set
    message_id: str = sesv2.send_email(**params)["MessageId"]
    return message_id


def events(server: ServerProcess, message_id: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{server.url}/_poolmail/messages/{message_id}/events")
    answer.raise_for_status()
    found: list[dict[str, Any]] = answer.json()["events"]
    return found


def outcome(server: ServerProcess, message_id: str) -> dict[str, list[dict[str, Any]]]:
    """The message's events by type, Send aside."""
    found: dict[str, list[dict[str, Any]]] = {}
    for event in events(server, message_id):
        if event["type"] != "Send":
            found.setdefault(event["type"], []).append(event)
    return found


def status_of(server: ServerProcess, message_id: str) -> str:
    return str(next(item for item in messages(server) if item["id"] == message_id)["status"])


def test_account_suppression_attributes(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    # A new account suppresses both reasons.
    assert sesv2.get_account()["SuppressionAttributes"] == {
        "SuppressedReasons": ["BOUNCE", "COMPLAINT"]
    }
    validation = {
        "ConditionThreshold": {
            "ConditionThresholdEnabled": "ENABLED",
            "OverallConfidenceThreshold": {"ConfidenceVerdictThreshold": "HIGH"},
        }
    }
    sesv2.put_account_suppression_attributes(
        SuppressedReasons=["COMPLAINT"], ValidationAttributes=validation
    )
    assert sesv2.get_account()["SuppressionAttributes"] == {
        "SuppressedReasons": ["COMPLAINT"],
        "ValidationAttributes": validation,
    }
    sesv2.put_account_suppression_attributes(SuppressedReasons=[])
    assert sesv2.get_account()["SuppressionAttributes"]["SuppressedReasons"] == []
    # Per Region.
    other = live.client("sesv2", region="eu-west-1").get_account()
    assert other["SuppressionAttributes"]["SuppressedReasons"] == ["BOUNCE", "COMPLAINT"]

    unchecked = live.client("sesv2", validate=False)
    code, message, status = refused(
        unchecked.put_account_suppression_attributes, SuppressedReasons=["SPAM"]
    )
    assert (code, status) == ("BadRequestException", 400)
    assert "BOUNCE, COMPLAINT" in message
    assert sesv2.get_account()["SuppressionAttributes"]["SuppressedReasons"] == []


def test_put_get_delete_and_the_sandbox(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    assert refused(
        sesv2.put_suppressed_destination, EmailAddress="ann@example.com", Reason="BOUNCE"
    ) == (
        "BadRequestException",
        "Your account is in the Amazon SES sandbox: adding addresses to the suppression "
        "list requires production access.",
        400,
    )
    production_access(live)
    before = dt.datetime.now(dt.UTC)
    sesv2.put_suppressed_destination(EmailAddress=" Ann@Example.COM ", Reason="BOUNCE")
    # Trimmed, the domain lower-cased, the local part's case kept.
    found = sesv2.get_suppressed_destination(EmailAddress="Ann@example.com")
    listed = found["SuppressedDestination"]
    assert listed["EmailAddress"] == "Ann@Example.COM"
    assert listed["Reason"] == "BOUNCE"
    assert listed["LastUpdateTime"] >= before - dt.timedelta(seconds=5)
    assert "Attributes" not in listed
    assert refused(sesv2.get_suppressed_destination, EmailAddress="ann@example.com") == (
        "NotFoundException",
        "Email address ann@example.com does not exist on your suppression list.",
        404,
    )
    # Put again: the reason is replaced.
    sesv2.put_suppressed_destination(EmailAddress="Ann@example.com", Reason="COMPLAINT")
    again = sesv2.get_suppressed_destination(EmailAddress="Ann@example.com")
    assert again["SuppressedDestination"]["Reason"] == "COMPLAINT"
    assert len(sesv2.list_suppressed_destinations()["SuppressedDestinationSummaries"]) == 1

    unchecked = live.client("sesv2", validate=False)
    code, _, status = refused(
        unchecked.put_suppressed_destination, EmailAddress="bob@example.com", Reason="SPAM"
    )
    assert (code, status) == ("BadRequestException", 400)
    assert (
        refused(sesv2.get_suppressed_destination, EmailAddress="bob@example.com")[0]
        == "NotFoundException"
    )

    sesv2.delete_suppressed_destination(EmailAddress="Ann@EXAMPLE.com")
    assert refused(sesv2.delete_suppressed_destination, EmailAddress="Ann@example.com") == (
        "NotFoundException",
        "Email address Ann@example.com does not exist on your suppression list.",
        404,
    )
    assert sesv2.list_suppressed_destinations()["SuppressedDestinationSummaries"] == []


def test_a_send_to_a_listed_address_is_accepted_and_bounces(live: ServerProcess) -> None:
    sesv2 = ready(live)
    sesv2.put_suppressed_destination(EmailAddress="gone@example.com", Reason="BOUNCE")
    sesv2.put_suppressed_destination(EmailAddress="angry@example.com", Reason="COMPLAINT")
    before = sesv2.get_account()["SendQuota"]["SentLast24Hours"]

    message_id = send(sesv2, "Gone <gone@example.com>", "kept@example.com")
    found = outcome(live, message_id)
    assert [event["recipient"] for event in found["Delivery"]] == ["kept@example.com"]
    [bounce] = found["Bounce"]
    assert bounce["recipient"] == "Gone <gone@example.com>"
    assert bounce["bounceType"] == "Permanent"
    assert bounce["bounceSubType"] == "OnAccountSuppressionList"
    assert bounce["emailAddress"] == "Gone <gone@example.com>"
    assert bounce["action"] == "failed"
    assert bounce["status"] == "5.1.1"
    assert bounce["diagnosticCode"] == DIAGNOSTIC
    assert bounce["reportingMTA"] == "dns; amazonses.com"
    assert bounce["feedbackId"].endswith("-000000")
    assert status_of(live, message_id) == "delivered"

    only = send(sesv2, "gone@example.com")
    assert status_of(live, only) == "bounced"
    assert "Delivery" not in outcome(live, only)

    complained = send(sesv2, "angry@example.com")
    found = outcome(live, complained)
    assert "Delivery" not in found
    [complaint] = found["Complaint"]
    assert complaint["complaintSubType"] == "OnAccountSuppressionList"
    assert "complaintFeedbackType" not in complaint
    assert status_of(live, complained) == "bounced"
    # Accepted, so counted against the daily quota.
    assert sesv2.get_account()["SendQuota"]["SentLast24Hours"] == before + 4

    # A reason the account no longer suppresses lets the mail through.
    sesv2.put_account_suppression_attributes(SuppressedReasons=["BOUNCE"])
    through = send(sesv2, "angry@example.com")
    assert [event["recipient"] for event in outcome(live, through)["Delivery"]] == [
        "angry@example.com"
    ]


def test_simulator_bounces_and_complaints_add_addresses(live: ServerProcess) -> None:
    sesv2 = ready(live)
    bounced = send(sesv2, "bounce@simulator.amazonses.com")
    listed = sesv2.get_suppressed_destination(EmailAddress="bounce@simulator.amazonses.com")
    destination = listed["SuppressedDestination"]
    assert destination["Reason"] == "BOUNCE"
    assert destination["Attributes"]["MessageId"] == bounced
    [first_bounce] = outcome(live, bounced)["Bounce"]
    assert destination["Attributes"]["FeedbackId"] == first_bounce["feedbackId"]

    # The next send to it bounces as suppressed, and does not update the listing.
    again = send(sesv2, "bounce@simulator.amazonses.com")
    [bounce] = outcome(live, again)["Bounce"]
    assert bounce["bounceSubType"] == "OnAccountSuppressionList"
    later = sesv2.get_suppressed_destination(EmailAddress="bounce@simulator.amazonses.com")
    assert later["SuppressedDestination"]["Attributes"]["MessageId"] == bounced

    complained = send(sesv2, "complaint@simulator.amazonses.com")
    listed = sesv2.get_suppressed_destination(EmailAddress="complaint@simulator.amazonses.com")
    assert listed["SuppressedDestination"]["Reason"] == "COMPLAINT"
    assert listed["SuppressedDestination"]["Attributes"]["MessageId"] == complained

    # The global list's address adds nothing to the account's.
    send(sesv2, "suppressionlist@simulator.amazonses.com")
    assert (
        refused(
            sesv2.get_suppressed_destination, EmailAddress="suppressionlist@simulator.amazonses.com"
        )[0]
        == "NotFoundException"
    )

    # With the list off, hard bounces add nothing and listed addresses get mail.
    sesv2.put_account_suppression_attributes(SuppressedReasons=[])
    send(sesv2, "bounce+off@simulator.amazonses.com")
    assert (
        refused(
            sesv2.get_suppressed_destination, EmailAddress="bounce+off@simulator.amazonses.com"
        )[0]
        == "NotFoundException"
    )
    through = send(sesv2, "complaint@simulator.amazonses.com")
    assert "Delivery" in outcome(live, through)


def test_configuration_set_override(live: ServerProcess) -> None:
    sesv2 = ready(live)
    sesv2.put_suppressed_destination(EmailAddress="gone@example.com", Reason="BOUNCE")
    sesv2.put_suppressed_destination(EmailAddress="angry@example.com", Reason="COMPLAINT")
    sesv2.create_configuration_set(ConfigurationSetName="none")
    sesv2.create_configuration_set(
        ConfigurationSetName="complaints", SuppressionOptions={"SuppressedReasons": ["COMPLAINT"]}
    )
    sesv2.create_configuration_set(ConfigurationSetName="plain")
    assert "SuppressionOptions" not in sesv2.get_configuration_set(ConfigurationSetName="plain")

    sesv2.put_configuration_set_suppression_options(
        ConfigurationSetName="none", SuppressedReasons=[]
    )
    assert sesv2.get_configuration_set(ConfigurationSetName="none")["SuppressionOptions"] == {
        "SuppressedReasons": []
    }
    # All suppression cancelled for the set.
    through = send(sesv2, "gone@example.com", "angry@example.com", configuration_set="none")
    assert len(outcome(live, through)["Delivery"]) == 2
    # Its own reasons only: the complaint listing suppresses, the bounce one does not.
    mixed = send(sesv2, "gone@example.com", "angry@example.com", configuration_set="complaints")
    found = outcome(live, mixed)
    assert [event["recipient"] for event in found["Delivery"]] == ["gone@example.com"]
    assert [event["recipient"] for event in found["Complaint"]] == ["angry@example.com"]
    # A set without options follows the account.
    plain = send(sesv2, "gone@example.com", configuration_set="plain")
    assert outcome(live, plain)["Bounce"][0]["bounceSubType"] == "OnAccountSuppressionList"

    # The set also decides what its bounces add: none here.
    send(sesv2, "bounce@simulator.amazonses.com", configuration_set="complaints")
    assert (
        refused(sesv2.get_suppressed_destination, EmailAddress="bounce@simulator.amazonses.com")[0]
        == "NotFoundException"
    )

    # Without SuppressedReasons the override goes: the account's settings apply again.
    sesv2.put_configuration_set_suppression_options(ConfigurationSetName="none")
    assert "SuppressionOptions" not in sesv2.get_configuration_set(ConfigurationSetName="none")
    assert refused(
        sesv2.put_configuration_set_suppression_options,
        ConfigurationSetName="absent",
        SuppressedReasons=["BOUNCE"],
    ) == ("NotFoundException", "Configuration set <absent> does not exist.", 404)


def test_listing_filters_and_paging(live: ServerProcess) -> None:
    sesv2 = ready(live)
    sesv2.put_suppressed_destination(EmailAddress="b1@example.com", Reason="BOUNCE")
    advance(live, 3600)
    middle = sesv2.get_suppressed_destination(EmailAddress="b1@example.com")
    start = middle["SuppressedDestination"]["LastUpdateTime"] + dt.timedelta(seconds=1)
    for address, reason in (
        ("c1@example.com", "COMPLAINT"),
        ("b2@example.com", "BOUNCE"),
        ("c2@example.com", "COMPLAINT"),
    ):
        sesv2.put_suppressed_destination(EmailAddress=address, Reason=reason)
    advance(live, 3600)
    sesv2.put_suppressed_destination(EmailAddress="b3@example.com", Reason="BOUNCE")

    def listed(**params: Any) -> list[str]:
        summaries = sesv2.list_suppressed_destinations(**params)["SuppressedDestinationSummaries"]
        return sorted(item["EmailAddress"] for item in summaries)

    everything = sesv2.list_suppressed_destinations()["SuppressedDestinationSummaries"]
    assert {tuple(sorted(item)) for item in everything} == {
        ("EmailAddress", "LastUpdateTime", "Reason")
    }
    assert len(everything) == 5
    assert listed(Reasons=["COMPLAINT"]) == ["c1@example.com", "c2@example.com"]
    assert listed(Reasons=["BOUNCE", "COMPLAINT"]) == sorted(
        item["EmailAddress"] for item in everything
    )
    assert listed(StartDate=start) == [
        "b2@example.com",
        "b3@example.com",
        "c1@example.com",
        "c2@example.com",
    ]
    end = start + dt.timedelta(seconds=5400)
    assert listed(StartDate=start, EndDate=end, Reasons=["BOUNCE"]) == ["b2@example.com"]

    pages: list[str] = []
    token: str | None = None
    while True:
        params: dict[str, Any] = {"PageSize": 2}
        if token:
            params["NextToken"] = token
        page = sesv2.list_suppressed_destinations(**params)
        assert len(page["SuppressedDestinationSummaries"]) <= 2
        pages += [item["EmailAddress"] for item in page["SuppressedDestinationSummaries"]]
        token = page.get("NextToken")
        if not token:
            break
    assert sorted(pages) == sorted(item["EmailAddress"] for item in everything)
    assert len(pages) == 5
    assert pages[0] == "b1@example.com" and pages[-1] == "b3@example.com"

    for bad in ("not-a-token", "WzEsMiwzXQ==", "WyJ4IiwxXQ=="):
        code, _, status = refused(sesv2.list_suppressed_destinations, NextToken=bad)
        assert (code, status) == ("InvalidNextTokenException", 400)
    unchecked = live.client("sesv2", validate=False)
    assert refused(unchecked.list_suppressed_destinations, Reasons=["SPAM"])[0] == (
        "BadRequestException"
    )


def test_aws_cli_lists_suppressed_destinations(live: ServerProcess) -> None:
    sesv2 = ready(live)
    sesv2.put_suppressed_destination(EmailAddress="gone@example.com", Reason="BOUNCE")
    found = ok(aws(live, "sesv2", "list-suppressed-destinations", "--reasons", "BOUNCE"))
    [summary] = found["SuppressedDestinationSummaries"]
    assert summary["EmailAddress"] == "gone@example.com"
    assert summary["Reason"] == "BOUNCE"
