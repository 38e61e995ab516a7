"""CustomEmailSender and CustomSMSSender with real functions run by the embedded runner and
moto's KMS: the email function decrypts the code with the AWS Encryption SDK and sends the
mail itself through poolmail's SES; the user confirms sign-up with the code from the
mailbox. Also: the SMS sender, an invitation's HTML-escaped temporary password, a key KMS
does not know (the sign-up answers, the log says why), and the pool's validation."""

from __future__ import annotations

import sysconfig
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.cognito.helpers import (
    auth_pool,
    confirmed_user,
    error_of,
    idp,
    make_client,
    make_pool,
    password_auth,
    user_of,
)
from tests.cognito.threats.test_threat_protection import BLOCKED, next_risk, takeover
from tests.conftest import BACKENDS
from tests.ses.helpers import messages, production_access, verify
from tests.support.functions import write_functions
from tests.support.moto import CREDENTIALS, Moto, wait_for
from tests.support.server import ServerProcess, serving

SENDER = "sender@example.com"
# One function serves both triggers (one warm worker, one start-up of the SDK).
EMAIL_ARN = SMS_ARN = "arn:aws:lambda:us-east-1:123456789012:function:sender"
PASSWORD = "Passw0rd!"
# The Encryption SDK decrypting through KMS (the runner points AWS_ENDPOINT_URL at moto's
# server, the SES and Cognito endpoints at poolmail).
DECRYPT = """
import base64
import os

import aws_encryption_sdk
from aws_encryption_sdk.key_providers.kms import StrictAwsKmsMasterKeyProvider

CLIENT = aws_encryption_sdk.EncryptionSDKClient(
    commitment_policy=aws_encryption_sdk.CommitmentPolicy.REQUIRE_ENCRYPT_ALLOW_DECRYPT
)
PROVIDER = StrictAwsKmsMasterKeyProvider(key_ids=[os.environ["KEY_ARN"]])


def decrypt(event):
    plaintext, header = CLIENT.decrypt(
        source=base64.b64decode(event["request"]["code"]), key_provider=PROVIDER
    )
    assert header.encryption_context["userpool-id"] == event["userPoolId"]
    return plaintext.decode()
"""
SENDER_CODE = """
import os

import boto3

from codes import decrypt


def handler(event, context):
    request = event["request"]
    if event["triggerSource"].startswith("CustomSMSSender_"):
        print("CODE", decrypt(event))
        return event
    if request["code"]:
        code, address = decrypt(event), request["userAttributes"]["email"]
    else:
        # A threat notification carries no code, and the event's details instead of the
        # user's attributes: the address comes from the pool.
        details = request["userAttributes"]
        user = boto3.client("cognito-idp").admin_get_user(
            UserPoolId=event["userPoolId"], Username=details["USER_NAME"]
        )
        attributes = {item["Name"]: item["Value"] for item in user["UserAttributes"]}
        code, address = details["EVENT_ID"], attributes["email"]
    boto3.client("ses").send_email(
        Source=os.environ["SENDER"],
        Destination={"ToAddresses": [address]},
        Message={
            "Subject": {"Data": event["triggerSource"]},
            "Body": {"Text": {"Data": f"Your code is {code}"}},
        },
    )
    return event
"""


@pytest.fixture(scope="module")
def key_arn(moto: Moto) -> str:
    return str(moto.client("kms").create_key()["KeyMetadata"]["Arn"])


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    moto: Moto,
    key_arn: str,
) -> Iterator[ServerProcess]:
    """One server per store, its KMS moto's. The functions run on `python3`, and find the
    Encryption SDK and boto3 where this interpreter has them (PYTHONPATH)."""
    packages = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
    environment = {"KEY_ARN": key_arn, "SENDER": SENDER, "PYTHONPATH": ":".join(packages)}
    files = {"app.py": SENDER_CODE, "codes.py": DECRYPT}
    functions = {"sender": ("python3.12", "app.handler", files)}
    toml = write_functions(
        tmp_path_factory.mktemp("functions"),
        functions,
        environment={name: environment for name in functions},
    )
    options = ["--functions", str(toml), "--aws-endpoint-url", moto.url, "--ses-sandbox", "off"]
    with serving(
        request.param, options, env=CREDENTIALS, data_dir=str(tmp_path_factory.mktemp("data"))
    ) as running:
        yield running


