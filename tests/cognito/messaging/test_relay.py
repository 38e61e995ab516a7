"""Every message is relayed: mail Cognito's default sender sends reaches the `--relay`
SMTP server as SES mail does (a real aiosmtpd listener)."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.cognito.helpers import PASSWORD
from tests.ses.test_smtp import Inbox, inbox, wait_for
from tests.support.server import ServerProcess

__all__ = ["inbox"]


def test_default_sender_mail_is_relayed(inbox: tuple[Inbox, int], tmp_path: Path) -> None:
    handler, port = inbox
    server = ServerProcess(
        ["--data-dir", str(tmp_path), "--relay", f"smtp://127.0.0.1:{port}"]
    ).start()
    try:
        cognito = server.client("cognito-idp")
        pool_id = cognito.create_user_pool(PoolName="shop", AutoVerifiedAttributes=["email"])[
            "UserPool"
        ]["Id"]
        client_id = cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="web")[
            "UserPoolClient"
        ]["ClientId"]
        cognito.sign_up(
            ClientId=client_id,
            Username="jane",
            Password=PASSWORD,
            UserAttributes=[{"Name": "email", "Value": "jane@example.org"}],
        )
        wait_for(lambda: handler.received)
        envelope_from, recipients, content = handler.received[-1]
        assert envelope_from == "no-reply@verificationemail.com"
        assert recipients == ["jane@example.org"]
        code = httpx.get(
            f"{server.url}/_poolmail/codes", params={"pool_id": pool_id, "username": "jane"}
        ).json()
        assert code["code"].encode() in content
        events = httpx.get(f"{server.url}/_poolmail/messages/{code['message_id']}/events").json()
        assert [event["type"] for event in events["events"]][-1] == "Relayed"
        # Mail sent outside the sign-up's own transaction (a resent code) goes too.
        cognito.resend_confirmation_code(ClientId=client_id, Username="jane")
        wait_for(lambda: len(handler.received) == 2)
    finally:
        server.stop()
