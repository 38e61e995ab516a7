"""Real client libraries, unmodified, against the server: pycognito from PyPI (SRP, token
verification against the served JWKS, refresh, sign-out), and in Node
amazon-cognito-identity-js with aws-jwt-verify and the AWS SDK v3 (`js/signin.mjs`)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from pycognito import Cognito

from tests.cognito.helpers import PASSWORD, auth_pool, code_for, confirmed_user, error_of, idp
from tests.support.npm import pinned_node_modules
from tests.support.server import ServerProcess

JS_DIR = Path(__file__).parent / "js"


def library(server: ServerProcess, pool_id: str, client_id: str, username: str) -> Cognito:
    return Cognito(
        pool_id,
        client_id,
        username=username,
        boto3_client_kwargs={
            "endpoint_url": server.url,
            "aws_access_key_id": "AKIDPOOLMAILTEST",
            "aws_secret_access_key": "secret",
        },
    )


def test_pycognito_signs_up_signs_in_over_srp_and_verifies_tokens(live: ServerProcess) -> None:
    pool_id, client_id = auth_pool(live, AutoVerifiedAttributes=["email"])
    user = library(live, pool_id, client_id, "lena")
    user.set_base_attributes(email="lena@example.com")
    user.register("lena", PASSWORD)
    user.confirm_sign_up(code_for(live, "lena@example.com"), username="lena")
    # SRP, then both tokens checked against `<endpoint>/<pool>/.well-known/jwks.json`.
    user.authenticate(password=PASSWORD)
    assert user.id_claims["cognito:username"] == "lena"
    assert user.access_claims["token_use"] == "access"
    assert user.get_user().email == "lena@example.com"
    old_access = user.access_token
    user.renew_access_token()
    assert user.access_token != old_access
    user.verify_tokens()
    user.update_profile({"name": "Lena"})
    assert user.get_user().name == "Lena"
    user.change_password(PASSWORD, "New-Passw0rd")
    refresh_token = user.refresh_token
    user.logout()
    again = library(live, pool_id, client_id, "lena")
    again.refresh_token = refresh_token
    with pytest.raises(ClientError) as excinfo:
        again.renew_access_token()
    assert error_of(excinfo) == ("NotAuthorizedException", "Refresh Token has been revoked")
    again.authenticate(password="New-Passw0rd")
    again.verify_tokens()


def test_pycognito_completes_new_password_required(live: ServerProcess) -> None:
    pool_id, client_id = auth_pool(live)
    idp(live).admin_create_user(
        UserPoolId=pool_id,
        Username="mona",
        TemporaryPassword="Temp-Passw0rd",
        MessageAction="SUPPRESS",
    )
    user = library(live, pool_id, client_id, "mona")
    user.new_password_challenge("Temp-Passw0rd", "Own-Passw0rd")
    user.verify_tokens()
    assert user.id_claims["cognito:username"] == "mona"
    signed_in = library(live, pool_id, client_id, "mona")
    signed_in.authenticate(password="Own-Passw0rd")


def test_pycognito_admin_authenticate_and_groups(live: ServerProcess) -> None:
    pool_id, client_id = auth_pool(live)
    confirmed_user(live, pool_id, "nell")
    idp(live).create_group(UserPoolId=pool_id, GroupName="staff")
    user = library(live, pool_id, client_id, "nell")
    user.admin_add_user_to_group("nell", "staff")
    user.admin_authenticate(PASSWORD)
    assert user.id_claims["cognito:groups"] == ["staff"]
    assert [group.group_name for group in user.get_groups()] == ["staff"]


# ---- Node: amazon-cognito-identity-js, aws-jwt-verify, @aws-sdk/client-... ---------------


@pytest.fixture(scope="session")
def node_modules() -> Path:
    """The pinned JavaScript packages, installed once from package-lock.json."""
    return pinned_node_modules(JS_DIR)


def run_node(server: ServerProcess, *args: str) -> dict[str, Any]:
    done = subprocess.run(
        ["node", "signin.mjs", server.url, *args],
        cwd=JS_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def test_amazon_cognito_identity_js_and_the_sdk_v3(live: ServerProcess, node_modules: Path) -> None:
    pool_id, client_id = auth_pool(live, AutoVerifiedAttributes=["email"])
    report = run_node(live, pool_id, client_id)
    # signUp -> code from the mailbox -> confirmRegistration -> authenticateUser (SRP),
    # then aws-jwt-verify checked both tokens against the served JWKS.
    assert report["id"] == {"username": "jay", "email": "jay@example.com", "verified": True}
    assert report["access"] == {"username": "jay", "scope": "aws.cognito.signin.user.admin"}
    assert report["sessionValid"] is True
    assert report["getUser"] == "jay"
    assert report["refreshed"] is True
    assert report["afterSignOut"] == "NotAuthorizedException: Refresh Token has been revoked"
    assert report["newPasswordRequiredAttributes"] == {"email": "kim@example.com"}
    assert report["invited"] == "kim"
    assert report["wrongPassword"] == "NotAuthorizedException: Incorrect username or password."
