"""SES configuration sets through both APIs (event destinations are not built yet)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError

from poolmail.ses.configuration import sets as configuration_sets
from poolmail.store import Database, open_database
from tests.support.server import ServerProcess


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    error = excinfo.value.response["Error"]
    status = excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]
    return error["Code"], error["Message"], status


def test_v1_create_describe_list_delete(live: ServerProcess) -> None:
    ses = live.client("ses")
    ses.create_configuration_set(ConfigurationSet={"Name": "transactional"})
    ses.create_configuration_set(ConfigurationSet={"Name": "marketing_2"})
    described = ses.describe_configuration_set(ConfigurationSetName="transactional")
    assert described["ConfigurationSet"] == {"Name": "transactional"}
    assert "EventDestinations" not in described
    listed = ses.list_configuration_sets()["ConfigurationSets"]
    assert listed == [{"Name": "transactional"}, {"Name": "marketing_2"}]
    ses.delete_configuration_set(ConfigurationSetName="transactional")
    assert ses.list_configuration_sets()["ConfigurationSets"] == [{"Name": "marketing_2"}]


def test_v1_errors_name_the_set_in_angle_brackets(live: ServerProcess) -> None:
    ses = live.client("ses")
    for call in (
        lambda: ses.describe_configuration_set(ConfigurationSetName="nope"),
        lambda: ses.delete_configuration_set(ConfigurationSetName="nope"),
    ):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo) == (
            "ConfigurationSetDoesNotExist",
            "Configuration set <nope> does not exist.",
            400,
        )
        assert excinfo.value.response["Error"].get("ConfigurationSetName") in (None, "nope")
    ses.create_configuration_set(ConfigurationSet={"Name": "once"})
    with pytest.raises(ClientError) as excinfo:
        ses.create_configuration_set(ConfigurationSet={"Name": "once"})
    assert error_of(excinfo) == (
        "ConfigurationSetAlreadyExists",
        "Configuration set <once> already exists.",
        400,
    )
    for bad in ("has space", "x" * 65, "dot.ted"):
        with pytest.raises(ClientError) as excinfo:
            ses.create_configuration_set(ConfigurationSet={"Name": bad})
        assert error_of(excinfo)[0] == "InvalidConfigurationSet"


def test_v1_list_pages(live: ServerProcess) -> None:
    ses = live.client("ses")
    for name in ("a", "b", "c"):
        ses.create_configuration_set(ConfigurationSet={"Name": name})
    first = ses.list_configuration_sets(MaxItems=2)
    assert first["ConfigurationSets"] == [{"Name": "a"}, {"Name": "b"}]
    second = ses.list_configuration_sets(MaxItems=2, NextToken=first["NextToken"])
    assert second["ConfigurationSets"] == [{"Name": "c"}]
    assert "NextToken" not in second


def test_v2_create_get_with_defaults_and_options(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    sesv2.create_configuration_set(ConfigurationSetName="plain")
    plain = sesv2.get_configuration_set(ConfigurationSetName="plain")
    plain.pop("ResponseMetadata")
    assert plain == {
        "ConfigurationSetName": "plain",
        "DeliveryOptions": {"TlsPolicy": "OPTIONAL"},
        "ReputationOptions": {"ReputationMetricsEnabled": False},
        "SendingOptions": {"SendingEnabled": True},
        "Tags": [],
    }
    sesv2.create_configuration_set(
        ConfigurationSetName="tuned",
        DeliveryOptions={"TlsPolicy": "REQUIRE", "MaxDeliverySeconds": 600},
        ReputationOptions={"ReputationMetricsEnabled": True},
        SendingOptions={"SendingEnabled": False},
        TrackingOptions={"CustomRedirectDomain": "click.example.com"},
        SuppressionOptions={"SuppressedReasons": ["BOUNCE"]},
        Tags=[{"Key": "env", "Value": "test"}],
    )
    tuned = sesv2.get_configuration_set(ConfigurationSetName="tuned")
    assert tuned["DeliveryOptions"] == {"TlsPolicy": "REQUIRE", "MaxDeliverySeconds": 600}
    assert tuned["ReputationOptions"] == {"ReputationMetricsEnabled": True}
    assert tuned["SendingOptions"] == {"SendingEnabled": False}
    assert tuned["TrackingOptions"] == {"CustomRedirectDomain": "click.example.com"}
    assert tuned["SuppressionOptions"] == {"SuppressedReasons": ["BOUNCE"]}
    assert tuned["Tags"] == [{"Key": "env", "Value": "test"}]
    # The v1 view of the same set, in v1's spelling.
    described = live.client("ses").describe_configuration_set(
        ConfigurationSetName="tuned",
        ConfigurationSetAttributeNames=[
            "eventDestinations",
            "trackingOptions",
            "deliveryOptions",
            "reputationOptions",
        ],
    )
    assert described["EventDestinations"] == []
    assert described["TrackingOptions"] == {"CustomRedirectDomain": "click.example.com"}
    assert described["DeliveryOptions"] == {"TlsPolicy": "Require"}
    assert described["ReputationOptions"] == {
        "SendingEnabled": False,
        "ReputationMetricsEnabled": True,
    }


def test_v2_errors(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    for call in (
        lambda: sesv2.get_configuration_set(ConfigurationSetName="nope"),
        lambda: sesv2.delete_configuration_set(ConfigurationSetName="nope"),
    ):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo) == (
            "NotFoundException",
            "Configuration set <nope> does not exist.",
            404,
        )
    sesv2.create_configuration_set(ConfigurationSetName="once")
    with pytest.raises(ClientError) as excinfo:
        sesv2.create_configuration_set(ConfigurationSetName="once")
    assert error_of(excinfo) == (
        "AlreadyExistsException",
        "Configuration set <once> already exists.",
        400,
    )
    with pytest.raises(ClientError) as excinfo:
        sesv2.create_configuration_set(ConfigurationSetName="no spaces")
    assert error_of(excinfo)[0] == "BadRequestException"


def test_v2_list_pages_filters_and_shares_state(live: ServerProcess) -> None:
    sesv2, ses = live.client("sesv2"), live.client("ses")
    ses.create_configuration_set(ConfigurationSet={"Name": "from-v1"})
    sesv2.create_configuration_set(ConfigurationSetName="from-v2")
    sesv2.create_configuration_set(ConfigurationSetName="other_v2")
    first = sesv2.list_configuration_sets(PageSize=2)
    assert first["ConfigurationSets"] == ["from-v1", "from-v2"]
    second = sesv2.list_configuration_sets(PageSize=2, NextToken=first["NextToken"])
    assert second["ConfigurationSets"] == ["other_v2"]
    filtered = sesv2.list_configuration_sets(Filter={"CONFIGURATION_SET_NAME_CONTAINS": "_v"})
    assert filtered["ConfigurationSets"] == ["other_v2"]
    sesv2.delete_configuration_set(ConfigurationSetName="from-v1")
    assert [item["Name"] for item in ses.list_configuration_sets()["ConfigurationSets"]] == [
        "from-v2",
        "other_v2",
    ]


def test_sets_belong_to_one_account_and_region(live: ServerProcess) -> None:
    live.client("ses").create_configuration_set(ConfigurationSet={"Name": "mine"})
    for other in (
        live.client("sesv2", region="eu-west-1"),
        live.client("sesv2", access_key="111122223333"),
    ):
        assert other.list_configuration_sets()["ConfigurationSets"] == []
        other.create_configuration_set(ConfigurationSetName="mine")


@pytest.fixture
def db() -> Iterator[Database]:
    database = open_database(data_dir=":memory:")
    yield database
    database.close()


def test_exists_for_senders(db: Database) -> None:
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO ses_configuration_sets (account, region, name, created_at, data) "
            "VALUES (?, ?, ?, ?, ?)",
            ("123456789012", "us-east-1", "set", 1.0, "{}"),
        )
        assert configuration_sets.exists(tx, "123456789012", "us-east-1", "set")
        assert not configuration_sets.exists(tx, "123456789012", "us-east-2", "set")
        assert not configuration_sets.exists(tx, "111122223333", "us-east-1", "set")
        assert not configuration_sets.exists(tx, "123456789012", "us-east-1", "Set")
