"""Choice-based sign-in (USER_AUTH): SELECT_CHALLENGE and AvailableChallenges, PASSWORD and
PASSWORD_SRP first factors, passwordless EMAIL_OTP and SMS_OTP with codes read from the
mailbox and the SMS outbox, passwordless sign-up signing in with ConfirmSignUp's Session,
GetUserAuthFactors, the feature-plan refusals and the SignInPolicy rules."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP

from tests.cognito.helpers import error_of, user_of
from tests.cognito.signin.helpers import (
    PASSWORD,
    add_user,
    choice_pool,
    idp,
    newest_code,
    newest_sms,
    respond,
    sign_in_policy,
    tokens_of,
    user_auth,
    user_auth_client,
)
from tests.support.server import ServerProcess

INCORRECT = "Incorrect username or password."
PHONE = "+15550100"
ALL_CHOICES_WITHOUT_PASSKEY = ["PASSWORD", "PASSWORD_SRP", "EMAIL_OTP", "SMS_OTP"]


# ---- SELECT_CHALLENGE ---------------------------------------------------------------------


def test_select_challenge_lists_what_the_user_can_use(live: ServerProcess) -> None:
    pool_id, client_id = choice_pool(live)
    add_user(live, pool_id, "alice", phone=PHONE)
    add_user(live, pool_id, "bob", phone=None)
    add_user(live, pool_id, "carol", password=None, phone=PHONE)

    answer = user_auth(live, client_id, "alice")
    assert answer["ChallengeName"] == "SELECT_CHALLENGE"
    # The pool's order, the password as both PASSWORD and PASSWORD_SRP; no WEB_AUTHN
    # without a passkey. AWS sends no ChallengeParameters with SELECT_CHALLENGE.
    assert answer["AvailableChallenges"] == ["PASSWORD", "PASSWORD_SRP", "EMAIL_OTP", "SMS_OTP"]
    assert len(answer["Session"]) >= 20
    assert "ChallengeParameters" not in answer
    assert user_auth(live, client_id, "bob")["AvailableChallenges"] == [
        "PASSWORD",
        "PASSWORD_SRP",
        "EMAIL_OTP",
    ]
    # A user without a password is offered no password.
    assert user_auth(live, client_id, "carol")["AvailableChallenges"] == ["EMAIL_OTP", "SMS_OTP"]


def test_a_password_only_pool_offers_the_password(live: ServerProcess) -> None:
    pool_id, client_id = choice_pool(live, ["PASSWORD"])
    add_user(live, pool_id, "alice", phone=PHONE)
    answer = user_auth(live, client_id, "alice", PREFERRED_CHALLENGE="EMAIL_OTP")
    # A preferred challenge the user can't use gets the list instead.
    assert answer["ChallengeName"] == "SELECT_CHALLENGE"
    assert answer["AvailableChallenges"] == ["PASSWORD", "PASSWORD_SRP"]


def test_email_otp_needs_the_pools_own_ses(live: ServerProcess) -> None:
    pool_id, client_id = choice_pool(
        live, EmailConfiguration={"EmailSendingAccount": "COGNITO_DEFAULT"}
    )
    add_user(live, pool_id, "alice")
    assert user_auth(live, client_id, "alice")["AvailableChallenges"] == [
        "PASSWORD",
        "PASSWORD_SRP",
    ]


def test_select_challenge_answers(live: ServerProcess) -> None:
    pool_id, client_id = choice_pool(live)
    add_user(live, pool_id, "alice")
    session = user_auth(live, client_id, "alice")["Session"]
    answer = respond(
        live, client_id, "SELECT_CHALLENGE", session, USERNAME="alice", ANSWER="PASSWORD",
        PASSWORD=PASSWORD,
    )  # fmt: skip
    tokens_of(answer)
    # Sessions are single-use.
    with pytest.raises(ClientError) as excinfo:
        respond(
            live, client_id, "SELECT_CHALLENGE", session, USERNAME="alice", ANSWER="PASSWORD",
            PASSWORD=PASSWORD,
        )  # fmt: skip
    assert error_of(excinfo) == ("NotAuthorizedException", "Invalid session for the user.")

    # An answer that was not offered, and a USERNAME of someone else.
    add_user(live, pool_id, "bob")
    session = user_auth(live, client_id, "alice")["Session"]
    with pytest.raises(ClientError) as excinfo:
        respond(live, client_id, "SELECT_CHALLENGE", session, USERNAME="alice", ANSWER="WEB_AUTHN")
    assert error_of(excinfo)[0] == "InvalidParameterException"
    session = user_auth(live, client_id, "alice")["Session"]
    with pytest.raises(ClientError) as excinfo:
        respond(live, client_id, "SELECT_CHALLENGE", session, USERNAME="bob", ANSWER="PASSWORD")
    assert error_of(excinfo) == ("NotAuthorizedException", "Invalid session for the user.")


# ---- PASSWORD and PASSWORD_SRP ------------------------------------------------------------


def test_preferred_password_signs_in_in_one_call(live: ServerProcess) -> None:
    pool_id, client_id = choice_pool(live)
    add_user(live, pool_id, "alice")
    tokens_of(
        user_auth(live, client_id, "alice", PREFERRED_CHALLENGE="PASSWORD", PASSWORD=PASSWORD)
    )
    with pytest.raises(ClientError) as excinfo:
        user_auth(live, client_id, "alice", PREFERRED_CHALLENGE="PASSWORD", PASSWORD="Wrong-1x!")
    assert error_of(excinfo) == ("NotAuthorizedException", INCORRECT)
    # The admin flow too.
    answer = idp(live).admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="USER_AUTH",
        AuthParameters={
            "USERNAME": "alice",
            "PREFERRED_CHALLENGE": "PASSWORD",
            "PASSWORD": PASSWORD,
        },
    )
    tokens_of(answer)


def test_password_asked_as_its_own_challenge(live: ServerProcess) -> None:
    pool_id, client_id = choice_pool(live)
    add_user(live, pool_id, "alice")
    answer = user_auth(live, client_id, "alice", PREFERRED_CHALLENGE="PASSWORD")
    assert answer["ChallengeName"] == "PASSWORD"
    tokens_of(
        respond(live, client_id, "PASSWORD", answer["Session"], USERNAME="alice", PASSWORD=PASSWORD)
    )


def test_password_srp_through_user_auth(live: ServerProcess) -> None:
    pool_id, client_id = choice_pool(live)
    add_user(live, pool_id, "alice")
    helper = AWSSRP(
        username="alice", password=PASSWORD, pool_id=pool_id, client_id=client_id, client=idp(live)
    )
    parameters = helper.get_auth_params()
    answer = user_auth(
        live, client_id, "alice", PREFERRED_CHALLENGE="PASSWORD_SRP", SRP_A=parameters["SRP_A"]
    )
    assert answer["ChallengeName"] == "PASSWORD_VERIFIER"
    responses = helper.process_challenge(answer["ChallengeParameters"], parameters)
    tokens_of(respond(live, client_id, "PASSWORD_VERIFIER", None, **responses))

    # Chosen through SELECT_CHALLENGE, SRP_A in the answer.
    helper = AWSSRP(
        username="alice", password=PASSWORD, pool_id=pool_id, client_id=client_id, client=idp(live)
    )
    parameters = helper.get_auth_params()
    session = user_auth(live, client_id, "alice")["Session"]
    answer = respond(
        live, client_id, "SELECT_CHALLENGE", session, USERNAME="alice", ANSWER="PASSWORD_SRP",
        SRP_A=parameters["SRP_A"],
    )  # fmt: skip
    assert answer["ChallengeName"] == "PASSWORD_VERIFIER"
    responses = helper.process_challenge(answer["ChallengeParameters"], parameters)
    tokens_of(respond(live, client_id, "PASSWORD_VERIFIER", None, **responses))


def test_unknown_users(live: ServerProcess) -> None:
    pool_id, client_id = choice_pool(live)
    with pytest.raises(ClientError) as excinfo:
        user_auth(live, client_id, "ghost")
    assert error_of(excinfo) == ("UserNotFoundException", "User does not exist.")
    # A client that hides existence offers the password, and fails only there.
    hiding = user_auth_client(live, pool_id, PreventUserExistenceErrors="ENABLED")
    answer = user_auth(live, hiding, "ghost", PREFERRED_CHALLENGE="EMAIL_OTP")
    assert answer["AvailableChallenges"] == ["PASSWORD", "PASSWORD_SRP"]
    with pytest.raises(ClientError) as excinfo:
        respond(
            live, hiding, "SELECT_CHALLENGE", answer["Session"], USERNAME="ghost",
            ANSWER="PASSWORD", PASSWORD=PASSWORD,
        )  # fmt: skip
    assert error_of(excinfo) == ("NotAuthorizedException", INCORRECT)


# ---- passwordless one-time codes --------------------------------------------------------------


def test_email_otp_sign_in_with_the_code_from_the_mailbox(live: ServerProcess) -> None:
    pool_id, client_id = choice_pool(live)
    add_user(live, pool_id, "alice", password=None)
    assert user_of(live, pool_id, "alice")["attributes"].get("email_verified") != "true"
    answer = user_auth(live, client_id, "alice", PREFERRED_CHALLENGE="EMAIL_OTP")
    assert answer["ChallengeName"] == "EMAIL_OTP"
    assert answer["ChallengeParameters"]["CODE_DELIVERY_DELIVERY_MEDIUM"] == "EMAIL"
    assert answer["ChallengeParameters"]["CODE_DELIVERY_DESTINATION"] == "a***@e***"
    code = newest_code(live, pool_id, "alice")
    with pytest.raises(ClientError) as excinfo:
        respond(
            live,
            client_id,
            "EMAIL_OTP",
            answer["Session"],
            USERNAME="alice",
            EMAIL_OTP_CODE="000000" if code != "000000" else "111111",
        )
    assert error_of(excinfo)[0] == "CodeMismatchException"
    answer = respond(
        live, client_id, "EMAIL_OTP", answer["Session"], USERNAME="alice", EMAIL_OTP_CODE=code
    )
    tokens_of(answer)
    # The code proved the address.
    assert user_of(live, pool_id, "alice")["attributes"]["email_verified"] == "true"


def test_sms_otp_chosen_from_the_list_with_the_code_from_the_sms_outbox(
    live: ServerProcess,
) -> None:
    pool_id, client_id = choice_pool(live)
    add_user(live, pool_id, "alice", phone=PHONE)
    session = user_auth(live, client_id, "alice")["Session"]
    answer = respond(
        live, client_id, "SELECT_CHALLENGE", session, USERNAME="alice", ANSWER="SMS_OTP"
    )
    assert answer["ChallengeName"] == "SMS_OTP"
    assert answer["ChallengeParameters"]["CODE_DELIVERY_DELIVERY_MEDIUM"] == "SMS"
    sms = newest_sms(live, "alice")
    assert sms["destination"] == PHONE
    assert sms["code"] in sms["text"]
    answer = respond(
        live, client_id, "SMS_OTP", answer["Session"], USERNAME="alice", SMS_OTP_CODE=sms["code"]
    )
    tokens_of(answer)
    assert user_of(live, pool_id, "alice")["attributes"]["phone_number_verified"] == "true"


def test_one_time_codes_and_mfa(live: ServerProcess) -> None:
    """ "Passwordless authentication flows aren't compatible with required multi-factor
    authentication (MFA) ... If MFA is optional ..., users who have activated MFA can't
    sign in with a passwordless first factor." (authentication-flow-methods.html)"""
    pool_id, client_id = choice_pool(live, AutoVerifiedAttributes=["phone_number"])
    add_user(live, pool_id, "alice", phone=PHONE)
    add_user(live, pool_id, "bob", phone=PHONE)
    cognito = idp(live)
    cognito.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        MfaConfiguration="OPTIONAL",
        SmsMfaConfiguration={
            "SmsConfiguration": {"SnsCallerArn": "arn:aws:iam::123456789012:role/cognito-sms"}
        },
    )
    cognito.admin_set_user_mfa_preference(
        UserPoolId=pool_id, Username="bob", SMSMfaSettings={"Enabled": True}
    )
    assert user_auth(live, client_id, "alice")["AvailableChallenges"] == ALL_CHOICES_WITHOUT_PASSKEY
    assert user_auth(live, client_id, "bob")["AvailableChallenges"] == ["PASSWORD", "PASSWORD_SRP"]
    cognito.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        MfaConfiguration="ON",
        SmsMfaConfiguration={
            "SmsConfiguration": {"SnsCallerArn": "arn:aws:iam::123456789012:role/cognito-sms"}
        },
    )
    assert user_auth(live, client_id, "alice")["AvailableChallenges"] == [
        "PASSWORD",
        "PASSWORD_SRP",
    ]
    # A password first factor goes on to MFA as in any flow.
    answer = user_auth(live, client_id, "bob", PREFERRED_CHALLENGE="PASSWORD", PASSWORD=PASSWORD)
    assert answer["ChallengeName"] == "SMS_MFA"


