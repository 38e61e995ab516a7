"""What the SMS tests share: a pool that texts, and reading the SMS outbox over HTTP."""

from __future__ import annotations

from typing import Any

import httpx

from tests.cognito.helpers import PASSWORD, auth_client, idp, make_pool
from tests.support.server import ServerProcess

ROLE_ARN = "arn:aws:iam::123456789012:role/service-role/poolmail-sms"
SMS_CONFIGURATION = {"SnsCallerArn": ROLE_ARN, "ExternalId": "poolmail-test"}
NUMBER = "+15555550100"
MASKED = "+*******0100"
SMS_DELIVERY = {"Destination": MASKED, "DeliveryMedium": "SMS", "AttributeName": "phone_number"}
NO_CONFIGURATION = (
    "InvalidParameterException",
    "User pool does not have SMS configuration to send messages.",
)


def texting_pool(server: ServerProcess, **settings: Any) -> tuple[str, str]:
    """A pool that verifies phone numbers and may send SMS, with an app client for every
    password flow: (pool id, client id)."""
    settings.setdefault("AutoVerifiedAttributes", ["phone_number"])
    settings.setdefault("SmsConfiguration", SMS_CONFIGURATION)
    pool_id = make_pool(server, **settings)
    return pool_id, auth_client(server, pool_id)


def phone_user(
    server: ServerProcess, pool_id: str, username: str, number: str = NUMBER, **attributes: str
) -> None:
    """A confirmed user with a verified phone number and a permanent password."""
    given = {"phone_number": number, "phone_number_verified": "true", **attributes}
    cognito = idp(server)
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        UserAttributes=[{"Name": name, "Value": value} for name, value in given.items()],
        MessageAction="SUPPRESS",
    )
    cognito.admin_set_user_password(
        UserPoolId=pool_id, Username=username, Password=PASSWORD, Permanent=True
    )


def outbox(server: ServerProcess, **params: Any) -> list[dict[str, Any]]:
    answer = httpx.get(f"{server.url}/_poolmail/sms", params=params)
    answer.raise_for_status()
    found: list[dict[str, Any]] = answer.json()["messages"]
    return found


def latest_sms(server: ServerProcess, **params: Any) -> dict[str, Any]:
    answer = httpx.get(f"{server.url}/_poolmail/sms/latest", params=params)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def newest_code(server: ServerProcess, pool_id: str, username: str) -> dict[str, Any]:
    answer = httpx.get(
        f"{server.url}/_poolmail/codes", params={"pool_id": pool_id, "username": username}
    )
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found
