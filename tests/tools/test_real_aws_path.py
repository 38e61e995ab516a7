"""The same integrate and doctor code against AWS's own endpoints, with botocore's Stubber
standing in for AWS: no poolmail server, real regional clients, the recorded conversation."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.stub import ANY, Stubber

from poolmail.tools import doctor, integrate
from poolmail.tools.aws import AwsClients

ACCOUNT = "111122223333"
POOL_ID = "eu-west-1_AbCdEfGhI"
POOL: dict[str, Any] = {
    "Id": POOL_ID,
    "Name": "prod-users",
    "Arn": f"arn:aws:cognito-idp:eu-west-1:{ACCOUNT}:userpool/{POOL_ID}",
    "Policies": {"PasswordPolicy": {"MinimumLength": 10, "TemporaryPasswordValidityDays": 7}},
    "LambdaConfig": {"PreSignUp": f"arn:aws:lambda:eu-west-1:{ACCOUNT}:function:check"},
    "AutoVerifiedAttributes": ["email"],
    "MfaConfiguration": "OFF",
    "EmailConfiguration": {"EmailSendingAccount": "COGNITO_DEFAULT"},
    "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": False, "UnusedAccountValidityDays": 7},
    "SchemaAttributes": [{"Name": "sub", "AttributeDataType": "String", "Required": True}],
    "EstimatedNumberOfUsers": 3,
}
ARN = f"arn:aws:ses:eu-west-1:{ACCOUNT}:identity/example.com"
EMAIL = {"EmailSendingAccount": "DEVELOPER", "SourceArn": ARN, "From": "no-reply@example.com"}


class StubbedAws:
    def __init__(self) -> None:
        self.stubbers: dict[tuple[str, str], Stubber] = {}

    def __call__(self, service: str, region: str) -> Any:
        client = boto3.client(
            service,
            region_name=region,
            aws_access_key_id="AKIDEXAMPLE",
            aws_secret_access_key="secret",
        )
        # A real client of the region: it would sign for and call AWS's endpoint.
        assert client.meta.endpoint_url.endswith("amazonaws.com")
        stubber = Stubber(client)
        stubber.activate()
        self.stubbers[(service, region)] = stubber
        return client

    def get(self, service: str, region: str) -> Stubber:
        return self.stubbers[(service, region)]


def test_integrate_speaks_to_aws_endpoints() -> None:
    aws = StubbedAws()
    clients = AwsClients(region="eu-west-1", make=aws)
    # Create the clients first so their stubbers can be primed in call order.
    for service in ("cognito-idp", "ses", "sesv2"):
        clients.client(service, "eu-west-1")
    cognito, ses, sesv2 = (aws.get(s, "eu-west-1") for s in ("cognito-idp", "ses", "sesv2"))
    cognito.add_response("describe_user_pool", {"UserPool": POOL}, {"UserPoolId": POOL_ID})
    ses.add_response(
        "get_identity_verification_attributes",
        {"VerificationAttributes": {"example.com": {"VerificationStatus": "Success"}}},
        {"Identities": ["example.com"]},
    )
    sesv2.add_response(
        "get_account",
        {"ProductionAccessEnabled": True, "SendQuota": {"Max24HourSend": 50000.0}},
        {},
    )
    expected_update = {
        "UserPoolId": POOL_ID,
        "Policies": POOL["Policies"],
        "LambdaConfig": POOL["LambdaConfig"],
        "AutoVerifiedAttributes": ["email"],
        "MfaConfiguration": "OFF",
        "EmailConfiguration": EMAIL,
        # The deprecated UnusedAccountValidityDays is dropped next to the password policy's.
        "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": False},
    }
    cognito.add_response("update_user_pool", {}, expected_update)
    cognito.add_response(
        "describe_user_pool",
        {"UserPool": {**POOL, "EmailConfiguration": EMAIL}},
        {"UserPoolId": POOL_ID},
    )
    result = integrate.run(
        clients,
        integrate.IntegrateOptions(
            user_pool_id=POOL_ID, identity="example.com", sender="no-reply@example.com"
        ),
    )
    assert result.applied, result.as_dict()
    for stubber in aws.stubbers.values():
        stubber.assert_no_pending_responses()


def test_doctor_speaks_to_aws_endpoints() -> None:
    aws = StubbedAws()
    clients = AwsClients(region="eu-west-1", make=aws)
    for service in ("cognito-idp", "ses", "sesv2"):
        clients.client(service, "eu-west-1")
    cognito, ses, sesv2 = (aws.get(s, "eu-west-1") for s in ("cognito-idp", "ses", "sesv2"))
    cognito.add_response(
        "describe_user_pool",
        {"UserPool": {**POOL, "EmailConfiguration": EMAIL}},
        {"UserPoolId": POOL_ID},
    )
    ses.add_response(
        "get_identity_verification_attributes",
        {"VerificationAttributes": {"example.com": {"VerificationStatus": "Success"}}},
        {"Identities": ["example.com"]},
    )
    sesv2.add_response(
        "get_account",
        {
            "ProductionAccessEnabled": False,
            "SendingEnabled": True,
            "SendQuota": {"Max24HourSend": 200.0, "MaxSendRate": 1.0, "SentLast24Hours": 190.0},
        },
        {},
    )
    ses.add_response(
        "get_identity_verification_attributes",
        {"VerificationAttributes": {}},
        {"Identities": ANY},
    )
    sesv2.add_client_error("get_suppressed_destination", "NotFoundException", "not suppressed", 404)
    found = {f.check: f for f in doctor.run(clients, POOL_ID, "reader@example.org")}
    assert found["identity"].severity == "ok"
    assert found["sandbox"].severity == "warning"
    assert found["quota"].severity == "warning"
    assert found["recipient"].severity == "error"
    assert found["suppression"].severity == "ok"
    # Against AWS there is no poolmail API to read rejections from.
    assert "rejections" not in found
    for stubber in aws.stubbers.values():
        stubber.assert_no_pending_responses()
