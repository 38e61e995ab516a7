"""SES v2 S/MIME certificates of email identities: AssociateEmailIdentityCertificate,
DisassociateEmailIdentityCertificate and ListEmailIdentityCertificates.

"The certificate is an X.509 certificate that you manage in Certificate Manager (ACM).
You identify it by its Amazon Resource Name (ARN)." [model] poolmail reads it from ACM at
`--acm-endpoint-url` or `--aws-endpoint-url` and checks it with `cryptography`: it must
parse, and name the From address it is associated for. Choice: with no ACM endpoint
configured, or none answering, nothing can read the certificate, and its association
stays PROVISIONING; a certificate read and found good is PROVISIONING for one second and
ACTIVE from then on, FAILED once expired ("If a certificate has passed its expiration
time, it's returned with a status of FAILED." [model]).
"""

from __future__ import annotations

import json
from typing import Any

from poolmail.aws_services.outbox import endpoint_for
from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.paging import keyset_page
from poolmail.protocol.errors import AwsError
from poolmail.ses.contacts.lists import page_size
from poolmail.ses.identities.coverage import bare_address
from poolmail.store import Transaction

PROVISIONING_SECONDS = 1.0


def _bad(message: str) -> AwsError:
    return AwsError("BadRequestException", message)


def _identity(tx: Transaction, ctx: RequestContext, given: str) -> str:
    """The stored name of identity ``given``, or NotFoundException."""
    name = given if "@" in given else given.lower()
    row = tx.fetchone(
        "SELECT 1 FROM ses_identities WHERE account = ? AND region = ? AND identity = ?",
        (ctx.account_id, ctx.region, name),
    )
    if row is None:
        # The wording of GetEmailIdentity's refusal (ses/identities/identities.py).
        raise AwsError("NotFoundException", f"Email identity {given} does not exist.")
    return name


def _from_address(identity: str, given: str | None) -> str:
    """The From address the association is for, checked against the identity as the
    model describes (AWS's texts were not found; each refusal names the rule)."""
    if "@" in identity:
        if given is None:
            return identity
        if given.lower() != identity.lower():
            raise _bad(f"FromAddress {given} must match the email identity {identity}.")
        return identity
    if given is None:
        raise _bad(f"FromAddress is required for the domain identity {identity}.")
    address = bare_address(given)
    domain = address.rpartition("@")[2].lower()
    if "@" not in address or not (domain == identity or domain.endswith("." + identity)):
        raise _bad(
            f"FromAddress {given} must belong to the domain {identity} or one of its subdomains."
        )
    return address


def _certificate_pem(ctx: RequestContext, arn: str) -> str | None:
    """The certificate's PEM as ACM holds it; None when no ACM endpoint answers."""
    url = endpoint_for(ctx.settings, "acm")
    if url is None:
        return None
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    region = arn.split(":")[3] or ctx.region
    client = boto3.client(
        "acm",
        endpoint_url=url,
        region_name=region,
        config=Config(connect_timeout=2, read_timeout=10, retries={"total_max_attempts": 1}),
    )
    try:
        return str(client.get_certificate(CertificateArn=arn)["Certificate"])
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            raise AwsError("NotFoundException", f"Certificate {arn} does not exist.") from None
        raise _bad(f"Certificate {arn} could not be read: {error}") from None
    except BotoCoreError:
        return None


def _check(pem: str, arn: str, address: str) -> float:
    """The certificate's expiry, once it parses and names ``address``."""
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    try:
        certificate = x509.load_pem_x509_certificate(pem.encode())
    except ValueError:
        raise _bad(f"Certificate {arn} is not a valid X.509 certificate.") from None
    named = {
        str(attribute.value).lower()
        for attribute in certificate.subject.get_attributes_for_oid(NameOID.EMAIL_ADDRESS)
    }
    try:
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        named.update(value.lower() for value in names.value.get_values_for_type(x509.RFC822Name))
    except x509.ExtensionNotFound:
        pass
    if address.lower() not in named:
        raise _bad(f"Certificate {arn} does not cover the address {address}.")
    return certificate.not_valid_after_utc.timestamp()


