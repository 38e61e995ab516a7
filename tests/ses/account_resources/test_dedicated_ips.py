"""SES v2 dedicated IP pools and IPs: pools' life and scaling mode, IPs leased through
poolmail's admin endpoint, moved between pools and warmed up, tags through the AWS CLI,
configuration sets naming a pool, and the IP a send goes out from."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.ses.helpers import messages, production_access, simple_message, verify
from tests.support.server import ServerProcess
from tests.test_awscli import aws, ok

POOL_ARN = "arn:aws:ses:us-east-1:123456789012:dedicated-ip-pool/{}"
DEFAULT_POOL = "ses-default-dedicated-pool"


def refused(call: Any, **params: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    error = excinfo.value.response["Error"]
    return (
        error["Code"],
        error["Message"],
        excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"],
    )


def lease(server: ServerProcess, **body: Any) -> list[str]:
    answer = httpx.post(f"{server.url}/_poolmail/ses/dedicated-ips", json=body)
    assert answer.status_code == 200, answer.text
    leased: list[str] = answer.json()["ips"]
    return leased


def test_pool_life_scaling_and_errors(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    assert sesv2.list_dedicated_ip_pools()["DedicatedIpPools"] == []
    sesv2.create_dedicated_ip_pool(PoolName="marketing")
    sesv2.create_dedicated_ip_pool(PoolName="auto", ScalingMode="MANAGED")
    assert sesv2.get_dedicated_ip_pool(PoolName="marketing")["DedicatedIpPool"] == {
        "PoolName": "marketing",
        "ScalingMode": "STANDARD",
    }
    assert sesv2.get_dedicated_ip_pool(PoolName="auto")["DedicatedIpPool"]["ScalingMode"] == (
        "MANAGED"
    )
    assert refused(sesv2.create_dedicated_ip_pool, PoolName="marketing") == (
        "AlreadyExistsException",
        "The pool <marketing> already exists.",
        400,
    )
    assert refused(sesv2.get_dedicated_ip_pool, PoolName="nope") == (
        "NotFoundException",
        "The requested pool <nope> does not exist.",
        404,
    )
    code, _, status = refused(sesv2.create_dedicated_ip_pool, PoolName="Has Space")
    assert (code, status) == ("BadRequestException", 400)

    # STANDARD -> MANAGED is allowed; MANAGED -> STANDARD is not.
    sesv2.put_dedicated_ip_pool_scaling_attributes(PoolName="marketing", ScalingMode="MANAGED")
    assert refused(
        sesv2.put_dedicated_ip_pool_scaling_attributes, PoolName="marketing", ScalingMode="STANDARD"
    ) == ("BadRequestException", "The ScalingMode parameter is invalid.", 400)
    assert refused(
        sesv2.put_dedicated_ip_pool_scaling_attributes, PoolName="nope", ScalingMode="MANAGED"
    )[0] == ("NotFoundException")

    sesv2.delete_dedicated_ip_pool(PoolName="auto")
    assert refused(sesv2.delete_dedicated_ip_pool, PoolName="auto")[:2] == (
        "NotFoundException",
        "The requested pool <auto> does not exist.",
    )
    assert sesv2.list_dedicated_ip_pools()["DedicatedIpPools"] == ["marketing"]


def test_pools_page_and_bad_tokens(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    for index in range(5):
        sesv2.create_dedicated_ip_pool(PoolName=f"pool-{index}")
    seen: list[str] = []
    token = None
    while True:
        page = sesv2.list_dedicated_ip_pools(PageSize=2, **({"NextToken": token} if token else {}))
        assert len(page["DedicatedIpPools"]) <= 2
        seen += page["DedicatedIpPools"]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == [f"pool-{index}" for index in range(5)]
    assert refused(sesv2.list_dedicated_ip_pools, NextToken="garbage!")[:2] == (
        "BadRequestException",
        "Invalid pagination token.",
    )


def test_leased_ips_move_between_pools_and_warm_up(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    assert sesv2.get_dedicated_ips()["DedicatedIps"] == []
    first, second = lease(live, count=2)
    assert first.startswith("198.51.100.") and second.startswith("198.51.100.")
    assert sesv2.get_dedicated_ip(Ip=first)["DedicatedIp"] == {
        "Ip": first,
        "WarmupStatus": "IN_PROGRESS",
        "WarmupPercentage": 0,
        "PoolName": DEFAULT_POOL,
    }
    sesv2.create_dedicated_ip_pool(PoolName="transactional")
    sesv2.put_dedicated_ip_in_pool(Ip=first, DestinationPoolName="transactional")
    sesv2.put_dedicated_ip_warmup_attributes(Ip=first, WarmupPercentage=100)
    assert sesv2.get_dedicated_ips(PoolName="transactional")["DedicatedIps"] == [
        {"Ip": first, "WarmupStatus": "DONE", "WarmupPercentage": 100, "PoolName": "transactional"}
    ]
    listed = sesv2.get_dedicated_ips(PageSize=1)
    assert len(listed["DedicatedIps"]) == 1
    rest = sesv2.get_dedicated_ips(PageSize=1, NextToken=listed["NextToken"])
    assert {listed["DedicatedIps"][0]["Ip"], rest["DedicatedIps"][0]["Ip"]} == {first, second}
    assert "NextToken" not in rest

    # A STANDARD pool holding IPs can't be deleted; back in the default pool, it can.
    code, _, _ = refused(sesv2.delete_dedicated_ip_pool, PoolName="transactional")
    assert code == "BadRequestException"
    sesv2.put_dedicated_ip_in_pool(Ip=first, DestinationPoolName=DEFAULT_POOL)
    sesv2.delete_dedicated_ip_pool(PoolName="transactional")

    missing = "Could not find dedicated IP <192.0.2.1> under this account."
    assert refused(sesv2.get_dedicated_ip, Ip="192.0.2.1") == ("NotFoundException", missing, 404)
    # The IP is checked before the pool.
    assert refused(sesv2.put_dedicated_ip_in_pool, Ip="192.0.2.1", DestinationPoolName="nope") == (
        "NotFoundException",
        missing,
        404,
    )
    assert refused(sesv2.put_dedicated_ip_in_pool, Ip=first, DestinationPoolName="nope") == (
        "NotFoundException",
        "The requested pool <nope> does not exist.",
        404,
    )
    assert refused(sesv2.put_dedicated_ip_warmup_attributes, Ip=first, WarmupPercentage=101) == (
        "BadRequestException",
        "Warmup Percentage must be between 0 and 100.",
        400,
    )
    assert refused(sesv2.get_dedicated_ips, PoolName="nope")[0] == "NotFoundException"
    assert sesv2.get_dedicated_ip(Ip=first)["DedicatedIp"]["WarmupPercentage"] == 100
    # Another account sees none of them.
    other = live.client("sesv2", access_key="210987654321")
    assert other.get_dedicated_ips()["DedicatedIps"] == []


def test_managed_pool_ips_report_warm_up_not_applicable(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    sesv2.create_dedicated_ip_pool(PoolName="managed", ScalingMode="MANAGED")
    [address] = lease(live, pool="managed")
    assert sesv2.get_dedicated_ip(Ip=address)["DedicatedIp"] == {
        "Ip": address,
        "WarmupStatus": "NOT_APPLICABLE",
        "WarmupPercentage": -1,
        "PoolName": "managed",
    }
    assert refused(sesv2.put_dedicated_ip_warmup_attributes, Ip=address, WarmupPercentage=50)[
        0
    ] == ("BadRequestException")
    assert refused(sesv2.put_dedicated_ip_in_pool, Ip=address, DestinationPoolName=DEFAULT_POOL)[
        0
    ] == ("BadRequestException")
    # A managed pool's IPs leave with it.
    sesv2.delete_dedicated_ip_pool(PoolName="managed")
    assert sesv2.get_dedicated_ips()["DedicatedIps"] == []


def test_lease_refuses_an_unknown_pool(live: ServerProcess) -> None:
    answer = httpx.post(f"{live.url}/_poolmail/ses/dedicated-ips", json={"pool": "nope"})
    assert answer.status_code == 409
    answer = httpx.post(f"{live.url}/_poolmail/ses/dedicated-ips", json={"count": 0})
    assert answer.status_code == 400


def test_pool_tags_through_the_aws_cli(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    sesv2.create_dedicated_ip_pool(PoolName="tagged", Tags=[{"Key": "team", "Value": "mail"}])
    arn = POOL_ARN.format("tagged")
    ok(aws(live, "sesv2", "tag-resource", "--resource-arn", arn, "--tags", "Key=cost,Value=ops"))
    listed = ok(aws(live, "sesv2", "list-tags-for-resource", "--resource-arn", arn))
    assert listed["Tags"] == [{"Key": "team", "Value": "mail"}, {"Key": "cost", "Value": "ops"}]
    ok(aws(live, "sesv2", "untag-resource", "--resource-arn", arn, "--tag-keys", "team"))
    assert sesv2.list_tags_for_resource(ResourceArn=arn)["Tags"] == [
        {"Key": "cost", "Value": "ops"}
    ]
    assert refused(
        sesv2.tag_resource,
        ResourceArn=POOL_ARN.format("nope"),
        Tags=[{"Key": "a", "Value": "b"}],
    ) == ("NotFoundException", "No DedicatedIpPool present with name: nope", 404)


def test_configuration_sets_name_only_existing_pools(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    assert refused(
        sesv2.create_configuration_set,
        ConfigurationSetName="set",
        DeliveryOptions={"SendingPoolName": "nope"},
    ) == ("NotFoundException", "The requested pool <nope> does not exist.", 404)
    with pytest.raises(ClientError):
        sesv2.get_configuration_set(ConfigurationSetName="set")
    sesv2.create_configuration_set(ConfigurationSetName="set")
    assert refused(
        sesv2.put_configuration_set_delivery_options,
        ConfigurationSetName="set",
        SendingPoolName="nope",
    ) == ("NotFoundException", "The requested pool <nope> does not exist.", 404)
    sesv2.create_dedicated_ip_pool(PoolName="bulk")
    sesv2.put_configuration_set_delivery_options(
        ConfigurationSetName="set", SendingPoolName="bulk", TlsPolicy="REQUIRE"
    )
    assert sesv2.get_configuration_set(ConfigurationSetName="set")["DeliveryOptions"] == {
        "TlsPolicy": "REQUIRE",
        "SendingPoolName": "bulk",
    }
    # MaxDeliverySeconds within the model's 300..50400 (the client would refuse first).
    raw = live.client("sesv2", validate=False)
    code, _, status = refused(
        raw.put_configuration_set_delivery_options,
        ConfigurationSetName="set",
        MaxDeliverySeconds=299,
    )
    assert (code, status) == ("BadRequestException", 400)
    assert (
        "MaxDeliverySeconds"
        not in sesv2.get_configuration_set(ConfigurationSetName="set")["DeliveryOptions"]
    )


def test_a_send_records_the_ip_it_leaves_from(live: ServerProcess) -> None:
    verify(live, "example.com")
    production_access(live)
    sesv2 = live.client("sesv2")
    sesv2.create_dedicated_ip_pool(PoolName="bulk")
    sesv2.create_configuration_set(
        ConfigurationSetName="via-pool", DeliveryOptions={"SendingPoolName": "bulk"}
    )
    sesv2.create_configuration_set(ConfigurationSetName="plain")

    def send(configuration_set: str | None) -> dict[str, Any]:
        extra = {"ConfigurationSetName": configuration_set} if configuration_set else {}
        message_id = sesv2.send_email(
            FromEmailAddress="ann@example.com",
            Destination={"ToAddresses": ["bob@example.org"]},
            Content={"Simple": simple_message()},
            **extra,
        )["MessageId"]
        [stored] = [m for m in messages(live) if m["id"] == message_id]
        details: dict[str, Any] = stored["details"]
        return details

    # No dedicated IPs: shared IPs, nothing recorded.
    assert "outgoing_ip" not in send("via-pool")
    [pool_ip] = lease(live, pool="bulk")
    [default_ip] = lease(live)
    assert send("via-pool")["outgoing_ip"] == pool_ip
    # A set naming no pool, or no set at all, goes out from the default pool.
    assert send("plain")["outgoing_ip"] == default_ip
    assert send(None)["outgoing_ip"] == default_ip
    # An empty pool sends from shared IPs.
    sesv2.put_dedicated_ip_in_pool(Ip=pool_ip, DestinationPoolName=DEFAULT_POOL)
    assert "outgoing_ip" not in send("via-pool")
