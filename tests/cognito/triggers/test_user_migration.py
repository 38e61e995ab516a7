"""UserMigration with a real function run by the embedded runner: an unknown user migrated
on first sign-in (then signing in without the function), the function refusing, the event
it sees, a pool with email as username, and a user migrated through ForgotPassword."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.cognito.helpers import (
    auth_client,
    code_for,
    error_of,
    idp,
    make_pool,
    password_auth,
    user_of,
)
from tests.conftest import BACKENDS
from tests.support.functions import write_functions
from tests.support.server import ServerProcess, serving

ARN = "arn:aws:lambda:us-east-1:123456789012:function:migrate"
# A password the pool's policy would refuse: migration does not enforce it (MU).
LEGACY_PASSWORD = "legacypass"
MIGRATE = f"""
LEGACY = {{
    "ann": ("{LEGACY_PASSWORD}", "ann@example.com"),
    "ben@example.com": ("{LEGACY_PASSWORD}", "ben@example.com"),
}}

def handler(event, context):
    name = event["userName"]
    if name not in LEGACY:
        raise Exception("User not found")
    if event["triggerSource"] == "UserMigration_Authentication":
        if event["request"]["password"] != LEGACY[name][0]:
            raise Exception("Bad password")
        event["response"]["finalUserStatus"] = "CONFIRMED"
    event["response"]["userAttributes"] = {{
        "email": LEGACY[name][1],
        "email_verified": True,
        "name": "Legacy",
    }}
    event["response"]["messageAction"] = "SUPPRESS"
    return event
"""


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """One server with the migration function, per store; `live` resets it per test."""
    functions = {"migrate": ("python3.12", "app.handler", {"app.py": MIGRATE})}
    toml = write_functions(tmp_path_factory.mktemp("functions"), functions)
    with serving(
        request.param, ["--functions", str(toml)], data_dir=str(tmp_path_factory.mktemp("data"))
    ) as running:
        yield running


def migrating_pool(server: ServerProcess, **settings: Any) -> tuple[str, str]:
    pool_id = make_pool(
        server, LambdaConfig={"UserMigration": ARN}, AutoVerifiedAttributes=["email"], **settings
    )
    return pool_id, auth_client(server, pool_id)


def migrations(server: ServerProcess, source: str) -> list[dict[str, Any]]:
    answer = httpx.get(
        f"{server.url}/_poolmail/functions/invocations", params={"source": source}
    ).json()
    return list(answer["invocations"])


def test_an_unknown_user_is_migrated_on_first_sign_in(live: ServerProcess) -> None:
    pool_id, client_id = migrating_pool(live)
    first = password_auth(live, client_id, "ann", LEGACY_PASSWORD)
    assert (
        idp(live).get_user(AccessToken=first["AuthenticationResult"]["AccessToken"])["Username"]
        == "ann"
    )
    user = user_of(live, pool_id, "ann")
    assert user["UserStatus"] == "CONFIRMED"
    assert user["attributes"]["email"] == "ann@example.com"
    assert user["attributes"]["email_verified"] == "true"
    assert user["attributes"]["name"] == "Legacy"
    (event,) = [item["request"] for item in migrations(live, "UserMigration_Authentication")]
    assert event["userName"] == "ann"
    assert event["request"] == {"password": LEGACY_PASSWORD, "validationData": None}
    assert event["callerContext"]["clientId"] == client_id
    # Migrated: the next sign-in needs no function, and checks the stored password.
    assert password_auth(live, client_id, "ann", LEGACY_PASSWORD)["AuthenticationResult"]
    with pytest.raises(ClientError) as excinfo:
        password_auth(live, client_id, "ann", "other")
    assert error_of(excinfo) == ("NotAuthorizedException", "Incorrect username or password.")
    assert len(migrations(live, "UserMigration_Authentication")) == 1


def test_the_function_refusing_creates_nobody(live: ServerProcess) -> None:
    pool_id, client_id = migrating_pool(live)
    with pytest.raises(ClientError) as excinfo:
        password_auth(live, client_id, "ann", "wrong-password")
    assert error_of(excinfo) == (
        "UserLambdaValidationException",
        "UserMigration failed with error Bad password.",
    )
    with pytest.raises(ClientError) as excinfo:
        idp(live).admin_get_user(UserPoolId=pool_id, Username="ann")
    assert error_of(excinfo)[0] == "UserNotFoundException"


def test_email_as_username_and_the_admin_flow(live: ServerProcess) -> None:
    pool_id, client_id = migrating_pool(live, UsernameAttributes=["email"])
    result = idp(live).admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "ben@example.com", "PASSWORD": LEGACY_PASSWORD},
        ClientMetadata={"origin": "test"},
    )
    assert result["AuthenticationResult"]["IdToken"]
    (event,) = [item["request"] for item in migrations(live, "UserMigration_Authentication")]
    # The name as entered; InitiateAuth's ClientMetadata arrives as validationData.
    assert event["userName"] == "ben@example.com"
    assert event["request"]["validationData"] == {"origin": "test"}
    user = user_of(live, pool_id, "ben@example.com")
    assert user["Username"] == user["attributes"]["sub"]


def test_forgot_password_migrates_then_sends_the_code(live: ServerProcess) -> None:
    pool_id, client_id = migrating_pool(live)
    cognito = idp(live)
    sent = cognito.forgot_password(
        ClientId=client_id, Username="ann", ClientMetadata={"reason": "forgot"}
    )
    assert sent["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    (event,) = [item["request"] for item in migrations(live, "UserMigration_ForgotPassword")]
    assert event["userName"] == "ann"
    assert "password" not in event["request"]
    assert event["request"]["clientMetadata"] == {"reason": "forgot"}
    # No password yet: the user must reset it, and signing in says so.
    assert user_of(live, pool_id, "ann")["UserStatus"] == "RESET_REQUIRED"
    with pytest.raises(ClientError) as excinfo:
        password_auth(live, client_id, "ann", LEGACY_PASSWORD)
    assert error_of(excinfo) == (
        "PasswordResetRequiredException",
        "Password reset required for the user",
    )
    cognito.confirm_forgot_password(
        ClientId=client_id,
        Username="ann",
        ConfirmationCode=code_for(live, "ann@example.com"),
        Password="N3w-Passw0rd!",
    )
    assert password_auth(live, client_id, "ann", "N3w-Passw0rd!")["AuthenticationResult"]
    with pytest.raises(ClientError) as excinfo:
        cognito.forgot_password(ClientId=client_id, Username="stranger")
    assert error_of(excinfo) == (
        "UserLambdaValidationException",
        "UserMigration failed with error User not found.",
    )
