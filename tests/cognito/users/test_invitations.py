"""AdminCreateUser: temporary passwords, the invitation mail and its template, RESEND and
SUPPRESS, delivery media."""

from __future__ import annotations

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.cognito.helpers import error_of, idp, latest_mail, make_pool, user_of
from tests.ses.helpers import messages
from tests.support.server import ServerProcess


def invite(live: ServerProcess, pool_id: str, username: str, **extra: object) -> dict[str, object]:
    email = extra.pop("email", f"{username}@example.com")
    attributes = [{"Name": "email", "Value": email}] if email else []
    answer: dict[str, object] = idp(live).admin_create_user(
        UserPoolId=pool_id, Username=username, UserAttributes=attributes, **extra
    )
    return answer


def test_invitation_carries_username_and_a_generated_temporary_password(
    live: ServerProcess,
) -> None:
    pool_id = make_pool(live)
    answer = invite(live, pool_id, "victor", DesiredDeliveryMediums=["EMAIL"])
    user = answer["User"]
    assert isinstance(user, dict)
    assert user["Username"] == "victor"
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    assert user["Enabled"] is True
    assert {"Name": "email", "Value": "victor@example.com"} in user["Attributes"]
    mail = latest_mail(live, "victor@example.com")
    assert mail["subject"] == "Your temporary password"
    assert mail["details"]["kind"] == "cognito-invitation"
    password = mail["details"]["code"]
    # Cognito's default policy: 8+ characters with upper, lower, digit and symbol.
    assert len(password) >= 8
    assert any(c.isupper() for c in password) and any(c.islower() for c in password)
    assert any(c.isdigit() for c in password) and any(not c.isalnum() for c in password)
    full = httpx.get(f"{live.url}/_poolmail/messages/{mail['id']}").json()
    assert full["text"].strip() == f"Your username is victor and temporary password is {password}."


def test_custom_invitation_template_and_given_password(live: ServerProcess) -> None:
    template = {
        "EmailSubject": "Welcome to the shop",
        "EmailMessage": "Hello {username}, sign in with {####} today.",
    }
    pool_id = make_pool(live, AdminCreateUserConfig={"InviteMessageTemplate": template})
    invite(
        live,
        pool_id,
        "wendy",
        TemporaryPassword="Temp-Pass1",
        DesiredDeliveryMediums=["EMAIL"],
    )
    mail = latest_mail(live, "wendy@example.com")
    assert mail["subject"] == "Welcome to the shop"
    assert mail["details"]["code"] == "Temp-Pass1"
    full = httpx.get(f"{live.url}/_poolmail/messages/{mail['id']}").json()
    assert full["text"].strip() == "Hello wendy, sign in with Temp-Pass1 today."
    with pytest.raises(ClientError) as excinfo:
        invite(live, pool_id, "xena", TemporaryPassword="short", DesiredDeliveryMediums=["EMAIL"])
    assert error_of(excinfo) == (
        "InvalidPasswordException",
        "Password did not conform with password policy: Password not long enough",
    )
    with pytest.raises(ClientError) as excinfo:
        invite(live, pool_id, "wendy", DesiredDeliveryMediums=["EMAIL"])
    assert error_of(excinfo) == ("UsernameExistsException", "User account already exists")


def test_suppress_and_default_medium_send_nothing(live: ServerProcess) -> None:
    pool_id = make_pool(live)
    invite(live, pool_id, "yara", MessageAction="SUPPRESS", DesiredDeliveryMediums=["EMAIL"])
    # The default medium is SMS: a user with only an email gets no invitation.
    invite(live, pool_id, "zoe")
    assert messages(live) == []
    assert user_of(live, pool_id, "zoe")["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    with pytest.raises(ClientError) as excinfo:
        invite(live, pool_id, "abe", email=None, DesiredDeliveryMediums=["EMAIL"])
    assert error_of(excinfo) == (
        "InvalidParameterException",
        "No email provided but desired delivery medium was Email",
    )


def test_resend_sends_a_new_temporary_password(live: ServerProcess) -> None:
    pool_id = make_pool(live)
    invite(live, pool_id, "bea", DesiredDeliveryMediums=["EMAIL"])
    first = latest_mail(live, "bea@example.com")["details"]["code"]
    cognito = idp(live)
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username="bea",
        MessageAction="RESEND",
        DesiredDeliveryMediums=["EMAIL"],
    )
    mails = messages(live, recipient="bea@example.com")
    assert len(mails) == 2
    assert mails[0]["details"]["code"] != first
    cognito.admin_set_user_password(
        UserPoolId=pool_id, Username="bea", Password="Perm-Pass1", Permanent=True
    )
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_create_user(UserPoolId=pool_id, Username="bea", MessageAction="RESEND")
    code, message = error_of(excinfo)
    assert code == "UnsupportedUserStateException"
    assert message.endswith("status is not FORCE_CHANGE_PASSWORD")
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_create_user(UserPoolId=pool_id, Username="nobody", MessageAction="RESEND")
    assert error_of(excinfo) == ("UserNotFoundException", "User does not exist.")


def test_verified_email_and_email_username_pool(live: ServerProcess) -> None:
    pool_id = make_pool(live, UsernameAttributes=["email"])
    cognito = idp(live)
    answer = cognito.admin_create_user(
        UserPoolId=pool_id,
        Username="cleo@example.com",
        UserAttributes=[{"Name": "email_verified", "Value": "true"}],
        DesiredDeliveryMediums=["EMAIL"],
    )
    user = user_of(live, pool_id, "cleo@example.com")
    assert user["Username"] == answer["User"]["Username"] == user["attributes"]["sub"]
    assert user["attributes"]["email"] == "cleo@example.com"
    assert user["attributes"]["email_verified"] == "true"
    mail = latest_mail(live, "cleo@example.com")
    full = httpx.get(f"{live.url}/_poolmail/messages/{mail['id']}").json()
    assert "Your username is cleo@example.com" in full["text"]
