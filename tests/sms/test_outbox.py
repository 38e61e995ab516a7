"""Cognito texts through boto3, read back from the SMS outbox: sign-up and resent codes,
forgot password, invitations, attribute verification, a pool without SmsConfiguration,
and `/_poolmail/codes` answering for SMS."""

from __future__ import annotations

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.cognito.helpers import (
    PASSWORD,
    error_of,
    idp,
    latest_mail,
    make_pool,
    password_auth,
    user_of,
)
from tests.ses.helpers import messages
from tests.sms.helpers import (
    NO_CONFIGURATION,
    NUMBER,
    ROLE_ARN,
    SMS_DELIVERY,
    latest_sms,
    newest_code,
    outbox,
    phone_user,
    texting_pool,
)
from tests.support.server import ServerProcess

NEW_PASSWORD = "N3w-Passw0rd!"


def phone_sign_up(server: ServerProcess, client_id: str, username: str, **extra: str) -> dict:
    attributes = [{"Name": name, "Value": value} for name, value in extra.items()]
    attributes.append({"Name": "phone_number", "Value": NUMBER})
    answer: dict = idp(server).sign_up(
        ClientId=client_id, Username=username, Password=PASSWORD, UserAttributes=attributes
    )
    return answer


def test_sign_up_texts_a_code_that_confirms_the_user(live: ServerProcess) -> None:
    pool_id, client_id = texting_pool(live)
    answer = phone_sign_up(live, client_id, "jane")
    assert answer["UserConfirmed"] is False
    assert answer["CodeDeliveryDetails"] == SMS_DELIVERY
    sms = latest_sms(live, to=NUMBER)
    assert sms["kind"] == "cognito-sign-up"
    assert sms["pool_id"] == pool_id and sms["username"] == "jane"
    assert sms["destination"] == NUMBER and sms["status"] == "delivered"
    assert sms["code"].isdigit() and len(sms["code"]) == 6
    # AWS's default verification text, trailing space included.
    assert sms["text"] == f"Your verification code is {sms['code']}. "
    assert sms["operation"] == "SignUp"
    assert sms["caller_arn"] == ROLE_ARN and sms["sns_region"] == "us-east-1"
    assert sms["account"] == "123456789012" and sms["region"] == "us-east-1"
    code = newest_code(live, pool_id, "jane")
    assert code["medium"] == "SMS" and code["code"] == sms["code"]
    assert code["recipient"] == NUMBER and code["message_id"] == sms["id"]
    assert code["kind"] == "cognito-sign-up" and code["link"] is None
    # The number the text went to finds it too.
    assert newest_code(live, pool_id, NUMBER)["message_id"] == sms["id"]
    idp(live).confirm_sign_up(ClientId=client_id, Username="jane", ConfirmationCode=code["code"])
    user = user_of(live, pool_id, "jane")
    assert user["UserStatus"] == "CONFIRMED"
    assert user["attributes"]["phone_number_verified"] == "true"
    assert messages(live) == []


def test_phone_wins_when_both_are_verified_and_the_pool_template_is_used(
    live: ServerProcess,
) -> None:
    # "a verification code is sent via SMS to the phone" when both are auto-verified.
    pool_id, client_id = texting_pool(
        live,
        AutoVerifiedAttributes=["email", "phone_number"],
        VerificationMessageTemplate={"SmsMessage": "Shop code: {####}"},
    )
    answer = phone_sign_up(live, client_id, "kim", email="kim@example.com")
    assert answer["CodeDeliveryDetails"] == SMS_DELIVERY
    first = latest_sms(live, username="kim")
    assert first["text"] == f"Shop code: {first['code']}"
    assert messages(live) == []
    resent = idp(live).resend_confirmation_code(ClientId=client_id, Username="kim")
    assert resent["CodeDeliveryDetails"] == SMS_DELIVERY
    second = latest_sms(live, username="kim")
    assert second["kind"] == "cognito-resend-code" and second["id"] != first["id"]
    with pytest.raises(ClientError) as excinfo:
        idp(live).confirm_sign_up(ClientId=client_id, Username="kim", ConfirmationCode="000000")
    assert error_of(excinfo)[0] == "CodeMismatchException"
    idp(live).confirm_sign_up(ClientId=client_id, Username="kim", ConfirmationCode=second["code"])
    attributes = user_of(live, pool_id, "kim")["attributes"]
    assert attributes["phone_number_verified"] == "true"
    assert attributes.get("email_verified") != "true"


def test_a_phone_number_username_finds_its_code(live: ServerProcess) -> None:
    pool_id, client_id = texting_pool(live, UsernameAttributes=["phone_number"])
    idp(live).sign_up(ClientId=client_id, Username=NUMBER, Password=PASSWORD)
    code = newest_code(live, pool_id, NUMBER)
    assert code["medium"] == "SMS"
    idp(live).confirm_sign_up(ClientId=client_id, Username=NUMBER, ConfirmationCode=code["code"])
    assert password_auth(live, client_id, NUMBER)["AuthenticationResult"]["AccessToken"]


