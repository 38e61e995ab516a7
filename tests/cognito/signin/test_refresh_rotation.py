"""GetTokensFromRefreshToken and the app client's RefreshTokenRotation: the setting and its
validation, rotation with its grace period, reuse after it, refreshes without rotation,
REFRESH_TOKEN_AUTH on a rotating client, client secrets and revocation."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.cognito.helpers import (
    confirmed_user,
    error_of,
    idp,
    make_pool,
    password_auth,
    secret_hash,
)
from tests.ses.helpers import advance
from tests.support.server import ServerProcess

# Every password flow but ALLOW_REFRESH_TOKEN_AUTH, which a rotating client may not list.
ROTATING_FLOWS = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH"]
INVALID = ("NotAuthorizedException", "Invalid Refresh Token")
REVOKED = ("NotAuthorizedException", "Refresh Token has been revoked")
EXPIRED = ("NotAuthorizedException", "Refresh Token has expired")
REUSED = ("RefreshTokenReuseException", "Refresh Token has already been used")
FLOW_OFF = ("InvalidParameterException", "REFRESH_TOKEN_AUTH flow not enabled for this client")
REFRESH_FLOW_CONFLICT = (
    "InvalidParameterException",
    "ALLOW_REFRESH_TOKEN_AUTH can't be enabled in an app client with refresh token rotation.",
)


def rotating_client(
    server: ServerProcess, pool_id: str, grace: int | None = 30, **settings: Any
) -> dict[str, Any]:
    rotation: dict[str, Any] = {"Feature": "ENABLED"}
    if grace is not None:
        rotation["RetryGracePeriodSeconds"] = grace
    settings.setdefault("ExplicitAuthFlows", ROTATING_FLOWS)
    client: dict[str, Any] = idp(server).create_user_pool_client(
        UserPoolId=pool_id, ClientName="app", RefreshTokenRotation=rotation, **settings
    )["UserPoolClient"]
    return client


def rotating_sign_in(
    server: ServerProcess, grace: int | None = 30, **settings: Any
) -> tuple[str, str, dict[str, Any]]:
    """A pool, a rotating client and alice's first AuthenticationResult."""
    pool_id = make_pool(server)
    client_id = str(rotating_client(server, pool_id, grace, **settings)["ClientId"])
    confirmed_user(server, pool_id, "alice")
    return pool_id, client_id, password_auth(server, client_id, "alice")["AuthenticationResult"]


def renew(server: ServerProcess, client_id: str, token: str, **extra: Any) -> dict[str, Any]:
    answer: dict[str, Any] = idp(server).get_tokens_from_refresh_token(
        ClientId=client_id, RefreshToken=token, **extra
    )
    return dict(answer["AuthenticationResult"])


def refused(server: ServerProcess, client_id: str, token: str, **extra: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as excinfo:
        renew(server, client_id, token, **extra)
    return error_of(excinfo)


# ---- the setting ----------------------------------------------------------------------------


def test_rotation_reads_back_and_update_resets_it(live: ServerProcess) -> None:
    pool_id = make_pool(live)
    created = rotating_client(live, pool_id, grace=10)
    assert created["RefreshTokenRotation"] == {"Feature": "ENABLED", "RetryGracePeriodSeconds": 10}
    cognito = idp(live)
    described = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=created["ClientId"])
    assert described["UserPoolClient"]["RefreshTokenRotation"] == created["RefreshTokenRotation"]
    # A rotation given without a grace period reads back with 0, as AWS's does.
    updated = cognito.update_user_pool_client(
        UserPoolId=pool_id,
        ClientId=created["ClientId"],
        RefreshTokenRotation={"Feature": "DISABLED"},
    )["UserPoolClient"]
    assert updated["RefreshTokenRotation"] == {"Feature": "DISABLED", "RetryGracePeriodSeconds": 0}
    # Omitted from an update, it goes back to its default, as the other members do.
    reset = cognito.update_user_pool_client(UserPoolId=pool_id, ClientId=created["ClientId"])
    assert "RefreshTokenRotation" not in reset["UserPoolClient"]


