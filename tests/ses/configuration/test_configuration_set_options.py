"""Configuration-set options changed after creation (v1 and v2), sending paused per set,
and an identity's default configuration set applied to its sends."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from botocore.exceptions import ClientError

from tests.ses.helpers import messages, production_access, simple_message, verify
from tests.support.server import ServerProcess

SENDER = "ann@example.com"


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    error = excinfo.value.response["Error"]
    status = excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]
    return error["Code"], error["Message"], status


def send_v1(server: ServerProcess, **extra: Any) -> str:
    answer = server.client("ses").send_email(
        Source=SENDER,
        Destination={"ToAddresses": ["bob@example.org"]},
        Message=simple_message(),
        **extra,
    )
    return str(answer["MessageId"])


def send_v2(server: ServerProcess, **extra: Any) -> str:
    answer = server.client("sesv2").send_email(
        FromEmailAddress=SENDER,
        Destination={"ToAddresses": ["bob@example.org"]},
        Content={"Simple": simple_message()},
        **extra,
    )
    return str(answer["MessageId"])


def stored(server: ServerProcess, message_id: str) -> dict[str, Any]:
    [message] = [m for m in messages(server) if m["id"] == message_id]
    return message


@pytest.fixture
def sender(live: ServerProcess) -> ServerProcess:
    verify(live, "example.com")
    production_access(live)
    return live


def test_sending_paused_per_set_on_v1_and_v2_then_resumed(sender: ServerProcess) -> None:
    ses, sesv2 = sender.client("ses"), sender.client("sesv2")
    ses.create_configuration_set(ConfigurationSet={"Name": "news"})
    ses.update_configuration_set_sending_enabled(ConfigurationSetName="news", Enabled=False)
    paused = "Sending is paused for configuration set <news>"
    with pytest.raises(ClientError) as excinfo:
        send_v1(sender, ConfigurationSetName="news")
    assert error_of(excinfo) == ("ConfigurationSetSendingPausedException", paused, 400)
    with pytest.raises(ClientError) as excinfo:
        send_v2(sender, ConfigurationSetName="news")
    assert error_of(excinfo) == ("SendingPausedException", paused, 400)
    # Other sends go on; the refusals are in the sending log.
    send_v1(sender)
    rejected = [m for m in messages(sender) if m["status"] == "rejected"]
    assert len(rejected) == 2
    assert sesv2.get_configuration_set(ConfigurationSetName="news")["SendingOptions"] == {
        "SendingEnabled": False
    }
    sesv2.put_configuration_set_sending_options(ConfigurationSetName="news", SendingEnabled=True)
    message_id = send_v2(sender, ConfigurationSetName="news")
    assert stored(sender, message_id)["details"]["configuration_set"] == "news"


def test_account_sending_paused(sender: ServerProcess) -> None:
    ses = sender.client("ses")
    ses.update_account_sending_enabled(Enabled=False)
    with pytest.raises(ClientError) as excinfo:
        send_v1(sender)
    assert excinfo.value.response["Error"]["Code"] == "AccountSendingPausedException"
    sender.client("sesv2").put_account_sending_attributes(SendingEnabled=True)
    send_v1(sender)


def test_identity_default_configuration_set(sender: ServerProcess) -> None:
    sesv2 = sender.client("sesv2")
    sesv2.create_configuration_set(ConfigurationSetName="default-set")
    sesv2.create_configuration_set(ConfigurationSetName="other")
    sesv2.put_email_identity_configuration_set_attributes(
        EmailIdentity="example.com", ConfigurationSetName="default-set"
    )
    got = sesv2.get_email_identity(EmailIdentity="example.com")
    assert got["ConfigurationSetName"] == "default-set"
    # A send naming no set falls under the identity's default; a named set wins.
    plain = send_v1(sender)
    assert stored(sender, plain)["details"]["configuration_set"] == "default-set"
    named = send_v2(sender, ConfigurationSetName="other")
    assert stored(sender, named)["details"]["configuration_set"] == "other"
    # The default's pause applies to sends that name no set.
    sesv2.put_configuration_set_sending_options(
        ConfigurationSetName="default-set", SendingEnabled=False
    )
    with pytest.raises(ClientError) as excinfo:
        send_v2(sender)
    assert error_of(excinfo) == (
        "SendingPausedException",
        "Sending is paused for configuration set <default-set>",
        400,
    )
    # Removing the default: sends fall under no set again.
    sesv2.put_email_identity_configuration_set_attributes(EmailIdentity="example.com")
    assert "ConfigurationSetName" not in sesv2.get_email_identity(EmailIdentity="example.com")
    assert stored(sender, send_v1(sender))["details"]["configuration_set"] is None
    for call, expected in (
        (
            lambda: sesv2.put_email_identity_configuration_set_attributes(
                EmailIdentity="example.com", ConfigurationSetName="nope"
            ),
            ("NotFoundException", "Configuration set <nope> does not exist.", 404),
        ),
        (
            lambda: sesv2.put_email_identity_configuration_set_attributes(
                EmailIdentity="nobody.example", ConfigurationSetName="other"
            ),
            ("NotFoundException", "Email identity nobody.example does not exist.", 404),
        ),
    ):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo) == expected


def test_v2_options_shown_by_get_and_describe(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    sesv2.create_configuration_set(ConfigurationSetName="opts")
    sesv2.put_configuration_set_delivery_options(
        ConfigurationSetName="opts", TlsPolicy="REQUIRE", MaxDeliverySeconds=900
    )
    sesv2.put_configuration_set_reputation_options(
        ConfigurationSetName="opts", ReputationMetricsEnabled=True
    )
    sesv2.put_configuration_set_vdm_options(
        ConfigurationSetName="opts",
        VdmOptions={"DashboardOptions": {"EngagementMetrics": "ENABLED"}},
    )
    archive = "arn:aws:ses:us-east-1:123456789012:mailmanager-archive/a-0123456789abcdefghijklmn"
    sesv2.put_configuration_set_archiving_options(ConfigurationSetName="opts", ArchiveArn=archive)
    sesv2.put_configuration_set_tracking_options(
        ConfigurationSetName="opts", CustomRedirectDomain="click.example.com", HttpsPolicy="REQUIRE"
    )
    got = sesv2.get_configuration_set(ConfigurationSetName="opts")
    assert got["DeliveryOptions"] == {"TlsPolicy": "REQUIRE", "MaxDeliverySeconds": 900}
    assert got["ReputationOptions"] == {"ReputationMetricsEnabled": True}
    assert got["VdmOptions"] == {"DashboardOptions": {"EngagementMetrics": "ENABLED"}}
    assert got["ArchivingOptions"] == {"ArchiveArn": archive}
    assert got["TrackingOptions"] == {
        "CustomRedirectDomain": "click.example.com",
        "HttpsPolicy": "REQUIRE",
    }
    described = live.client("ses").describe_configuration_set(
        ConfigurationSetName="opts",
        ConfigurationSetAttributeNames=["deliveryOptions", "reputationOptions", "trackingOptions"],
    )
    assert described["DeliveryOptions"] == {"TlsPolicy": "Require"}
    assert described["ReputationOptions"] == {
        "SendingEnabled": True,
        "ReputationMetricsEnabled": True,
    }
    assert described["TrackingOptions"] == {"CustomRedirectDomain": "click.example.com"}
    # A put without a member takes the option back to its default.
    sesv2.put_configuration_set_delivery_options(ConfigurationSetName="opts")
    sesv2.put_configuration_set_archiving_options(ConfigurationSetName="opts")
    got = sesv2.get_configuration_set(ConfigurationSetName="opts")
    assert got["DeliveryOptions"] == {"TlsPolicy": "OPTIONAL"}
    assert "ArchivingOptions" not in got
    with pytest.raises(ClientError) as excinfo:
        sesv2.put_configuration_set_delivery_options(
            ConfigurationSetName="opts", SendingPoolName="pool-1"
        )
    assert error_of(excinfo) == (
        "NotFoundException",
        "The requested pool <pool-1> does not exist.",
        404,
    )
    with pytest.raises(ClientError) as excinfo:
        sesv2.put_configuration_set_sending_options(ConfigurationSetName="nope")
    assert error_of(excinfo) == (
        "NotFoundException",
        "Configuration set <nope> does not exist.",
        404,
    )


def test_v1_options_and_tracking(live: ServerProcess) -> None:
    ses = live.client("ses")
    ses.create_configuration_set(ConfigurationSet={"Name": "v1"})
    ses.put_configuration_set_delivery_options(
        ConfigurationSetName="v1", DeliveryOptions={"TlsPolicy": "Require"}
    )
    ses.update_configuration_set_reputation_metrics_enabled(ConfigurationSetName="v1", Enabled=True)
    ses.create_configuration_set_tracking_options(
        ConfigurationSetName="v1", TrackingOptions={"CustomRedirectDomain": "go.example.com"}
    )
    names = ["deliveryOptions", "reputationOptions", "trackingOptions"]
    described = ses.describe_configuration_set(
        ConfigurationSetName="v1", ConfigurationSetAttributeNames=names
    )
    assert described["DeliveryOptions"] == {"TlsPolicy": "Require"}
    assert described["ReputationOptions"] == {
        "SendingEnabled": True,
        "ReputationMetricsEnabled": True,
    }
    assert described["TrackingOptions"] == {"CustomRedirectDomain": "go.example.com"}
    got = live.client("sesv2").get_configuration_set(ConfigurationSetName="v1")
    assert got["DeliveryOptions"] == {"TlsPolicy": "REQUIRE"}
    with pytest.raises(ClientError) as excinfo:
        ses.create_configuration_set_tracking_options(
            ConfigurationSetName="v1", TrackingOptions={"CustomRedirectDomain": "x.example.com"}
        )
    assert error_of(excinfo) == (
        "TrackingOptionsAlreadyExistsException",
        "Tracking options for configuration set <v1> already exist.",
        400,
    )
    ses.update_configuration_set_tracking_options(
        ConfigurationSetName="v1", TrackingOptions={"CustomRedirectDomain": "x.example.com"}
    )
    ses.delete_configuration_set_tracking_options(ConfigurationSetName="v1")
    assert "TrackingOptions" not in ses.describe_configuration_set(
        ConfigurationSetName="v1", ConfigurationSetAttributeNames=names
    )
    with pytest.raises(ClientError) as excinfo:
        ses.delete_configuration_set_tracking_options(ConfigurationSetName="v1")
    assert error_of(excinfo) == (
        "TrackingOptionsDoesNotExistException",
        "Tracking options for configuration set <v1> do not exist.",
        400,
    )
    with pytest.raises(ClientError) as excinfo:
        ses.update_configuration_set_sending_enabled(ConfigurationSetName="nope", Enabled=False)
    assert error_of(excinfo) == (
        "ConfigurationSetDoesNotExist",
        "Configuration set <nope> does not exist.",
        400,
    )


def test_tls_policy_require_is_honoured_by_the_relay(tmp_path: Path) -> None:
    # The relay is a real SMTP server without STARTTLS: a set requiring TLS keeps its mail
    # there (the failure is the message's event); an optional one is relayed.
    handler = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    server = ServerProcess(
        ["--data-dir", str(tmp_path), "--relay", f"smtp://127.0.0.1:{port}", "--ses-sandbox", "off"]
    ).start()
    try:
        verify(server, "example.com")
        sesv2 = server.client("sesv2")
        sesv2.create_configuration_set(ConfigurationSetName="strict")
        sesv2.put_configuration_set_delivery_options(
            ConfigurationSetName="strict", TlsPolicy="REQUIRE"
        )
        kept = send_v2(server, ConfigurationSetName="strict")
        failed = last_event(server, kept)
        assert failed["type"] == "RelayFailed"
        assert "offers no STARTTLS" in str(failed)
        assert handler.received == []
        sesv2.put_configuration_set_delivery_options(
            ConfigurationSetName="strict", TlsPolicy="OPTIONAL"
        )
        relayed = send_v2(server, ConfigurationSetName="strict")
        assert last_event(server, relayed)["type"] == "Relayed"
        assert len(handler.received) == 1
    finally:
        server.stop()
        controller.stop()


def last_event(server: ServerProcess, message_id: str) -> dict[str, Any]:
    answer = httpx.get(f"{server.url}/_poolmail/messages/{message_id}/events")
    answer.raise_for_status()
    event: dict[str, Any] = answer.json()["events"][-1]
    return event


class Inbox:
    def __init__(self) -> None:
        self.received: list[bytes] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.received.append(envelope.original_content or b"")
        return "250 OK"
