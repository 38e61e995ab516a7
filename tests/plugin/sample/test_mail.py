"""The shop's receipts through SES, and texts through Cognito: the sandbox, verified
identities, waiting for mail and reading the SMS outbox, with the plugin's fixtures only."""

from __future__ import annotations

import pytest
import shop
from botocore.exceptions import ClientError

from poolmail.testing import Poolmail


def test_the_sandbox_refuses_unverified_recipients(poolmail_env: Poolmail) -> None:
    poolmail_env.verify_identity("orders@shop.example")
    with pytest.raises(ClientError) as refused:
        shop.send_receipt("orders@shop.example", "jane@example.com", "A-1")
    assert refused.value.response["Error"]["Code"] == "MessageRejected"


def test_a_receipt_arrives_after_production_access(poolmail_env: Poolmail) -> None:
    poolmail_env.verify_identity("shop.example")  # a domain covers its addresses
    poolmail_env.grant_production_access()
    message_id = shop.send_receipt("orders@shop.example", "jane@example.com", "A-2")
    mail = poolmail_env.wait_for_message("jane@example.com", timeout=5)
    assert (mail["id"], mail["subject"]) == (message_id, "Your order A-2")
    assert "Thank you for order A-2." in mail["text"]


def test_a_sign_up_code_by_text(poolmail: Poolmail) -> None:
    cognito = poolmail.client("cognito-idp")
    pool_id = cognito.create_user_pool(
        PoolName="texts",
        AutoVerifiedAttributes=["phone_number"],
        SmsConfiguration={"SnsCallerArn": "arn:aws:iam::123456789012:role/cognito-sms"},
    )["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="app")[
        "UserPoolClient"
    ]["ClientId"]
    cognito.sign_up(
        ClientId=client_id,
        Username="jane",
        Password="Correct-Horse-9",
        UserAttributes=[{"Name": "phone_number", "Value": "+15555550100"}],
    )
    text = poolmail.wait_for_sms("+15555550100")
    assert text["code"] == poolmail.latest_code(pool_id, "jane")
    assert poolmail.sms(pool_id=pool_id) == [text]


@pytest.mark.parametrize("round_", range(6))
def test_every_test_starts_from_empty_state(poolmail: Poolmail, round_: int) -> None:
    cognito = poolmail.client("cognito-idp")
    assert cognito.list_user_pools(MaxResults=10)["UserPools"] == []
    assert poolmail.messages() == []
    cognito.create_user_pool(PoolName=f"round-{round_}")
    poolmail.client("ses").verify_email_identity(EmailAddress=f"round-{round_}@example.com")
