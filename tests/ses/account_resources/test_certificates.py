"""SES v2 S/MIME certificates of email identities through boto3, the certificates held in
moto's ACM."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from tests.ses.helpers import advance
from tests.support.moto import Moto
from tests.support.server import ServerProcess

ACM_ARN = "arn:aws:acm:us-east-1:123456789012:certificate/"


@pytest.fixture
def acm(moto_server: ServerProcess) -> ServerProcess:
    """A server reading certificates from moto's ACM, on SQLite and on PostgreSQL."""
    return moto_server


def refused(call: Any, **params: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    error = excinfo.value.response["Error"]
    status = excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]
    return error["Code"], error["Message"], status


def certificate(addresses: list[str], days: int = 365) -> tuple[str, str, dt.datetime]:
    """A self-signed S/MIME certificate for ``addresses``: PEM, key PEM, expiry."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, addresses[0])])
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    expiry = now + dt.timedelta(days=days)
    built = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(expiry)
        .add_extension(
            x509.SubjectAlternativeName([x509.RFC822Name(a) for a in addresses]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    return built.public_bytes(serialization.Encoding.PEM).decode(), key_pem.decode(), expiry


def imported(moto: Moto, addresses: list[str], days: int = 365) -> tuple[str, dt.datetime]:
    pem, key, expiry = certificate(addresses, days)
    arn = moto.client("acm").import_certificate(Certificate=pem, PrivateKey=key)
    return str(arn["CertificateArn"]), expiry


def test_associate_list_and_disassociate(acm: ServerProcess, moto: Moto) -> None:
    sesv2 = acm.client("sesv2")
    sesv2.create_email_identity(EmailIdentity="alice@brand.example")
    arn, expiry = imported(moto, ["alice@brand.example"])
    sesv2.associate_email_identity_certificate(
        EmailIdentity="alice@brand.example", CertificateArn=arn
    )
    listed = sesv2.list_email_identity_certificates(EmailIdentity="alice@brand.example")
    assert listed["Certificates"] == [
        {
            "FromAddress": "alice@brand.example",
            "Status": "PROVISIONING",
            "CertificateArn": arn,
            "CertificateExpiryTime": expiry,
        }
    ]
    advance(acm, 2)
    active = sesv2.list_email_identity_certificates(EmailIdentity="alice@brand.example")
    assert active["Certificates"][0]["Status"] == "ACTIVE"

    assert refused(
        sesv2.associate_email_identity_certificate,
        EmailIdentity="alice@brand.example",
        CertificateArn=arn,
    ) == (
        "AlreadyExistsException",
        "A certificate is already associated with the address alice@brand.example.",
        400,
    )
    assert refused(
        sesv2.associate_email_identity_certificate,
        EmailIdentity="alice@brand.example",
        FromAddress="bob@brand.example",
        CertificateArn=arn,
    ) == (
        "BadRequestException",
        "FromAddress bob@brand.example must match the email identity alice@brand.example.",
        400,
    )
    assert refused(
        sesv2.associate_email_identity_certificate,
        EmailIdentity="nobody@brand.example",
        CertificateArn=arn,
    ) == ("NotFoundException", "Email identity nobody@brand.example does not exist.", 404)

    sesv2.disassociate_email_identity_certificate(EmailIdentity="alice@brand.example")
    assert (
        sesv2.list_email_identity_certificates(EmailIdentity="alice@brand.example")["Certificates"]
        == []
    )
    # Idempotent: nothing to remove is no error; an unknown identity is.
    sesv2.disassociate_email_identity_certificate(EmailIdentity="alice@brand.example")
    assert (
        refused(
            sesv2.disassociate_email_identity_certificate, EmailIdentity="nobody@brand.example"
        )[0]
        == "NotFoundException"
    )
    assert (
        refused(sesv2.list_email_identity_certificates, EmailIdentity="nobody@brand.example")[0]
        == "NotFoundException"
    )


def test_certificates_are_checked(acm: ServerProcess, moto: Moto) -> None:
    sesv2 = acm.client("sesv2")
    sesv2.create_email_identity(EmailIdentity="alice@brand.example")
    other, _ = imported(moto, ["carol@elsewhere.example"])
    assert refused(
        sesv2.associate_email_identity_certificate,
        EmailIdentity="alice@brand.example",
        CertificateArn=other,
    ) == (
        "BadRequestException",
        f"Certificate {other} does not cover the address alice@brand.example.",
        400,
    )
    absent = ACM_ARN + "00000000-0000-0000-0000-000000000000"
    assert refused(
        sesv2.associate_email_identity_certificate,
        EmailIdentity="alice@brand.example",
        CertificateArn=absent,
    ) == ("NotFoundException", f"Certificate {absent} does not exist.", 404)
    assert (
        sesv2.list_email_identity_certificates(EmailIdentity="alice@brand.example")["Certificates"]
        == []
    )

    # Past its expiry, a certificate is FAILED.
    short, _ = imported(moto, ["alice@brand.example"], days=2)
    sesv2.associate_email_identity_certificate(
        EmailIdentity="alice@brand.example", CertificateArn=short
    )
    advance(acm, 3 * 86400)
    failed = sesv2.list_email_identity_certificates(EmailIdentity="alice@brand.example")
    assert failed["Certificates"][0]["Status"] == "FAILED"


def test_domain_identities_name_their_addresses(acm: ServerProcess, moto: Moto) -> None:
    sesv2 = acm.client("sesv2")
    sesv2.create_email_identity(EmailIdentity="brand.example")
    addresses = ["a@brand.example", "b@mail.brand.example", "c@brand.example"]
    arn, _ = imported(moto, addresses)
    assert refused(
        sesv2.associate_email_identity_certificate,
        EmailIdentity="brand.example",
        CertificateArn=arn,
    ) == (
        "BadRequestException",
        "FromAddress is required for the domain identity brand.example.",
        400,
    )
    assert refused(
        sesv2.associate_email_identity_certificate,
        EmailIdentity="brand.example",
        FromAddress="a@notbrand.example",
        CertificateArn=arn,
    ) == (
        "BadRequestException",
        "FromAddress a@notbrand.example must belong to the domain brand.example or one of "
        "its subdomains.",
        400,
    )
    for address in addresses:
        sesv2.associate_email_identity_certificate(
            EmailIdentity="brand.example", FromAddress=address, CertificateArn=arn
        )
    first = sesv2.list_email_identity_certificates(EmailIdentity="brand.example", PageSize=2)
    assert [c["FromAddress"] for c in first["Certificates"]] == addresses[:2]
    rest = sesv2.list_email_identity_certificates(
        EmailIdentity="brand.example", PageSize=2, NextToken=first["NextToken"]
    )
    assert [c["FromAddress"] for c in rest["Certificates"]] == addresses[2:]
    assert "NextToken" not in rest
    assert (
        refused(sesv2.disassociate_email_identity_certificate, EmailIdentity="brand.example")[0]
        == "BadRequestException"
    )
    sesv2.disassociate_email_identity_certificate(
        EmailIdentity="brand.example", FromAddress="b@mail.brand.example"
    )
    left = sesv2.list_email_identity_certificates(EmailIdentity="brand.example")
    assert [c["FromAddress"] for c in left["Certificates"]] == [
        "a@brand.example",
        "c@brand.example",
    ]


def test_without_acm_an_association_stays_provisioning(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    sesv2.create_email_identity(EmailIdentity="alice@brand.example")
    arn = ACM_ARN + "11111111-1111-1111-1111-111111111111"
    sesv2.associate_email_identity_certificate(
        EmailIdentity="alice@brand.example", CertificateArn=arn
    )
    advance(live, 2)
    assert sesv2.list_email_identity_certificates(EmailIdentity="alice@brand.example")[
        "Certificates"
    ] == [{"FromAddress": "alice@brand.example", "Status": "PROVISIONING", "CertificateArn": arn}]
