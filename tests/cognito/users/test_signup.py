"""Self-registration through boto3: SignUp, the code in the mailbox, ConfirmSignUp, resend,
the confirmation link, and the errors AWS answers with."""

from __future__ import annotations

import base64
import hashlib
import hmac
import html

import httpx
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
from tests.test_awscli import aws, ok

# ---- sign-up and confirmation ---------------------------------------------------------------


def test_sign_up_mails_a_code_and_confirm_verifies_the_email(live: ServerProcess) -> None:
    pool_id, client_id = email_pool(live)
    answer = sign_up(live, client_id, "alice", "alice@example.com")
    assert answer["UserConfirmed"] is False
    assert answer["CodeDeliveryDetails"] == {
        "Destination": "a***@e***",
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    }
    mail = latest_mail(live, "alice@example.com")
    assert mail["subject"] == "Your verification code"
    assert mail["details"]["kind"] == "cognito-sign-up"
    assert mail["details"]["email_sending_account"] == "COGNITO_DEFAULT"
    code = mail["details"]["code"]
    assert len(code) == 6 and code.isdigit()
    body = httpx.get(f"{live.url}/_poolmail/messages/{mail['id']}").json()
    assert f"Your verification code is {code}." in str(body)
    user = user_of(live, pool_id, "alice")
    assert user["UserStatus"] == "UNCONFIRMED"
    assert user["attributes"]["sub"] == answer["UserSub"]

    cognito = idp(live)
    cognito.confirm_sign_up(ClientId=client_id, Username="alice", ConfirmationCode=code)
    user = user_of(live, pool_id, "alice")
    assert user["UserStatus"] == "CONFIRMED"
    assert user["attributes"]["email_verified"] == "true"
    with pytest.raises(ClientError) as excinfo:
        cognito.confirm_sign_up(ClientId=client_id, Username="alice", ConfirmationCode=code)
    assert error_of(excinfo) == (
        "NotAuthorizedException",
        "User cannot be confirmed. Current status is CONFIRMED",
    )


def test_wrong_and_expired_codes(live: ServerProcess) -> None:
    _, client_id = email_pool(live)
    sign_up(live, client_id, "bob", "bob@example.com")
    code = code_for(live, "bob@example.com")
    cognito = idp(live)
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(ClientError) as excinfo:
        cognito.confirm_sign_up(ClientId=client_id, Username="bob", ConfirmationCode=wrong)
    assert error_of(excinfo) == (
        "CodeMismatchException",
        "Invalid verification code provided, please try again.",
    )
    advance(live, 24 * 3600 + 1)
    with pytest.raises(ClientError) as excinfo:
        cognito.confirm_sign_up(ClientId=client_id, Username="bob", ConfirmationCode=code)
    assert error_of(excinfo) == (
        "ExpiredCodeException",
        "Invalid code provided, please request a code again.",
    )


def test_resend_replaces_the_code(live: ServerProcess) -> None:
    pool_id, client_id = email_pool(live)
    sign_up(live, client_id, "carol", "carol@example.com")
    first = code_for(live, "carol@example.com")
    cognito = idp(live)
    answer = cognito.resend_confirmation_code(ClientId=client_id, Username="carol")
    assert answer["CodeDeliveryDetails"]["Destination"] == "c***@e***"
    mail = latest_mail(live, "carol@example.com")
    assert mail["details"]["kind"] == "cognito-resend-code"
    second = mail["details"]["code"]
    if first != second:
        with pytest.raises(ClientError) as excinfo:
            cognito.confirm_sign_up(ClientId=client_id, Username="carol", ConfirmationCode=first)
        assert error_of(excinfo)[0] == "CodeMismatchException"
    cognito.confirm_sign_up(ClientId=client_id, Username="carol", ConfirmationCode=second)
    assert user_of(live, pool_id, "carol")["UserStatus"] == "CONFIRMED"
    with pytest.raises(ClientError) as excinfo:
        cognito.resend_confirmation_code(ClientId=client_id, Username="carol")
    assert error_of(excinfo) == ("InvalidParameterException", "User is already confirmed.")