def test_codes_answers_the_newest_of_mail_and_sms(live: ServerProcess) -> None:
    pool_id, client_id = texting_pool(live, AutoVerifiedAttributes=["email", "phone_number"])
    phone_user(live, pool_id, "lena", email="lena@example.com", email_verified="true")
    token = password_auth(live, client_id, "lena")["AuthenticationResult"]["AccessToken"]
    cognito = idp(live)
    cognito.get_user_attribute_verification_code(AccessToken=token, AttributeName="phone_number")
    assert newest_code(live, pool_id, "lena")["medium"] == "SMS"
    cognito.get_user_attribute_verification_code(AccessToken=token, AttributeName="email")
    mailed = newest_code(live, pool_id, "lena")
    assert mailed["medium"] == "EMAIL"
    assert mailed["code"] == latest_mail(live, "lena@example.com")["details"]["code"]


def test_forgot_password_by_sms(live: ServerProcess) -> None:
    pool_id, client_id = texting_pool(live)
    phone_user(live, pool_id, "omar")
    answer = idp(live).forgot_password(ClientId=client_id, Username="omar")
    assert answer["CodeDeliveryDetails"] == SMS_DELIVERY
    sms = latest_sms(live, to=NUMBER, kind="cognito-forgot-password")
    assert sms["text"] == f"Your verification code is {sms['code']}. "
    assert newest_code(live, pool_id, "omar")["code"] == sms["code"]
    idp(live).confirm_forgot_password(
        ClientId=client_id, Username="omar", ConfirmationCode=sms["code"], Password=NEW_PASSWORD
    )
    assert password_auth(live, client_id, "omar", NEW_PASSWORD)["AuthenticationResult"]


def test_account_recovery_setting_orders_email_and_sms(live: ServerProcess) -> None:
    # Without the setting SMS is preferred (legacy behaviour); with it, its priorities.
    both = {"email": "pia@example.com", "email_verified": "true"}
    legacy, legacy_client = texting_pool(live)
    phone_user(live, legacy, "pia", **both)
    answer = idp(live).forgot_password(ClientId=legacy_client, Username="pia")
    assert answer["CodeDeliveryDetails"]["DeliveryMedium"] == "SMS"
    recovery = {
        "RecoveryMechanisms": [
            {"Priority": 1, "Name": "verified_email"},
            {"Priority": 2, "Name": "verified_phone_number"},
        ]
    }
    ordered, ordered_client = texting_pool(live, AccountRecoverySetting=recovery)
    phone_user(live, ordered, "pia", **both)
    answer = idp(live).forgot_password(ClientId=ordered_client, Username="pia")
    assert answer["CodeDeliveryDetails"] == {
        "Destination": "p***@e***",
        "DeliveryMedium": "EMAIL",
        "AttributeName": "email",
    }
    assert len(outbox(live, pool_id=ordered)) == 0


def test_admin_reset_user_password_texts_the_code(live: ServerProcess) -> None:
    pool_id, client_id = texting_pool(live)
    phone_user(live, pool_id, "quin")
    idp(live).admin_reset_user_password(UserPoolId=pool_id, Username="quin")
    sms = latest_sms(live, username="quin")
    assert sms["kind"] == "cognito-admin-reset-password"
    assert user_of(live, pool_id, "quin")["UserStatus"] == "RESET_REQUIRED"
    idp(live).confirm_forgot_password(
        ClientId=client_id, Username="quin", ConfirmationCode=sms["code"], Password=NEW_PASSWORD
    )
    assert password_auth(live, client_id, "quin", NEW_PASSWORD)["AuthenticationResult"]


def test_invitation_by_sms(live: ServerProcess) -> None:
    pool_id, client_id = texting_pool(live)
    idp(live).admin_create_user(
        UserPoolId=pool_id,
        Username="rosa",
        UserAttributes=[{"Name": "phone_number", "Value": NUMBER}],
        DesiredDeliveryMediums=["SMS"],
    )
    sms = latest_sms(live, to=NUMBER)
    assert sms["kind"] == "cognito-invitation"
    password = sms["code"]
    assert sms["text"] == f"Your username is rosa and temporary password is {password}. "
    assert newest_code(live, pool_id, "rosa")["code"] == password
    challenge = password_auth(live, client_id, "rosa", password)
    assert challenge["ChallengeName"] == "NEW_PASSWORD_REQUIRED"
    # SMS is the default medium: a user with a number is texted without asking.
    idp(live).admin_create_user(
        UserPoolId=pool_id,
        Username="sam",
        UserAttributes=[{"Name": "phone_number", "Value": "+15555550111"}],
    )
    assert latest_sms(live, to="+15555550111")["username"] == "sam"


