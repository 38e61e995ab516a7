"""Email and SMS MFA through boto3: the codes are real mail through the pool's SES and real
texts in the SMS outbox; SELECT_MFA_TYPE when a user has several factors."""

from __future__ import annotations

import json

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.cognito.helpers import confirmed_user, error_of, idp
from tests.cognito.mfa.helpers import (
    access_token,
    add_totp,
    email_mfa_pool,
    newest_code,
    newest_sms,
    sign_in,
    sms_mfa_pool,
    totp_code,
)
from tests.support.server import ServerProcess


def test_email_mfa_sign_in_reads_the_code_from_the_mailbox(live: ServerProcess) -> None:
    pool_id, client_id = email_mfa_pool(live)
    cognito = idp(live)
    cognito.admin_set_user_mfa_preference(
        UserPoolId=pool_id,
        Username="alice",
        EmailMfaSettings={"Enabled": True, "PreferredMfa": True},
    )
    challenge = sign_in(live, client_id)
    assert challenge["ChallengeName"] == "EMAIL_OTP"
    assert challenge["ChallengeParameters"] == {
        "CODE_DELIVERY_DELIVERY_MEDIUM": "EMAIL",
        "CODE_DELIVERY_DESTINATION": "a***@e***",
        "USER_ID_FOR_SRP": "alice",
    }
    mail = httpx.get(
        f"{live.url}/_poolmail/messages/latest", params={"recipient": "alice@example.com"}
    ).json()
    assert mail["subject"] == "Your code"
    code = newest_code(live, pool_id)
    assert f"Sign-in code: {code}" in mail["text"]
    with pytest.raises(ClientError) as excinfo:
        cognito.respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName="EMAIL_OTP",
            Session=challenge["Session"],
            ChallengeResponses={"USERNAME": "alice", "EMAIL_OTP_CODE": "999999"},
        )
    assert error_of(excinfo) == (
        "CodeMismatchException",
        "Invalid code or auth state for the user.",
    )
    done = cognito.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="EMAIL_OTP",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": "alice", "EMAIL_OTP_CODE": code},
    )
    assert "IdToken" in done["AuthenticationResult"]


def test_email_mfa_code_obeys_the_ses_sandbox(live: ServerProcess) -> None:
    pool_id, client_id = email_mfa_pool(live)
    # Back into the sandbox: bob's address is not verified, so SES refuses the code.
    confirmed_user(live, pool_id, "bob", email="bob@example.org")
    httpx.post(
        f"{live.url}/_poolmail/ses/account/sandbox",
        json={"account": "123456789012", "region": "us-east-1", "production_access": False},
    ).raise_for_status()
    cognito = idp(live)
    cognito.admin_set_user_mfa_preference(
        UserPoolId=pool_id, Username="bob", EmailMfaSettings={"Enabled": True}
    )
    with pytest.raises(ClientError) as excinfo:
        sign_in(live, client_id, "bob")
    code, message = error_of(excinfo)
    assert code == "CodeDeliveryFailureException"
    assert "Email address is not verified" in message


def test_sms_mfa_sign_in_reads_the_code_from_the_sms_outbox(live: ServerProcess) -> None:
    pool_id, client_id = sms_mfa_pool(live)
    cognito = idp(live)
    cognito.admin_set_user_mfa_preference(
        UserPoolId=pool_id, Username="alice", SMSMfaSettings={"Enabled": True}
    )
    user = cognito.admin_get_user(UserPoolId=pool_id, Username="alice")
    assert user["MFAOptions"] == [{"DeliveryMedium": "SMS", "AttributeName": "phone_number"}]
    assert user["UserMFASettingList"] == ["SMS_MFA"]
    challenge = sign_in(live, client_id)
    assert challenge["ChallengeName"] == "SMS_MFA"
    assert challenge["ChallengeParameters"]["CODE_DELIVERY_DELIVERY_MEDIUM"] == "SMS"
    assert challenge["ChallengeParameters"]["CODE_DELIVERY_DESTINATION"] == "+*******0123"
    sms = newest_sms(live, "+15555550123")
    code = sms["text"].removeprefix("Your code is ")
    assert code.isdigit() and len(code) == 6
    done = cognito.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="SMS_MFA",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": "alice", "SMS_MFA_CODE": code},
    )
    token = done["AuthenticationResult"]["AccessToken"]
    attributes = {
        a["Name"]: a["Value"] for a in cognito.get_user(AccessToken=token)["UserAttributes"]
    }
    # A correct SMS code proves the phone.
    assert attributes["phone_number_verified"] == "true"