def test_rotation_refuses_allow_refresh_token_auth(live: ServerProcess) -> None:
    pool_id = make_pool(live)
    cognito = idp(live)
    flows = [*ROTATING_FLOWS, "ALLOW_REFRESH_TOKEN_AUTH"]
    with pytest.raises(ClientError) as excinfo:
        rotating_client(live, pool_id, ExplicitAuthFlows=flows)
    assert error_of(excinfo) == REFRESH_FLOW_CONFLICT
    client_id = rotating_client(live, pool_id)["ClientId"]
    with pytest.raises(ClientError) as excinfo:
        cognito.update_user_pool_client(
            UserPoolId=pool_id,
            ClientId=client_id,
            ExplicitAuthFlows=flows,
            RefreshTokenRotation={"Feature": "ENABLED"},
        )
    assert error_of(excinfo) == REFRESH_FLOW_CONFLICT
    # The refused update changed nothing.
    kept = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)
    assert kept["UserPoolClient"]["ExplicitAuthFlows"] == ROTATING_FLOWS
    # Without rotation the flow is fine, and so is a rotating client without ExplicitAuthFlows.
    cognito.update_user_pool_client(
        UserPoolId=pool_id,
        ClientId=client_id,
        ExplicitAuthFlows=flows,
        RefreshTokenRotation={"Feature": "DISABLED"},
    )
    plain = cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName="plain", RefreshTokenRotation={"Feature": "ENABLED"}
    )["UserPoolClient"]
    assert "ExplicitAuthFlows" not in plain


@pytest.mark.parametrize(
    "rotation",
    [{"Feature": "ENABLED", "RetryGracePeriodSeconds": 61}, {"RetryGracePeriodSeconds": 5}],
    ids=["grace-61", "no-feature"],
)
def test_rotation_shape_is_validated(live: ServerProcess, rotation: dict[str, Any]) -> None:
    pool_id = make_pool(live)
    with pytest.raises(ClientError) as excinfo:
        idp(live, validate=False).create_user_pool_client(
            UserPoolId=pool_id,
            ClientName="app",
            ExplicitAuthFlows=ROTATING_FLOWS,
            RefreshTokenRotation=rotation,
        )
    assert error_of(excinfo)[0] == "InvalidParameterException"


def test_rotation_needs_the_essentials_plan(live: ServerProcess) -> None:
    pool_id = make_pool(live, UserPoolTier="LITE")
    with pytest.raises(ClientError) as excinfo:
        rotating_client(live, pool_id)
    assert error_of(excinfo) == (
        "FeatureUnavailableInTierException",
        "The following features need to be disabled for the LITE pricing tier configured: "
        "Refresh token rotation",
    )
    assert (
        idp(live).list_user_pool_clients(UserPoolId=pool_id, MaxResults=10)["UserPoolClients"] == []
    )
    # Turned off, rotation is no feature of any plan.
    idp(live).create_user_pool_client(
        UserPoolId=pool_id, ClientName="app", RefreshTokenRotation={"Feature": "DISABLED"}
    )


# ---- rotation -------------------------------------------------------------------------------


