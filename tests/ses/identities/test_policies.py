"""SES identity (sending-authorisation) policies: the operations, the checks, the verdicts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from poolmail.ses.identities import policies
from poolmail.ses.identities.policy_document import (
    Condition,
    PolicyError,
    allows,
    condition_holds,
    parse,
)
from poolmail.store import Database, open_database
from tests.support.server import ServerProcess

OWNER = "123456789012"
DELEGATE = "111122223333"
ARN = f"arn:aws:ses:us-east-1:{OWNER}:identity/example.com"
POOL_ARN = f"arn:aws:cognito-idp:us-east-1:{OWNER}:userpool/us-east-1_AbCdEfGhI"


def policy(**statement: Any) -> str:
    base = {
        "Effect": "Allow",
        "Principal": {"AWS": [DELEGATE]},
        "Action": ["ses:SendEmail", "ses:SendRawEmail"],
        "Resource": ARN,
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [{**base, **statement}]})


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    error = excinfo.value.response["Error"]
    status = excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]
    return error["Code"], error["Message"], status


def verify(server: ServerProcess, identity: str) -> None:
    server.client("sesv2").create_email_identity(EmailIdentity=identity)
    mark_verified(server, identity)


def mark_verified(server: ServerProcess, identity: str) -> None:
    httpx.post(
        f"{server.url}/_poolmail/ses/identities/verify",
        json={"identity": identity, "account": OWNER, "region": "us-east-1"},
    ).raise_for_status()


# --- the operations, black-box -----------------------------------------------------------


def test_v1_put_get_list_delete(live: ServerProcess) -> None:
    verify(live, "example.com")
    ses = live.client("ses")
    ses.put_identity_policy(Identity="example.com", PolicyName="delegate", Policy=policy())
    # The identity may also be named by its ARN.
    ses.put_identity_policy(Identity=ARN, PolicyName="b-second", Policy=policy(Effect="Deny"))
    assert ses.list_identity_policies(Identity="example.com")["PolicyNames"] == [
        "b-second",
        "delegate",
    ]
    got = ses.get_identity_policies(Identity="example.com", PolicyNames=["delegate", "unknown"])
    assert got["Policies"] == {"delegate": policy()}
    ses.put_identity_policy(Identity="example.com", PolicyName="delegate", Policy=policy(Sid="x"))
    got = ses.get_identity_policies(Identity="example.com", PolicyNames=["delegate"])
    assert json.loads(got["Policies"]["delegate"])["Statement"][0]["Sid"] == "x"
    ses.delete_identity_policy(Identity="example.com", PolicyName="delegate")
    ses.delete_identity_policy(Identity="example.com", PolicyName="never-there")
    assert ses.list_identity_policies(Identity="example.com")["PolicyNames"] == ["b-second"]
    # The rest of the identity row is untouched.
    identity = live.client("sesv2").get_email_identity(EmailIdentity="example.com")
    assert identity["VerifiedForSendingStatus"] is True
    assert list(identity["Policies"]) == ["b-second"]


def test_v1_needs_an_owned_verified_identity(live: ServerProcess) -> None:
    ses = live.client("ses")
    with pytest.raises(ClientError) as excinfo:
        ses.put_identity_policy(Identity="example.com", PolicyName="p", Policy=policy())
    assert error_of(excinfo) == (
        "MessageRejected",
        "Identity example.com is not verified or does not exist.",
        400,
    )
    with pytest.raises(ClientError) as excinfo:
        ses.list_identity_policies(Identity="example.com")
    assert error_of(excinfo)[0] == "MessageRejected"
    ses.verify_domain_identity(Domain="example.com")  # pending, not verified
    with pytest.raises(ClientError) as excinfo:
        ses.put_identity_policy(Identity="example.com", PolicyName="p", Policy=policy())
    assert error_of(excinfo)[0] == "MessageRejected"
    assert ses.list_identity_policies(Identity="example.com")["PolicyNames"] == []
    # Another account cannot manage the policies of this account's identity.
    mark_verified(live, "example.com")
    other = live.client("ses", access_key=DELEGATE)
    with pytest.raises(ClientError) as excinfo:
        other.put_identity_policy(Identity=ARN, PolicyName="p", Policy=policy())
    assert error_of(excinfo) == (
        "MessageRejected",
        f"Identity {ARN} is not verified or does not exist.",
        400,
    )


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("{not json", "Policy is not valid JSON."),
        (
            json.dumps({"Version": "2012-10-17", "Statement": []}),
            "Policy must contain at least one statement.",
        ),
        (
            policy(Condition={"StringEquals": {"AWS:SourceAccount": OWNER}}),
            "Unknown or unapplicable condition field 'AWS:SourceAccount'.",
        ),
        (
            policy(Action="ses:DeleteEverything"),
            "Unknown or unapplicable action 'ses:DeleteEverything'.",
        ),
        (policy(Action="s3:GetObject"), "Unknown or unapplicable action 's3:GetObject'."),
        (
            policy(Resource=f"arn:aws:ses:us-east-1:{OWNER}:identity/other.com"),
            f"Each statement must have exactly one resource, the identity's ARN {ARN}.",
        ),
        (policy(Effect="Maybe"), 'Invalid effect: "Maybe".'),
        (policy(Principal={"AWS": "someone"}), "Invalid principal: someone."),
        (policy(Sid="x" * 5000), "Policy exceeds the maximum size of 4 KB."),
    ],
)
def test_v1_invalid_policies(live: ServerProcess, document: str, message: str) -> None:
    verify(live, "example.com")
    with pytest.raises(ClientError) as excinfo:
        live.client("ses").put_identity_policy(
            Identity="example.com", PolicyName="p", Policy=document
        )
    assert error_of(excinfo) == ("InvalidPolicy", message, 400)


def test_limits_and_names(live: ServerProcess) -> None:
    verify(live, "example.com")
    ses = live.client("ses")
    for index in range(20):
        ses.put_identity_policy(Identity="example.com", PolicyName=f"p{index}", Policy=policy())
    ses.put_identity_policy(Identity="example.com", PolicyName="p3", Policy=policy())  # replace
    with pytest.raises(ClientError) as excinfo:
        ses.put_identity_policy(Identity="example.com", PolicyName="p20", Policy=policy())
    assert error_of(excinfo) == (
        "LimitExceeded",
        "Identity example.com already has the maximum of 20 policies.",
        400,
    )
    with pytest.raises(ClientError) as excinfo:
        ses.put_identity_policy(Identity="example.com", PolicyName="bad name", Policy=policy())
    assert error_of(excinfo)[0] == "InvalidParameterValue"


def test_v2_operations(live: ServerProcess) -> None:
    verify(live, "sender@example.com")
    sesv2 = live.client("sesv2")
    arn = f"arn:aws:ses:us-east-1:{OWNER}:identity/sender@example.com"
    document = policy(Resource=arn)
    sesv2.create_email_identity_policy(
        EmailIdentity="sender@example.com", PolicyName="p", Policy=document
    )
    with pytest.raises(ClientError) as excinfo:
        sesv2.create_email_identity_policy(
            EmailIdentity="sender@example.com", PolicyName="p", Policy=document
        )
    assert error_of(excinfo) == (
        "AlreadyExistsException",
        "Policy p already exists for identity sender@example.com.",
        400,
    )
    changed = policy(Resource=arn, Sid="changed")
    sesv2.update_email_identity_policy(
        EmailIdentity="sender@example.com", PolicyName="p", Policy=changed
    )
    got = sesv2.get_email_identity_policies(EmailIdentity="sender@example.com")
    assert got["Policies"] == {"p": changed}
    assert live.client("ses").list_identity_policies(Identity="sender@example.com")[
        "PolicyNames"
    ] == ["p"]
    sesv2.delete_email_identity_policy(EmailIdentity="sender@example.com", PolicyName="p")
    sesv2.delete_email_identity_policy(EmailIdentity="sender@example.com", PolicyName="p")
    assert sesv2.get_email_identity_policies(EmailIdentity="sender@example.com")["Policies"] == {}


def test_v2_errors(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    for call in (
        lambda: sesv2.get_email_identity_policies(EmailIdentity="nobody.com"),
        lambda: sesv2.delete_email_identity_policy(EmailIdentity="nobody.com", PolicyName="p"),
        lambda: sesv2.create_email_identity_policy(
            EmailIdentity="nobody.com", PolicyName="p", Policy=policy()
        ),
    ):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo) == (
            "NotFoundException",
            "Email identity nobody.com does not exist.",
            404,
        )
    sesv2.create_email_identity(EmailIdentity="example.com")  # pending
    with pytest.raises(ClientError) as excinfo:
        sesv2.create_email_identity_policy(
            EmailIdentity="example.com", PolicyName="p", Policy=policy()
        )
    assert error_of(excinfo) == (
        "BadRequestException",
        "Identity example.com is not verified or does not exist.",
        400,
    )
    mark_verified(live, "example.com")
    with pytest.raises(ClientError) as excinfo:
        sesv2.update_email_identity_policy(
            EmailIdentity="example.com", PolicyName="p", Policy=policy(Action="ses:Fly")
        )
    assert error_of(excinfo) == (
        "BadRequestException",
        "Unknown or unapplicable action 'ses:Fly'.",
        400,
    )


# --- validation, pure --------------------------------------------------------------------

COGNITO_GUIDE_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "stmnt1234567891234",
            "Effect": "Allow",
            "Principal": {"Service": ["email.cognito-idp.amazonaws.com"]},
            "Action": ["SES:SendEmail", "SES:SendRawEmail"],
            "Resource": ARN,
            "Condition": {
                "StringEquals": {"aws:SourceAccount": OWNER},
                "ArnLike": {"aws:SourceArn": POOL_ARN},
            },
        }
    ],
}


def test_the_cognito_guides_policy_is_valid() -> None:
    (statement,) = parse(json.dumps(COGNITO_GUIDE_POLICY), ARN)
    assert statement.services == ("email.cognito-idp.amazonaws.com",)
    assert [condition.key for condition in statement.conditions] == [
        "aws:SourceAccount",
        "aws:SourceArn",
    ]


@pytest.mark.parametrize(
    "statement",
    [
        {"Principal": "*"},
        {"Principal": {"AWS": "*"}},
        {"Principal": {"AWS": f"arn:aws:iam::{DELEGATE}:root"}},
        {"Principal": {"AWS": f"arn:aws:iam::{DELEGATE}:user/John"}},
        {"Principal": {"Service": "cognito-idp.amazonaws.com"}},
        {"Action": "ses:Send*"},
        {"Action": "ses:*"},
        {"Action": "ses:SendBulkTemplatedEmail"},
        {"Resource": [ARN.replace("example.com", "EXAMPLE.com")]},
        {"Condition": {"ForAllValues:StringLike": {"ses:Recipients": ["*@example.com"]}}},
        {"Condition": {"StringEqualsIfExists": {"ses:FromDisplayName": "Shop"}}},
        {"Condition": {"Bool": {"aws:SecureTransport": True}}},
        {"Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}},
        {"Condition": {"StringEquals": {"aws:PrincipalTag/team": "mail"}}},
    ],
)
def test_valid_statements(statement: dict[str, Any]) -> None:
    assert parse(policy(**statement), ARN)


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ({"Principal": {"Federated": "x"}}, 'Invalid principal: {"Federated": "x"}.'),
        ({"Principal": {"AWS": []}}, "Invalid principal: []."),
        ({"Principal": {"Service": "not a service"}}, "Invalid principal: not a service."),
        ({"NotAction": "ses:SendEmail"}, "Policy element NotAction is not supported."),
        (
            {"Resource": [ARN, ARN]},
            f"Each statement must have exactly one resource, the identity's ARN {ARN}.",
        ),
        (
            {"Resource": ARN.replace(OWNER, DELEGATE)},
            f"Each statement must have exactly one resource, the identity's ARN {ARN}.",
        ),
        (
            {"Condition": {"StringMatches": {"aws:SourceArn": "x"}}},
            "Unknown or unapplicable condition operator 'StringMatches'.",
        ),
        (
            {"Condition": {"ForSome:StringLike": {"ses:Recipients": "x"}}},
            "Unknown or unapplicable condition operator 'ForSome:StringLike'.",
        ),
        (
            {"Condition": {"StringEquals": {"ses:Colour": "x"}}},
            "Unknown or unapplicable condition field 'ses:Colour'.",
        ),
        (
            {"Condition": {"StringEquals": {"SES:Recipients": "x"}}},
            "Unknown or unapplicable condition field 'SES:Recipients'.",
        ),
        (
            {"Condition": {"StringEquals": {"aws:SourceArn": []}}},
            "Invalid condition value for 'aws:SourceArn'.",
        ),
    ],
)
def test_invalid_statements(statement: dict[str, Any], message: str) -> None:
    with pytest.raises(PolicyError) as excinfo:
        parse(policy(**statement), ARN)
    assert str(excinfo.value) == message


def test_missing_elements() -> None:
    for element, message in (
        ("Principal", "Each statement must have at least one principal."),
        ("Action", "Each statement must have at least one action."),
        ("Resource", f"Each statement must have exactly one resource, the identity's ARN {ARN}."),
    ):
        document = json.loads(policy())
        del document["Statement"][0][element]
        with pytest.raises(PolicyError) as excinfo:
            parse(json.dumps(document), ARN)
        assert str(excinfo.value) == message
    with pytest.raises(PolicyError):
        parse(json.dumps(["not", "an", "object"]), ARN)


# --- evaluation, pure --------------------------------------------------------------------


def verdict(document: str, **request: Any) -> bool:
    defaults: dict[str, Any] = {
        "principal_account": DELEGATE,
        "principal_service": None,
        "action": "ses:SendEmail",
        "context": {},
    }
    return allows(parse(document, ARN), **{**defaults, **request})


def test_principals() -> None:
    assert verdict(policy())
    assert verdict(policy(Principal={"AWS": f"arn:aws:iam::{DELEGATE}:root"}))
    assert verdict(policy(Principal="*"))
    assert not verdict(policy(), principal_account="999999999999")
    # A policy naming one IAM user does not admit the whole account.
    assert not verdict(policy(Principal={"AWS": f"arn:aws:iam::{DELEGATE}:user/John"}))
    for written in ("email.cognito-idp.amazonaws.com", "cognito-idp.amazonaws.com"):
        for calling in ("email.cognito-idp.amazonaws.com", "cognito-idp.amazonaws.com"):
            assert verdict(
                policy(Principal={"Service": written}),
                principal_account=None,
                principal_service=calling,
            )
    assert not verdict(
        policy(Principal={"Service": "sns.amazonaws.com"}),
        principal_account=None,
        principal_service="cognito-idp.amazonaws.com",
    )
    assert not verdict(policy(), principal_account=None, principal_service="sns.amazonaws.com")


def test_actions() -> None:
    assert verdict(policy(Action="SES:SendEmail"))
    assert verdict(policy(Action="ses:Send*"), action="ses:SendTemplatedEmail")
    assert verdict(policy(Action="ses:*"), action="ses:SendRawEmail")
    assert not verdict(policy(Action="ses:SendRawEmail"), action="ses:SendEmail")


def test_explicit_deny_wins_over_allow() -> None:
    document = json.dumps(
        {
            "Statement": [
                json.loads(policy())["Statement"][0],
                {
                    **json.loads(policy())["Statement"][0],
                    "Effect": "Deny",
                    "Action": "ses:SendEmail",
                },
            ]
        }
    )
    assert not verdict(document, action="ses:SendEmail")
    assert verdict(document, action="ses:SendRawEmail")
    assert not verdict(policy(Effect="Deny"))


def test_cognito_guide_policy_verdicts() -> None:
    document = json.dumps(COGNITO_GUIDE_POLICY)
    context = {"aws:SourceAccount": OWNER, "aws:SourceArn": POOL_ARN}
    cognito = {"principal_account": None, "principal_service": "cognito-idp.amazonaws.com"}
    assert verdict(document, context=context, **cognito)
    assert not verdict(document, context={**context, "aws:SourceAccount": DELEGATE}, **cognito)
    assert not verdict(document, context={"aws:SourceAccount": OWNER}, **cognito)
    other_pool = POOL_ARN.replace("AbCdEfGhI", "Zzzzzzzzz")
    assert not verdict(document, context={**context, "aws:SourceArn": other_pool}, **cognito)


def holds(operator: str, key: str, values: list[str], context: dict[str, Any]) -> bool:
    return condition_holds(Condition(operator, key, tuple(values)), context)


def test_string_and_arn_operators() -> None:
    context = {"ses:FromAddress": "Shop@example.com", "aws:SourceArn": POOL_ARN}
    assert holds("StringEquals", "ses:FromAddress", ["Shop@example.com"], context)
    assert not holds("StringEquals", "ses:FromAddress", ["shop@example.com"], context)
    assert holds("StringEqualsIgnoreCase", "ses:fromaddress", ["shop@EXAMPLE.com"], context)
    assert holds("StringNotEquals", "ses:FromAddress", ["a@b.c", "d@e.f"], context)
    assert not holds("StringNotEquals", "ses:FromAddress", ["a@b.c", "Shop@example.com"], context)
    assert holds("StringLike", "ses:FromAddress", ["*@example.com"], context)
    assert holds("StringLike", "ses:FromAddress", ["Sho?@*"], context)
    assert not holds("StringLike", "ses:FromAddress", ["*@example.org"], context)
    assert holds("StringNotLike", "ses:FromAddress", ["*@example.org"], context)
    assert holds("ArnLike", "aws:SourceArn", ["arn:aws:cognito-idp:*:*:userpool/*"], context)
    assert holds("ArnEquals", "aws:SourceArn", [POOL_ARN], context)
    assert not holds("ArnLike", "aws:SourceArn", ["arn:aws:cognito-idp:eu-*:*:*"], context)
    assert holds("ArnNotLike", "aws:SourceArn", ["arn:aws:s3:::*"], context)


def test_absent_keys() -> None:
    # A key the request lacks fails a condition, but passes negated, IfExists and
    # ForAllValues ones, as IAM evaluates them.
    assert not holds("StringEquals", "aws:SourceArn", ["x"], {})
    assert not holds("StringLike", "aws:SourceArn", ["*"], {})
    assert not holds("ForAnyValue:StringLike", "ses:Recipients", ["*"], {})
    assert holds("StringNotEquals", "aws:SourceArn", ["x"], {})
    assert holds("StringEqualsIfExists", "aws:SourceArn", ["x"], {})
    assert holds("ForAllValues:StringLike", "ses:Recipients", ["*@example.com"], {})
    assert holds("Null", "aws:SourceArn", ["true"], {})
    assert not holds("Null", "aws:SourceArn", ["false"], {})
    assert holds("Null", "aws:SourceArn", ["false"], {"aws:SourceArn": "x"})


def test_multi_valued_recipients() -> None:
    inside = {"ses:Recipients": ["a@example.com", "b@example.com"]}
    mixed = {"ses:Recipients": ["a@example.com", "c@elsewhere.org"]}
    assert holds("ForAllValues:StringLike", "ses:Recipients", ["*@example.com"], inside)
    assert not holds("ForAllValues:StringLike", "ses:Recipients", ["*@example.com"], mixed)
    assert holds("ForAnyValue:StringLike", "ses:Recipients", ["*@elsewhere.org"], mixed)
    assert not holds("ForAnyValue:StringLike", "ses:Recipients", ["*@nowhere.net"], mixed)
    assert holds("ForAnyValue:StringEquals", "ses:Recipients", ["b@example.com"], inside)
    assert holds("StringLike", "ses:Recipients", ["c@*"], mixed)


def test_other_operators() -> None:
    context = {
        "aws:EpochTime": "1700000000",
        "aws:SourceIp": "10.1.2.3",
        "aws:SecureTransport": "true",
    }
    assert holds("NumericGreaterThan", "aws:EpochTime", ["1600000000"], context)
    assert not holds("NumericLessThan", "aws:EpochTime", ["1600000000"], context)
    assert not holds("NumericEquals", "aws:EpochTime", ["not a number"], context)
    assert holds("DateGreaterThan", "aws:EpochTime", ["2023-01-01T00:00:00Z"], context)
    assert holds("DateLessThanEquals", "aws:EpochTime", ["2024-01-01"], context)
    assert holds("IpAddress", "aws:SourceIp", ["10.0.0.0/8"], context)
    assert holds("NotIpAddress", "aws:SourceIp", ["192.168.0.0/16"], context)
    assert holds("Bool", "aws:SecureTransport", ["True"], context)


# --- is_authorized over the store --------------------------------------------------------


@pytest.fixture
def db() -> Iterator[Database]:
    database = open_database(data_dir=":memory:")
    yield database
    database.close()


def store_identity(db: Database, identity: str, documents: dict[str, str]) -> None:
    data = {"VerificationStatus": "Success", "Policies": documents}
    with db.transaction() as tx:
        tx.execute(
            "INSERT INTO ses_identities (account, region, identity, kind, created_at, data) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (OWNER, "us-east-1", identity, "Domain", 1.0, json.dumps(data)),
        )


def authorized(db: Database, **request: Any) -> bool:
    arguments: dict[str, Any] = {
        "owner_account": OWNER,
        "region": "us-east-1",
        "identity": "example.com",
        "principal_account": DELEGATE,
        "principal_service": None,
        "action": "ses:SendEmail",
        "context": {"ses:Recipients": ["to@example.org"], "ses:FromAddress": "a@example.com"},
        "now": 1_700_000_000.0,
    }
    arguments.update(request)
    with db.transaction() as tx:
        return policies.is_authorized(tx, **arguments)


def test_is_authorized_reads_the_identitys_policies(db: Database) -> None:
    assert not authorized(db)  # no identity at all
    store_identity(
        db,
        "example.com",
        {
            "delegate": policy(
                Condition={"ForAllValues:StringLike": {"ses:Recipients": ["*@example.org"]}}
            ),
            "cognito": json.dumps(COGNITO_GUIDE_POLICY),
            "broken": "{not json",
        },
    )
    assert authorized(db)
    assert authorized(db, identity="EXAMPLE.com")
    assert not authorized(db, context={"ses:Recipients": ["x@example.net"]})
    assert not authorized(db, principal_account="999999999999")
    assert not authorized(db, region="eu-west-1")
    assert not authorized(db, owner_account=DELEGATE)
    assert authorized(
        db,
        principal_account=None,
        principal_service="email.cognito-idp.amazonaws.com",
        context={"aws:SourceAccount": OWNER, "aws:SourceArn": POOL_ARN},
    )
    assert not authorized(
        db,
        principal_account=None,
        principal_service="email.cognito-idp.amazonaws.com",
        context={"aws:SourceAccount": OWNER},
    )


def test_is_authorized_knows_the_time(db: Database) -> None:
    store_identity(
        db,
        "example.com",
        {"until": policy(Condition={"DateLessThan": {"aws:CurrentTime": "2024-01-01T00:00:00Z"}})},
    )
    assert authorized(db, now=1_700_000_000.0)  # 2023-11-14
    assert not authorized(db, now=1_800_000_000.0)  # 2027
