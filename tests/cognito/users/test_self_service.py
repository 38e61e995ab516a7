"""A signed-in user's own operations, authorised by the access token: GetUser, attribute
updates and verification, ChangePassword, DeleteUser, and every way to sign out."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.cognito.helpers import (
    INCORRECT,
    PASSWORD,
    auth_client,
    auth_pool,
    code_for,
    confirmed_user,
    error_of,
    idp,
    latest_mail,
    password_auth,
    secret_hash,
    signed_in,
    user_of,
)
from tests.support.server import ServerProcess

REVOKED = ("NotAuthorizedException", "Access Token has been revoked")


def test_get_user_answers_with_the_tokens_user(live: ServerProcess) -> None:
    _, _, result = signed_in(live)
    user = idp(live).get_user(AccessToken=result["AccessToken"])
    assert user["Username"] == "alice"
    names = [attribute["Name"] for attribute in user["UserAttributes"]]
    assert names[0] == "sub"
    assert {"Name": "email", "Value": "alice@example.com"} in user["UserAttributes"]


def test_update_and_verify_a_new_email(live: ServerProcess) -> None:
    pool_id, client_id = auth_pool(live, AutoVerifiedAttributes=["email"])
    confirmed_user(live, pool_id, "alma")
    token = password_auth(live, client_id, "alma")["AuthenticationResult"]["AccessToken"]
    cognito = idp(live)
    answer = cognito.update_user_attributes(
        AccessToken=token,
        UserAttributes=[
            {"Name": "email", "Value": "alma@example.org"},
            {"Name": "name", "Value": "Alma"},
        ],
    )
    assert answer["CodeDeliveryDetailsList"] == [
        {"Destination": "a***@e***", "DeliveryMedium": "EMAIL", "AttributeName": "email"}
    ]
    mail = latest_mail(live, "alma@example.org")
    assert mail["details"]["kind"] == "cognito-attribute-verification"
    attributes = user_of(live, pool_id, "alma")["attributes"]
    assert attributes["email"] == "alma@example.org" and attributes["email_verified"] == "false"
    assert attributes["name"] == "Alma"
    with pytest.raises(ClientError) as excinfo:
        cognito.verify_user_attribute(AccessToken=token, AttributeName="email", Code="000000")
    assert error_of(excinfo) == (
        "CodeMismatchException",
        "Invalid verification code provided, please try again.",
    )
    cognito.verify_user_attribute(
        AccessToken=token, AttributeName="email", Code=mail["details"]["code"]
    )
    assert user_of(live, pool_id, "alma")["attributes"]["email_verified"] == "true"
    # No change of email: no code, an empty list.
    quiet = cognito.update_user_attributes(
        AccessToken=token, UserAttributes=[{"Name": "name", "Value": "Alma B."}]
    )
    assert quiet["CodeDeliveryDetailsList"] == []


def test_a_held_email_changes_only_once_verified(live: ServerProcess) -> None:
    pool_id, client_id = auth_pool(
        live,
        AutoVerifiedAttributes=["email"],
        UserAttributeUpdateSettings={"AttributesRequireVerificationBeforeUpdate": ["email"]},
    )
    confirmed_user(live, pool_id, "bess")
    token = password_auth(live, client_id, "bess")["AuthenticationResult"]["AccessToken"]
    cognito = idp(live)
    cognito.update_user_attributes(
        AccessToken=token, UserAttributes=[{"Name": "email", "Value": "bess@new.example"}]
    )
    assert user_of(live, pool_id, "bess")["attributes"]["email"] == "bess@example.com"
    # Asking again sends a fresh code to the address waiting for verification.
    answer = cognito.get_user_attribute_verification_code(AccessToken=token, AttributeName="email")
    assert answer["CodeDeliveryDetails"]["Destination"] == "b***@n***"
    cognito.verify_user_attribute(
        AccessToken=token, AttributeName="email", Code=code_for(live, "bess@new.example")
    )
    attributes = user_of(live, pool_id, "bess")["attributes"]
    assert attributes["email"] == "bess@new.example" and attributes["email_verified"] == "true"


def test_write_attributes_of_the_client_are_enforced(live: ServerProcess) -> None:
    pool_id, _ = auth_pool(live)
    client_id = auth_client(live, pool_id, WriteAttributes=["name"])
    confirmed_user(live, pool_id, "cora")
    token = password_auth(live, client_id, "cora")["AuthenticationResult"]["AccessToken"]
    with pytest.raises(ClientError) as excinfo:
        idp(live).update_user_attributes(
            AccessToken=token, UserAttributes=[{"Name": "email", "Value": "c@example.org"}]
        )
    assert error_of(excinfo) == (
        "NotAuthorizedException",
        "A client attempted to write unauthorized attribute",
    )
    idp(live).update_user_attributes(
        AccessToken=token, UserAttributes=[{"Name": "name", "Value": "Cora"}]
    )
    idp(live).delete_user_attributes(AccessToken=token, UserAttributeNames=["name"])
    assert "name" not in user_of(live, pool_id, "cora")["attributes"]


def test_change_password(live: ServerProcess) -> None:
    _, client_id, result = signed_in(live)
    cognito = idp(live)
    token = result["AccessToken"]
    with pytest.raises(ClientError) as excinfo:
        cognito.change_password(
            AccessToken=token, PreviousPassword="Wrong-Passw0rd", ProposedPassword="New-Passw0rd"
        )
    assert error_of(excinfo) == INCORRECT
    with pytest.raises(ClientError) as excinfo:
        cognito.change_password(
            AccessToken=token, PreviousPassword=PASSWORD, ProposedPassword="newpassw0rd!"
        )
    assert error_of(excinfo) == (
        "InvalidPasswordException",
        "Password does not conform to policy: Password must have uppercase characters",
    )
    cognito.change_password(
        AccessToken=token, PreviousPassword=PASSWORD, ProposedPassword="New-Passw0rd"
    )
    assert "AuthenticationResult" in password_auth(live, client_id, "alice", "New-Passw0rd")
    with pytest.raises(ClientError) as excinfo:
        password_auth(live, client_id, "alice")
    assert error_of(excinfo) == INCORRECT


def test_delete_user(live: ServerProcess) -> None:
    pool_id, client_id, result = signed_in(live)
    idp(live).delete_user(AccessToken=result["AccessToken"])
    with pytest.raises(ClientError) as excinfo:
        idp(live).admin_get_user(UserPoolId=pool_id, Username="alice")
    assert error_of(excinfo) == ("UserNotFoundException", "User does not exist.")
    with pytest.raises(ClientError) as excinfo:
        idp(live).get_user(AccessToken=result["AccessToken"])
    assert error_of(excinfo) == ("UserNotFoundException", "User does not exist.")
    with pytest.raises(ClientError) as excinfo:
        idp(live).initiate_auth(
            ClientId=client_id,
            AuthFlow="REFRESH_TOKEN_AUTH",
            AuthParameters={"REFRESH_TOKEN": result["RefreshToken"]},
        )
    assert error_of(excinfo) == ("NotAuthorizedException", "Invalid Refresh Token")


def test_global_sign_out_revokes_every_session(live: ServerProcess) -> None:
    pool_id, client_id, first = signed_in(live)
    second = password_auth(live, client_id, "alice")["AuthenticationResult"]
    idp(live).global_sign_out(AccessToken=first["AccessToken"])
    for result in (first, second):
        with pytest.raises(ClientError) as excinfo:
            idp(live).get_user(AccessToken=result["AccessToken"])
        assert error_of(excinfo) == REVOKED
    with pytest.raises(ClientError) as excinfo:
        idp(live).global_sign_out(AccessToken=first["AccessToken"])
    assert error_of(excinfo) == REVOKED
    fresh = password_auth(live, client_id, "alice")["AuthenticationResult"]
    assert idp(live).get_user(AccessToken=fresh["AccessToken"])["Username"] == "alice"
    idp(live).admin_user_global_sign_out(UserPoolId=pool_id, Username="alice")
    with pytest.raises(ClientError) as excinfo:
        idp(live).get_user(AccessToken=fresh["AccessToken"])
    assert error_of(excinfo) == REVOKED


def test_revoke_token_ends_one_session(live: ServerProcess) -> None:
    _, client_id, first = signed_in(live)
    second = password_auth(live, client_id, "alice")["AuthenticationResult"]
    cognito = idp(live)
    with pytest.raises(ClientError) as excinfo:
        cognito.revoke_token(Token=first["AccessToken"], ClientId=client_id)
    assert excinfo.value.response["Error"]["Code"] == "UnsupportedTokenTypeException"
    cognito.revoke_token(Token=first["RefreshToken"], ClientId=client_id)
    with pytest.raises(ClientError) as excinfo:
        cognito.get_user(AccessToken=first["AccessToken"])
    assert error_of(excinfo) == REVOKED
    assert cognito.get_user(AccessToken=second["AccessToken"])["Username"] == "alice"
    # Revoking twice, or a token this client never had, is no error (RFC 7009).
    cognito.revoke_token(Token=first["RefreshToken"], ClientId=client_id)


def test_a_disabled_users_access_tokens_are_revoked(live: ServerProcess) -> None:
    pool_id, _, result = signed_in(live)
    idp(live).admin_disable_user(UserPoolId=pool_id, Username="alice")
    with pytest.raises(ClientError) as excinfo:
        idp(live).get_user(AccessToken=result["AccessToken"])
    assert error_of(excinfo) == REVOKED


def test_a_secret_client_revokes_with_its_secret(live: ServerProcess) -> None:
    pool_id, _ = auth_pool(live)
    created = idp(live).create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="server",
        GenerateSecret=True,
        ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]
    confirmed_user(live, pool_id, "dana")
    result = idp(live).admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=created["ClientId"],
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={
            "USERNAME": "dana",
            "PASSWORD": PASSWORD,
            "SECRET_HASH": secret_hash(created["ClientSecret"], "dana", created["ClientId"]),
        },
    )["AuthenticationResult"]
    with pytest.raises(ClientError) as excinfo:
        idp(live).revoke_token(Token=result["RefreshToken"], ClientId=created["ClientId"])
    assert excinfo.value.response["Error"]["Code"] == "UnauthorizedException"
    idp(live).revoke_token(
        Token=result["RefreshToken"],
        ClientId=created["ClientId"],
        ClientSecret=created["ClientSecret"],
    )
    with pytest.raises(ClientError) as excinfo:
        idp(live).get_user(AccessToken=result["AccessToken"])
    assert error_of(excinfo) == REVOKED
