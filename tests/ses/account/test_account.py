"""The SES account through boto3, the AWS CLI and the operator endpoints, on SQLite and
PostgreSQL: sandbox, quotas, sending switch, the production-access review, statistics."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from poolmail.mail.mailbox import Event, Status, StoredMessage, new_message_id, store
from poolmail.ses.account import account
from poolmail.store import open_database
from tests.support.postgres import fresh_database
from tests.support.server import ServerProcess
from tests.test_awscli import aws, ok

OTHER_ACCOUNT = "111122223333"
DETAILS = {"MailType": "TRANSACTIONAL", "WebsiteURL": "https://shop.example.com"}
CONFLICT = (
    "Your account details are under review (case {}). You can't update them until the "
    "review is complete."
)
BACKENDS = [pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)]


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    error = excinfo.value.response["Error"]
    status = excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]
    return error["Code"], error["Message"], status


def without_metadata(answer: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in answer.items() if key != "ResponseMetadata"}


def send_quota(server: ServerProcess, **client: str) -> tuple[float, float, float]:
    answer = server.client("ses", **client).get_send_quota()
    return answer["Max24HourSend"], answer["MaxSendRate"], answer["SentLast24Hours"]


def review(server: ServerProcess, decision: str, **scope: str) -> httpx.Response:
    return httpx.post(
        f"{server.url}/_poolmail/ses/account/review", json={"decision": decision, **scope}
    )


def request_production_access(server: ServerProcess, **client: str) -> str:
    sesv2 = server.client("sesv2", **client)
    sesv2.put_account_details(**DETAILS, ProductionAccessEnabled=True)
    review_details = sesv2.get_account()["Details"]["ReviewDetails"]
    assert review_details["Status"] == "PENDING"
    case_id: str = review_details["CaseId"]
    return case_id


# A new account


def test_a_new_account_is_in_the_sandbox(live: ServerProcess) -> None:
    assert send_quota(live) == (200.0, 1.0, 0.0)
    assert without_metadata(live.client("sesv2").get_account()) == {
        "DedicatedIpAutoWarmupEnabled": False,
        "EnforcementStatus": "HEALTHY",
        "ProductionAccessEnabled": False,
        "SendQuota": {"Max24HourSend": 200.0, "MaxSendRate": 1.0, "SentLast24Hours": 0.0},
        "SendingEnabled": True,
        "SuppressionAttributes": {"SuppressedReasons": ["BOUNCE", "COMPLAINT"]},
    }
    ses = live.client("ses")
    assert ses.get_account_sending_enabled()["Enabled"] is True
    assert ses.get_send_statistics()["SendDataPoints"] == []


# The production-access review


def test_a_granted_request_lifts_the_sandbox(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    sesv2.put_account_details(
        **DETAILS,
        ContactLanguage="EN",
        AdditionalContactEmailAddresses=["ops@shop.example.com"],
        ProductionAccessEnabled=True,
    )
    answer = sesv2.get_account()
    case_id = answer["Details"]["ReviewDetails"]["CaseId"]
    assert case_id.isdigit() and len(case_id) == 11
    assert answer["Details"] == {
        **DETAILS,
        "ContactLanguage": "EN",
        "AdditionalContactEmailAddresses": ["ops@shop.example.com"],
        "ReviewDetails": {"Status": "PENDING", "CaseId": case_id},
    }
    assert answer["ProductionAccessEnabled"] is False
    assert send_quota(live) == (200.0, 1.0, 0.0)

    with pytest.raises(ClientError) as excinfo:
        sesv2.put_account_details(**DETAILS, ProductionAccessEnabled=True)
    assert error_of(excinfo) == ("ConflictException", CONFLICT.format(case_id), 409)

    decided = review(live, "GRANTED")
    assert decided.status_code == 200
    assert decided.json() == {
        "account": "123456789012",
        "region": "us-east-1",
        "status": "GRANTED",
        "case_id": case_id,
    }
    answer = sesv2.get_account()
    assert answer["ProductionAccessEnabled"] is True
    assert answer["SendQuota"] == {
        "Max24HourSend": 50000.0,
        "MaxSendRate": 14.0,
        "SentLast24Hours": 0.0,
    }
    assert answer["Details"]["ReviewDetails"] == {"Status": "GRANTED", "CaseId": case_id}
    assert send_quota(live) == (50000.0, 14.0, 0.0)
    # Nothing is pending any more: details may change again, and the grant stays.
    sesv2.put_account_details(MailType="MARKETING", WebsiteURL="https://example.org")
    answer = sesv2.get_account()
    assert answer["ProductionAccessEnabled"] is True
    assert answer["Details"] == {
        "MailType": "MARKETING",
        "WebsiteURL": "https://example.org",
        "ReviewDetails": {"Status": "GRANTED", "CaseId": case_id},
    }
    assert review(live, "GRANTED").status_code == 409


def test_a_denied_request_keeps_the_sandbox_and_may_be_filed_again(live: ServerProcess) -> None:
    first = request_production_access(live)
    assert review(live, "DENIED").json()["status"] == "DENIED"
    answer = live.client("sesv2").get_account()
    assert answer["ProductionAccessEnabled"] is False
    assert answer["Details"]["ReviewDetails"] == {"Status": "DENIED", "CaseId": first}
    assert send_quota(live) == (200.0, 1.0, 0.0)

    second = request_production_access(live)
    assert second != first
    review(live, "GRANTED").raise_for_status()
    assert send_quota(live) == (50000.0, 14.0, 0.0)


def test_details_without_production_access_open_no_review(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    sesv2.put_account_details(**DETAILS, ProductionAccessEnabled=False)
    sesv2.put_account_details(**DETAILS, UseCaseDescription="Receipts for orders.")
    answer = sesv2.get_account()
    assert answer["ProductionAccessEnabled"] is False
    assert answer["Details"] == {**DETAILS, "UseCaseDescription": "Receipts for orders."}
    conflict = review(live, "GRANTED")
    assert conflict.status_code == 409
    assert conflict.json() == {
        "error": "NoPendingReview",
        "message": "account 123456789012 has no production-access review pending in us-east-1",
    }


def test_account_details_are_validated_on_the_server(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2", validate=False)
    with pytest.raises(ClientError) as excinfo:
        sesv2.put_account_details(MailType="PROMOTIONAL", WebsiteURL="https://example.com")
    assert error_of(excinfo) == (
        "BadRequestException",
        "1 validation error detected: Value 'PROMOTIONAL' at 'mailType' failed to satisfy "
        "constraint: Member must satisfy enum value set: [MARKETING, TRANSACTIONAL]",
        400,
    )
    assert "Details" not in sesv2.get_account()


# Sending switch


def test_sending_can_be_switched_off_and_on_through_either_api(live: ServerProcess) -> None:
    ses, sesv2 = live.client("ses"), live.client("sesv2")
    ses.update_account_sending_enabled(Enabled=False)
    assert ses.get_account_sending_enabled()["Enabled"] is False
    assert sesv2.get_account()["SendingEnabled"] is False
    sesv2.put_account_sending_attributes(SendingEnabled=True)
    assert ses.get_account_sending_enabled()["Enabled"] is True
    sesv2.put_account_sending_attributes(SendingEnabled=False)
    assert sesv2.get_account()["SendingEnabled"] is False
    ses.update_account_sending_enabled(Enabled=True)
    assert sesv2.get_account()["SendingEnabled"] is True
    # Sending is switched per region.
    assert live.client("ses", region="eu-west-1").get_account_sending_enabled()["Enabled"]


# Scope: regions and accounts


def test_sandbox_and_review_are_per_region_and_per_account(live: ServerProcess) -> None:
    request_production_access(live)
    review(live, "GRANTED").raise_for_status()
    assert send_quota(live) == (50000.0, 14.0, 0.0)
    assert send_quota(live, region="eu-west-1") == (200.0, 1.0, 0.0)
    assert send_quota(live, access_key=OTHER_ACCOUNT) == (200.0, 1.0, 0.0)

    other = {"access_key": OTHER_ACCOUNT, "region": "eu-west-1"}
    case_id = request_production_access(live, **other)
    assert review(live, "GRANTED", region="eu-west-1").status_code == 409
    decided = review(live, "DENIED", account=OTHER_ACCOUNT, region="eu-west-1")
    assert decided.json()["case_id"] == case_id
    assert live.client("sesv2", **other).get_account()["ProductionAccessEnabled"] is False

    listed = httpx.get(f"{live.url}/_poolmail/ses/accounts").json()["accounts"]
    assert [(row["account"], row["region"], row["sandbox"]) for row in listed] == [
        (OTHER_ACCOUNT, "eu-west-1", True),
        (OTHER_ACCOUNT, "us-east-1", True),
        ("123456789012", "eu-west-1", True),
        ("123456789012", "us-east-1", False),
    ]
    assert listed[0]["review"] == {"status": "DENIED", "case_id": case_id}
    assert listed[1]["review"] is None


def test_the_accounts_list_shows_quotas_and_use(live: ServerProcess) -> None:
    assert httpx.get(f"{live.url}/_poolmail/ses/accounts").json() == {"accounts": []}
    live.client("ses").update_account_sending_enabled(Enabled=False)
    assert httpx.get(f"{live.url}/_poolmail/ses/accounts").json() == {
        "accounts": [
            {
                "account": "123456789012",
                "region": "us-east-1",
                "sandbox": True,
                "production_access": False,
                "sending_enabled": False,
                "max_24_hour_send": 200,
                "max_send_rate": 1,
                "sent_last_24_hours": 0,
                "review": None,
            }
        ]
    }


def test_the_operator_sets_the_sandbox_directly(live: ServerProcess) -> None:
    url = f"{live.url}/_poolmail/ses/account/sandbox"
    answer = httpx.post(url, json={"region": "eu-west-1", "production_access": True})
    assert answer.status_code == 200
    assert answer.json()["production_access"] is True
    assert answer.json()["max_24_hour_send"] == 50000
    assert send_quota(live, region="eu-west-1") == (50000.0, 14.0, 0.0)
    assert send_quota(live) == (200.0, 1.0, 0.0)
    httpx.post(url, json={"region": "eu-west-1", "production_access": False}).raise_for_status()
    assert (
        live.client("sesv2", region="eu-west-1").get_account()["ProductionAccessEnabled"] is False
    )


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("review", {"decision": "MAYBE"}, "decision must be GRANTED or DENIED"),
        ("review", {"decision": "GRANTED", "account": "42"}, "account must be a 12-digit"),
        ("review", {"decision": "DENIED", "region": "moon"}, "region must be an AWS region"),
        ("sandbox", {"production_access": "yes"}, "production_access must be true or false"),
        ("sandbox", [1, 2], "the body must be a JSON object"),
    ],
)
def test_operator_requests_are_checked(
    live: ServerProcess, path: str, body: Any, message: str
) -> None:
    answer = httpx.post(f"{live.url}/_poolmail/ses/account/{path}", json=body)
    assert answer.status_code == 400
    assert answer.json()["error"] == "InvalidRequest"
    assert answer.json()["message"].startswith(message)


# The AWS CLI


def test_the_cli_sees_the_sandbox_and_files_a_request(live: ServerProcess) -> None:
    assert ok(aws(live, "ses", "get-send-quota")) == {
        "Max24HourSend": 200.0,
        "MaxSendRate": 1.0,
        "SentLast24Hours": 0.0,
    }
    request = [
        "sesv2",
        "put-account-details",
        "--mail-type",
        "TRANSACTIONAL",
        "--website-url",
        "https://shop.example.com",
        "--production-access-enabled",
    ]
    assert ok(aws(live, *request)) is None
    answer = ok(aws(live, "sesv2", "get-account"))
    assert answer["ProductionAccessEnabled"] is False
    case_id = answer["Details"]["ReviewDetails"]["CaseId"]
    refused = aws(live, *request)
    assert refused.returncode != 0
    assert (
        "An error occurred (ConflictException) when calling the PutAccountDetails operation: "
        + CONFLICT.format(case_id)
    ) in refused.stderr
    review(live, "GRANTED").raise_for_status()
    assert ok(aws(live, "sesv2", "get-account"))["ProductionAccessEnabled"] is True
    assert ok(aws(live, "ses", "update-account-sending-enabled", "--no-enabled")) is None
    assert ok(aws(live, "ses", "get-account-sending-enabled")) == {"Enabled": False}


# Servers started with other options


def _server(backend: str, *options: str) -> Iterator[ServerProcess]:
    if backend == "sqlite":
        running = ServerProcess(["--data-dir", ":memory:", *options]).start()
        yield running
        running.stop()
        return
    with fresh_database() as url:
        running = ServerProcess(["--database-url", url, *options]).start()
        yield running
        running.stop()


@pytest.fixture(scope="module", params=BACKENDS)
def auto_review(request: pytest.FixtureRequest) -> Iterator[ServerProcess]:
    yield from _server(request.param, "--production-access-review", "auto")


@pytest.fixture(scope="module", params=BACKENDS)
def no_sandbox(request: pytest.FixtureRequest) -> Iterator[ServerProcess]:
    yield from _server(
        request.param,
        "--ses-sandbox",
        "off",
        "--ses-max-24-hour-send",
        "1000",
        "--ses-max-send-rate",
        "20",
    )


def test_auto_review_grants_at_once(auto_review: ServerProcess) -> None:
    auto_review.reset()
    assert send_quota(auto_review) == (200.0, 1.0, 0.0)
    sesv2 = auto_review.client("sesv2")
    sesv2.put_account_details(**DETAILS, ProductionAccessEnabled=True)
    answer = sesv2.get_account()
    assert answer["ProductionAccessEnabled"] is True
    assert answer["Details"]["ReviewDetails"]["Status"] == "GRANTED"
    assert send_quota(auto_review) == (50000.0, 14.0, 0.0)
    assert send_quota(auto_review, region="ap-southeast-2") == (200.0, 1.0, 0.0)


def test_without_the_sandbox_accounts_start_in_production(no_sandbox: ServerProcess) -> None:
    no_sandbox.reset()
    assert send_quota(no_sandbox) == (1000.0, 20.0, 0.0)
    assert send_quota(no_sandbox, access_key=OTHER_ACCOUNT, region="eu-west-1") == (
        1000.0,
        20.0,
        0.0,
    )
    sesv2 = no_sandbox.client("sesv2")
    assert sesv2.get_account()["ProductionAccessEnabled"] is True
    # Asking again for what the account has opens no review.
    sesv2.put_account_details(**DETAILS, ProductionAccessEnabled=True)
    assert sesv2.get_account()["Details"] == DETAILS
    assert review(no_sandbox, "GRANTED").status_code == 409


# Statistics, from the mailbox (unit level: sending is another module's)


def _message(now: float, status: Status, recipients: list[str], **details: Any) -> StoredMessage:
    events = [Event("Bounce", now, {"recipient": r}) for r in recipients if r.startswith("b")]
    events += [Event("Complaint", now, {"recipient": r}) for r in recipients if r[0] == "c"]
    return StoredMessage(
        id=new_message_id(now),
        account="123456789012",
        region="us-east-1",
        created_at=now,
        status=status,
        origin="ses",
        source="me@example.com",
        recipients=recipients,
        subject="hello",
        raw=None if status == "rejected" else b"raw",
        details={"kind": "ses-send", **details},
        events=events,
    )


def test_statistics_count_per_quarter_hour_over_two_weeks() -> None:
    quarter = 1_700_000_100 // 900 * 900  # a quarter hour's start
    now = quarter + 3 * 900 + 1
    db = open_database(data_dir=":memory:")
    try:
        with db.transaction() as tx:
            for message in [
                _message(quarter + 5, "delivered", ["a@x.com", "bob@x.com", "carl@x.com"]),
                _message(quarter + 899, "bounced", ["bea@x.com"]),
                _message(quarter + 900, "rejected", ["a@x.com", "d@x.com"]),
                _message(quarter + 3 * 900, "delivered", ["a@x.com"]),
                # Outside the window, another account, or not sent by the account.
                _message(now - 14 * 86400, "delivered", ["a@x.com"]),
                _message(now + 1, "delivered", ["a@x.com"]),
                _message(quarter, "delivered", ["a@x.com"], kind="ses-verification"),
                _message(
                    quarter, "delivered", ["a@x.com"], email_sending_account="COGNITO_DEFAULT"
                ),
            ]:
                store(tx, message)
            other = _message(quarter, "delivered", ["a@x.com"])
            other.account = "111122223333"
            store(tx, other)
            points = account.send_statistics(tx, "123456789012", "us-east-1", now)
    finally:
        db.close()

    def at(start: float) -> dt.datetime:
        return dt.datetime.fromtimestamp(start, dt.UTC)

    assert points == [
        {
            "Timestamp": at(quarter),
            "DeliveryAttempts": 4,
            "Bounces": 2,
            "Complaints": 1,
            "Rejects": 0,
        },
        {
            "Timestamp": at(quarter + 900),
            "DeliveryAttempts": 0,
            "Bounces": 0,
            "Complaints": 0,
            "Rejects": 1,
        },
        {
            "Timestamp": at(quarter + 2700),
            "DeliveryAttempts": 1,
            "Bounces": 0,
            "Complaints": 0,
            "Rejects": 0,
        },
    ]