def test_invitation_template_and_both_media(live: ServerProcess) -> None:
    template = {"SMSMessage": "Hi {username}, sign in with {####}", "EmailMessage": "P: {####}"}
    pool_id, _ = texting_pool(live, AdminCreateUserConfig={"InviteMessageTemplate": template})
    idp(live).admin_create_user(
        UserPoolId=pool_id,
        Username="tess",
        TemporaryPassword="Temp-Pass1",
        UserAttributes=[
            {"Name": "phone_number", "Value": NUMBER},
            {"Name": "email", "Value": "tess@example.com"},
        ],
        DesiredDeliveryMediums=["SMS", "EMAIL"],
    )
    assert latest_sms(live, to=NUMBER)["text"] == "Hi tess, sign in with Temp-Pass1"
    assert latest_mail(live, "tess@example.com")["details"]["code"] == "Temp-Pass1"
    idp(live).admin_create_user(
        UserPoolId=pool_id, Username="tess", MessageAction="RESEND", DesiredDeliveryMediums=["SMS"]
    )
    resent = latest_sms(live, to=NUMBER)
    assert resent["text"] == f"Hi tess, sign in with {resent['code']}"
    assert resent["code"] != "Temp-Pass1"


def test_attribute_verification_by_sms(live: ServerProcess) -> None:
    pool_id, client_id = texting_pool(live)
    phone_user(live, pool_id, "uma")
    token = password_auth(live, client_id, "uma")["AuthenticationResult"]["AccessToken"]
    cognito = idp(live)
    answer = cognito.update_user_attributes(
        AccessToken=token, UserAttributes=[{"Name": "phone_number", "Value": "+15555550199"}]
    )
    assert answer["CodeDeliveryDetailsList"] == [
        {"Destination": "+*******0199", "DeliveryMedium": "SMS", "AttributeName": "phone_number"}
    ]
    attributes = user_of(live, pool_id, "uma")["attributes"]
    assert attributes["phone_number"] == "+15555550199"
    assert attributes["phone_number_verified"] == "false"
    sms = latest_sms(live, to="+15555550199")
    assert sms["kind"] == "cognito-attribute-verification"
    assert sms["operation"] == "UpdateUserAttributes"
    with pytest.raises(ClientError) as excinfo:
        cognito.verify_user_attribute(AccessToken=token, AttributeName="phone_number", Code="0")
    assert error_of(excinfo)[0] == "CodeMismatchException"
    # A new code replaces the first one.
    again = cognito.get_user_attribute_verification_code(
        AccessToken=token, AttributeName="phone_number"
    )
    assert again["CodeDeliveryDetails"]["DeliveryMedium"] == "SMS"
    fresh = latest_sms(live, to="+15555550199")
    assert fresh["operation"] == "GetUserAttributeVerificationCode"
    cognito.verify_user_attribute(
        AccessToken=token, AttributeName="phone_number", Code=fresh["code"]
    )
    assert user_of(live, pool_id, "uma")["attributes"]["phone_number_verified"] == "true"


def test_a_number_held_back_until_verified(live: ServerProcess) -> None:
    held = {"AttributesRequireVerificationBeforeUpdate": ["phone_number"]}
    pool_id, client_id = texting_pool(live, UserAttributeUpdateSettings=held)
    phone_user(live, pool_id, "vic")
    token = password_auth(live, client_id, "vic")["AuthenticationResult"]["AccessToken"]
    idp(live).update_user_attributes(
        AccessToken=token, UserAttributes=[{"Name": "phone_number", "Value": "+15555550177"}]
    )
    # The old number stays, verified, until the new one's code comes back.
    attributes = user_of(live, pool_id, "vic")["attributes"]
    assert attributes["phone_number"] == NUMBER and attributes["phone_number_verified"] == "true"
    code = latest_sms(live, to="+15555550177")["code"]
    idp(live).verify_user_attribute(AccessToken=token, AttributeName="phone_number", Code=code)
    attributes = user_of(live, pool_id, "vic")["attributes"]
    assert attributes["phone_number"] == "+15555550177"
    assert attributes["phone_number_verified"] == "true"


def test_a_pool_without_sms_configuration_cannot_text(live: ServerProcess) -> None:
    pool_id = make_pool(live, AutoVerifiedAttributes=["phone_number"])
    client_id = str(
        idp(live).create_user_pool_client(UserPoolId=pool_id, ClientName="app")["UserPoolClient"][
            "ClientId"
        ]
    )
    with pytest.raises(ClientError) as excinfo:
        phone_sign_up(live, client_id, "walt")
    assert error_of(excinfo) == NO_CONFIGURATION
    # The user stays, unconfirmed, as after SignUp's other delivery failures.
    assert user_of(live, pool_id, "walt")["UserStatus"] == "UNCONFIRMED"
    with pytest.raises(ClientError) as excinfo:
        idp(live).admin_create_user(
            UserPoolId=pool_id,
            Username="xavi",
            UserAttributes=[{"Name": "phone_number", "Value": NUMBER}],
        )
    assert error_of(excinfo) == NO_CONFIGURATION
    assert user_of(live, pool_id, "xavi")["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    assert outbox(live) == []
    missing = httpx.get(
        f"{live.url}/_poolmail/codes", params={"pool_id": pool_id, "username": "walt"}
    )
    assert missing.status_code == 404