def test_resend_is_limited_to_five_an_hour(live: ServerProcess) -> None:
    _, client_id = email_pool(live)
    sign_up(live, client_id, "dave", "dave@example.com")
    cognito = idp(live)
    for _ in range(5):
        cognito.resend_confirmation_code(ClientId=client_id, Username="dave")
    with pytest.raises(ClientError) as excinfo:
        cognito.resend_confirmation_code(ClientId=client_id, Username="dave")
    assert error_of(excinfo) == (
        "LimitExceededException",
        "Attempt limit exceeded, please try after some time.",
    )
    advance(live, 3601)
    cognito.resend_confirmation_code(ClientId=client_id, Username="dave")


def test_confirm_is_limited_to_fifteen_attempts_an_hour(live: ServerProcess) -> None:
    _, client_id = email_pool(live)
    sign_up(live, client_id, "erin", "erin@example.com")
    code = code_for(live, "erin@example.com")
    wrong = "000000" if code != "000000" else "111111"
    cognito = idp(live)
    for _ in range(15):
        with pytest.raises(ClientError) as excinfo:
            cognito.confirm_sign_up(ClientId=client_id, Username="erin", ConfirmationCode=wrong)
        assert error_of(excinfo)[0] == "CodeMismatchException"
    with pytest.raises(ClientError) as excinfo:
        cognito.confirm_sign_up(ClientId=client_id, Username="erin", ConfirmationCode=code)
    assert error_of(excinfo)[0] == "LimitExceededException"


def test_without_auto_verification_no_mail_and_unconfirmed(live: ServerProcess) -> None:
    pool_id = make_pool(live)
    client_id = make_client(live, pool_id)
    answer = sign_up(live, client_id, "frank", "frank@example.com")
    assert "CodeDeliveryDetails" not in answer
    assert messages(live, recipient="frank@example.com") == []
    assert user_of(live, pool_id, "frank")["UserStatus"] == "UNCONFIRMED"
    idp(live).admin_confirm_sign_up(UserPoolId=pool_id, Username="frank")
    user = user_of(live, pool_id, "frank")
    assert user["UserStatus"] == "CONFIRMED"
    assert "email_verified" not in user["attributes"]


def test_sign_up_errors(live: ServerProcess) -> None:
    pool_id, client_id = email_pool(live)
    sign_up(live, client_id, "gina", "gina@example.com")
    cognito = idp(live)
    with pytest.raises(ClientError) as excinfo:
        sign_up(live, client_id, "gina", "other@example.com")
    assert error_of(excinfo) == ("UsernameExistsException", "User already exists")
    with pytest.raises(ClientError) as excinfo:
        sign_up(live, "nosuchclient", "hank", "hank@example.com")
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        "User pool client nosuchclient does not exist.",
    )
    with pytest.raises(ClientError) as excinfo:
        cognito.sign_up(
            ClientId=client_id,
            Username="hank",
            Password=PASSWORD,
            UserAttributes=[{"Name": "custom:nope", "Value": "x"}],
        )
    assert error_of(excinfo) == (
        "InvalidParameterException",
        "Attributes did not conform to the schema: custom:nope: "
        "Attribute does not exist in the schema.\n",
    )
    with pytest.raises(ClientError) as excinfo:
        sign_up(live, client_id, "hank", "not-an-address")
    assert error_of(excinfo) == ("InvalidParameterException", "Invalid email address format.")
    with pytest.raises(ClientError) as excinfo:
        cognito.confirm_sign_up(ClientId=client_id, Username="nobody", ConfirmationCode="123456")
    assert error_of(excinfo) == (
        "UserNotFoundException",
        "Username/client id combination not found.",
    )
    admin_only = make_pool(live, AdminCreateUserConfig={"AllowAdminCreateUserOnly": True})
    with pytest.raises(ClientError) as excinfo:
        sign_up(live, make_client(live, admin_only), "ivy", "ivy@example.com")
    assert error_of(excinfo) == (
        "NotAuthorizedException",
        "SignUp is not permitted for this user pool",
    )
    assert user_of(live, pool_id, "gina")["attributes"]["email"] == "gina@example.com"