# ---- passwordless users --------------------------------------------------------------------


def test_passwordless_sign_up_signs_in_with_confirm_sign_ups_session(live: ServerProcess) -> None:
    pool_id, client_id = choice_pool(live, AutoVerifiedAttributes=["email"])
    cognito = idp(live)
    signed_up = cognito.sign_up(
        ClientId=client_id,
        Username="dana",
        UserAttributes=[{"Name": "email", "Value": "dana@example.com"}],
    )
    assert signed_up["UserConfirmed"] is False
    assert len(signed_up["Session"]) >= 20
    code = newest_code(live, pool_id, "dana")
    with pytest.raises(ClientError) as excinfo:
        cognito.confirm_sign_up(
            ClientId=client_id, Username="dana", ConfirmationCode=code, Session="x" * 40
        )
    assert error_of(excinfo) == ("NotAuthorizedException", "Invalid session for the user.")
    confirmed = cognito.confirm_sign_up(
        ClientId=client_id, Username="dana", ConfirmationCode=code, Session=signed_up["Session"]
    )
    answer = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_AUTH",
        AuthParameters={"USERNAME": "dana"},
        Session=confirmed["Session"],
    )
    tokens_of(answer)
    # One sign-in per session.
    with pytest.raises(ClientError) as excinfo:
        cognito.initiate_auth(
            ClientId=client_id,
            AuthFlow="USER_AUTH",
            AuthParameters={"USERNAME": "dana"},
            Session=confirmed["Session"],
        )
    assert error_of(excinfo) == ("NotAuthorizedException", "Invalid session for the user.")
    # dana has no password: the one-time code is her way in.
    assert user_auth(live, client_id, "dana")["AvailableChallenges"] == ["EMAIL_OTP"]


