"""SES v2 multi-region endpoints through boto3: create, read, list and delete, and sends
that name an endpoint."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.ses.helpers import advance, messages, production_access, simple_message, verify
from tests.support.server import ServerProcess

ACCOUNT = "123456789012"
ROUTES = {"RoutesDetails": [{"Region": "eu-west-1"}]}


def refused(call: Any, **params: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    error = excinfo.value.response["Error"]
    status = excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]
    return error["Code"], error["Message"], status


def test_endpoint_lifecycle(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    created = sesv2.create_multi_region_endpoint(
        EndpointName="global", Details=ROUTES, Tags=[{"Key": "env", "Value": "prod"}]
    )
    assert created["Status"] == "CREATING"
    endpoint_id = created["EndpointId"]
    found = sesv2.get_multi_region_endpoint(EndpointName="global")
    assert found["EndpointId"] == endpoint_id
    assert found["Routes"] == [{"Region": "us-east-1"}, {"Region": "eu-west-1"}]
    assert found["Status"] in ("CREATING", "READY")
    advance(live, 2)
    ready = sesv2.get_multi_region_endpoint(EndpointName="global")
    assert ready["Status"] == "READY"
    assert ready["LastUpdatedTimestamp"] > ready["CreatedTimestamp"]

    arn = f"arn:aws:ses:us-east-1:{ACCOUNT}:multi-region-endpoint/global"
    assert sesv2.list_tags_for_resource(ResourceArn=arn)["Tags"] == [
        {"Key": "env", "Value": "prod"}
    ]

    # Only the primary Region sees and manages the endpoint.
    secondary = live.client("sesv2", region="eu-west-1")
    assert secondary.list_multi_region_endpoints()["MultiRegionEndpoints"] == []
    assert refused(secondary.get_multi_region_endpoint, EndpointName="global")[0] == (
        "NotFoundException"
    )

    assert refused(sesv2.create_multi_region_endpoint, EndpointName="global", Details=ROUTES) == (
        "AlreadyExistsException",
        "Multi-region endpoint <global> already exists.",
        400,
    )
    assert refused(sesv2.get_multi_region_endpoint, EndpointName="absent") == (
        "NotFoundException",
        "Multi-region endpoint <absent> does not exist.",
        404,
    )
    assert sesv2.delete_multi_region_endpoint(EndpointName="global")["Status"] == "DELETING"
    assert refused(sesv2.delete_multi_region_endpoint, EndpointName="global")[0] == (
        "NotFoundException"
    )
    assert sesv2.list_multi_region_endpoints()["MultiRegionEndpoints"] == []


def test_routes_are_checked(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    two = {"RoutesDetails": [{"Region": "eu-west-1"}, {"Region": "ap-south-1"}]}
    assert refused(sesv2.create_multi_region_endpoint, EndpointName="e", Details=two) == (
        "BadRequestException",
        "RoutesDetails must contain exactly one route configuration.",
        400,
    )
    none: dict[str, Any] = {"RoutesDetails": []}
    assert refused(sesv2.create_multi_region_endpoint, EndpointName="e", Details=none)[0] == (
        "BadRequestException"
    )
    same = {"RoutesDetails": [{"Region": "us-east-1"}]}
    assert refused(sesv2.create_multi_region_endpoint, EndpointName="e", Details=same) == (
        "BadRequestException",
        "The secondary region us-east-1 must differ from the primary region us-east-1.",
        400,
    )
    unknown = {"RoutesDetails": [{"Region": "mars-north-1"}]}
    assert refused(sesv2.create_multi_region_endpoint, EndpointName="e", Details=unknown) == (
        "BadRequestException",
        "Region mars-north-1 is not a Region where SES is available.",
        400,
    )
    raw = live.client("sesv2", validate=False)
    code, _, status = refused(
        raw.create_multi_region_endpoint, EndpointName="bad name", Details=ROUTES
    )
    assert (code, status) == ("BadRequestException", 400)
    assert sesv2.list_multi_region_endpoints()["MultiRegionEndpoints"] == []


def test_list_pages(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    names = [f"endpoint-{index}" for index in range(5)]
    ids = [
        sesv2.create_multi_region_endpoint(EndpointName=name, Details=ROUTES)["EndpointId"]
        for name in names
    ]
    assert len(set(ids)) == 5
    seen: list[str] = []
    token = None
    while True:
        page = sesv2.list_multi_region_endpoints(
            PageSize=2, **({"NextToken": token} if token else {})
        )
        seen += [item["EndpointName"] for item in page["MultiRegionEndpoints"]]
        token = page.get("NextToken")
        if token is None:
            break
    assert seen == names
    item = sesv2.list_multi_region_endpoints()["MultiRegionEndpoints"][0]
    assert item["Regions"] == ["us-east-1", "eu-west-1"]
    assert item["EndpointId"] == ids[0]
    assert refused(sesv2.list_multi_region_endpoints, NextToken="AAAA")[0] == (
        "BadRequestException"
    )


def _v4_client(live: ServerProcess, region: str) -> Any:
    # A send naming an EndpointId is signed with SigV4a by default, which needs
    # botocore[crt]; plain SigV4 reaches poolmail the same way.
    return boto3.client(
        "sesv2",
        endpoint_url=live.url,
        region_name=region,
        aws_access_key_id="AKIDPOOLMAILTEST",
        aws_secret_access_key="secret",
        config=Config(signature_version="v4", retries={"total_max_attempts": 1}),
    )


def test_sends_through_an_endpoint(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    verify(live, "sender@brand.example")
    production_access(live)
    content = {"Simple": simple_message()}
    to = {"ToAddresses": ["success@simulator.amazonses.com"]}
    sender = "sender@brand.example"
    client = _v4_client(live, "eu-west-1")
    assert refused(
        client.send_email,
        FromEmailAddress=sender,
        Destination=to,
        Content=content,
        EndpointId="nosuchendpoint",
    ) == (
        "NotFoundException",
        "Multi-region endpoint with id <nosuchendpoint> does not exist.",
        404,
    )
    endpoint_id = sesv2.create_multi_region_endpoint(EndpointName="global", Details=ROUTES)[
        "EndpointId"
    ]
    assert refused(
        client.send_email,
        FromEmailAddress=sender,
        Destination=to,
        Content=content,
        EndpointId=endpoint_id,
    ) == ("BadRequestException", "Multi-region endpoint <global> is not READY.", 400)
    advance(live, 2)
    # Sent from the secondary Region's side, the message is processed in the primary one,
    # where the sender is verified.
    sent = client.send_email(
        FromEmailAddress=sender, Destination=to, Content=content, EndpointId=endpoint_id
    )
    stored = [message for message in messages(live) if message["id"] == sent["MessageId"]]
    assert [message["region"] for message in stored] == ["us-east-1"]
