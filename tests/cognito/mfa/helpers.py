"""Pools, users and codes the MFA tests share."""

from __future__ import annotations

from typing import Any

import httpx
import pyotp

from tests.cognito.helpers import PASSWORD, auth_pool, confirmed_user, idp
from tests.ses.helpers import production_access, verify
from tests.support.server import ServerProcess

SMS_ROLE = {"SnsCallerArn": "arn:aws:iam::123456789012:role/cognito-sms", "ExternalId": "x1"}
DOMAIN_ARN = "arn:aws:ses:us-east-1:123456789012:identity/example.com"


def totp_pool(server: ServerProcess, mode: str = "OPTIONAL", **settings: Any) -> tuple[str, str]:
    """A pool with authenticator-app MFA, a client with every password flow, and alice."""
    pool_id, client_id = auth_pool(server, **settings)
    idp(server).set_user_pool_mfa_config(
        UserPoolId=pool_id,
        MfaConfiguration=mode,
        SoftwareTokenMfaConfiguration={"Enabled": True},
    )
    confirmed_user(server, pool_id, "alice")
    return pool_id, client_id


def email_mfa_pool(server: ServerProcess, mode: str = "OPTIONAL") -> tuple[str, str]:
    """A pool sending through SES (example.com verified, production access) with email MFA."""
    verify(server, "example.com")
    production_access(server)
    pool_id, client_id = auth_pool(
        server,
        EmailConfiguration={"SourceArn": DOMAIN_ARN, "EmailSendingAccount": "DEVELOPER"},
    )
    idp(server).set_user_pool_mfa_config(
        UserPoolId=pool_id,
        MfaConfiguration=mode,
        EmailMfaConfiguration={"Message": "Sign-in code: {####}", "Subject": "Your code"},
    )
    confirmed_user(server, pool_id, "alice")
    return pool_id, client_id


def sms_mfa_pool(server: ServerProcess, mode: str = "OPTIONAL") -> tuple[str, str]:
    pool_id, client_id = auth_pool(
        server, SmsConfiguration=SMS_ROLE, AutoVerifiedAttributes=["phone_number"]
    )
    idp(server).set_user_pool_mfa_config(
        UserPoolId=pool_id,
        MfaConfiguration=mode,
        SmsMfaConfiguration={
            "SmsAuthenticationMessage": "Your code is {####}",
            "SmsConfiguration": SMS_ROLE,
        },
    )
    confirmed_user(server, pool_id, "alice")
    idp(server).admin_update_user_attributes(
        UserPoolId=pool_id,
        Username="alice",
        UserAttributes=[{"Name": "phone_number", "Value": "+15555550123"}],
    )
    return pool_id, client_id


def sign_in(server: ServerProcess, client_id: str, username: str = "alice") -> dict[str, Any]:
    answer: dict[str, Any] = idp(server).initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
    )
    return answer


def access_token(server: ServerProcess, client_id: str, username: str = "alice") -> str:
    return str(sign_in(server, client_id, username)["AuthenticationResult"]["AccessToken"])


def add_totp(server: ServerProcess, token: str) -> pyotp.TOTP:
    """Associate and verify an authenticator app through the access token; the app."""
    cognito = idp(server)
    secret = cognito.associate_software_token(AccessToken=token)["SecretCode"]
    app = pyotp.TOTP(secret)
    answer = cognito.verify_software_token(
        AccessToken=token, UserCode=totp_code(server, app), FriendlyDeviceName="phone"
    )
    assert answer["Status"] == "SUCCESS"
    return app


def server_time(server: ServerProcess) -> float:
    return float(httpx.get(f"{server.url}/_poolmail/clock").json()["epoch"])


def totp_code(server: ServerProcess, app: pyotp.TOTP, steps: int = 0) -> str:
    """The app's code at the server's time, ``steps`` 30-second steps away."""
    return str(app.at(server_time(server) + 30 * steps))


def newest_code(server: ServerProcess, pool_id: str, username: str = "alice") -> str:
    answer = httpx.get(
        f"{server.url}/_poolmail/codes", params={"pool_id": pool_id, "username": username}
    )
    answer.raise_for_status()
    return str(answer.json()["code"])


def newest_sms(server: ServerProcess, destination: str) -> dict[str, Any]:
    answer = httpx.get(f"{server.url}/_poolmail/sms/latest", params={"destination": destination})
    answer.raise_for_status()
    found: dict[str, Any] = answer.json()
    return found
