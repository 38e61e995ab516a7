"""Provisioned limits: the free rates, raising an adjustable category within its bounds,
per account and region, and the refusals."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.cognito.helpers import error_of, idp, make_pool
from tests.support.server import ServerProcess


def definition(category: str) -> dict[str, Any]:
    return {"LimitClass": "API_CATEGORY", "Attributes": {"Category": category}}


def limit_of(cognito: Any, category: str) -> dict[str, Any]:
    answer: dict[str, Any] = cognito.get_provisioned_limit(LimitDefinition=definition(category))
    return answer["Limit"]


def test_free_rates_and_an_increase(live: ServerProcess) -> None:
    cognito = idp(live)
    assert limit_of(cognito, "UserAuthentication") == {
        "LimitDefinition": definition("UserAuthentication"),
        "ProvisionedLimitValue": 120,
        "FreeLimitValue": 120,
    }
    assert limit_of(cognito, "UserCreation")["ProvisionedLimitValue"] == 50
    updated = cognito.update_provisioned_limit(
        LimitDefinition=definition("UserCreation"), RequestedLimitValue=200
    )["Limit"]
    assert (updated["ProvisionedLimitValue"], updated["FreeLimitValue"]) == (200, 50)
    assert limit_of(cognito, "UserCreation")["ProvisionedLimitValue"] == 200
    cognito.update_provisioned_limit(
        LimitDefinition=definition("UserCreation"), RequestedLimitValue=60
    )
    assert limit_of(cognito, "UserCreation")["ProvisionedLimitValue"] == 60
    # Another region of the same account keeps the free rate.
    other = boto3.client(
        "cognito-idp",
        endpoint_url=live.url,
        region_name="eu-west-1",
        aws_access_key_id="AKIDPOOLMAILTEST",
        aws_secret_access_key="secret",
        config=Config(retries={"total_max_attempts": 1}),
    )
    assert limit_of(other, "UserCreation")["ProvisionedLimitValue"] == 50


def test_refusals(live: ServerProcess) -> None:
    cognito = idp(live)
    cases = [
        (
            {"LimitClass": "API_CATEGORY", "Attributes": {}},
            100,
            "InvalidParameterException",
            "LimitDefinition.Attributes must contain exactly one key, Category.",
        ),
        (
            definition("Nothing"),
            100,
            "ResourceNotFoundException",
            "No provisioned limit exists for category Nothing.",
        ),
        (
            definition("UserList"),
            40,
            "InvalidParameterException",
            "The limit of category UserList cannot be adjusted.",
        ),
        (
            definition("UserRead"),
            119,
            "InvalidParameterException",
            "RequestedLimitValue must be at least the default limit of 120.",
        ),
        (
            definition("UserRead"),
            1201,
            "ServiceQuotaExceededException",
            "RequestedLimitValue exceeds the account-level maximum of 1200.",
        ),
    ]
    for limit, value, code, message in cases:
        with pytest.raises(ClientError) as excinfo:
            cognito.update_provisioned_limit(LimitDefinition=limit, RequestedLimitValue=value)
        assert error_of(excinfo) == (code, message)

    # A managed login pool in the account and region: no adjustment of UserAuthentication.
    pool_id = make_pool(live)
    cognito.create_user_pool_domain(UserPoolId=pool_id, Domain="shop-login", ManagedLoginVersion=2)
    with pytest.raises(ClientError) as excinfo:
        cognito.update_provisioned_limit(
            LimitDefinition=definition("UserAuthentication"), RequestedLimitValue=200
        )
    assert error_of(excinfo) == (
        "InvalidParameterException",
        "Managed login user pools don't support adjustments to the UserAuthentication "
        "category. Submit a Service Quotas increase request instead.",
    )
    cognito.update_provisioned_limit(
        LimitDefinition=definition("UserRead"), RequestedLimitValue=200
    )