def test_required_pool_asks_sms_of_a_user_with_a_phone(live: ServerProcess) -> None:
    _, client_id = sms_mfa_pool(live, mode="ON")
    challenge = sign_in(live, client_id)
    assert challenge["ChallengeName"] == "SMS_MFA"


def test_select_mfa_type_with_two_factors_and_none_preferred(live: ServerProcess) -> None:
    pool_id, client_id = sms_mfa_pool(live)
    cognito = idp(live)
    cognito.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        MfaConfiguration="OPTIONAL",
        SoftwareTokenMfaConfiguration={"Enabled": True},
    )
    app = add_totp(live, access_token(live, client_id))
    cognito.admin_set_user_mfa_preference(
        UserPoolId=pool_id,
        Username="alice",
        SMSMfaSettings={"Enabled": True},
        SoftwareTokenMfaSettings={"Enabled": True},
    )
    challenge = sign_in(live, client_id)
    assert challenge["ChallengeName"] == "SELECT_MFA_TYPE"
    choices = json.loads(challenge["ChallengeParameters"]["MFAS_CAN_CHOOSE"])
    assert choices == ["SMS_MFA", "SOFTWARE_TOKEN_MFA"]
    with pytest.raises(ClientError) as excinfo:
        cognito.respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName="SELECT_MFA_TYPE",
            Session=challenge["Session"],
            ChallengeResponses={"USERNAME": "alice", "ANSWER": "EMAIL_OTP"},
        )
    assert error_of(excinfo)[0] == "InvalidParameterException"
    chosen = cognito.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="SELECT_MFA_TYPE",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": "alice", "ANSWER": "SOFTWARE_TOKEN_MFA"},
    )
    assert chosen["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    done = cognito.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=chosen["Session"],
        ChallengeResponses={"USERNAME": "alice", "SOFTWARE_TOKEN_MFA_CODE": totp_code(live, app)},
    )
    assert "AccessToken" in done["AuthenticationResult"]
    # One preferred factor ends the choice.
    cognito.admin_set_user_mfa_preference(
        UserPoolId=pool_id,
        Username="alice",
        SMSMfaSettings={"Enabled": True, "PreferredMfa": True},
    )
    assert sign_in(live, client_id)["ChallengeName"] == "SMS_MFA"
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_set_user_mfa_preference(
            UserPoolId=pool_id,
            Username="alice",
            SMSMfaSettings={"Enabled": True, "PreferredMfa": True},
            SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
        )
    assert error_of(excinfo)[0] == "InvalidParameterException"


def test_email_mfa_set_up_during_sign_in(live: ServerProcess) -> None:
    pool_id, client_id = email_mfa_pool(live, mode="ON")
    cognito = idp(live)
    challenge = sign_in(live, client_id)
    assert challenge["ChallengeName"] == "MFA_SETUP"
    assert json.loads(challenge["ChallengeParameters"]["MFAS_CAN_SETUP"]) == ["EMAIL_OTP"]
    sent = cognito.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="MFA_SETUP",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": "alice", "EMAIL": "alice@example.com"},
    )
    assert sent["ChallengeName"] == "EMAIL_OTP"
    done = cognito.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="EMAIL_OTP",
        Session=sent["Session"],
        ChallengeResponses={"USERNAME": "alice", "EMAIL_OTP_CODE": newest_code(live, pool_id)},
    )
    user = cognito.get_user(AccessToken=done["AuthenticationResult"]["AccessToken"])
    assert user["UserMFASettingList"] == ["EMAIL_OTP"]
    assert user["PreferredMfaSetting"] == "EMAIL_OTP"
    assert sign_in(live, client_id)["ChallengeName"] == "EMAIL_OTP"
