"""SmsConfiguration on CreateUserPool and UpdateUserPool: the role, the regions, the two
sending paths, each refusal with AWS's code and text."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.cognito.helpers import error_of, idp, make_pool
from tests.sms.helpers import ROLE_ARN
from tests.support.server import ServerProcess

NOT_YOUR_ROLE = ("NotAuthorizedException", "Role arn does not belong to your account.")
NO_TRUST = (
    "InvalidSmsRoleTrustRelationshipException",
    "Role does not have a trust relationship allowing Cognito to assume the role",
)


def refusal(
    server: ServerProcess, config: dict[str, Any], region: str = "us-east-1"
) -> tuple[str, str]:
    cognito = server.client("cognito-idp", region=region, validate=False)
    with pytest.raises(ClientError) as excinfo:
        cognito.create_user_pool(PoolName="texts", SmsConfiguration=config)
    return error_of(excinfo)


def test_a_role_of_the_pools_account_is_accepted(live: ServerProcess) -> None:
    config = {"SnsCallerArn": ROLE_ARN, "ExternalId": "x-1", "SnsRegion": "us-east-1"}
    pool_id = make_pool(live, SmsConfiguration=config)
    described = idp(live).describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert described["SmsConfiguration"] == config


def test_the_role_must_be_an_iam_role_of_the_account(live: ServerProcess) -> None:
    other = {"SnsCallerArn": "arn:aws:iam::210987654321:role/sms"}
    assert refusal(live, other) == NOT_YOUR_ROLE
    topic = {"SnsCallerArn": "arn:aws:sns:us-east-1:123456789012:texts"}
    assert refusal(live, topic) == NO_TRUST
    user = {"SnsCallerArn": "arn:aws:iam::123456789012:user/alice"}
    assert refusal(live, user) == NO_TRUST
    # The model's pattern runs first, in AWS's validation words.
    code, message = refusal(live, {"SnsCallerArn": "not-an-arn-at-all-really"})
    assert code == "InvalidParameterException"
    assert message.startswith(
        "1 validation error detected: Value 'not-an-arn-at-all-really' at "
        "'smsConfiguration.snsCallerArn' failed to satisfy constraint: Member must satisfy "
        "regular expression pattern"
    )


def test_a_configuration_needs_one_sending_path(live: ServerProcess) -> None:
    assert refusal(live, {"ExternalId": "x-1"}) == (
        "InvalidParameterException",
        "1 validation error detected: Value null at 'smsConfiguration.snsCallerArn' failed "
        "to satisfy constraint: Member must not be null",
    )
    both = {"SnsCallerArn": ROLE_ARN, "EumsSms": {"CallerArn": ROLE_ARN}}
    assert refusal(live, both) == (
        "InvalidParameterException",
        "Provide either SnsCallerArn or EumsSms in SmsConfiguration, but not both.",
    )


def test_sns_region_is_the_pools_or_its_legacy_alternate(live: ServerProcess) -> None:
    assert refusal(live, {"SnsCallerArn": ROLE_ARN, "SnsRegion": "eu-west-1"}) == (
        "InvalidParameterException",
        "SnsRegion eu-west-1 is not supported for user pools in us-east-1; use one of: us-east-1.",
    )
    ohio = live.client("cognito-idp", region="us-east-2")
    config = {"SnsCallerArn": ROLE_ARN, "SnsRegion": "us-east-1"}
    assert ohio.create_user_pool(PoolName="ohio", SmsConfiguration=config)["UserPool"]["Id"]
    # Seoul must use Tokyo.
    seoul = {"SnsCallerArn": ROLE_ARN, "SnsRegion": "ap-northeast-2"}
    assert refusal(live, seoul, region="ap-northeast-2") == (
        "InvalidParameterException",
        "SnsRegion ap-northeast-2 is not supported for user pools in ap-northeast-2; use one "
        "of: ap-northeast-1.",
    )


def test_end_user_messaging_sends_in_the_pools_region(live: ServerProcess) -> None:
    eums = {"EumsSms": {"CallerArn": ROLE_ARN, "Region": "us-east-1"}}
    assert make_pool(live, SmsConfiguration=eums)
    elsewhere = {"EumsSms": {"CallerArn": ROLE_ARN, "Region": "us-west-2"}}
    assert refusal(live, elsewhere) == (
        "InvalidParameterException",
        "EumsSms Region us-west-2 must be the user pool's Region us-east-1.",
    )
    foreign = {"EumsSms": {"CallerArn": "arn:aws:iam::210987654321:role/sms"}}
    assert refusal(live, foreign) == NOT_YOUR_ROLE


def test_update_user_pool_checks_the_same_way(live: ServerProcess) -> None:
    pool_id = make_pool(live)
    cognito = idp(live)
    foreign = {"SnsCallerArn": "arn:aws:iam::210987654321:role/x"}
    with pytest.raises(ClientError) as excinfo:
        cognito.update_user_pool(UserPoolId=pool_id, SmsConfiguration=foreign)
    assert error_of(excinfo) == NOT_YOUR_ROLE
    assert "SmsConfiguration" not in cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    cognito.update_user_pool(UserPoolId=pool_id, SmsConfiguration={"SnsCallerArn": ROLE_ARN})
    described = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert described["SmsConfiguration"] == {"SnsCallerArn": ROLE_ARN}
