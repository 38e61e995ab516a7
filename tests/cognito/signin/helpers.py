"""Pools, clients and users for choice-based sign-in and passkey tests: a pool that can
send email one-time codes (its own SES identity, DEVELOPER) and SMS (an SNS role), and a
client with ALLOW_USER_AUTH."""

from __future__ import annotations

from typing import Any

import httpx

from tests.cognito.helpers import PASSWORD, idp
from tests.ses.helpers import production_access, verify
from tests.support.server import ServerProcess

ACCOUNT = "123456789012"
DOMAIN_ARN = f"arn:aws:ses:us-east-1:{ACCOUNT}:identity/example.com"
EMAIL_CONFIGURATION = {
    "EmailSendingAccount": "DEVELOPER",
    "SourceArn": DOMAIN_ARN,
    "From": "no-reply@example.com",
}
SMS_CONFIGURATION = {"SnsCallerArn": f"arn:aws:iam::{ACCOUNT}:role/cognito-sms"}
ALL_FACTORS = ["PASSWORD", "EMAIL_OTP", "SMS_OTP", "WEB_AUTHN"]
USER_AUTH_FLOWS = ["ALLOW_USER_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]

__all__ = ["PASSWORD", "idp"]


def sign_in_policy(factors: list[str]) -> dict[str, Any]:
    return {"SignInPolicy": {"AllowedFirstAuthFactors": factors}}


def choice_pool(
    server: ServerProcess, factors: list[str] | None = None, **settings: Any
) -> tuple[str, str]:
    """A pool offering ``factors`` (all four by default) that sends mail through its own
    SES identity (production access, so any recipient) and SMS, and a USER_AUTH client."""
    verify(server, "example.com")
    production_access(server)
    settings.setdefault("EmailConfiguration", EMAIL_CONFIGURATION)
    settings.setdefault("SmsConfiguration", SMS_CONFIGURATION)
    settings.setdefault("Policies", sign_in_policy(factors or ALL_FACTORS))
    cognito = idp(server)
    pool_id = str(cognito.create_user_pool(PoolName="choices", **settings)["UserPool"]["Id"])
    return pool_id, user_auth_client(server, pool_id)


def user_auth_client(server: ServerProcess, pool_id: str, **settings: Any) -> str:
    settings.setdefault("ExplicitAuthFlows", USER_AUTH_FLOWS)
    client = idp(server).create_user_pool_client(UserPoolId=pool_id, ClientName="app", **settings)
    return str(client["UserPoolClient"]["ClientId"])


def add_user(
    server: ServerProcess,
    pool_id: str,
    username: str,
    *,
    password: str | None = PASSWORD,
    email: str | None = "",
    phone: str | None = None,
) -> None:
    """A CONFIRMED user with a password (unless ``password`` is None), an email address
    (``<username>@example.com`` unless given or None) and a phone number if given."""
    attributes = []
    if email is not None:
        attributes.append({"Name": "email", "Value": email or f"{username}@example.com"})
    if phone is not None:
        attributes.append({"Name": "phone_number", "Value": phone})
    cognito = idp(server)
    extra: dict[str, Any] = {}
    if password is not None:
        extra["TemporaryPassword"] = "Temp-Passw0rd!"
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        UserAttributes=attributes,
        MessageAction="SUPPRESS",
        **extra,
    )
    if password is not None:
        cognito.admin_set_user_password(
            UserPoolId=pool_id, Username=username, Password=password, Permanent=True
        )


def user_auth(
    server: ServerProcess, client_id: str, username: str, **parameters: str
) -> dict[str, Any]:
    answer: dict[str, Any] = idp(server).initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_AUTH",
        AuthParameters={"USERNAME": username, **parameters},
    )
    return answer


def respond(
    server: ServerProcess, client_id: str, challenge: str, session: str | None, **answers: str
) -> dict[str, Any]:
    extra = {"Session": session} if session is not None else {}
    answer: dict[str, Any] = idp(server).respond_to_auth_challenge(
        ClientId=client_id, ChallengeName=challenge, ChallengeResponses=answers, **extra
    )
    return answer


def tokens_of(answer: dict[str, Any]) -> dict[str, Any]:
    """The AuthenticationResult of a sign-in that needs no further challenge."""
    assert "ChallengeName" not in answer, answer
    result: dict[str, Any] = answer["AuthenticationResult"]
    assert {"AccessToken", "IdToken", "RefreshToken"} <= set(result)
    return result


def newest_code(server: ServerProcess, pool_id: str, username: str) -> str:
    """The code of the newest mail or SMS the pool sent the user."""
    found = httpx.get(
        f"{server.url}/_poolmail/codes", params={"pool_id": pool_id, "username": username}
    )
    found.raise_for_status()
    return str(found.json()["code"])


def newest_sms(server: ServerProcess, username: str) -> dict[str, Any]:
    found = httpx.get(f"{server.url}/_poolmail/sms/latest", params={"username": username})
    found.raise_for_status()
    sms: dict[str, Any] = found.json()
    return sms
