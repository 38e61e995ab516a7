"""The SES v2 Deliverability dashboard: the subscription and its month-end expiry,
predictive inbox placement tests, and the domain reports computed from real sends."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.ses.helpers import advance, production_access, verify
from tests.support.server import ServerProcess

REPORT_ARN = "arn:aws:ses:us-east-1:123456789012:deliverability-test-report/{}"
NO_DASHBOARD = "Unable to find a dashboard account for <123456789012>."


def refused(call: Any, **params: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    error = excinfo.value.response["Error"]
    return (
        error["Code"],
        error["Message"],
        excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"],
    )


def server_now(server: ServerProcess) -> dt.datetime:
    answer = httpx.get(f"{server.url}/_poolmail/clock")
    answer.raise_for_status()
    return dt.datetime.fromtimestamp(answer.json()["epoch"], dt.UTC)


def month_end(moment: dt.datetime) -> dt.datetime:
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    return dt.datetime(year, month, 1, tzinfo=dt.UTC)


def subscribe(server: ServerProcess, *domains: str) -> None:
    server.client("sesv2").put_deliverability_dashboard_option(
        DashboardEnabled=True, SubscribedDomains=[{"Domain": domain} for domain in domains]
    )


def simple(subject: str) -> dict[str, Any]:
    return {"Simple": {"Subject": {"Data": subject}, "Body": {"Text": {"Data": "Hello"}}}}


def test_subscription_life_and_month_end_expiry(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    assert sesv2.get_deliverability_dashboard_options() | {"ResponseMetadata": None} == {
        "DashboardEnabled": False,
        "AccountStatus": "DISABLED",
        "ActiveSubscribedDomains": [],
        "PendingExpirationSubscribedDomains": [],
        "ResponseMetadata": None,
    }
    # Only verified domain identities of the account can be subscribed.
    assert refused(
        sesv2.put_deliverability_dashboard_option,
        DashboardEnabled=True,
        SubscribedDomains=[{"Domain": "example.com"}],
    )[:2] == (
        "NotFoundException",
        "Domain <example.com> is not a verified domain identity of this account.",
    )
    assert sesv2.get_deliverability_dashboard_options()["AccountStatus"] == "DISABLED"
    verify(live, "example.com")
    verify(live, "example.net")
    now = server_now(live)
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    sesv2.put_deliverability_dashboard_option(
        DashboardEnabled=True,
        SubscribedDomains=[
            {
                "Domain": "example.com",
                "SubscriptionStartDate": start,
                "InboxPlacementTrackingOption": {"Global": True, "TrackedIsps": ["Gmail"]},
            },
            {"Domain": "example.net"},
        ],
    )
    options = sesv2.get_deliverability_dashboard_options()
    assert options["DashboardEnabled"] is True
    assert options["AccountStatus"] == "ACTIVE"
    assert "SubscriptionExpiryDate" not in options
    active = {item["Domain"]: item for item in options["ActiveSubscribedDomains"]}
    assert active["example.com"]["SubscriptionStartDate"] == start
    assert active["example.com"]["InboxPlacementTrackingOption"] == {
        "Global": True,
        "TrackedIsps": ["Gmail"],
    }
    assert abs((active["example.net"]["SubscriptionStartDate"] - now).total_seconds()) < 3600

    # A domain left out stays until the end of the month.
    subscribe(live, "example.com")
    options = sesv2.get_deliverability_dashboard_options()
    assert [item["Domain"] for item in options["ActiveSubscribedDomains"]] == ["example.com"]
    assert [item["Domain"] for item in options["PendingExpirationSubscribedDomains"]] == [
        "example.net"
    ]
    # Switched off: pending expiration at the end of the month, then gone.
    sesv2.put_deliverability_dashboard_option(DashboardEnabled=False)
    options = sesv2.get_deliverability_dashboard_options()
    assert options["DashboardEnabled"] is False
    assert options["AccountStatus"] == "PENDING_EXPIRATION"
    assert options["SubscriptionExpiryDate"] == month_end(server_now(live))
    assert options["ActiveSubscribedDomains"] == []
    assert len(options["PendingExpirationSubscribedDomains"]) == 2
    advance(live, 32 * 86400)
    options = sesv2.get_deliverability_dashboard_options()
    assert options["AccountStatus"] == "DISABLED"
    assert options["PendingExpirationSubscribedDomains"] == []
    assert refused(sesv2.get_blacklist_reports, BlacklistItemNames=["198.51.100.1"]) == (
        "NotFoundException",
        NO_DASHBOARD,
        404,
    )


def test_predictive_inbox_placement_test(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    content = simple("Spring sale")
    assert refused(
        sesv2.create_deliverability_test_report, FromEmailAddress="ann@example.com", Content=content
    ) == ("NotFoundException", NO_DASHBOARD, 404)
    verify(live, "example.com")
    subscribe(live, "example.com")
    assert refused(
        sesv2.create_deliverability_test_report,
        FromEmailAddress="ann@unverified.example",
        Content=content,
    ) == (
        "MessageRejected",
        "Email address is not verified. The following identities failed the check in region "
        "US-EAST-1: ann@unverified.example",
        400,
    )
    created = sesv2.create_deliverability_test_report(
        ReportName="spring",
        FromEmailAddress="ann@example.com",
        Content=content,
        Tags=[{"Key": "campaign", "Value": "spring"}],
    )
    assert created["DeliverabilityTestStatus"] == "IN_PROGRESS"
    report_id = created["ReportId"]
    running = sesv2.get_deliverability_test_report(ReportId=report_id)
    assert running["DeliverabilityTestReport"]["DeliverabilityTestStatus"] == "IN_PROGRESS"
    assert running["DeliverabilityTestReport"]["ReportName"] == "spring"
    assert running["DeliverabilityTestReport"]["Subject"] == "Spring sale"
    assert running["OverallPlacement"] == {}
    assert running["IspPlacements"] == []
    assert "Subject: Spring sale" in running["Message"]
    assert running["Tags"] == [{"Key": "campaign", "Value": "spring"}]

    advance(live, 11)
    done = sesv2.get_deliverability_test_report(ReportId=report_id)
    assert done["DeliverabilityTestReport"]["DeliverabilityTestStatus"] == "COMPLETED"
    assert done["OverallPlacement"] == {
        "InboxPercentage": 100.0,
        "SpamPercentage": 0.0,
        "MissingPercentage": 0.0,
        "SpfPercentage": 100.0,
        "DkimPercentage": 100.0,
    }
    assert [isp["IspName"] for isp in done["IspPlacements"]] == ["Gmail", "Hotmail", "Yahoo", "AOL"]

    # Tags through the resource's ARN; paging through the list.
    arn = REPORT_ARN.format(report_id)
    sesv2.tag_resource(ResourceArn=arn, Tags=[{"Key": "owner", "Value": "ann"}])
    assert len(sesv2.list_tags_for_resource(ResourceArn=arn)["Tags"]) == 2
    sesv2.create_deliverability_test_report(
        FromEmailAddress="ann@example.com",
        Content={
            "Template": {
                "TemplateContent": {"Subject": "Hi {{name}}", "Text": "Hello {{name}}"},
                "TemplateData": '{"name": "Bob"}',
            }
        },
    )
    first = sesv2.list_deliverability_test_reports(PageSize=1)
    assert [r["ReportId"] for r in first["DeliverabilityTestReports"]] == [report_id]
    second = sesv2.list_deliverability_test_reports(PageSize=1, NextToken=first["NextToken"])
    [other] = second["DeliverabilityTestReports"]
    assert other["Subject"] == "Hi Bob"
    assert other["DeliverabilityTestStatus"] == "IN_PROGRESS"
    assert "NextToken" not in second
    raw = sesv2.create_deliverability_test_report(
        FromEmailAddress="ann@example.com",
        Content={"Raw": {"Data": b"Subject: Raw one\r\n\r\nHello\r\n"}},
    )
    kept = sesv2.get_deliverability_test_report(ReportId=raw["ReportId"])
    assert kept["DeliverabilityTestReport"]["Subject"] == "Raw one"
    assert "From: ann@example.com" in kept["Message"]
    assert refused(sesv2.get_deliverability_test_report, ReportId="nope")[0] == (
        "NotFoundException"
    )
    assert refused(sesv2.list_deliverability_test_reports, PageSize=1001)[0] == (
        "BadRequestException"
    )


def test_domain_reports_from_real_sends(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    verify(live, "example.com")
    verify(live, "example.org")
    production_access(live)
    subscribe(live, "example.com")
    ip = httpx.post(f"{live.url}/_poolmail/ses/dedicated-ips", json={}).json()["ips"][0]

    def send(sender: str, subject: str, *to: str) -> None:
        sesv2.send_email(
            FromEmailAddress=sender,
            Destination={"ToAddresses": list(to)},
            Content=simple(subject),
        )

    simulator = "simulator.amazonses.com"
    send("ann@example.com", "Launch", f"success@{simulator}", f"complaint@{simulator}")
    send("ann@example.com", "Launch", f"success+2@{simulator}")
    send("bob@example.com", "Digest", f"success@{simulator}", f"bounce@{simulator}")
    send("eve@example.org", "Other domain", f"success@{simulator}")
    now = server_now(live)
    window = {"StartDate": now - dt.timedelta(days=1), "EndDate": now}

    report = sesv2.get_domain_statistics_report(Domain="example.com", **window)
    assert report["OverallVolume"]["VolumeStatistics"] == {
        "InboxRawCount": 3,
        "SpamRawCount": 1,
        "ProjectedInbox": 3,
        "ProjectedSpam": 1,
    }
    assert report["OverallVolume"]["DomainIspPlacements"] == [
        {
            "IspName": simulator,
            "InboxRawCount": 3,
            "SpamRawCount": 1,
            "InboxPercentage": 75.0,
            "SpamPercentage": 25.0,
        }
    ]
    assert len(report["DailyVolumes"]) == 2
    assert sum(d["VolumeStatistics"]["InboxRawCount"] for d in report["DailyVolumes"]) == 3

    campaigns = sesv2.list_domain_deliverability_campaigns(
        SubscribedDomain="example.com", **window
    )["DomainDeliverabilityCampaigns"]
    assert [(c["FromAddress"], c["Subject"]) for c in campaigns] == [
        ("ann@example.com", "Launch"),
        ("bob@example.com", "Digest"),
    ]
    launch = campaigns[0]
    assert (launch["InboxCount"], launch["SpamCount"], launch["ProjectedVolume"]) == (2, 1, 3)
    assert launch["SendingIps"] == [ip]
    assert launch["Esps"] == [simulator]
    assert launch["FirstSeenDateTime"] <= launch["LastSeenDateTime"]
    page = sesv2.list_domain_deliverability_campaigns(
        SubscribedDomain="example.com", PageSize=1, **window
    )
    assert len(page["DomainDeliverabilityCampaigns"]) == 1
    rest = sesv2.list_domain_deliverability_campaigns(
        SubscribedDomain="example.com", PageSize=1, NextToken=page["NextToken"], **window
    )
    assert rest["DomainDeliverabilityCampaigns"][0]["Subject"] == "Digest"
    found = sesv2.get_domain_deliverability_campaign(CampaignId=launch["CampaignId"])
    assert found["DomainDeliverabilityCampaign"] == launch
    assert refused(sesv2.get_domain_deliverability_campaign, CampaignId="nope")[0] == (
        "NotFoundException"
    )

    assert sesv2.get_blacklist_reports(BlacklistItemNames=[ip])["BlacklistReport"] == {ip: []}
    assert refused(sesv2.get_blacklist_reports, BlacklistItemNames=["192.0.2.9"]) == (
        "NotFoundException",
        "Could not find dedicated IP <192.0.2.9> under this account.",
        404,
    )
    # Not subscribed, and a window longer than 30 days.
    assert refused(sesv2.get_domain_statistics_report, Domain="example.org", **window)[:2] == (
        "NotFoundException",
        "Domain <example.org> is not subscribed to the Deliverability dashboard.",
    )
    assert refused(
        sesv2.get_domain_statistics_report,
        Domain="example.com",
        StartDate=now - dt.timedelta(days=31),
        EndDate=now,
    ) == (
        "BadRequestException",
        "The EndDate that you specify has to be less than or equal to 30 days after the StartDate.",
        400,
    )
