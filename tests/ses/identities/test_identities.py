"""SES identities through both APIs: one state behind v1 and v2, AWS's shapes and errors."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.ses.helpers import verify
from tests.support.server import ServerProcess

DOMAIN_TOKEN = re.compile(r"[A-Za-z0-9+/]{43}=")
DKIM_TOKEN = re.compile(r"[a-z2-7]{32}")


def without_metadata(answer: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in answer.items() if key != "ResponseMetadata"}


def error_of(call: Any, **params: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    error = caught.value.response
    return (
        error["Error"]["Code"],
        error["Error"]["Message"],
        error["ResponseMetadata"]["HTTPStatusCode"],
    )


def test_email_identity_from_v1_shows_in_v2_with_aws_shape(live: ServerProcess) -> None:
    ses, sesv2 = live.client("ses"), live.client("sesv2")
    assert without_metadata(ses.verify_email_identity(EmailAddress="sender@example.com")) == {}

    assert ses.list_identities()["Identities"] == ["sender@example.com"]
    attributes = ses.get_identity_verification_attributes(Identities=["sender@example.com"])
    assert attributes["VerificationAttributes"] == {
        "sender@example.com": {"VerificationStatus": "Pending"}
    }
    assert sesv2.list_email_identities()["EmailIdentities"] == [
        {
            "IdentityType": "EMAIL_ADDRESS",
            "IdentityName": "sender@example.com",
            "SendingEnabled": False,
            "VerificationStatus": "PENDING",
        }
    ]
    # Real AWS output for a new email identity (getmoto/moto#9771).
    assert without_metadata(sesv2.get_email_identity(EmailIdentity="sender@example.com")) == {
        "IdentityType": "EMAIL_ADDRESS",
        "FeedbackForwardingStatus": True,
        "VerifiedForSendingStatus": False,
        "DkimAttributes": {
            "SigningEnabled": False,
            "Status": "NOT_STARTED",
            "SigningAttributesOrigin": "AWS_SES",
            "NextSigningKeyLength": "RSA_1024_BIT",
        },
        "MailFromAttributes": {"BehaviorOnMxFailure": "USE_DEFAULT_VALUE"},
        "Policies": {},
        "Tags": [],
        "VerificationStatus": "PENDING",
        "VerificationInfo": {},
    }


def test_email_identity_from_v2_shows_in_v1(live: ServerProcess) -> None:
    ses, sesv2 = live.client("ses"), live.client("sesv2")
    created = sesv2.create_email_identity(EmailIdentity="info@example.com")
    assert without_metadata(created) == {
        "IdentityType": "EMAIL_ADDRESS",
        "VerifiedForSendingStatus": False,
    }
    assert ses.list_identities(IdentityType="EmailAddress")["Identities"] == ["info@example.com"]
    assert ses.list_identities(IdentityType="Domain")["Identities"] == []
    dkim = ses.get_identity_dkim_attributes(Identities=["info@example.com"])["DkimAttributes"]
    assert dkim == {
        "info@example.com": {"DkimEnabled": False, "DkimVerificationStatus": "NotStarted"}
    }


def test_domain_from_v2_gets_easy_dkim_seen_by_v1(live: ServerProcess) -> None:
    ses, sesv2 = live.client("ses"), live.client("sesv2")
    created = sesv2.create_email_identity(EmailIdentity="example.com")
    assert created["IdentityType"] == "DOMAIN"
    assert created["VerifiedForSendingStatus"] is False
    dkim = created["DkimAttributes"]
    assert dkim["SigningEnabled"] is True
    assert dkim["Status"] == "NOT_STARTED"
    assert dkim["SigningAttributesOrigin"] == "AWS_SES"
    tokens = dkim["Tokens"]
    assert len(tokens) == 3 and len(set(tokens)) == 3
    assert all(DKIM_TOKEN.fullmatch(token) for token in tokens)

    got = sesv2.get_email_identity(EmailIdentity="example.com")
    assert got["DkimAttributes"]["Status"] == "PENDING"
    assert got["DkimAttributes"]["Tokens"] == tokens
    assert got["VerificationStatus"] == "PENDING"
    assert got["VerifiedForSendingStatus"] is False

    v1_dkim = ses.get_identity_dkim_attributes(Identities=["example.com"])["DkimAttributes"]
    assert v1_dkim == {
        "example.com": {
            "DkimEnabled": True,
            "DkimVerificationStatus": "Pending",
            "DkimTokens": tokens,
        }
    }
    v1 = ses.get_identity_verification_attributes(Identities=["example.com"])
    entry = v1["VerificationAttributes"]["example.com"]
    assert entry["VerificationStatus"] == "Pending"
    assert DOMAIN_TOKEN.fullmatch(entry["VerificationToken"])


def test_domains_are_case_insensitive_and_keep_their_token(live: ServerProcess) -> None:
    ses = live.client("ses")
    token = ses.verify_domain_identity(Domain="Example.ORG")["VerificationToken"]
    assert DOMAIN_TOKEN.fullmatch(token)
    assert ses.verify_domain_identity(Domain="example.org")["VerificationToken"] == token
    assert ses.list_identities()["Identities"] == ["example.org"]
    attributes = ses.get_identity_verification_attributes(Identities=["EXAMPLE.org"])
    assert attributes["VerificationAttributes"] == {
        "EXAMPLE.org": {"VerificationStatus": "Pending", "VerificationToken": token}
    }
    code, message, _ = error_of(
        live.client("sesv2").create_email_identity, EmailIdentity="EXAMPLE.ORG"
    )
    assert (code, message) == (
        "AlreadyExistsException",
        "Email identity EXAMPLE.ORG already exist.",
    )


def test_verify_domain_dkim_adds_the_domain_and_keeps_its_tokens(live: ServerProcess) -> None:
    ses = live.client("ses")
    tokens = ses.verify_domain_dkim(Domain="mail.example.net")["DkimTokens"]
    assert len(tokens) == 3 and all(DKIM_TOKEN.fullmatch(token) for token in tokens)
    assert ses.verify_domain_dkim(Domain="MAIL.example.net")["DkimTokens"] == tokens
    assert ses.list_identities(IdentityType="Domain")["Identities"] == ["mail.example.net"]
    dkim = ses.get_identity_dkim_attributes(Identities=["mail.example.net"])["DkimAttributes"]
    assert dkim["mail.example.net"]["DkimTokens"] == tokens
    # A domain verified without DKIM shows none.
    ses.verify_domain_identity(Domain="plain.example.net")
    plain = ses.get_identity_dkim_attributes(Identities=["plain.example.net"])["DkimAttributes"]
    assert plain == {
        "plain.example.net": {"DkimEnabled": False, "DkimVerificationStatus": "NotStarted"}
    }


def test_email_addresses_keep_their_case(live: ServerProcess) -> None:
    ses = live.client("ses")
    ses.verify_email_identity(EmailAddress="Alice@Example.com")
    ses.verify_email_identity(EmailAddress="alice@example.com")
    assert sorted(ses.list_identities()["Identities"]) == ["Alice@Example.com", "alice@example.com"]
    attributes = ses.get_identity_verification_attributes(
        Identities=["ALICE@example.com", "Alice@Example.com"]
    )["VerificationAttributes"]
    assert list(attributes) == ["Alice@Example.com"]


def test_unknown_identities_are_left_out(live: ServerProcess) -> None:
    ses = live.client("ses")
    ses.verify_email_identity(EmailAddress="known@example.com")
    names = ["known@example.com", "nobody@example.com", "nothing.example"]
    verification = ses.get_identity_verification_attributes(Identities=names)
    assert list(verification["VerificationAttributes"]) == ["known@example.com"]
    assert list(ses.get_identity_dkim_attributes(Identities=names)["DkimAttributes"]) == [
        "known@example.com"
    ]


def test_duplicate_create_is_refused_whichever_api_created_it(live: ServerProcess) -> None:
    ses, sesv2 = live.client("ses"), live.client("sesv2")
    sesv2.create_email_identity(EmailIdentity="dup@example.com")
    ses.verify_email_identity(EmailAddress="v1@example.com")
    for name in ("dup@example.com", "v1@example.com"):
        code, message, status = error_of(sesv2.create_email_identity, EmailIdentity=name)
        assert (code, message, status) == (
            "AlreadyExistsException",
            f"Email identity {name} already exist.",
            400,
        )
    # v1 verification is idempotent.
    ses.verify_email_identity(EmailAddress="dup@example.com")
    assert sorted(ses.list_identities()["Identities"]) == ["dup@example.com", "v1@example.com"]


def test_delete_from_one_api_is_gone_from_the_other(live: ServerProcess) -> None:
    ses, sesv2 = live.client("ses"), live.client("sesv2")
    sesv2.create_email_identity(EmailIdentity="gone@example.com")
    ses.verify_domain_identity(Domain="gone.example")

    assert without_metadata(ses.delete_identity(Identity="gone@example.com")) == {}
    code, message, status = error_of(sesv2.get_email_identity, EmailIdentity="gone@example.com")
    assert (code, message, status) == (
        "NotFoundException",
        "Email identity gone@example.com does not exist.",
        404,
    )
    ses.delete_identity(Identity="gone@example.com")  # idempotent

    sesv2.delete_email_identity(EmailIdentity="GONE.example")
    assert ses.list_identities()["Identities"] == []
    code, message, status = error_of(sesv2.delete_email_identity, EmailIdentity="gone.example")
    assert (code, message, status) == (
        "NotFoundException",
        "Email identity gone.example does not exist.",
        404,
    )


def test_legacy_verified_address_operations(live: ServerProcess) -> None:
    ses = live.client("ses")
    assert without_metadata(ses.verify_email_address(EmailAddress="old@example.com")) == {}
    ses.verify_email_address(EmailAddress="pending@example.com")
    ses.verify_domain_identity(Domain="example.com")
    verify(live, "old@example.com")
    verify(live, "example.com")
    listed = ses.list_verified_email_addresses()["VerifiedEmailAddresses"]
    assert listed == ["old@example.com"]
    ses.delete_verified_email_address(EmailAddress="old@example.com")
    ses.delete_verified_email_address(EmailAddress="old@example.com")  # idempotent
    assert ses.list_verified_email_addresses()["VerifiedEmailAddresses"] == []
    assert sorted(ses.list_identities()["Identities"]) == ["example.com", "pending@example.com"]


def test_malformed_names_are_refused(live: ServerProcess) -> None:
    ses, sesv2 = live.client("ses"), live.client("sesv2")
    # Real SES text, without a space (Optum/dce#143).
    assert error_of(ses.verify_email_identity, EmailAddress="not-an-address") == (
        "InvalidParameterValue",
        "Invalid email addressnot-an-address.",
        400,
    )
    assert error_of(ses.verify_domain_identity, Domain="no spaces.example") == (
        "InvalidParameterValue",
        "Invalid domain name no spaces.example.",
        400,
    )
    assert error_of(ses.verify_domain_dkim, Domain="user@example.com")[0] == "InvalidParameterValue"
    assert error_of(sesv2.create_email_identity, EmailIdentity="someone@")[:2] == (
        "BadRequestException",
        "Invalid email address someone@.",
    )
    assert ses.list_identities()["Identities"] == []


def test_v2_filters_and_paging(live: ServerProcess) -> None:
    ses, sesv2 = live.client("ses"), live.client("sesv2")
    for name in ("a@example.com", "b@example.com", "shop.example", "c@other.example"):
        sesv2.create_email_identity(EmailIdentity=name)
    verify(live, "b@example.com")

    def names(**params: Any) -> list[str]:
        listed = sesv2.list_email_identities(**params)["EmailIdentities"]
        return [item["IdentityName"] for item in listed]

    assert names(Filter={"IDENTITY_TYPE": "DOMAIN"}) == ["shop.example"]
    assert names(Filter={"VERIFICATION_STATUS": "SUCCESS"}) == ["b@example.com"]
    assert names(Filter={"IDENTITY_NAME_CONTAINS": "EXAMPLE.COM"}) == [
        "a@example.com",
        "b@example.com",
    ]
    assert names(Filter={"IDENTITY_TYPE": "MANAGED_DOMAIN"}) == []
    code, _, status = error_of(
        live.client("sesv2", validate=False).list_email_identities,
        Filter={"IDENTITY_TYPE": "PHONE"},
    )
    assert (code, status) == ("BadRequestException", 400)

    first = sesv2.list_email_identities(PageSize=1, Filter={"VERIFICATION_STATUS": "PENDING"})
    assert [item["IdentityName"] for item in first["EmailIdentities"]] == ["a@example.com"]
    second = sesv2.list_email_identities(
        PageSize=2, NextToken=first["NextToken"], Filter={"VERIFICATION_STATUS": "PENDING"}
    )
    assert [item["IdentityName"] for item in second["EmailIdentities"]] == [
        "shop.example",
        "c@other.example",
    ]
    assert "NextToken" not in second

    page = ses.list_identities(MaxItems=3)
    rest = ses.list_identities(MaxItems=3, NextToken=page["NextToken"])
    assert page["Identities"] + rest["Identities"] == [
        "a@example.com",
        "b@example.com",
        "shop.example",
        "c@other.example",
    ]


def test_identities_belong_to_one_account_and_region(live: ServerProcess) -> None:
    live.client("ses").verify_email_identity(EmailAddress="here@example.com")
    assert live.client("ses", region="eu-west-1").list_identities()["Identities"] == []
    other = live.client("sesv2", access_key="111122223333")
    assert other.list_email_identities()["EmailIdentities"] == []
    other.create_email_identity(EmailIdentity="here@example.com")  # no clash across accounts
    answer = httpx.post(
        f"{live.url}/_poolmail/ses/identities/verify",
        json={"identity": "here@example.com", "account": "111122223333"},
    )
    assert answer.status_code == 200
    assert other.get_email_identity(EmailIdentity="here@example.com")["VerificationStatus"] == (
        "SUCCESS"
    )
    mine = live.client("sesv2").get_email_identity(EmailIdentity="here@example.com")
    assert mine["VerificationStatus"] == "PENDING"
