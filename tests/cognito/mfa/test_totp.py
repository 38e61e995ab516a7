"""Authenticator-app MFA through boto3: association, verification, preference, the
SOFTWARE_TOKEN_MFA challenge on the password and SRP flows, MFA_SETUP in a required pool."""

from __future__ import annotations

import json

import pyotp
import pytest
from botocore.exceptions import ClientError
from pycognito.aws_srp import AWSSRP

from tests.cognito.helpers import PASSWORD, auth_pool, confirmed_user, error_of, idp
from tests.cognito.mfa.helpers import (
    access_token,
    add_totp,
    sign_in,
    totp_code,
    totp_pool,
)
from tests.ses.helpers import advance
from tests.support.server import ServerProcess

MISMATCH = ("CodeMismatchException", "Invalid code or auth state for the user.")


def test_totp_sign_in_with_a_code_from_pyotp(live: ServerProcess) -> None:
    _, client_id = totp_pool(live)
    cognito = idp(live)
    token = access_token(live, client_id)
    app = add_totp(live, token)
    # Verified is not yet on: the user still signs in with the password alone.
    assert "AuthenticationResult" in sign_in(live, client_id)
    user = cognito.get_user(AccessToken=token)
    assert "UserMFASettingList" not in user
    cognito.set_user_mfa_preference(
        AccessToken=token, SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True}
    )
    user = cognito.get_user(AccessToken=token)
    assert user["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"]
    assert user["PreferredMfaSetting"] == "SOFTWARE_TOKEN_MFA"

    challenge = sign_in(live, client_id)
    assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    assert challenge["ChallengeParameters"] == {
        "FRIENDLY_DEVICE_NAME": "phone",
        "USER_ID_FOR_SRP": "alice",
    }
    with pytest.raises(ClientError) as excinfo:
        cognito.respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName="SOFTWARE_TOKEN_MFA",
            Session=challenge["Session"],
            ChallengeResponses={"USERNAME": "alice", "SOFTWARE_TOKEN_MFA_CODE": "000000"},
        )
    assert error_of(excinfo) == MISMATCH
    # The session survives a wrong code; the right one (a step late is accepted) signs in.
    done = cognito.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=challenge["Session"],
        ChallengeResponses={
            "USERNAME": "alice",
            "SOFTWARE_TOKEN_MFA_CODE": totp_code(live, app, -1),
        },
    )
    assert done["AuthenticationResult"]["TokenType"] == "Bearer"
    # Sessions are single-use.
    with pytest.raises(ClientError) as excinfo:
        cognito.respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName="SOFTWARE_TOKEN_MFA",
            Session=challenge["Session"],
            ChallengeResponses={
                "USERNAME": "alice",
                "SOFTWARE_TOKEN_MFA_CODE": totp_code(live, app),
            },
        )
    assert error_of(excinfo) == ("NotAuthorizedException", "Invalid session for the user.")


def test_codes_outside_one_step_and_expired_sessions_fail(live: ServerProcess) -> None:
    pool_id, client_id = totp_pool(live)
    cognito = idp(live)
    token = access_token(live, client_id)
    app = add_totp(live, token)
    cognito.admin_set_user_mfa_preference(
        UserPoolId=pool_id, Username="alice", SoftwareTokenMfaSettings={"Enabled": True}
    )
    challenge = sign_in(live, client_id)
    for steps in (-3, 3):
        with pytest.raises(ClientError) as excinfo:
            cognito.respond_to_auth_challenge(
                ClientId=client_id,
                ChallengeName="SOFTWARE_TOKEN_MFA",
                Session=challenge["Session"],
                ChallengeResponses={
                    "USERNAME": "alice",
                    "SOFTWARE_TOKEN_MFA_CODE": totp_code(live, app, steps),
                },
            )
        assert error_of(excinfo) == MISMATCH
    challenge = sign_in(live, client_id)
    advance(live, 181)  # the client's AuthSessionValidity: three minutes
    with pytest.raises(ClientError) as excinfo:
        cognito.respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName="SOFTWARE_TOKEN_MFA",
            Session=challenge["Session"],
            ChallengeResponses={
                "USERNAME": "alice",
                "SOFTWARE_TOKEN_MFA_CODE": totp_code(live, app),
            },
        )
    assert error_of(excinfo) == (
        "NotAuthorizedException",
        "Invalid session for the user, session is expired.",
    )