def test_rotation_with_its_grace_period(live: ServerProcess) -> None:
    _, client_id, first = rotating_sign_in(live, grace=30)
    original = first["RefreshToken"]
    second = renew(live, client_id, original)
    assert set(second) == {"AccessToken", "ExpiresIn", "TokenType", "IdToken", "RefreshToken"}
    assert second["RefreshToken"] not in (original, first["AccessToken"])
    assert second["RefreshToken"].count(".") == 4
    assert idp(live).get_user(AccessToken=second["AccessToken"])["Username"] == "alice"
    # Within the grace period the original still works: a retry gets tokens again.
    advance(live, 20)
    retried = renew(live, client_id, original)
    assert retried["RefreshToken"] not in (original, second["RefreshToken"])
    # The grace period counts from the first rotation: 30 s after it, the original is spent.
    advance(live, 11)
    assert refused(live, client_id, original) == REUSED
    # The token the retry replaced has its own 30 s, counted from the retry.
    third = renew(live, client_id, second["RefreshToken"])
    advance(live, 31)
    assert refused(live, client_id, second["RefreshToken"]) == REUSED
    assert refused(live, client_id, retried["RefreshToken"]) == REUSED
    # The newest token goes on, and every token of the chain is the same sign-in's.
    newest = renew(live, client_id, renew(live, client_id, third["RefreshToken"])["RefreshToken"])
    assert idp(live).get_user(AccessToken=newest["AccessToken"])["Username"] == "alice"
    # An unknown token is still merely invalid.
    assert refused(live, client_id, original[:-4] + "AAAA") == INVALID


def test_without_grace_the_old_token_ends_at_once(live: ServerProcess) -> None:
    _, client_id, first = rotating_sign_in(live, grace=None)
    renewed = renew(live, client_id, first["RefreshToken"])
    assert refused(live, client_id, first["RefreshToken"]) == REUSED
    assert "RefreshToken" in renew(live, client_id, renewed["RefreshToken"])


def test_rotation_keeps_the_sign_ins_expiry(live: ServerProcess) -> None:
    _, client_id, first = rotating_sign_in(
        live, RefreshTokenValidity=2, TokenValidityUnits={"RefreshToken": "hours"}
    )
    advance(live, 3600)
    renewed = renew(live, client_id, first["RefreshToken"])
    # Rotation does not extend the session: two hours after the sign-in, the rotated token
    # has expired too.
    advance(live, 3601)
    assert refused(live, client_id, renewed["RefreshToken"]) == EXPIRED


def test_refresh_token_auth_is_refused_on_a_rotating_client(live: ServerProcess) -> None:
    # A client with legacy values only may refresh and may rotate; rotating, it refuses
    # REFRESH_TOKEN_AUTH ("You can't authenticate with REFRESH_TOKEN_AUTH in app clients with
    # refresh token rotation enabled").
    pool_id, client_id, first = rotating_sign_in(
        live, ExplicitAuthFlows=["USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"]
    )
    cognito = idp(live)
    for flow in ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"):
        with pytest.raises(ClientError) as excinfo:
            cognito.initiate_auth(
                ClientId=client_id,
                AuthFlow=flow,
                AuthParameters={"REFRESH_TOKEN": first["RefreshToken"]},
            )
        assert error_of(excinfo) == FLOW_OFF
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_initiate_auth(
            UserPoolId=pool_id,
            ClientId=client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": first["RefreshToken"]},
        )
    assert error_of(excinfo) == FLOW_OFF
    assert "RefreshToken" in renew(live, client_id, first["RefreshToken"])


def test_revoking_a_rotated_sign_in_ends_all_its_tokens(live: ServerProcess) -> None:
    _, client_id, first = rotating_sign_in(live, grace=30)
    second = renew(live, client_id, first["RefreshToken"])
    cognito = idp(live)
    # The original, still in its grace period, revokes the whole sign-in.
    cognito.revoke_token(Token=first["RefreshToken"], ClientId=client_id)
    assert refused(live, client_id, second["RefreshToken"]) == REVOKED
    assert refused(live, client_id, first["RefreshToken"]) == REVOKED
    for token in (first["AccessToken"], second["AccessToken"]):
        with pytest.raises(ClientError) as excinfo:
            cognito.get_user(AccessToken=token)
        assert error_of(excinfo) == ("NotAuthorizedException", "Access Token has been revoked")


# ---- without rotation -----------------------------------------------------------------------


