"""The shop's sign-up journey against poolmail, with the plugin's fixtures only: the shop's
code makes its own boto3 clients, and `poolmail_env` points them at the server."""

from __future__ import annotations

import pytest
import shop
from botocore.exceptions import ClientError

from poolmail.testing import Poolmail

PASSWORD = "Correct-Horse-9"


def shop_pool(poolmail: Poolmail) -> tuple[str, str]:
    """A pool that signs in with email and confirms it by code: (pool id, client id)."""
    cognito = poolmail.client("cognito-idp")
    pool_id = cognito.create_user_pool(
        PoolName="shop", UsernameAttributes=["email"], AutoVerifiedAttributes=["email"]
    )["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="web",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    return pool_id, client_id


def test_sign_up_confirm_and_sign_in(poolmail_env: Poolmail) -> None:
    pool_id, client_id = shop_pool(poolmail_env)

    shop.register(client_id, "jane@example.com", PASSWORD)
    mail = poolmail_env.wait_for_message("jane@example.com")
    code = poolmail_env.latest_code(pool_id, "jane@example.com")
    assert code in mail["text"]
    shop.confirm(client_id, "jane@example.com", code)

    tokens = shop.sign_in(client_id, "jane@example.com", PASSWORD)
    assert tokens["TokenType"] == "Bearer"


def test_a_wrong_code_is_refused(poolmail_env: Poolmail) -> None:
    _, client_id = shop_pool(poolmail_env)
    shop.register(client_id, "joe@example.com", PASSWORD)
    with pytest.raises(ClientError) as refused:
        shop.confirm(client_id, "joe@example.com", "000000")
    assert refused.value.response["Error"]["Code"] == "CodeMismatchException"


def test_the_code_expires_after_a_day(poolmail_env: Poolmail) -> None:
    pool_id, client_id = shop_pool(poolmail_env)
    shop.register(client_id, "ann@example.com", PASSWORD)
    code = poolmail_env.latest_code(pool_id, "ann@example.com")
    poolmail_env.advance_clock(24 * 3600 + 1)
    with pytest.raises(ClientError) as refused:
        shop.confirm(client_id, "ann@example.com", code)
    assert refused.value.response["Error"]["Code"] == "ExpiredCodeException"


def test_a_second_code_is_the_latest(poolmail_env: Poolmail) -> None:
    pool_id, client_id = shop_pool(poolmail_env)
    shop.register(client_id, "sam@example.com", PASSWORD)
    first = poolmail_env.wait_for_message("sam@example.com")
    poolmail_env.client("cognito-idp").resend_confirmation_code(
        ClientId=client_id, Username="sam@example.com"
    )
    second = poolmail_env.wait_for_message("sam@example.com")
    assert second["id"] != first["id"]
    code = poolmail_env.latest_code(pool_id, "sam@example.com")
    assert code in second["text"]
    shop.confirm(client_id, "sam@example.com", code)
