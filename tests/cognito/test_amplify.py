"""Amplify JS from npm, unmodified, in Node against the server. Amplify JS v6 (`aws-amplify`,
configured with `userPoolEndpoint`, `js/amplify.mjs`): sign-up and SRP sign-in,
authenticator-app MFA set up and used through `confirmSignIn`, a passwordless EMAIL_OTP
sign-in, a forced token refresh; each scenario reports the Cognito operations Amplify
called, so the test also pins which API each step goes through. Amplify JS v5's Cognito
library, amazon-cognito-identity-js (`js/totp.mjs`): TOTP set-up and sign-in, MFA_SETUP.
The pools are made with boto3."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.cognito.helpers import FLOWS, auth_pool, confirmed_user, idp, latest_mail
from tests.cognito.mfa.helpers import DOMAIN_ARN, totp_pool
from tests.cognito.test_client_libraries import JS_DIR
from tests.ses.helpers import production_access, verify
from tests.support.npm import pinned_node_modules
from tests.support.server import ServerProcess


@pytest.fixture(scope="session")
def pinned_modules() -> Path:
    """js/node_modules with every pin of package.json, installed from package-lock.json when
    one is missing (a tree installed before a pin was added is installed again)."""
    return pinned_node_modules(JS_DIR)


def run_script(
    server: ServerProcess, script: str, scenario: str, pool_id: str, client_id: str
) -> dict[str, Any]:
    done = subprocess.run(
        ["node", script, server.url, scenario, pool_id, client_id],
        cwd=JS_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def run_amplify(
    server: ServerProcess, scenario: str, pool_id: str, client_id: str
) -> dict[str, Any]:
    return run_script(server, "amplify.mjs", scenario, pool_id, client_id)


def test_sign_up_confirm_and_srp_sign_in(live: ServerProcess, pinned_modules: Path) -> None:
    pool_id, client_id = auth_pool(live, AutoVerifiedAttributes=["email"])
    report = run_amplify(live, "signup", pool_id, client_id)
    assert report["signUp"] == {
        "isSignUpComplete": False,
        "step": "CONFIRM_SIGN_UP",
        "medium": "EMAIL",
        "destination": "j***@e***",
        "hasUserId": True,
    }
    assert report["confirmSignUp"] == {"isSignUpComplete": True, "step": "DONE"}
    assert report["signIn"] == {"isSignedIn": True, "step": "DONE"}
    session = report["session"]
    assert session["username"] == "jay"
    assert session["tokenUse"] == ["id", "access"]
    assert (session["email"], session["emailVerified"]) == ("jay@example.com", True)
    assert report["currentUser"] == {"username": "jay", "userIdIsSub": True}
    assert report["calls"] == [
        "SignUp",
        "ConfirmSignUp",
        "InitiateAuth",
        "RespondToAuthChallenge",
    ]


def test_totp_set_up_and_sign_in_through_confirm_sign_in(
    live: ServerProcess, pinned_modules: Path
) -> None:
    pool_id, client_id = totp_pool(live)
    report = run_amplify(live, "totp", pool_id, client_id)
    assert report["firstSignIn"] == "DONE"
    assert report["setupUri"] == {
        "protocol": "otpauth:",
        "issuer": "poolmail",
        "label": "alice",
        "digits": 6,
        "period": 30,
    }
    assert report["mfaPreference"] == {"enabled": ["TOTP"], "preferred": "TOTP"}
    assert report["challenge"] == {"isSignedIn": False, "step": "CONFIRM_SIGN_IN_WITH_TOTP_CODE"}
    assert report["wrongCode"] == (
        "CodeMismatchException: Invalid code or auth state for the user."
    )
    assert report["confirmSignIn"] == {"isSignedIn": True, "step": "DONE"}
    assert report["session"]["username"] == "alice"
    user = idp(live).admin_get_user(UserPoolId=pool_id, Username="alice")
    assert user["PreferredMfaSetting"] == "SOFTWARE_TOKEN_MFA"
    assert report["calls"] == [
        "InitiateAuth",
        "RespondToAuthChallenge",
        "AssociateSoftwareToken",
        "VerifySoftwareToken",
        "SetUserMFAPreference",
        "GetUser",
        "RevokeToken",
        "InitiateAuth",
        "RespondToAuthChallenge",
        "RespondToAuthChallenge",
        "RespondToAuthChallenge",
    ]


def passwordless_pool(server: ServerProcess) -> tuple[str, str]:
    """A pool sending through SES (example.com verified, production access) whose users may
    sign in with an email code, a USER_AUTH client, and alice."""
    verify(server, "example.com")
    production_access(server)
    pool_id, client_id = auth_pool(
        server,
        EmailConfiguration={"SourceArn": DOMAIN_ARN, "EmailSendingAccount": "DEVELOPER"},
        Policies={"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "EMAIL_OTP"]}},
    )
    idp(server).update_user_pool_client(
        UserPoolId=pool_id, ClientId=client_id, ExplicitAuthFlows=[*FLOWS, "ALLOW_USER_AUTH"]
    )
    confirmed_user(server, pool_id, "alice")
    return pool_id, client_id


def test_passwordless_email_otp_sign_in(live: ServerProcess, pinned_modules: Path) -> None:
    pool_id, client_id = passwordless_pool(live)
    report = run_amplify(live, "email-otp", pool_id, client_id)
    assert report["challenge"] == {
        "isSignedIn": False,
        "step": "CONFIRM_SIGN_IN_WITH_EMAIL_CODE",
        "medium": "EMAIL",
        "destination": "a***@e***",
    }
    assert report["confirmSignIn"] == {"isSignedIn": True, "step": "DONE"}
    assert report["session"]["username"] == "alice"
    assert report["calls"] == ["InitiateAuth", "RespondToAuthChallenge"]
    # The code was a real mail through the pool's own SES identity.
    mail = latest_mail(live, "alice@example.com")
    assert mail["details"]["email_sending_account"] == "DEVELOPER"


@pytest.mark.parametrize("rotation", [False, True], ids=["kept", "rotated"])
def test_forced_refresh_goes_through_get_tokens_from_refresh_token(
    live: ServerProcess, pinned_modules: Path, rotation: bool
) -> None:
    pool_id, client_id = auth_pool(live)
    if rotation:
        # AWS refuses ALLOW_REFRESH_TOKEN_AUTH beside rotation: GetTokensFromRefreshToken only.
        idp(live).update_user_pool_client(
            UserPoolId=pool_id,
            ClientId=client_id,
            ExplicitAuthFlows=[flow for flow in FLOWS if flow != "ALLOW_REFRESH_TOKEN_AUTH"],
            RefreshTokenRotation={"Feature": "ENABLED", "RetryGracePeriodSeconds": 0},
        )
    confirmed_user(live, pool_id, "alice")
    report = run_amplify(live, "refresh", pool_id, client_id)
    assert report["signIn"] == "DONE"
    # Three sessions: the sign-in's and two forced refreshes, each with new tokens ...
    assert (report["accessTokens"], report["idTokens"]) == (3, 3)
    first, *refreshed = report["sessions"]
    assert len({session["jti"] for session in report["sessions"]}) == 3
    for session in refreshed:
        assert session["iat"] >= first["iat"]
        # ... of the same sign-in: same origin and authentication time.
        assert session["originJti"] == first["originJti"]
        assert session["authTime"] == first["authTime"]
    # With rotation, each refresh returned a new refresh token, which Amplify kept and used.
    assert report["refreshTokens"] == (3 if rotation else 1)
    assert report["email"] == "alice@example.com"
    assert report["calls"] == [
        "InitiateAuth",
        "RespondToAuthChallenge",
        "GetTokensFromRefreshToken",
        "GetTokensFromRefreshToken",
        "GetUser",
    ]


# ---- amazon-cognito-identity-js ----------------------------------------------------------

TOTP_PARAMETERS = {"FRIENDLY_DEVICE_NAME": "phone", "USER_ID_FOR_SRP": "alice"}
WRONG_CODE = "CodeMismatchException: Invalid code or auth state for the user."


def test_cognito_identity_js_totp_sign_in(live: ServerProcess, pinned_modules: Path) -> None:
    pool_id, client_id = totp_pool(live)
    report = run_script(live, "totp.mjs", "totp", pool_id, client_id)
    assert report["firstSignIn"] == "signed in"
    assert report["verified"] == {"Status": "SUCCESS"}
    assert report["preference"] == "SUCCESS"
    assert report["challenge"] == {"name": "SOFTWARE_TOKEN_MFA", "parameters": TOTP_PARAMETERS}
    assert report["wrongCode"] == WRONG_CODE
    assert report["signedIn"] == {"valid": True, "username": "alice"}


def test_cognito_identity_js_mfa_setup_in_a_required_pool(
    live: ServerProcess, pinned_modules: Path
) -> None:
    pool_id, client_id = totp_pool(live, mode="ON")
    report = run_script(live, "totp.mjs", "mfa-setup", pool_id, client_id)
    # The library reads MFAS_CAN_SETUP, a JSON-encoded list.
    assert report["setup"]["name"] == "MFA_SETUP"
    assert report["setup"]["parameters"]["MFAS_CAN_SETUP"] == '["SOFTWARE_TOKEN_MFA"]'
    assert report["setupSignedIn"] is True
    assert report["challenge"] == {"name": "SOFTWARE_TOKEN_MFA", "parameters": TOTP_PARAMETERS}
    assert report["wrongCode"] == WRONG_CODE
    assert report["signedIn"] == {"valid": True, "username": "alice"}
