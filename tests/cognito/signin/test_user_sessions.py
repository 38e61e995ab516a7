"""A user's sessions: ListUserSessions and AdminListUserSessions from the real sign-ins,
RevokeUserSession and AdminRevokeUserSession ending a sign-in's refresh and access tokens."""

from __future__ import annotations

import re
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.cognito.helpers import (
    auth_client,
    auth_pool,
    confirmed_user,
    error_of,
    idp,
    password_auth,
)
from tests.ses.helpers import advance
from tests.support.server import ServerProcess

SESSION_ID = re.compile(r"tkn[a-z0-9]{25}")
NOT_FOUND = ("ResourceNotFoundException", "Session does not exist.")
ACCESS_REVOKED = ("NotAuthorizedException", "Access Token has been revoked")


def two_sign_ins(server: ServerProcess) -> tuple[str, str, str, dict[str, Any], dict[str, Any]]:
    """A pool, two app clients and alice signed in once through each (the second later)."""
    pool_id, first_client = auth_pool(server)
    second_client = auth_client(server, pool_id)
    confirmed_user(server, pool_id, "alice")
    first = password_auth(server, first_client, "alice")["AuthenticationResult"]
    advance(server, 60)
    second = password_auth(server, second_client, "alice")["AuthenticationResult"]
    return pool_id, first_client, second_client, first, second


def listed(server: ServerProcess, access_token: str) -> list[dict[str, Any]]:
    sessions: list[dict[str, Any]] = idp(server).list_user_sessions(AccessToken=access_token)[
        "Sessions"
    ]
    return sessions


def refresh(server: ServerProcess, client_id: str, token: str) -> dict[str, Any]:
    answer: dict[str, Any] = idp(server).initiate_auth(
        ClientId=client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters={"REFRESH_TOKEN": token}
    )
    return answer


def test_list_user_sessions_after_two_sign_ins(live: ServerProcess) -> None:
    pool_id, first_client, second_client, first, second = two_sign_ins(live)
    sessions = listed(live, first["AccessToken"])
    assert len(sessions) == 2
    newest, oldest = sessions
    for session in sessions:
        assert SESSION_ID.fullmatch(session["SessionId"])
        assert session["SessionType"] == "TOKEN"
        assert session["LastActiveDate"] == session["CreateDate"]
        assert set(session) == {
            "SessionId",
            "SessionType",
            "ClientId",
            "CreateDate",
            "LastActiveDate",
            "IsCurrentSession",
        }
    assert (newest["ClientId"], newest["IsCurrentSession"]) == (second_client, False)
    assert (oldest["ClientId"], oldest["IsCurrentSession"]) == (first_client, True)
    assert (newest["CreateDate"] - oldest["CreateDate"]).total_seconds() == pytest.approx(60, abs=5)
    # From the second sign-in's token, the other one is current; the ids stay.
    again = listed(live, second["AccessToken"])
    assert [s["SessionId"] for s in again] == [newest["SessionId"], oldest["SessionId"]]
    assert [s["IsCurrentSession"] for s in again] == [True, False]
    # The administrator's view has the same sessions, none of them current.
    admin = idp(live).admin_list_user_sessions(UserPoolId=pool_id, Username="alice")
    assert [s["SessionId"] for s in admin["Sessions"]] == [s["SessionId"] for s in sessions]
    assert {s["IsCurrentSession"] for s in admin["Sessions"]} == {False}
    assert "NextToken" not in admin
    # A refresh is activity: it moves that session's LastActiveDate, not its CreateDate.
    advance(live, 120)
    refresh(live, first_client, first["RefreshToken"])
    refreshed = listed(live, first["AccessToken"])[1]
    assert refreshed["CreateDate"] == oldest["CreateDate"]
    assert (refreshed["LastActiveDate"] - oldest["CreateDate"]).total_seconds() == (
        pytest.approx(180, abs=5)
    )


def test_only_active_sessions_are_listed(live: ServerProcess) -> None:
    pool_id, first_client, _, first, second = two_sign_ins(live)
    cognito = idp(live)
    cognito.revoke_token(Token=first["RefreshToken"], ClientId=first_client)
    assert [s["IsCurrentSession"] for s in listed(live, second["AccessToken"])] == [True]
    # Another user's sessions are not alice's.
    confirmed_user(live, pool_id, "bob")
    password_auth(live, first_client, "bob")
    assert len(listed(live, second["AccessToken"])) == 1
    cognito.admin_user_global_sign_out(UserPoolId=pool_id, Username="alice")
    assert cognito.admin_list_user_sessions(UserPoolId=pool_id, Username="alice")["Sessions"] == []
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_list_user_sessions(UserPoolId=pool_id, Username="nobody")
    assert error_of(excinfo) == ("UserNotFoundException", "User does not exist.")