def test_without_rotation_it_refreshes_like_refresh_token_auth(live: ServerProcess) -> None:
    pool_id = make_pool(live)
    client_id = idp(live).create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="app",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        RefreshTokenValidity=1,
        TokenValidityUnits={"RefreshToken": "hours"},
    )["UserPoolClient"]["ClientId"]
    confirmed_user(live, pool_id, "alice")
    first = password_auth(live, client_id, "alice")["AuthenticationResult"]
    for _ in range(2):
        renewed = renew(live, client_id, first["RefreshToken"])
        assert "RefreshToken" not in renewed
        assert renewed["ExpiresIn"] == 3600
        assert idp(live).get_user(AccessToken=renewed["AccessToken"])["Username"] == "alice"
    assert refused(live, client_id, "not-a-token") == INVALID
    other = idp(live).create_user_pool_client(UserPoolId=pool_id, ClientName="other")
    assert refused(live, other["UserPoolClient"]["ClientId"], first["RefreshToken"]) == INVALID
    with pytest.raises(ClientError) as excinfo:
        idp(live).get_tokens_from_refresh_token(ClientId="nosuchclient", RefreshToken="x")
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        "User pool client nosuchclient does not exist.",
    )
    advance(live, 3601)
    assert refused(live, client_id, first["RefreshToken"]) == EXPIRED


def test_without_rotation_the_refresh_flow_must_be_allowed(live: ServerProcess) -> None:
    pool_id = make_pool(live)
    client_id = idp(live).create_user_pool_client(
        UserPoolId=pool_id, ClientName="app", ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"]
    )["UserPoolClient"]["ClientId"]
    confirmed_user(live, pool_id, "alice")
    first = password_auth(live, client_id, "alice")["AuthenticationResult"]
    assert refused(live, client_id, first["RefreshToken"]) == FLOW_OFF


def test_revoked_tokens_and_disabled_users(live: ServerProcess) -> None:
    pool_id, client_id, first = rotating_sign_in(live)
    cognito = idp(live)
    cognito.admin_disable_user(UserPoolId=pool_id, Username="alice")
    assert refused(live, client_id, first["RefreshToken"]) == (
        "NotAuthorizedException",
        "User is disabled.",
    )
    cognito.admin_enable_user(UserPoolId=pool_id, Username="alice")
    cognito.admin_user_global_sign_out(UserPoolId=pool_id, Username="alice")
    assert refused(live, client_id, first["RefreshToken"]) == REVOKED


# ---- client secrets -------------------------------------------------------------------------


def test_a_client_with_a_secret_needs_it(live: ServerProcess) -> None:
    pool_id = make_pool(live)
    created = rotating_client(live, pool_id, GenerateSecret=True)
    client_id, secret = created["ClientId"], created["ClientSecret"]
    confirmed_user(live, pool_id, "alice")
    first = password_auth(
        live, client_id, "alice", SECRET_HASH=secret_hash(secret, "alice", client_id)
    )["AuthenticationResult"]
    token = first["RefreshToken"]
    assert refused(live, client_id, token) == (
        "NotAuthorizedException",
        f"Client {client_id} is configured for secret but secret was not received",
    )
    assert refused(live, client_id, token, ClientSecret="x" * 30) == (
        "NotAuthorizedException",
        f"Unable to verify secret hash for client {client_id}",
    )
    # A refused request leaves the token as it was.
    assert "RefreshToken" in renew(live, client_id, token, ClientSecret=secret)


def test_browsers_refresh_unsigned(live: ServerProcess) -> None:
    # Amplify JS v6 refreshes through GetTokensFromRefreshToken from the browser, unsigned.
    _, client_id, first = rotating_sign_in(live)
    browser = boto3.client(
        "cognito-idp",
        endpoint_url=live.url,
        region_name="eu-west-1",
        config=Config(signature_version=UNSIGNED, retries={"total_max_attempts": 1}),
    )
    renewed = browser.get_tokens_from_refresh_token(
        ClientId=client_id, RefreshToken=first["RefreshToken"]
    )["AuthenticationResult"]
    assert browser.get_user(AccessToken=renewed["AccessToken"])["Username"] == "alice"