def sender_config(key: str, **senders: str) -> dict[str, Any]:
    config: dict[str, Any] = {"KMSKeyID": key}
    for trigger, arn in senders.items():
        config[trigger] = {"LambdaArn": arn, "LambdaVersion": "V1_0"}
    return config


def invocations(server: ServerProcess, source: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{server.url}/_poolmail/functions/invocations", params={"source": source})
    found: list[dict[str, Any]] = answer.json()["invocations"]
    return found


def mail_to(server: ServerProcess, address: str) -> dict[str, Any]:
    found = wait_for(lambda: messages(server, recipient=address, limit=1), timeout=30)
    assert found, f"no mail to {address}"
    mail: dict[str, Any] = found[0]
    return mail


def test_the_function_decrypts_the_code_and_sends_the_mail(
    live: ServerProcess, key_arn: str
) -> None:
    verify(live, SENDER)
    pool_id = make_pool(
        live,
        AutoVerifiedAttributes=["email"],
        LambdaConfig=sender_config(key_arn, CustomEmailSender=EMAIL_ARN),
    )
    client_id = make_client(live, pool_id, ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH"])
    cognito = idp(live)
    answer = cognito.sign_up(
        ClientId=client_id,
        Username="erin",
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": "erin@example.com"}],
        ClientMetadata={"campaign": "spring"},
    )
    assert answer["CodeDeliveryDetails"]["DeliveryMedium"] == "EMAIL"
    mail = mail_to(live, "erin@example.com")
    # Sent by the function through SES, not by Cognito's sender.
    assert mail["origin"] == "ses"
    assert mail["subject"] == "CustomEmailSender_SignUp"
    code = mail["details"]["body"]["text"].removeprefix("Your code is ").strip()
    cognito.confirm_sign_up(ClientId=client_id, Username="erin", ConfirmationCode=code)
    assert user_of(live, pool_id, "erin")["UserStatus"] == "CONFIRMED"

    (record,) = invocations(live, "CustomEmailSender_SignUp")
    event = record["request"]
    assert event["version"] == "1"
    assert event["userName"] == "erin"
    assert event["callerContext"]["clientId"] == client_id
    request = event["request"]
    assert request["type"] == "customEmailSenderRequestV1"
    assert request["code"].startswith("AgV4")  # a message of the SDK's format 2
    assert request["clientMetadata"] == {"campaign": "spring"}
    assert request["userAttributes"]["email"] == "erin@example.com"
    assert request["userAttributes"]["cognito:user_status"] == "UNCONFIRMED"

    # Other sources: a forgotten password (with its ClientMetadata), and a code asked for
    # the address (without: VerifyUserAttribute gets none).
    cognito.forgot_password(ClientId=client_id, Username="erin", ClientMetadata={"k": "v"})
    (forgot,) = wait_for(lambda: invocations(live, "CustomEmailSender_ForgotPassword"))
    assert forgot["request"]["request"]["clientMetadata"] == {"k": "v"}
    assert forgot["request"]["request"]["userAttributes"]["email_verified"] == "true"
    signed_in = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "erin", "PASSWORD": PASSWORD},
    )["AuthenticationResult"]
    cognito.get_user_attribute_verification_code(
        AccessToken=signed_in["AccessToken"], AttributeName="email", ClientMetadata={"k": "v"}
    )
    (verify_code,) = wait_for(lambda: invocations(live, "CustomEmailSender_VerifyUserAttribute"))
    assert "clientMetadata" not in verify_code["request"]["request"]

    # An invitation's temporary password reaches the function HTML-escaped.
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username="fred",
        TemporaryPassword="Tmp<Pass>1",
        UserAttributes=[{"Name": "email", "Value": "fred@example.com"}],
        DesiredDeliveryMediums=["EMAIL"],
    )
    invitation = mail_to(live, "fred@example.com")
    assert invitation["subject"] == "CustomEmailSender_AdminCreateUser"
    assert invitation["details"]["body"]["text"].strip() == "Your code is Tmp&lt;Pass&gt;1"


