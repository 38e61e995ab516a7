"""Password policy errors, the forgot-password flow, and the administrators' resets."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.cognito.helpers import (
    PASSWORD,
    code_for,
    email_pool,
    error_of,
    idp,
    latest_mail,
    make_client,
    make_pool,
    sign_up,
    user_of,
)
from tests.ses.helpers import advance, messages
from tests.support.server import ServerProcess

NEW_PASSWORD = "N3w-Secret!"


def confirmed_user(live: ServerProcess, name: str, **pool: object) -> tuple[str, str]:
    """A CONFIRMED user with a verified email `<name>@example.com`: (pool id, client id)."""
    pool_id, client_id = email_pool(live, **pool)
    sign_up(live, client_id, name, f"{name}@example.com")
    code = code_for(live, f"{name}@example.com")
    idp(live).confirm_sign_up(ClientId=client_id, Username=name, ConfirmationCode=code)
    return pool_id, client_id


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Sh0rt!", "Password not long enough"),
        ("passw0rd!", "Password must have uppercase characters"),
        ("PASSW0RD!", "Password must have lowercase characters"),
        ("Password!", "Password must have numeric characters"),
        ("Passw0rdd", "Password must have symbol characters"),
    ],
)
def test_sign_up_refuses_passwords_outside_the_policy(
    live: ServerProcess, password: str, reason: str
) -> None:
    pool_id = make_pool(live)
    client_id = make_client(live, pool_id)
    with pytest.raises(ClientError) as excinfo:
        idp(live).sign_up(ClientId=client_id, Username="u", Password=password)
    assert error_of(excinfo) == (
        "InvalidPasswordException",
        f"Password did not conform with policy: {reason}",
    )


def test_a_pools_own_policy_applies(live: ServerProcess) -> None:
    policy = {"MinimumLength": 6, "RequireNumbers": True}
    pool_id = make_pool(live, Policies={"PasswordPolicy": policy})
    client_id = make_client(live, pool_id)
    cognito = idp(live)
    cognito.sign_up(ClientId=client_id, Username="plain", Password="abcde1")
    with pytest.raises(ClientError) as excinfo:
        cognito.sign_up(ClientId=client_id, Username="plain2", Password="abcdef")
    assert (
        error_of(excinfo)[1]
        == "Password did not conform with policy: Password must have numeric characters"
    )
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_set_user_password(
            UserPoolId=pool_id, Username="plain", Password="abc1", Permanent=True
        )
    assert error_of(excinfo) == (
        "InvalidPasswordException",
        "Password did not conform with password policy: Password not long enough",
    )


def test_forgot_password_mails_a_code_valid_for_an_hour(live: ServerProcess) -> None:
    pool_id, client_id = confirmed_user(live, "paula")
    cognito = idp(live)
    answer = cognito.forgot_password(ClientId=client_id, Username="paula")
    assert answer["CodeDeliveryDetails"] == {
        "Destination": "p***@e***",
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    }
    mail = latest_mail(live, "paula@example.com")
    assert mail["details"]["kind"] == "cognito-forgot-password"
    assert mail["subject"] == "Your verification code"
    code = mail["details"]["code"]
    # The status stays CONFIRMED: only AdminResetUserPassword sets RESET_REQUIRED.
    assert user_of(live, pool_id, "paula")["UserStatus"] == "CONFIRMED"
    advance(live, 3601)
    with pytest.raises(ClientError) as excinfo:
        cognito.confirm_forgot_password(
            ClientId=client_id, Username="paula", ConfirmationCode=code, Password=NEW_PASSWORD
        )
    assert error_of(excinfo) == (
        "ExpiredCodeException",
        "Invalid code provided, please request a code again.",
    )
    cognito.forgot_password(ClientId=client_id, Username="paula")
    fresh = code_for(live, "paula@example.com")
    with pytest.raises(ClientError) as excinfo:
        cognito.confirm_forgot_password(
            ClientId=client_id, Username="paula", ConfirmationCode=fresh, Password="weak"
        )
    assert error_of(excinfo) == (
        "InvalidPasswordException",
        "Password does not conform to policy: Password not long enough",
    )
    cognito.confirm_forgot_password(
        ClientId=client_id, Username="paula", ConfirmationCode=fresh, Password=NEW_PASSWORD
    )
    assert user_of(live, pool_id, "paula")["UserStatus"] == "CONFIRMED"
    with pytest.raises(ClientError) as excinfo:
        cognito.confirm_forgot_password(
            ClientId=client_id, Username="paula", ConfirmationCode=fresh, Password=NEW_PASSWORD
        )
    assert error_of(excinfo)[0] == "ExpiredCodeException"


def test_forgot_password_needs_a_verified_email(live: ServerProcess) -> None:
    _, client_id = email_pool(live)
    sign_up(live, client_id, "quinn", "quinn@example.com")
    cognito = idp(live)
    with pytest.raises(ClientError) as excinfo:
        cognito.forgot_password(ClientId=client_id, Username="quinn")
    assert error_of(excinfo) == (
        "InvalidParameterException",
        "Cannot reset password for the user as there is no registered/verified email or "
        "phone_number",
    )
    with pytest.raises(ClientError) as excinfo:
        cognito.forgot_password(ClientId=client_id, Username="nobody")
    assert error_of(excinfo) == (
        "UserNotFoundException",
        "Username/client id combination not found.",
    )
    with pytest.raises(ClientError) as excinfo:
        cognito.confirm_forgot_password(
            ClientId=client_id, Username="quinn", ConfirmationCode="123456", Password=NEW_PASSWORD
        )
    assert error_of(excinfo)[0] == "ExpiredCodeException"


def test_prevent_user_existence_errors_simulates_delivery(live: ServerProcess) -> None:
    pool_id, _ = confirmed_user(live, "rita")
    cognito = idp(live)
    client_id = make_client(live, pool_id, PreventUserExistenceErrors="ENABLED")
    before = len(messages(live))
    answer = cognito.forgot_password(ClientId=client_id, Username="ghost@example.org")
    assert answer["CodeDeliveryDetails"] == {
        "Destination": "g***@e***",
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    }
    answer = cognito.resend_confirmation_code(ClientId=client_id, Username="ghost")
    assert answer["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    with pytest.raises(ClientError) as excinfo:
        cognito.confirm_forgot_password(
            ClientId=client_id, Username="ghost", ConfirmationCode="123456", Password=NEW_PASSWORD
        )
    assert error_of(excinfo) == (
        "CodeMismatchException",
        "Invalid verification code provided, please try again.",
    )
    assert len(messages(live)) == before
    # A real user still gets real mail.
    cognito.forgot_password(ClientId=client_id, Username="rita")
    assert latest_mail(live, "rita@example.com")["details"]["kind"] == "cognito-forgot-password"


def test_confirm_forgot_password_is_limited_to_ten_attempts_an_hour(live: ServerProcess) -> None:
    _, client_id = confirmed_user(live, "sam")
    cognito = idp(live)
    cognito.forgot_password(ClientId=client_id, Username="sam")
    code = code_for(live, "sam@example.com")
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(10):
        with pytest.raises(ClientError) as excinfo:
            cognito.confirm_forgot_password(
                ClientId=client_id, Username="sam", ConfirmationCode=wrong, Password=NEW_PASSWORD
            )
        assert error_of(excinfo)[0] == "CodeMismatchException"
    with pytest.raises(ClientError) as excinfo:
        cognito.confirm_forgot_password(
            ClientId=client_id, Username="sam", ConfirmationCode=code, Password=NEW_PASSWORD
        )
    assert error_of(excinfo) == (
        "LimitExceededException",
        "Attempt limit exceeded, please try after some time.",
    )


def test_admin_reset_user_password(live: ServerProcess) -> None:
    pool_id, client_id = confirmed_user(live, "tara")
    cognito = idp(live)
    assert cognito.admin_reset_user_password(UserPoolId=pool_id, Username="tara")[
        "ResponseMetadata"
    ]
    assert user_of(live, pool_id, "tara")["UserStatus"] == "RESET_REQUIRED"
    mail = latest_mail(live, "tara@example.com")
    assert mail["details"]["kind"] == "cognito-admin-reset-password"
    cognito.confirm_forgot_password(
        ClientId=client_id,
        Username="tara",
        ConfirmationCode=mail["details"]["code"],
        Password=NEW_PASSWORD,
    )
    assert user_of(live, pool_id, "tara")["UserStatus"] == "CONFIRMED"
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_reset_user_password(UserPoolId=pool_id, Username="nobody")
    assert error_of(excinfo) == ("UserNotFoundException", "User does not exist.")


def test_admin_set_user_password(live: ServerProcess) -> None:
    pool_id, client_id = email_pool(live)
    sign_up(live, client_id, "uma", "uma@example.com")
    cognito = idp(live)
    cognito.admin_set_user_password(UserPoolId=pool_id, Username="uma", Password=PASSWORD)
    assert user_of(live, pool_id, "uma")["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    cognito.admin_set_user_password(
        UserPoolId=pool_id, Username="uma", Password=NEW_PASSWORD, Permanent=True
    )
    assert user_of(live, pool_id, "uma")["UserStatus"] == "CONFIRMED"
