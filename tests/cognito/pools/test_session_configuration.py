"""Session configuration: the defaults, full replacement, the plan and tracking
requirements, and MaxPerUser acting on sign-in (the least recently used session goes)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

from tests.cognito.helpers import (
    auth_client,
    confirmed_user,
    error_of,
    idp,
    make_pool,
    password_auth,
    refresh,
)
from tests.ses.helpers import advance
from tests.support.server import ServerProcess

TIER = "The following features need to be disabled for the LITE pricing tier configured: {}"


def track(server: ServerProcess, pool_id: str, max_per_user: int = 20) -> None:
    idp(server).set_user_pool_session_configuration(
        UserPoolId=pool_id,
        UserSessionTracking="ENABLED",
        TokenSession={"MaxPerUser": max_per_user},
    )


def test_defaults_and_full_replacement(live: ServerProcess) -> None:
    cognito = idp(live)
    pool_id = make_pool(live)
    client_id = auth_client(live, pool_id)
    answer = cognito.get_user_pool_session_configuration(UserPoolId=pool_id)
    answer.pop("ResponseMetadata")
    assert answer == {
        "UserPoolId": pool_id,
        "UserSessionTracking": "DISABLED",
        "TokenSession": {"MaxPerUser": 20},
    }
    answer = cognito.get_user_pool_client_session_configuration(
        UserPoolId=pool_id, ClientId=client_id
    )
    answer.pop("ResponseMetadata")
    assert answer == {
        "UserPoolId": pool_id,
        "ClientId": client_id,
        "SSOSession": {"MaxValidityMinutes": 60},
    }

    # A client is configured only while the pool tracks sessions.
    with pytest.raises(ClientError) as excinfo:
        cognito.set_user_pool_client_session_configuration(
            UserPoolId=pool_id, ClientId=client_id, SSOSession={"MaxValidityMinutes": 0}
        )
    assert error_of(excinfo) == (
        "InvalidParameterException",
        "Session tracking must be enabled for the user pool.",
    )
    track(live, pool_id, 5)
    set_answer = cognito.set_user_pool_client_session_configuration(
        UserPoolId=pool_id, ClientId=client_id, SSOSession={"MaxValidityMinutes": 0}
    )
    assert set_answer["SSOSession"] == {"MaxValidityMinutes": 0}
    # UpdateUserPoolClient leaves the client's session configuration alone.
    cognito.update_user_pool_client(UserPoolId=pool_id, ClientId=client_id, ClientName="app")
    got = cognito.get_user_pool_client_session_configuration(UserPoolId=pool_id, ClientId=client_id)
    assert got["SSOSession"] == {"MaxValidityMinutes": 0}
    got = cognito.get_user_pool_session_configuration(UserPoolId=pool_id)
    assert (got["UserSessionTracking"], got["TokenSession"]) == ("ENABLED", {"MaxPerUser": 5})
    # Out-of-range values are the protocol layer's refusal.
    with pytest.raises(ClientError) as excinfo:
        idp(live, validate=False).set_user_pool_session_configuration(
            UserPoolId=pool_id, UserSessionTracking="ENABLED", TokenSession={"MaxPerUser": 101}
        )
    assert error_of(excinfo)[0] == "InvalidParameterException"


def test_lite_pools_cannot_track_sessions(live: ServerProcess) -> None:
    cognito = idp(live)
    pool_id = make_pool(live, UserPoolTier="LITE")
    with pytest.raises(ClientError) as excinfo:
        track(live, pool_id)
    assert error_of(excinfo) == (
        "FeatureUnavailableInTierException",
        TIER.format("Session tracking"),
    )
    other = make_pool(live)
    track(live, other)
    with pytest.raises(ClientError) as excinfo:
        cognito.update_user_pool(UserPoolId=other, UserPoolTier="LITE")
    assert error_of(excinfo) == (
        "FeatureUnavailableInTierException",
        TIER.format("Session tracking"),
    )
    with pytest.raises(ClientError) as excinfo:
        cognito.get_user_pool_session_configuration(UserPoolId="us-east-1_nothere1")
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        "User pool us-east-1_nothere1 does not exist.",
    )


def test_max_per_user_evicts_the_least_recently_used_session(live: ServerProcess) -> None:
    pool_id = make_pool(live)
    client_id = auth_client(live, pool_id)
    confirmed_user(live, pool_id, "alice")
    results = []
    for _ in range(3):
        results.append(password_auth(live, client_id, "alice")["AuthenticationResult"])
        advance(live, 60)
    # Without tracking there is no limit; tracking on with a limit of 2 evicts nothing yet
    # ("Lowering this value doesn't evict existing sessions on its own").
    track(live, pool_id, 2)
    listed = idp(live).admin_list_user_sessions(UserPoolId=pool_id, Username="alice")
    assert len(listed["Sessions"]) == 3
    # The first sign-in is used again, so the second is now the least recently used.
    refresh(live, client_id, results[0]["RefreshToken"])
    advance(live, 60)
    password_auth(live, client_id, "alice")
    listed = idp(live).admin_list_user_sessions(UserPoolId=pool_id, Username="alice")
    assert len(listed["Sessions"]) == 2
    refresh(live, client_id, results[0]["RefreshToken"])
    for evicted in results[1:]:
        with pytest.raises(ClientError) as excinfo:
            refresh(live, client_id, evicted["RefreshToken"])
        assert error_of(excinfo) == ("NotAuthorizedException", "Refresh Token has been revoked")


def test_the_limit_holds_for_concurrent_sign_ins(live: ServerProcess) -> None:
    pool_id = make_pool(live)
    client_id = auth_client(live, pool_id)
    confirmed_user(live, pool_id, "alice")
    track(live, pool_id, 2)
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(lambda _: password_auth(live, client_id, "alice"), range(12)))
    listed = idp(live).admin_list_user_sessions(UserPoolId=pool_id, Username="alice")
    assert len(listed["Sessions"]) == 2