def test_confirm_sign_up_gives_a_session_without_one_given(live: ServerProcess) -> None:
    pool_id, client_id = choice_pool(live, AutoVerifiedAttributes=["email"])
    cognito = idp(live)
    cognito.sign_up(
        ClientId=client_id,
        Username="erin",
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": "erin@example.com"}],
    )
    code = newest_code(live, pool_id, "erin")
    confirmed = cognito.confirm_sign_up(ClientId=client_id, Username="erin", ConfirmationCode=code)
    answer = cognito.initiate_auth(
        ClientId=client_id, AuthFlow="USER_AUTH", AuthParameters={"USERNAME": "erin"},
        Session=confirmed["Session"],
    )  # fmt: skip
    tokens_of(answer)


def test_sign_up_without_a_password_needs_passwordless_sign_in(live: ServerProcess) -> None:
    _, client_id = choice_pool(live, ["PASSWORD", "WEB_AUTHN"])
    with pytest.raises(ClientError) as excinfo:
        idp(live).sign_up(ClientId=client_id, Username="finn")
    assert error_of(excinfo)[0] == "InvalidParameterException"


def test_admin_created_passwordless_user(live: ServerProcess) -> None:
    pool_id, client_id = choice_pool(live)
    cognito = idp(live)
    created = cognito.admin_create_user(
        UserPoolId=pool_id,
        Username="gwen",
        UserAttributes=[{"Name": "email", "Value": "gwen@example.com"}],
        DesiredDeliveryMediums=["EMAIL"],
    )["User"]
    # No password generated: nothing to change, so no FORCE_CHANGE_PASSWORD.
    assert created["UserStatus"] == "CONFIRMED"
    assert user_auth(live, client_id, "gwen")["AvailableChallenges"] == ["EMAIL_OTP"]
    answer = user_auth(live, client_id, "gwen", PREFERRED_CHALLENGE="EMAIL_OTP")
    code = newest_code(live, pool_id, "gwen")
    access = tokens_of(
        respond(
            live, client_id, "EMAIL_OTP", answer["Session"], USERNAME="gwen", EMAIL_OTP_CODE=code
        )
    )["AccessToken"]
    # A user without a password sets one without PreviousPassword.
    cognito.change_password(AccessToken=access, ProposedPassword=PASSWORD)
    assert user_auth(live, client_id, "gwen")["AvailableChallenges"] == [
        "PASSWORD",
        "PASSWORD_SRP",
        "EMAIL_OTP",
    ]
    with pytest.raises(ClientError) as excinfo:
        cognito.change_password(AccessToken=access, ProposedPassword="Another-Passw0rd!")
    assert error_of(excinfo)[0] == "InvalidParameterException"


