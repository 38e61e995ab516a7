"""Sign-in through boto3: the password flows, ExplicitAuthFlows, secrets, the user states,
NEW_PASSWORD_REQUIRED for invited users, temporary-password expiry and refresh tokens."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.cognito.helpers import (
    FLOWS,
    INCORRECT,
    PASSWORD,
    auth_client,
    auth_pool,
    code_for,
    confirmed_user,
    error_of,
    idp,
    make_pool,
    password_auth,
    refresh,
    secret_hash,
    signed_in,
    user_of,
)
from tests.ses.helpers import advance
from tests.support.server import ServerProcess

# ---- password flows -----------------------------------------------------------------------


def test_user_password_auth_returns_the_three_tokens(live: ServerProcess) -> None:
    pool_id, client_id = auth_pool(live)
    confirmed_user(live, pool_id, "alice")
    answer = password_auth(live, client_id, "alice")
    assert answer["ChallengeParameters"] == {}
    result = answer["AuthenticationResult"]
    assert result["TokenType"] == "Bearer"
    assert result["ExpiresIn"] == 3600
    assert result["AccessToken"].count(".") == 2 and result["IdToken"].count(".") == 2
    assert result["RefreshToken"].count(".") == 4  # shaped like Cognito's JWE


def test_admin_flows_and_aliases_sign_in(live: ServerProcess) -> None:
    pool_id, client_id = auth_pool(live, AliasAttributes=["email"])
    confirmed_user(live, pool_id, "bruno", email="bruno@example.com")
    for flow in ("ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"):
        answer = idp(live).admin_initiate_auth(
            UserPoolId=pool_id,
            ClientId=client_id,
            AuthFlow=flow,
            AuthParameters={"USERNAME": "bruno@example.com", "PASSWORD": PASSWORD},
        )
        assert "AccessToken" in answer["AuthenticationResult"]


def test_explicit_auth_flows_are_enforced(live: ServerProcess) -> None:
    pool_id = make_pool(live)
    confirmed_user(live, pool_id, "carla")
    # A client created without ExplicitAuthFlows allows SRP, refresh and custom only.
    plain = str(
        idp(live).create_user_pool_client(UserPoolId=pool_id, ClientName="plain")["UserPoolClient"][
            "ClientId"
        ]
    )
    with pytest.raises(ClientError) as excinfo:
        password_auth(live, plain, "carla")
    assert error_of(excinfo) == (
        "InvalidParameterException",
        "USER_PASSWORD_AUTH flow not enabled for this client",
    )
    with pytest.raises(ClientError) as excinfo:
        idp(live).admin_initiate_auth(
            UserPoolId=pool_id,
            ClientId=plain,
            AuthFlow="ADMIN_USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "carla", "PASSWORD": PASSWORD},
        )
    assert error_of(excinfo) == (
        "InvalidParameterException",
        "Auth flow not enabled for this client",
    )
    # Each API takes only its own flows.
    with pytest.raises(ClientError) as excinfo:
        idp(live).admin_initiate_auth(
            UserPoolId=pool_id,
            ClientId=plain,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": "carla", "PASSWORD": PASSWORD},
        )
    assert error_of(excinfo) == ("InvalidParameterException", "Initiate Auth method not supported.")
    with pytest.raises(ClientError) as excinfo:
        idp(live).initiate_auth(
            ClientId=plain,
            AuthFlow="ADMIN_NO_SRP_AUTH",
            AuthParameters={"USERNAME": "carla", "PASSWORD": PASSWORD},
        )
    assert error_of(excinfo) == ("InvalidParameterException", "Initiate Auth method not supported.")
    # Legacy values: the old names enable the password flows.
    legacy = auth_client(live, pool_id, ExplicitAuthFlows=["USER_PASSWORD_AUTH"])
    assert "AuthenticationResult" in password_auth(live, legacy, "carla")
    no_srp = auth_client(live, pool_id, ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"])
    with pytest.raises(ClientError) as excinfo:
        idp(live).initiate_auth(
            ClientId=no_srp,
            AuthFlow="USER_SRP_AUTH",
            AuthParameters={"USERNAME": "carla", "SRP_A": "abc"},
        )
    assert error_of(excinfo) == (
        "InvalidParameterException",
        "USER_SRP_AUTH is not enabled for the client",
    )
    with pytest.raises(ClientError) as excinfo:
        idp(live).initiate_auth(
            ClientId=no_srp,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": "abc"},
        )
    assert error_of(excinfo) == (
        "InvalidParameterException",
        "REFRESH_TOKEN_AUTH flow not enabled for this client",
    )


def test_missing_parameters_and_custom_auth(live: ServerProcess) -> None:
    pool_id, client_id = auth_pool(live)
    with pytest.raises(ClientError) as excinfo:
        idp(live).initiate_auth(
            ClientId=client_id, AuthFlow="USER_PASSWORD_AUTH", AuthParameters={"USERNAME": "x"}
        )
    assert error_of(excinfo) == ("InvalidParameterException", "Missing required parameter PASSWORD")
    custom = auth_client(live, pool_id, ExplicitAuthFlows=["ALLOW_CUSTOM_AUTH"])
    with pytest.raises(ClientError) as excinfo:
        idp(live).initiate_auth(
            ClientId=custom, AuthFlow="CUSTOM_AUTH", AuthParameters={"USERNAME": "x"}
        )
    assert error_of(excinfo) == (
        "InvalidParameterException",
        "Custom auth lambda trigger is not configured for the user pool.",
    )


def test_wrong_password_and_unknown_user(live: ServerProcess) -> None:
    pool_id, client_id = auth_pool(live)
    confirmed_user(live, pool_id, "dora")
    with pytest.raises(ClientError) as excinfo:
        password_auth(live, client_id, "dora", "Wrong-Passw0rd")
    assert error_of(excinfo) == INCORRECT
    with pytest.raises(ClientError) as excinfo:
        password_auth(live, client_id, "nobody")
    assert error_of(excinfo) == ("UserNotFoundException", "User does not exist.")
    # PreventUserExistenceErrors: an unknown user looks like a wrong password.
    hiding = auth_client(live, pool_id, PreventUserExistenceErrors="ENABLED")
    with pytest.raises(ClientError) as excinfo:
        password_auth(live, hiding, "nobody")
    assert error_of(excinfo) == INCORRECT


def test_user_states_refuse_sign_in(live: ServerProcess) -> None:
    pool_id, client_id = auth_pool(live, AutoVerifiedAttributes=["email"])
    idp(live).sign_up(
        ClientId=client_id,
        Username="erin",
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": "erin@example.com"}],
    )
    with pytest.raises(ClientError) as excinfo:
        password_auth(live, client_id, "erin")
    assert error_of(excinfo) == ("UserNotConfirmedException", "User is not confirmed.")
    # The state is told only to whoever knows the password.
    with pytest.raises(ClientError) as excinfo:
        password_auth(live, client_id, "erin", "Wrong-Passw0rd")
    assert error_of(excinfo) == INCORRECT
    idp(live).confirm_sign_up(
        ClientId=client_id, Username="erin", ConfirmationCode=code_for(live, "erin@example.com")
    )
    assert "AuthenticationResult" in password_auth(live, client_id, "erin")
    idp(live).admin_disable_user(UserPoolId=pool_id, Username="erin")
    with pytest.raises(ClientError) as excinfo:
        password_auth(live, client_id, "erin")
    assert error_of(excinfo) == ("NotAuthorizedException", "User is disabled.")
    idp(live).admin_enable_user(UserPoolId=pool_id, Username="erin")
    idp(live).admin_reset_user_password(UserPoolId=pool_id, Username="erin")
    with pytest.raises(ClientError) as excinfo:
        password_auth(live, client_id, "erin")
    assert error_of(excinfo) == (
        "PasswordResetRequiredException",
        "Password reset required for the user",
    )


def test_client_secret_needs_the_secret_hash(live: ServerProcess) -> None:
    pool_id = make_pool(live)
    confirmed_user(live, pool_id, "fred")
    created = idp(live).create_user_pool_client(
        UserPoolId=pool_id, ClientName="server", GenerateSecret=True, ExplicitAuthFlows=FLOWS
    )["UserPoolClient"]
    client_id, secret = created["ClientId"], created["ClientSecret"]
    with pytest.raises(ClientError) as excinfo:
        password_auth(live, client_id, "fred")
    assert error_of(excinfo) == (
        "NotAuthorizedException",
        f"Client {client_id} is configured for secret but secret was not received",
    )
    with pytest.raises(ClientError) as excinfo:
        password_auth(live, client_id, "fred", SECRET_HASH=secret_hash(secret, "eve", client_id))
    assert error_of(excinfo) == (
        "NotAuthorizedException",
        f"Unable to verify secret hash for client {client_id}",
    )
    good = secret_hash(secret, "fred", client_id)
    result = password_auth(live, client_id, "fred", SECRET_HASH=good)["AuthenticationResult"]
    refreshed = idp(live).initiate_auth(
        ClientId=client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": result["RefreshToken"], "SECRET_HASH": good},
    )
    assert "IdToken" in refreshed["AuthenticationResult"]


# ---- invited users ------------------------------------------------------------------------


def invite(server: ServerProcess, pool_id: str, username: str, temporary: str) -> None:
    idp(server).admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        TemporaryPassword=temporary,
        UserAttributes=[{"Name": "email", "Value": f"{username}@example.com"}],
        MessageAction="SUPPRESS",
    )


def test_invited_user_completes_new_password_required(live: ServerProcess) -> None:
    pool_id, client_id = auth_pool(live)
    invite(live, pool_id, "gina", "Temp-Passw0rd")
    answer = password_auth(live, client_id, "gina", "Temp-Passw0rd")
    assert answer["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    assert len(answer["Session"]) >= 20
    parameters = answer["ChallengeParameters"]
    assert parameters["USER_ID_FOR_SRP"] == "gina"
    assert parameters["requiredAttributes"] == "[]"
    assert '"email": "gina@example.com"' in parameters["userAttributes"]
    respond = idp(live).respond_to_auth_challenge
    with pytest.raises(ClientError) as excinfo:
        respond(
            ClientId=client_id,
            ChallengeName="NEW_PASSWORD_REQUIRED",
            Session=answer["Session"],
            ChallengeResponses={"USERNAME": "gina", "NEW_PASSWORD": "short"},
        )
    assert error_of(excinfo) == (
        "InvalidPasswordException",
        "Password does not conform to policy: Password not long enough",
    )
    # The session survives a refused password, as a user gets to try again.
    done = respond(
        ClientId=client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=answer["Session"],
        ChallengeResponses={"USERNAME": "gina", "NEW_PASSWORD": "Own-Passw0rd"},
    )
    assert "AccessToken" in done["AuthenticationResult"]
    assert user_of(live, pool_id, "gina")["UserStatus"] == "CONFIRMED"
    assert "AuthenticationResult" in password_auth(live, client_id, "gina", "Own-Passw0rd")
    with pytest.raises(ClientError) as excinfo:
        password_auth(live, client_id, "gina", "Temp-Passw0rd")
    assert error_of(excinfo) == INCORRECT
    # A session is good once.
    with pytest.raises(ClientError) as excinfo:
        respond(
            ClientId=client_id,
            ChallengeName="NEW_PASSWORD_REQUIRED",
            Session=answer["Session"],
            ChallengeResponses={"USERNAME": "gina", "NEW_PASSWORD": "Other-Passw0rd"},
        )
    assert error_of(excinfo) == ("NotAuthorizedException", "Invalid session for the user.")


def test_admin_challenge_with_required_attributes(live: ServerProcess) -> None:
    schema = [{"Name": "given_name", "AttributeDataType": "String", "Required": True}]
    pool_id, client_id = auth_pool(live, Schema=schema)
    idp(live).admin_create_user(
        UserPoolId=pool_id,
        Username="hugo",
        TemporaryPassword="Temp-Passw0rd",
        UserAttributes=[{"Name": "given_name", "Value": "Hugo"}],
        MessageAction="SUPPRESS",
    )
    idp(live).admin_delete_user_attributes(
        UserPoolId=pool_id, Username="hugo", UserAttributeNames=["given_name"]
    )
    answer = idp(live).admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "hugo", "PASSWORD": "Temp-Passw0rd"},
    )
    assert answer["ChallengeParameters"]["requiredAttributes"] == '["userAttributes.given_name"]'
    responses = {"USERNAME": "hugo", "NEW_PASSWORD": "Own-Passw0rd"}
    with pytest.raises(ClientError) as excinfo:
        idp(live).admin_respond_to_auth_challenge(
            UserPoolId=pool_id,
            ClientId=client_id,
            ChallengeName="NEW_PASSWORD_REQUIRED",
            Session=answer["Session"],
            ChallengeResponses=responses,
        )
    assert error_of(excinfo) == (
        "InvalidParameterException",
        "Invalid attributes given, given_name is missing",
    )
    done = idp(live).admin_respond_to_auth_challenge(
        UserPoolId=pool_id,
        ClientId=client_id,
        ChallengeName="NEW_PASSWORD_REQUIRED",
        Session=answer["Session"],
        ChallengeResponses={**responses, "userAttributes.given_name": "Hugo"},
    )
    assert "IdToken" in done["AuthenticationResult"]
    user = user_of(live, pool_id, "hugo")
    assert user["attributes"]["given_name"] == "Hugo"
    assert user["UserStatus"] == "CONFIRMED"


def test_challenge_session_expires(live: ServerProcess) -> None:
    pool_id, client_id = auth_pool(live)
    invite(live, pool_id, "iris", "Temp-Passw0rd")
    session = password_auth(live, client_id, "iris", "Temp-Passw0rd")["Session"]
    advance(live, 3 * 60 + 1)  # AuthSessionValidity: 3 minutes by default
    with pytest.raises(ClientError) as excinfo:
        idp(live).respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName="NEW_PASSWORD_REQUIRED",
            Session=session,
            ChallengeResponses={"USERNAME": "iris", "NEW_PASSWORD": "Own-Passw0rd"},
        )
    assert error_of(excinfo) == (
        "NotAuthorizedException",
        "Invalid session for the user, session is expired.",
    )


@pytest.mark.parametrize(
    ("settings", "days"),
    [
        ({"Policies": {"PasswordPolicy": {"TemporaryPasswordValidityDays": 2}}}, 2),
        ({"AdminCreateUserConfig": {"UnusedAccountValidityDays": 3}}, 3),
    ],
)
def test_temporary_passwords_expire(
    live: ServerProcess, settings: dict[str, Any], days: int
) -> None:
    pool_id, client_id = auth_pool(live, **settings)
    invite(live, pool_id, "jack", "Temp-Passw0rd")
    advance(live, (days - 1) * 86400)
    assert password_auth(live, client_id, "jack", "Temp-Passw0rd")["ChallengeName"] == (
        "NEW_PASSWORD_REQUIRED"
    )
    advance(live, 86400 + 1)
    with pytest.raises(ClientError) as excinfo:
        password_auth(live, client_id, "jack", "Temp-Passw0rd")
    assert error_of(excinfo) == (
        "NotAuthorizedException",
        "Temporary password has expired and must be reset by an administrator.",
    )
    # An administrator's new temporary password starts the clock again.
    idp(live).admin_set_user_password(
        UserPoolId=pool_id, Username="jack", Password="Temp-Passw0rd2", Permanent=False
    )
    assert "Session" in password_auth(live, client_id, "jack", "Temp-Passw0rd2")


# ---- refresh tokens -----------------------------------------------------------------------


def test_refresh_gives_new_tokens_and_no_refresh_token(live: ServerProcess) -> None:
    _, client_id, result = signed_in(live)
    for flow in ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN"):
        renewed = refresh(live, client_id, result["RefreshToken"], flow)["AuthenticationResult"]
        assert "RefreshToken" not in renewed
        assert renewed["AccessToken"] != result["AccessToken"]
        assert renewed["ExpiresIn"] == 3600
    other = auth_client(live, make_pool(live))
    for client, token in ((client_id, "not-a-token"), (other, result["RefreshToken"])):
        with pytest.raises(ClientError) as excinfo:
            refresh(live, client, token)
        assert error_of(excinfo) == ("NotAuthorizedException", "Invalid Refresh Token")


def test_refresh_tokens_expire_with_the_clients_validity(live: ServerProcess) -> None:
    pool_id = make_pool(live)
    client_id = auth_client(
        live, pool_id, RefreshTokenValidity=2, TokenValidityUnits={"RefreshToken": "hours"}
    )
    confirmed_user(live, pool_id, "kate")
    token = password_auth(live, client_id, "kate")["AuthenticationResult"]["RefreshToken"]
    advance(live, 3600)
    assert "IdToken" in refresh(live, client_id, token)["AuthenticationResult"]
    advance(live, 3601)
    with pytest.raises(ClientError) as excinfo:
        refresh(live, client_id, token)
    assert error_of(excinfo) == ("NotAuthorizedException", "Refresh Token has expired")


def test_a_revoked_refresh_token_no_longer_refreshes(live: ServerProcess) -> None:
    pool_id, client_id, result = signed_in(live)
    second = password_auth(live, client_id, "alice")["AuthenticationResult"]
    idp(live).revoke_token(Token=result["RefreshToken"], ClientId=client_id)
    with pytest.raises(ClientError) as excinfo:
        refresh(live, client_id, result["RefreshToken"])
    assert error_of(excinfo) == ("NotAuthorizedException", "Refresh Token has been revoked")
    # Another sign-in of the same user is a session of its own.
    assert "AccessToken" in refresh(live, client_id, second["RefreshToken"])["AuthenticationResult"]
    idp(live).admin_user_global_sign_out(UserPoolId=pool_id, Username="alice")
    with pytest.raises(ClientError) as excinfo:
        refresh(live, client_id, second["RefreshToken"])
    assert error_of(excinfo) == ("NotAuthorizedException", "Refresh Token has been revoked")
    # Signing in again after a global sign-out works as before.
    fresh = password_auth(live, client_id, "alice")["AuthenticationResult"]
    assert "AccessToken" in refresh(live, client_id, fresh["RefreshToken"])["AuthenticationResult"]


def test_a_disabled_user_cannot_refresh(live: ServerProcess) -> None:
    pool_id, client_id, result = signed_in(live)
    idp(live).admin_disable_user(UserPoolId=pool_id, Username="alice")
    with pytest.raises(ClientError) as excinfo:
        refresh(live, client_id, result["RefreshToken"])
    assert error_of(excinfo) == ("NotAuthorizedException", "User is disabled.")