def test_email_as_username_pool_stores_a_uuid_username(live: ServerProcess) -> None:
    pool_id, client_id = email_pool(live, UsernameAttributes=["email"])
    answer = sign_up(live, client_id, "Jane@Example.com", None)
    user = user_of(live, pool_id, "jane@example.com")
    assert user["Username"] == answer["UserSub"]
    assert user["attributes"]["email"] == "Jane@Example.com"
    code = code_for(live, "Jane@Example.com")
    cognito = idp(live)
    cognito.confirm_sign_up(ClientId=client_id, Username="Jane@Example.com", ConfirmationCode=code)
    assert user_of(live, pool_id, answer["UserSub"])["UserStatus"] == "CONFIRMED"
    with pytest.raises(ClientError) as excinfo:
        sign_up(live, client_id, "jane@example.com", None)
    assert error_of(excinfo) == (
        "UsernameExistsException",
        "An account with the given email already exists.",
    )
    with pytest.raises(ClientError) as excinfo:
        sign_up(live, client_id, "jane", None)
    assert error_of(excinfo) == ("InvalidParameterException", "Username should be an email.")


def test_usernames_are_case_sensitive_unless_configured(live: ServerProcess) -> None:
    pool_id, client_id = email_pool(live)
    sign_up(live, client_id, "Kim", "kim@example.com")
    sign_up(live, client_id, "kim", "kim2@example.com")
    assert user_of(live, pool_id, "Kim")["attributes"]["email"] == "kim@example.com"
    insensitive, client2 = email_pool(live, UsernameConfiguration={"CaseSensitive": False})
    sign_up(live, client2, "Kim", "kim@example.com")
    with pytest.raises(ClientError) as excinfo:
        sign_up(live, client2, "KIM", "kim3@example.com")
    assert error_of(excinfo)[0] == "UsernameExistsException"
    assert user_of(live, insensitive, "kIm")["Username"] == "Kim"


def test_secret_hash_is_required_of_clients_with_a_secret(live: ServerProcess) -> None:
    pool_id = make_pool(live, AutoVerifiedAttributes=["email"])
    cognito = idp(live)
    client = cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName="server", GenerateSecret=True
    )["UserPoolClient"]
    client_id, secret = client["ClientId"], client["ClientSecret"]
    with pytest.raises(ClientError) as excinfo:
        sign_up(live, client_id, "leo", "leo@example.com")
    assert error_of(excinfo) == (
        "NotAuthorizedException",
        f"Unable to verify secret hash for client {client_id}",
    )
    digest = hmac.new(secret.encode(), ("leo" + client_id).encode(), hashlib.sha256).digest()
    secret_hash = base64.b64encode(digest).decode()
    sign_up(live, client_id, "leo", "leo@example.com", SecretHash=secret_hash)
    assert user_of(live, pool_id, "leo")["UserStatus"] == "UNCONFIRMED"


def test_confirm_with_an_email_alias_already_taken(live: ServerProcess) -> None:
    pool_id, client_id = email_pool(live, AliasAttributes=["email"])
    cognito = idp(live)
    for name in ("mia", "max"):
        sign_up(live, client_id, name, "shared@example.com")
        code = code_for(live, "shared@example.com")
        if name == "mia":
            cognito.confirm_sign_up(ClientId=client_id, Username=name, ConfirmationCode=code)
    with pytest.raises(ClientError) as excinfo:
        cognito.confirm_sign_up(ClientId=client_id, Username="max", ConfirmationCode=code)
    assert error_of(excinfo) == (
        "AliasExistsException",
        "An account with the email already exists.",
    )
    cognito.confirm_sign_up(
        ClientId=client_id, Username="max", ConfirmationCode=code, ForceAliasCreation=True
    )
    assert user_of(live, pool_id, "shared@example.com")["Username"] == "max"
    assert user_of(live, pool_id, "mia")["attributes"]["email_verified"] == "false"
    with pytest.raises(ClientError) as excinfo:
        sign_up(live, client_id, "someone@example.com", None)
    assert error_of(excinfo) == (
        "InvalidParameterException",
        "Username cannot be of email format, since user pool is configured for email alias.",
    )