# ---- GetUserAuthFactors ------------------------------------------------------------------


def test_user_auth_factors(live: ServerProcess) -> None:
    pool_id, client_id = choice_pool(live)
    add_user(live, pool_id, "alice", phone=PHONE)
    cognito = idp(live)
    answer = user_auth(live, client_id, "alice", PREFERRED_CHALLENGE="PASSWORD", PASSWORD=PASSWORD)
    access = tokens_of(answer)["AccessToken"]
    factors = cognito.get_user_auth_factors(AccessToken=access)
    assert factors["Username"] == "alice"
    assert factors["ConfiguredUserAuthFactors"] == ["PASSWORD", "EMAIL_OTP", "SMS_OTP"]
    assert "PreferredMfaSetting" not in factors
    admin = cognito.admin_get_user_auth_factors(UserPoolId=pool_id, Username="alice")
    assert admin["ConfiguredUserAuthFactors"] == factors["ConfiguredUserAuthFactors"]
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_get_user_auth_factors(UserPoolId=pool_id, Username="nobody")
    assert error_of(excinfo)[0] == "UserNotFoundException"


# ---- feature plans and the sign-in policy -----------------------------------------------------


def test_lite_pools_refuse_choice_based_sign_in(live: ServerProcess) -> None:
    cognito = idp(live)
    lite = cognito.create_user_pool(PoolName="lite", UserPoolTier="LITE")["UserPool"]["Id"]
    with pytest.raises(ClientError) as excinfo:
        user_auth_client(live, lite)
    assert error_of(excinfo)[0] == "FeatureUnavailableInTierException"
    with pytest.raises(ClientError) as excinfo:
        cognito.update_user_pool(
            UserPoolId=lite, Policies=sign_in_policy(["PASSWORD", "EMAIL_OTP"])
        )
    assert error_of(excinfo)[0] == "FeatureUnavailableInTierException"
    # A client made on ESSENTIALS stops working when its pool moves to LITE.
    pool_id, client_id = choice_pool(live, ["PASSWORD"])
    add_user(live, pool_id, "alice")
    cognito.update_user_pool(UserPoolId=pool_id, UserPoolTier="LITE")
    with pytest.raises(ClientError) as excinfo:
        user_auth(live, client_id, "alice", PREFERRED_CHALLENGE="PASSWORD", PASSWORD=PASSWORD)
    assert error_of(excinfo)[0] == "FeatureUnavailableInTierException"


@pytest.mark.parametrize(
    "factors",
    [["EMAIL_OTP"], ["WEB_AUTHN"], ["EMAIL_OTP", "WEB_AUTHN"], ["PASSWORD", "SOFTWARE_TOKEN"]],
)
def test_sign_in_policy_rules(live: ServerProcess, factors: list[str]) -> None:
    cognito = idp(live)
    with pytest.raises(ClientError) as excinfo:
        cognito.create_user_pool(PoolName="p", Policies=sign_in_policy(factors))
    assert error_of(excinfo)[0] == "InvalidParameterException"
    pool_id = cognito.create_user_pool(PoolName="p")["UserPool"]["Id"]
    with pytest.raises(ClientError) as excinfo:
        cognito.update_user_pool(UserPoolId=pool_id, Policies=sign_in_policy(factors))
    assert error_of(excinfo)[0] == "InvalidParameterException"
    shown = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]["Policies"]
    assert shown["SignInPolicy"] == {"AllowedFirstAuthFactors": ["PASSWORD"]}
