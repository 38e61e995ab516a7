"""A pool's PreSignUp run through Lambda's Invoke API (`--lambda-endpoint-url`, no
`--functions`): a test double speaks the API, the wire is botocore's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.cognito.helpers import PASSWORD, error_of, idp
from tests.cognito.triggers.test_standard_triggers import arn, invocations
from tests.conftest import BACKENDS
from tests.support.functions import FunctionFailure, LambdaDouble
from tests.support.server import ServerProcess, serving


def _auto_confirm(event: Any) -> Any:
    event["response"]["autoConfirmUser"] = True
    event["response"]["autoVerifyEmail"] = True
    return event


def _refuse(event: Any) -> Any:
    raise FunctionFailure("Error", f"No sign-ups for {event['userName']}")


DOUBLE = {"auto-confirm": _auto_confirm, "refuse": _refuse}


@pytest.fixture(scope="module")
def double() -> Iterator[LambdaDouble]:
    with LambdaDouble(DOUBLE) as running:
        yield running


@pytest.fixture(scope="module", params=BACKENDS)
def endpoint_server(
    request: pytest.FixtureRequest, double: LambdaDouble
) -> Iterator[ServerProcess]:
    options = ["--lambda-endpoint-url", double.url]
    with serving(request.param, options) as running:
        yield running


@pytest.fixture
def server(endpoint_server: ServerProcess, double: LambdaDouble) -> ServerProcess:
    endpoint_server.reset()
    double.calls.clear()
    return endpoint_server


def _pool(server: ServerProcess, function: str) -> tuple[str, str]:
    cognito = idp(server)
    pool_id = cognito.create_user_pool(
        PoolName="endpoint",
        AutoVerifiedAttributes=["email"],
        LambdaConfig={"PreSignUp": arn(function)},
    )["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="app")[
        "UserPoolClient"
    ]["ClientId"]
    return str(pool_id), str(client_id)


def _sign_up(server: ServerProcess, client_id: str, name: str) -> Any:
    return idp(server).sign_up(
        ClientId=client_id,
        Username=name,
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": f"{name}@example.com"}],
    )


def test_pre_sign_up_through_the_endpoint_auto_confirms(
    server: ServerProcess, double: LambdaDouble
) -> None:
    pool_id, client_id = _pool(server, "auto-confirm")
    answer = _sign_up(server, client_id, "hana")
    assert answer["UserConfirmed"] is True
    assert "CodeDeliveryDetails" not in answer
    user = idp(server).admin_get_user(UserPoolId=pool_id, Username="hana")
    assert user["UserStatus"] == "CONFIRMED"
    attributes = {item["Name"]: item["Value"] for item in user["UserAttributes"]}
    assert attributes["email_verified"] == "true"
    [(name, invocation_type, event)] = double.calls
    assert (name, invocation_type) == ("auto-confirm", "RequestResponse")
    assert event["triggerSource"] == "PreSignUp_SignUp"
    assert event["userPoolId"] == pool_id
    [record] = invocations(server, pool_id)
    assert record["runner"] == "endpoint"
    assert record["function"] == "auto-confirm"
    assert record["source"] == "PreSignUp_SignUp"
    assert record["response"]["response"]["autoConfirmUser"] is True
    assert record["error"] is None


def test_a_function_error_reaches_the_client(server: ServerProcess) -> None:
    pool_id, client_id = _pool(server, "refuse")
    with pytest.raises(ClientError) as refused:
        _sign_up(server, client_id, "ivan")
    assert error_of(refused) == (
        "UserLambdaValidationException",
        "PreSignUp failed with error No sign-ups for ivan.",
    )
    with pytest.raises(ClientError) as missing:
        idp(server).admin_get_user(UserPoolId=pool_id, Username="ivan")
    assert error_of(missing)[0] == "UserNotFoundException"
    [record] = invocations(server, pool_id)
    assert record["runner"] == "endpoint"
    assert record["error"] == {"errorType": "Error", "errorMessage": "No sign-ups for ivan"}


def test_an_unknown_function_is_unexpected(server: ServerProcess) -> None:
    pool_id, client_id = _pool(server, "nobody-deployed-this")
    with pytest.raises(ClientError) as failed:
        _sign_up(server, client_id, "jade")
    assert error_of(failed) == (
        "UnexpectedLambdaException",
        "PreSignUp invocation failed due to error ResourceNotFoundException.",
    )
    [record] = invocations(server, pool_id)
    assert record["runner"] == "endpoint"
    assert record["error"]["errorType"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as missing:
        idp(server).admin_get_user(UserPoolId=pool_id, Username="jade")
    assert error_of(missing)[0] == "UserNotFoundException"
