"""The server driven by boto3 exactly as a user would, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from poolmail.config import Settings
from poolmail.server.app import create_app
from poolmail.store import open_database
from tests.support.server import ServerProcess

POOL_ID = re.compile(r"us-east-1_[0-9A-Za-z]{9}")


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    error = excinfo.value.response["Error"]
    status = excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]
    return error["Code"], error["Message"], status


def test_health_names_the_storage(live: ServerProcess) -> None:
    answer = httpx.get(f"{live.url}/_poolmail/health").json()
    assert answer["status"] == "ok"
    assert answer["storage"] in ("sqlite", "postgresql")


def test_list_user_pools_starts_empty(live: ServerProcess) -> None:
    cognito = live.client("cognito-idp")
    assert cognito.list_user_pools(MaxResults=10)["UserPools"] == []


def test_max_results_zero_is_refused_with_awss_validation_message(live: ServerProcess) -> None:
    cognito = live.client("cognito-idp", validate=False)
    with pytest.raises(ClientError) as excinfo:
        cognito.list_user_pools(MaxResults=0)
    assert error_of(excinfo) == (
        "InvalidParameterException",
        "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1",
        400,
    )


def test_max_and_pattern_are_checked_on_the_server(live: ServerProcess) -> None:
    cognito = live.client("cognito-idp")
    with pytest.raises(ClientError) as excinfo:
        cognito.list_user_pools(MaxResults=61)
    assert error_of(excinfo)[1] == (
        "1 validation error detected: Value '61' at 'maxResults' failed to satisfy "
        "constraint: Member must have value less than or equal to 60"
    )
    with pytest.raises(ClientError) as excinfo:
        cognito.describe_user_pool(UserPoolId="not a pool id")
    assert error_of(excinfo) == (
        "InvalidParameterException",
        "1 validation error detected: Value 'not a pool id' at 'userPoolId' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [\\w-]+_[0-9a-zA-Z]+",
        400,
    )


def test_several_violations_are_counted_and_joined(live: ServerProcess) -> None:
    cognito = live.client("cognito-idp", validate=False)
    with pytest.raises(ClientError) as excinfo:
        cognito.create_user_pool(PoolName="", MfaConfiguration="SOMETIMES")
    code, message, _ = error_of(excinfo)
    assert code == "InvalidParameterException"
    assert message.startswith("3 validation errors detected: ")
    assert (
        "Value 'SOMETIMES' at 'mfaConfiguration' failed to satisfy constraint: "
        "Member must satisfy enum value set: [OFF, ON, OPTIONAL]"
    ) in message
    assert (
        "Value '' at 'poolName' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1"
    ) in message
    assert live.client("cognito-idp").list_user_pools(MaxResults=10)["UserPools"] == []


def test_create_describe_list_delete_a_pool(live: ServerProcess) -> None:
    cognito = live.client("cognito-idp")
    created = cognito.create_user_pool(PoolName="shop-users")["UserPool"]
    pool_id = created["Id"]
    assert POOL_ID.fullmatch(pool_id)
    assert created["Arn"] == f"arn:aws:cognito-idp:us-east-1:123456789012:userpool/{pool_id}"
    assert created["CreationDate"] == created["LastModifiedDate"]

    described = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert described == created
    assert described["EmailConfiguration"] == {"EmailSendingAccount": "COGNITO_DEFAULT"}
    assert described["MfaConfiguration"] == "OFF"
    assert described["Policies"]["PasswordPolicy"]["MinimumLength"] == 8
    assert described["VerificationMessageTemplate"] == {"DefaultEmailOption": "CONFIRM_WITH_CODE"}
    assert "sub" in {attribute["Name"] for attribute in described["SchemaAttributes"]}

    listed = cognito.list_user_pools(MaxResults=60)["UserPools"]
    assert [(pool["Id"], pool["Name"]) for pool in listed] == [(pool_id, "shop-users")]

    cognito.delete_user_pool(UserPoolId=pool_id)
    with pytest.raises(ClientError) as excinfo:
        cognito.describe_user_pool(UserPoolId=pool_id)
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        f"User pool {pool_id} does not exist.",
        400,
    )


def test_deletion_protection_keeps_the_pool(live: ServerProcess) -> None:
    cognito = live.client("cognito-idp")
    pool_id = cognito.create_user_pool(PoolName="kept", DeletionProtection="ACTIVE")["UserPool"][
        "Id"
    ]
    with pytest.raises(ClientError) as excinfo:
        cognito.delete_user_pool(UserPoolId=pool_id)
    assert error_of(excinfo)[0] == "InvalidParameterException"
    assert cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]["Name"] == "kept"


def test_list_user_pools_pages_with_next_token(live: ServerProcess) -> None:
    cognito = live.client("cognito-idp")
    names = [f"pool-{index}" for index in range(7)]
    for name in names:
        cognito.create_user_pool(PoolName=name)
    seen: list[str] = []
    token = None
    while True:
        kwargs = {"MaxResults": 3, **({"NextToken": token} if token else {})}
        page = cognito.list_user_pools(**kwargs)
        assert len(page["UserPools"]) <= 3
        seen += [pool["Name"] for pool in page["UserPools"]]
        token = page.get("NextToken")
        if not token:
            break
    assert seen == names
    paginated = cognito.get_paginator("list_user_pools").paginate(MaxResults=2)
    assert [pool["Name"] for page in paginated for pool in page["UserPools"]] == names


def test_pools_are_scoped_by_account_and_region(live: ServerProcess) -> None:
    default = live.client("cognito-idp")
    other_account = live.client("cognito-idp", access_key="111122223333")
    other_region = live.client("cognito-idp", region="eu-west-1")
    pool_id = default.create_user_pool(PoolName="mine")["UserPool"]["Id"]
    assert other_account.list_user_pools(MaxResults=10)["UserPools"] == []
    assert other_region.list_user_pools(MaxResults=10)["UserPools"] == []
    with pytest.raises(ClientError) as excinfo:
        other_account.describe_user_pool(UserPoolId=pool_id)
    assert error_of(excinfo)[0] == "ResourceNotFoundException"
    foreign = other_account.create_user_pool(PoolName="theirs")["UserPool"]
    assert foreign["Arn"].startswith("arn:aws:cognito-idp:us-east-1:111122223333:userpool/")
    eu = other_region.create_user_pool(PoolName="eu")["UserPool"]
    assert eu["Id"].startswith("eu-west-1_")


def test_ses_v1_and_v2_list_identities_empty(live: ServerProcess) -> None:
    assert live.client("ses").list_identities()["Identities"] == []
    assert live.client("ses").list_identities(IdentityType="Domain")["Identities"] == []
    assert live.client("sesv2").list_email_identities()["EmailIdentities"] == []


def test_ses_v1_validation_error_in_query_form(live: ServerProcess) -> None:
    ses = live.client("ses", validate=False)
    with pytest.raises(ClientError) as excinfo:
        ses.list_identities(IdentityType="Phone")
    assert error_of(excinfo) == (
        "ValidationError",
        "1 validation error detected: Value 'Phone' at 'identityType' failed to satisfy "
        "constraint: Member must satisfy enum value set: [EmailAddress, Domain]",
        400,
    )


@pytest.mark.parametrize(
    ("service", "operation", "request_args"),
    [
        (
            "ses",
            "DescribeActiveReceiptRuleSet",
            {
                "url": "/",
                "content": b"Action=DescribeActiveReceiptRuleSet&Version=2010-12-01",
                "headers": {"Content-Type": "application/x-www-form-urlencoded"},
            },
        ),
        (
            "sesv2",
            "GetDeliverabilityDashboardOptions",
            {"url": "/v2/email/deliverability-dashboard"},
        ),
    ],
)
def test_an_operation_without_a_handler_answers_501_naming_itself(
    tmp_path: Path, service: str, operation: str, request_args: dict[str, Any]
) -> None:
    # Every operation of the three models is served now (tests/*/test_coverage.py); one
    # taken out of the registry shows the answer an unbuilt operation gets.
    db = open_database(data_dir=str(tmp_path))
    app = create_app(Settings(), db)
    registry = app.state.services.registry
    registry[service] = {name: registry[service][name] for name in registry[service]}
    del registry[service][operation]
    signed = {
        "Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/ses/"
        "aws4_request, SignedHeaders=host, Signature=00"
    }

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://poolmail.test") as http:
            method = "POST" if "content" in request_args else "GET"
            headers = {**signed, **request_args.pop("headers", {})}
            return await http.request(method, headers=headers, **request_args)

    try:
        # On a thread of its own: a session's browser (Playwright's sync API) may keep an
        # event loop running on this one, where asyncio.run refuses to start another.
        with ThreadPoolExecutor(1) as thread:
            answer = thread.submit(lambda: asyncio.run(call())).result()
    finally:
        db.close()
    assert answer.status_code == 501
    text = answer.text
    # The code: in the XML body (query protocol), in x-amzn-ErrorType (REST-JSON).
    assert "NotImplemented" in text + answer.headers.get("x-amzn-errortype", "")
    assert f"The operation {operation} of {service} is not implemented in poolmail yet." in text


def test_unknown_target_and_path_are_refused(live: ServerProcess) -> None:
    answer = httpx.post(
        live.url,
        headers={
            "X-Amz-Target": "AWSCognitoIdentityProviderService.NoSuchThing",
            "Content-Type": "application/x-amz-json-1.1",
        },
        content=b"{}",
    )
    assert answer.status_code == 400
    assert answer.json()["__type"] == "UnknownOperationException"
    assert httpx.get(f"{live.url}/v2/email/no-such-route").status_code == 404


def test_malformed_json_is_a_serialization_error(live: ServerProcess) -> None:
    answer = httpx.post(
        live.url,
        headers={
            "X-Amz-Target": "AWSCognitoIdentityProviderService.ListUserPools",
            "Content-Type": "application/x-amz-json-1.1",
        },
        content=b"{not json",
    )
    assert answer.status_code == 400
    assert answer.json()["__type"] == "SerializationException"


def test_unsigned_cognito_call_is_served(live: ServerProcess) -> None:
    answer = httpx.post(
        live.url,
        headers={
            "X-Amz-Target": "AWSCognitoIdentityProviderService.ListUserPools",
            "Content-Type": "application/x-amz-json-1.1",
        },
        content=b'{"MaxResults": 5}',
    )
    assert answer.status_code == 200
    assert answer.json() == {"UserPools": []}
    assert answer.headers["x-amzn-RequestId"]


def test_reset_and_moto_alias_empty_the_state(live: ServerProcess) -> None:
    cognito = live.client("cognito-idp")
    cognito.create_user_pool(PoolName="a")
    httpx.post(f"{live.url}/moto-api/reset").raise_for_status()
    assert cognito.list_user_pools(MaxResults=10)["UserPools"] == []
    cognito.create_user_pool(PoolName="b")
    httpx.post(f"{live.url}/_poolmail/reset").raise_for_status()
    assert cognito.list_user_pools(MaxResults=10)["UserPools"] == []


def test_a_pool_outlives_a_restart(live: ServerProcess) -> None:
    cognito = live.client("cognito-idp")
    created = cognito.create_user_pool(PoolName="durable")["UserPool"]
    live.restart()
    again = live.client("cognito-idp")
    assert again.describe_user_pool(UserPoolId=created["Id"])["UserPool"] == created


def test_unsigned_call_takes_the_region_from_the_pool_id(live: ServerProcess) -> None:
    pool_id = live.client("cognito-idp", region="eu-west-1").create_user_pool(PoolName="eu")[
        "UserPool"
    ]["Id"]
    answer = httpx.post(
        live.url,
        headers={
            "X-Amz-Target": "AWSCognitoIdentityProviderService.DescribeUserPool",
            "Content-Type": "application/x-amz-json-1.1",
        },
        content=json.dumps({"UserPoolId": pool_id}).encode(),
    )
    assert answer.status_code == 200
    assert answer.json()["UserPool"]["Arn"].startswith("arn:aws:cognito-idp:eu-west-1:")


def test_concurrent_creates_all_land(live: ServerProcess) -> None:
    cognito = live.client("cognito-idp")
    names = [f"parallel-{index:02d}" for index in range(40)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda name: cognito.create_user_pool(PoolName=name), names))
    listed = [
        pool["Name"]
        for page in cognito.get_paginator("list_user_pools").paginate(MaxResults=60)
        for pool in page["UserPools"]
    ]
    assert sorted(listed) == names