# ---- link-style verification ----------------------------------------------------------------

LINK_TEMPLATE = {
    "DefaultEmailOption": "CONFIRM_WITH_LINK",
    "EmailMessageByLink": "Welcome! <b>{##Verify Your Email##}</b>",
    "EmailSubjectByLink": "Confirm your shop account",
}


def test_link_style_needs_a_pool_domain(live: ServerProcess) -> None:
    pool_id, client_id = email_pool(live, VerificationMessageTemplate=LINK_TEMPLATE)
    with pytest.raises(ClientError) as excinfo:
        sign_up(live, client_id, "nora", "nora@example.com")
    assert error_of(excinfo) == (
        "InvalidParameterException",
        "Cannot perform specific action because there does not exist a valid use pool "
        "domain associated with the user pool",
    )
    with pytest.raises(ClientError):
        user_of(live, pool_id, "nora")


def test_link_style_sign_up_is_confirmed_by_opening_the_link(live: ServerProcess) -> None:
    pool_id, client_id = email_pool(live, VerificationMessageTemplate=LINK_TEMPLATE)
    idp(live).create_user_pool_domain(Domain="shop-link-test", UserPoolId=pool_id)
    sign_up(live, client_id, "<olga>", "olga@example.com")
    mail = latest_mail(live, "olga@example.com")
    assert mail["subject"] == "Confirm your shop account"
    link = mail["details"]["link"]
    assert link.startswith(f"{live.url}/confirmUser?client_id={client_id}&user_name=%3Colga%3E")
    full = httpx.get(f"{live.url}/_poolmail/messages/{mail['id']}").json()
    assert f'<b><a href="{html.escape(link)}">Verify Your Email</a></b>' in full["html"]
    code = mail["details"]["code"]
    wrong = link.replace(
        f"confirmation_code={code}", f"confirmation_code={(int(code) + 1) % 10**6:06d}"
    )
    # AWS's docs show the link with and without a slash before the query.
    bad = httpx.get(wrong.replace("/confirmUser?", "/confirmUser/?"))
    assert bad.status_code == 400
    assert "Invalid verification code provided, please try again." in bad.text
    page = httpx.get(link)
    assert page.status_code == 200
    assert "Your registration has been confirmed!" in page.text
    assert "&lt;olga&gt;" in page.text and "<olga>" not in page.text
    user = user_of(live, pool_id, "<olga>")
    assert user["UserStatus"] == "CONFIRMED"
    assert user["attributes"]["email_verified"] == "true"
    again = httpx.get(link)
    assert again.status_code == 400
    assert "Current status is CONFIRMED" in again.text
    incomplete = httpx.get(f"{live.url}/confirmUser", params={"client_id": client_id})
    assert incomplete.status_code == 400
    assert "Invalid confirmation link" in incomplete.text


def test_sign_up_and_confirm_with_the_aws_cli(live: ServerProcess) -> None:
    pool_id, client_id = email_pool(live)
    answer = ok(
        aws(
            live,
            "cognito-idp",
            "sign-up",
            "--client-id",
            client_id,
            "--username",
            "cli-user",
            "--password",
            PASSWORD,
            "--user-attributes",
            "Name=email,Value=cli@example.com",
        )
    )
    assert answer["CodeDeliveryDetails"]["Destination"] == "c***@e***"
    code = code_for(live, "cli@example.com")
    ok(
        aws(
            live,
            "cognito-idp",
            "confirm-sign-up",
            "--client-id",
            client_id,
            "--username",
            "cli-user",
            "--confirmation-code",
            code,
        )
    )
    user = ok(
        aws(
            live,
            "cognito-idp",
            "admin-get-user",
            "--user-pool-id",
            pool_id,
            "--username",
            "cli-user",
        )
    )
    assert user["UserStatus"] == "CONFIRMED"