def test_expired_sessions_are_not_listed(live: ServerProcess) -> None:
    pool_id = idp(live).create_user_pool(PoolName="short")["UserPool"]["Id"]
    client_id = auth_client(
        live, pool_id, RefreshTokenValidity=60, TokenValidityUnits={"RefreshToken": "minutes"}
    )
    confirmed_user(live, pool_id, "alice")
    password_auth(live, client_id, "alice")
    cognito = idp(live)
    assert len(cognito.admin_list_user_sessions(UserPoolId=pool_id, Username="alice")["Sessions"])
    advance(live, 3601)
    assert cognito.admin_list_user_sessions(UserPoolId=pool_id, Username="alice")["Sessions"] == []


def test_revoke_user_session_ends_that_sign_in(live: ServerProcess) -> None:
    _, first_client, second_client, first, second = two_sign_ins(live)
    cognito = idp(live)
    newest, oldest = listed(live, first["AccessToken"])
    # The caller's own session cannot be revoked this way.
    with pytest.raises(ClientError) as excinfo:
        cognito.revoke_user_session(AccessToken=first["AccessToken"], SessionId=oldest["SessionId"])
    assert error_of(excinfo) == (
        "InvalidParameterException",
        "You can't revoke the session that the calling access token belongs to.",
    )
    cognito.revoke_user_session(AccessToken=first["AccessToken"], SessionId=newest["SessionId"])
    # The revoked sign-in's refresh token and access token are done; the other goes on.
    with pytest.raises(ClientError) as excinfo:
        refresh(live, second_client, second["RefreshToken"])
    assert error_of(excinfo) == ("NotAuthorizedException", "Refresh Token has been revoked")
    with pytest.raises(ClientError) as excinfo:
        cognito.get_user(AccessToken=second["AccessToken"])
    assert error_of(excinfo) == ACCESS_REVOKED
    assert cognito.get_user(AccessToken=first["AccessToken"])["Username"] == "alice"
    assert (
        "AccessToken" in refresh(live, first_client, first["RefreshToken"])["AuthenticationResult"]
    )
    assert [s["SessionId"] for s in listed(live, first["AccessToken"])] == [oldest["SessionId"]]
    # Revoked, the session is gone: a second revocation finds nothing.
    with pytest.raises(ClientError) as excinfo:
        cognito.revoke_user_session(AccessToken=first["AccessToken"], SessionId=newest["SessionId"])
    assert error_of(excinfo) == NOT_FOUND
    # So do an SSO session id and one poolmail never issued.
    for unknown in ("sso" + "a" * 25, "tkn" + "0" * 25):
        with pytest.raises(ClientError) as excinfo:
            cognito.revoke_user_session(
                AccessToken=first["AccessToken"],
                SessionId=unknown,
                RevokeAssociatedSessions="LINKED",
            )
        assert error_of(excinfo) == NOT_FOUND


def test_admin_revoke_user_session(live: ServerProcess) -> None:
    pool_id, first_client, _, first, second = two_sign_ins(live)
    confirmed_user(live, pool_id, "bob")
    cognito = idp(live)
    newest, _ = listed(live, first["AccessToken"])
    # The username must be the session's user.
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_revoke_user_session(
            UserPoolId=pool_id, Username="bob", SessionId=newest["SessionId"]
        )
    assert error_of(excinfo) == NOT_FOUND
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_revoke_user_session(
            UserPoolId=pool_id, Username="nobody", SessionId=newest["SessionId"]
        )
    assert error_of(excinfo) == ("UserNotFoundException", "User does not exist.")
    # The administrator may revoke any session, the one a token in hand belongs to included.
    for session in listed(live, first["AccessToken"]):
        cognito.admin_revoke_user_session(
            UserPoolId=pool_id, Username="alice", SessionId=session["SessionId"]
        )
    for token in (first["AccessToken"], second["AccessToken"]):
        with pytest.raises(ClientError) as excinfo:
            cognito.get_user(AccessToken=token)
        assert error_of(excinfo) == ACCESS_REVOKED
    with pytest.raises(ClientError) as excinfo:
        refresh(live, first_client, first["RefreshToken"])
    assert error_of(excinfo) == ("NotAuthorizedException", "Refresh Token has been revoked")
    assert cognito.admin_list_user_sessions(UserPoolId=pool_id, Username="alice")["Sessions"] == []


def test_a_rotated_sign_in_stays_one_session(live: ServerProcess) -> None:
    pool_id, _ = auth_pool(live)
    client_id = idp(live).create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="rotating",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"],
        RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 10},
    )["UserPoolClient"]["ClientId"]
    confirmed_user(live, pool_id, "alice")
    first = password_auth(live, client_id, "alice")["AuthenticationResult"]
    advance(live, 30)
    renewed = idp(live).get_tokens_from_refresh_token(
        ClientId=client_id, RefreshToken=first["RefreshToken"]
    )["AuthenticationResult"]
    (session,) = listed(live, renewed["AccessToken"])
    assert session["IsCurrentSession"] is True
    assert (session["LastActiveDate"] - session["CreateDate"]).total_seconds() == (
        pytest.approx(30, abs=5)
    )