def test_the_sms_sender_gets_the_texts(live: ServerProcess, key_arn: str) -> None:
    config = sender_config(key_arn, CustomSMSSender=SMS_ARN)
    # The sender replaces the whole delivery: a CustomMessage function is not asked (this
    # one exists nowhere, and would fail the sign-up if it were).
    config["CustomMessage"] = "arn:aws:lambda:us-east-1:123456789012:function:nowhere"
    pool_id = make_pool(live, AutoVerifiedAttributes=["phone_number"], LambdaConfig=config)
    client_id = make_client(live, pool_id)
    answer = idp(live).sign_up(
        ClientId=client_id,
        Username="gina",
        Password=PASSWORD,
        UserAttributes=[{"Name": "phone_number", "Value": "+15555550100"}],
    )
    assert answer["CodeDeliveryDetails"]["DeliveryMedium"] == "SMS"
    (record,) = wait_for(lambda: invocations(live, "CustomSMSSender_SignUp"), timeout=30)
    assert record["request"]["request"]["type"] == "customSMSSenderRequestV1"
    assert record["error"] is None
    code = record["log"].split("CODE ", 1)[1].split()[0]
    idp(live).confirm_sign_up(ClientId=client_id, Username="gina", ConfirmationCode=code)
    # The text went to the function instead of the SMS outbox.
    outbox = httpx.get(f"{live.url}/_poolmail/sms", params={"pool_id": pool_id}).json()
    assert outbox["messages"] == []


def test_a_key_kms_does_not_know_fails_after_the_answer(live: ServerProcess) -> None:
    missing = "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"
    pool_id = make_pool(
        live,
        AutoVerifiedAttributes=["email"],
        LambdaConfig=sender_config(missing, CustomEmailSender=EMAIL_ARN),
    )
    client_id = make_client(live, pool_id)
    # The sign-up does not wait for the sender, nor fail by it (as on AWS).
    answer = idp(live).sign_up(
        ClientId=client_id,
        Username="hank",
        Password=PASSWORD,
        UserAttributes=[{"Name": "email", "Value": "hank@example.com"}],
    )
    assert answer["UserConfirmed"] is False
    (record,) = wait_for(lambda: invocations(live, "CustomEmailSender_SignUp"), timeout=30)
    assert record["runner"] == "not-invoked"
    assert record["error"]["errorType"] == "NotFoundException"
    assert messages(live, recipient="hank@example.com") == []


def test_a_custom_sender_needs_the_kms_key(live: ServerProcess) -> None:
    sender = {"CustomEmailSender": {"LambdaArn": EMAIL_ARN, "LambdaVersion": "V1_0"}}
    with pytest.raises(ClientError) as excinfo:
        make_pool(live, LambdaConfig=sender)
    assert error_of(excinfo) == (
        "InvalidParameterException",
        "KMSKeyID is required in LambdaConfig when CustomEmailSender or CustomSMSSender is set.",
    )
    pool_id = make_pool(live)
    with pytest.raises(ClientError) as excinfo:
        idp(live).update_user_pool(UserPoolId=pool_id, LambdaConfig=sender)
    assert error_of(excinfo)[0] == "InvalidParameterException"


def test_threat_notifications_go_to_the_sender(live: ServerProcess, key_arn: str) -> None:
    verify(live, "example.com")
    verify(live, SENDER)
    production_access(live)
    pool_id, client_id = auth_pool(
        live,
        UserPoolTier="PLUS",
        UserPoolAddOns={"AdvancedSecurityMode": "ENFORCED"},
        LambdaConfig=sender_config(key_arn, CustomEmailSender=EMAIL_ARN),
    )
    idp(live).set_risk_configuration(
        UserPoolId=pool_id, AccountTakeoverRiskConfiguration=takeover("BLOCK", notify=True)
    )
    confirmed_user(live, pool_id, "ivy")
    next_risk(live, pool_id, "high", user="ivy")
    with pytest.raises(ClientError) as excinfo:
        password_auth(live, client_id, "ivy")
    assert error_of(excinfo) == BLOCKED
    mail = mail_to(live, "ivy@example.com")
    assert mail["subject"] == "CustomEmailSender_AccountTakeOverNotification"
    (record,) = invocations(live, "CustomEmailSender_AccountTakeOverNotification")
    request = record["request"]["request"]
    assert request["code"] is None
    assert "clientMetadata" not in request
    details = request["userAttributes"]
    assert details["USER_NAME"] == "ivy"
    assert details["ACCOUNT_TAKE_OVER_ACTION"] == "BLOCK"
    assert mail["details"]["body"]["text"].strip() == f"Your code is {details['EVENT_ID']}"
