"""A tiny application under test: it signs customers up and in through Cognito and mails
them through SES, with boto3 clients it makes itself (region, endpoint and credentials come
from the environment, as in production)."""

from __future__ import annotations

from typing import Any

import boto3


def register(client_id: str, email: str, password: str) -> None:
    boto3.client("cognito-idp").sign_up(
        ClientId=client_id,
        Username=email,
        Password=password,
        UserAttributes=[{"Name": "email", "Value": email}],
    )


def confirm(client_id: str, email: str, code: str) -> None:
    boto3.client("cognito-idp").confirm_sign_up(
        ClientId=client_id, Username=email, ConfirmationCode=code
    )


def sign_in(client_id: str, email: str, password: str) -> dict[str, Any]:
    answer = boto3.client("cognito-idp").initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": email, "PASSWORD": password},
    )
    tokens: dict[str, Any] = answer["AuthenticationResult"]
    return tokens


def send_receipt(sender: str, to: str, order: str) -> str:
    sent = boto3.client("sesv2").send_email(
        FromEmailAddress=sender,
        Destination={"ToAddresses": [to]},
        Content={
            "Simple": {
                "Subject": {"Data": f"Your order {order}"},
                "Body": {"Text": {"Data": f"Thank you for order {order}."}},
            }
        },
    )
    message_id: str = sent["MessageId"]
    return message_id