def associate_email_identity_certificate(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    arn = params["CertificateArn"]
    with ctx.db.transaction(readonly=True) as tx:
        identity = _identity(tx, ctx, params["EmailIdentity"])
    address = _from_address(identity, params.get("FromAddress"))
    pem = _certificate_pem(ctx, arn)
    data: dict[str, Any] = {"CertificateArn": arn, "Read": pem is not None}
    if pem is not None:
        data["CertificateExpiryTime"] = _check(pem, arn, address)
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction(lock=f"ses-certificates:{ctx.account_id}:{ctx.region}") as tx:
        _identity(tx, ctx, identity)
        # "Each email address can have only one certificate association." [model]
        taken = tx.fetchone(
            "SELECT identity FROM ses_identity_certificates "
            "WHERE account = ? AND region = ? AND from_address = ?",
            (ctx.account_id, ctx.region, address),
        )
        if taken is not None:
            raise AwsError(
                "AlreadyExistsException",
                f"A certificate is already associated with the address {address}.",
            )
        tx.execute(
            "INSERT INTO ses_identity_certificates (account, region, identity, from_address, "
            "created_at, data) VALUES (?, ?, ?, ?, ?, ?)",
            (ctx.account_id, ctx.region, identity, address, now, json.dumps(data)),
        )
    return {}


def disassociate_email_identity_certificate(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    """ "This operation is idempotent": without a matching association it changes
    nothing; only an unknown identity is NotFoundException [model]."""
    with ctx.db.transaction(lock=f"ses-certificates:{ctx.account_id}:{ctx.region}") as tx:
        identity = _identity(tx, ctx, params["EmailIdentity"])
        address = _from_address(identity, params.get("FromAddress"))
        tx.execute(
            "DELETE FROM ses_identity_certificates WHERE account = ? AND region = ? "
            "AND identity = ? AND from_address = ?",
            (ctx.account_id, ctx.region, identity, address),
        )
    return {}


def _status(data: dict[str, Any], created_at: float, now: float) -> str:
    if not data.get("Read"):
        return "PROVISIONING"
    expiry = data.get("CertificateExpiryTime")
    if expiry is not None and now >= float(expiry):
        return "FAILED"
    return "ACTIVE" if now >= created_at + PROVISIONING_SECONDS else "PROVISIONING"


def list_email_identity_certificates(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    limit = page_size(params)
    with ctx.db.transaction(readonly=True) as tx:
        identity = _identity(tx, ctx, params["EmailIdentity"])
        rows, next_token = keyset_page(
            tx,
            "SELECT from_address, created_at, data FROM ses_identity_certificates "
            "WHERE account = ? AND region = ? AND identity = ?",
            [ctx.account_id, ctx.region, identity],
            key="from_address",
            token=params.get("NextToken"),
            token_error="BadRequestException",
            limit=limit,
        )
    now = ctx.clock.now().timestamp()
    certificates = []
    for address, created_at, raw in rows:
        data = json.loads(raw)
        entry: dict[str, Any] = {
            "FromAddress": str(address),
            "Status": _status(data, float(created_at), now),
            "CertificateArn": data["CertificateArn"],
        }
        if data.get("CertificateExpiryTime") is not None:
            entry["CertificateExpiryTime"] = float(data["CertificateExpiryTime"])
        certificates.append(entry)
    answer: dict[str, Any] = {"Certificates": certificates}
    if next_token:
        answer["NextToken"] = next_token
    return answer


V1: dict[str, Handler] = {}
V2: dict[str, Handler] = {
    "AssociateEmailIdentityCertificate": associate_email_identity_certificate,
    "DisassociateEmailIdentityCertificate": disassociate_email_identity_certificate,
    "ListEmailIdentityCertificates": list_email_identity_certificates,
}