def test_totp_after_srp(live: ServerProcess) -> None:
    pool_id, client_id = totp_pool(live)
    app = add_totp(live, access_token(live, client_id))
    cognito = idp(live)
    cognito.admin_set_user_mfa_preference(
        UserPoolId=pool_id,
        Username="alice",
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
    )
    srp = AWSSRP("alice", PASSWORD, pool_id, client_id, client=cognito)
    start = cognito.initiate_auth(
        ClientId=client_id, AuthFlow="USER_SRP_AUTH", AuthParameters=srp.get_auth_params()
    )
    answers = srp.process_challenge(start["ChallengeParameters"], {"USERNAME": "alice"})
    challenge = cognito.respond_to_auth_challenge(
        ClientId=client_id, ChallengeName="PASSWORD_VERIFIER", ChallengeResponses=answers
    )
    assert challenge["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    done = cognito.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="SOFTWARE_TOKEN_MFA",
        Session=challenge["Session"],
        ChallengeResponses={"USERNAME": "alice", "SOFTWARE_TOKEN_MFA_CODE": totp_code(live, app)},
    )
    assert "AccessToken" in done["AuthenticationResult"]


def test_mfa_setup_in_a_required_pool(live: ServerProcess) -> None:
    pool_id, client_id = totp_pool(live, mode="ON")
    cognito = idp(live)
    challenge = cognito.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "alice", "PASSWORD": PASSWORD},
    )
    assert challenge["ChallengeName"] == "MFA_SETUP"
    assert json.loads(challenge["ChallengeParameters"]["MFAS_CAN_SETUP"]) == ["SOFTWARE_TOKEN_MFA"]
    # Answering MFA_SETUP before an app is verified does not complete the sign-in.
    with pytest.raises(ClientError) as excinfo:
        cognito.respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName="MFA_SETUP",
            Session=challenge["Session"],
            ChallengeResponses={"USERNAME": "alice"},
        )
    assert error_of(excinfo)[0] == "NotAuthorizedException"
    challenge = sign_in(live, client_id)
    associated = cognito.associate_software_token(Session=challenge["Session"])
    assert len(associated["SecretCode"]) >= 16
    app = pyotp.TOTP(associated["SecretCode"])
    with pytest.raises(ClientError) as excinfo:
        cognito.verify_software_token(Session=associated["Session"], UserCode="123456")
    assert error_of(excinfo) == (
        "EnableSoftwareTokenMFAException",
        "Code mismatch and fail enable Software Token MFA",
    )
    verified = cognito.verify_software_token(
        Session=associated["Session"], UserCode=totp_code(live, app)
    )
    assert verified["Status"] == "SUCCESS"
    done = cognito.respond_to_auth_challenge(
        ClientId=client_id,
        ChallengeName="MFA_SETUP",
        Session=verified["Session"],
        ChallengeResponses={"USERNAME": "alice"},
    )
    token = done["AuthenticationResult"]["AccessToken"]
    user = cognito.get_user(AccessToken=token)
    assert user["UserMFASettingList"] == ["SOFTWARE_TOKEN_MFA"]
    assert user["PreferredMfaSetting"] == "SOFTWARE_TOKEN_MFA"
    # From now on the app is asked; MFA cannot be turned off in a required pool.
    assert sign_in(live, client_id)["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    with pytest.raises(ClientError) as excinfo:
        cognito.set_user_mfa_preference(
            AccessToken=token, SoftwareTokenMfaSettings={"Enabled": False}
        )
    assert error_of(excinfo)[0] == "InvalidParameterException"


def test_association_errors_and_admin_delete(live: ServerProcess) -> None:
    pool_id, client_id = auth_pool(live)
    confirmed_user(live, pool_id, "alice")
    cognito = idp(live)
    token = access_token(live, client_id)
    # The pool offers no authenticator apps.
    with pytest.raises(ClientError) as excinfo:
        cognito.associate_software_token(AccessToken=token)
    assert error_of(excinfo) == (
        "SoftwareTokenMFANotFoundException",
        "Software Token MFA has not been enabled by the userPool",
    )
    with pytest.raises(ClientError) as excinfo:
        cognito.associate_software_token(AccessToken="not-a-token")
    assert error_of(excinfo) == ("NotAuthorizedException", "Invalid Access Token")
    cognito.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        MfaConfiguration="OPTIONAL",
        SoftwareTokenMfaConfiguration={"Enabled": True},
    )
    with pytest.raises(ClientError) as excinfo:
        cognito.verify_software_token(AccessToken=token, UserCode="123456")
    assert error_of(excinfo) == (
        "InvalidParameterException",
        "User has not set up software token mfa",
    )
    with pytest.raises(ClientError) as excinfo:
        cognito.set_user_mfa_preference(
            AccessToken=token, SoftwareTokenMfaSettings={"Enabled": True}
        )
    assert error_of(excinfo) == (
        "InvalidParameterException",
        "User has not verified software token mfa",
    )
    add_totp(live, token)
    cognito.set_user_mfa_preference(AccessToken=token, SoftwareTokenMfaSettings={"Enabled": True})
    assert sign_in(live, client_id)["ChallengeName"] == "SOFTWARE_TOKEN_MFA"
    cognito.admin_delete_software_token(UserPoolId=pool_id, Username="alice")
    assert "AuthenticationResult" in sign_in(live, client_id)
    user = cognito.admin_get_user(UserPoolId=pool_id, Username="alice")
    assert user["UserMFASettingList"] == []
