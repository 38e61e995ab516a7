"""DKIM for real: Easy DKIM and BYODKIM keys, the signing switches, and the signatures on
the mail SES stores and relays, verified with dkimpy against poolmail's local DNS zone."""

from __future__ import annotations

import base64
import time
from typing import Any

import dkim
import httpx
import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tests.ses.helpers import production_access, simple_message
from tests.support.server import ServerProcess

RECIPIENT = "success@simulator.amazonses.com"
# A 512-bit RSA key (PKCS#8 body), too short for SES; cryptography will not make one.
WEAK_KEY = (
    "MIIBVAIBADANBgkqhkiG9w0BAQEFAASCAT4wggE6AgEAAkEAudd74k/OMPCpCP4sspGgKUx42PA1AWmIqhEK3tJp"
    "5Gsn15GxXnHeTTrJqMWNfocrvOvYomLfOq+znt8ZMwqAUQIDAQABAkAhiCj5N68bk4Dcd4g3HCGK8hpoAkd+Hr2i"
    "+fo9JDgpF4F7/pLVne7BZQhyMGME7Nlug3pYPRO/B4WEAwCiGydlAiEA8KgTBSKFy0qr6SKwrWnUe7IvSYYYDGUb"
    "XWqviGx7hP8CIQDFsL0Gl9PRuyR5tSZzKGE8eLGsMPrJkPI3g/6f7XdqrwIgJEL/Eq///wDSZH+gpZCjvru7mlWF"
    "PCDj/bB8oI7QEdsCIHydzIo7aurqbTPLXVF6QtE7w8Qnm+8zz3vvWLK3nm9BAiEAqmiYRgh5IhP3E67/cKxCmk+e"
    "bdLH2BZa11tBs3OCVKY="
)


# --- helpers ---------------------------------------------------------------------------------


def publish(server: ServerProcess, name: str, kind: str, value: str) -> None:
    answer = httpx.post(
        f"{server.url}/_poolmail/dns/records", json={"name": name, "type": kind, "value": value}
    )
    assert answer.status_code in (200, 201), answer.text


def zone_dns(server: ServerProcess) -> Any:
    """A dnsfunc for dkimpy that reads the server's local zone, following CNAMEs as a
    resolver does."""

    def lookup(name: bytes | str, timeout: int = 5) -> bytes:
        records = httpx.get(f"{server.url}/_poolmail/dns/records").json()["records"]
        wanted = (name.decode() if isinstance(name, bytes) else name).rstrip(".").lower()
        for _ in range(5):
            txt = [r["value"] for r in records if r["name"] == wanted and r["type"] == "TXT"]
            if txt:
                return str(txt[0]).encode()
            cname = [r["value"] for r in records if r["name"] == wanted and r["type"] == "CNAME"]
            if not cname:
                return b""
            wanted = cname[0]
        return b""

    return lookup


def signatures(raw: bytes) -> list[dict[bytes, bytes]]:
    """The tags of each DKIM-Signature header, top first."""
    found = []
    for name, value in dkim.DKIM(raw).headers:
        if name.lower() == b"dkim-signature":
            tags = dkim.util.parse_tag_value(value)
            found.append(tags)
    return found


def verify_all(server: ServerProcess, raw: bytes) -> list[int]:
    """Verify every signature of ``raw``; the key sizes found."""
    sizes = []
    for index in range(len(signatures(raw))):
        checker = dkim.DKIM(raw)
        assert checker.verify(idx=index, dnsfunc=zone_dns(server)), f"signature {index} fails"
        sizes.append(checker.keysize)
    return sizes


def send(server: ServerProcess, source: str) -> bytes:
    sesv2 = server.client("sesv2")
    sent = sesv2.send_email(
        FromEmailAddress=source,
        Destination={"ToAddresses": [RECIPIENT]},
        Content={"Simple": simple_message(subject="signed", text="Body line\n")},
    )
    raw = httpx.get(f"{server.url}/_poolmail/messages/{sent['MessageId']}/raw")
    raw.raise_for_status()
    return raw.content


def admin_verify(server: ServerProcess, identity: str) -> None:
    httpx.post(
        f"{server.url}/_poolmail/ses/identities/verify",
        json={"identity": identity, "account": "123456789012", "region": "us-east-1"},
    ).raise_for_status()


def publish_cnames(server: ServerProcess, domain: str) -> None:
    """Publish the domain's three Easy DKIM CNAMEs and wait until SES has found them."""
    for token in dkim_attributes(server, domain)["Tokens"]:
        publish(server, f"{token}._domainkey.{domain}", "CNAME", f"{token}.dkim.amazonses.com")
    assert eventually(lambda: dkim_attributes(server, domain)["Status"] == "SUCCESS")


def eventually(check: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.1)


def dkim_attributes(server: ServerProcess, identity: str) -> dict[str, Any]:
    got = server.client("sesv2").get_email_identity(EmailIdentity=identity)
    attributes: dict[str, Any] = got["DkimAttributes"]
    return attributes


def external_key(bits: int) -> tuple[str, str]:
    """(DomainSigningPrivateKey as AWS wants it, the `p=` of its DNS record)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    body = "".join(line for line in pem.splitlines() if not line.startswith("-----"))
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return body, base64.b64encode(public).decode()


def error_of(call: Any, **params: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


# --- Easy DKIM -------------------------------------------------------------------------------


def test_easy_dkim_mail_verifies_against_the_local_zone(live: ServerProcess) -> None:
    # Out of the sandbox's one message a second.
    production_access(live)
    sesv2 = live.client("sesv2")
    tokens = sesv2.create_email_identity(EmailIdentity="signed.example")["DkimAttributes"]["Tokens"]
    for token in tokens:
        publish(live, f"{token}._domainkey.signed.example", "CNAME", f"{token}.dkim.amazonses.com")
    assert eventually(lambda: dkim_attributes(live, "signed.example")["Status"] == "SUCCESS")
    attributes = dkim_attributes(live, "signed.example")
    assert attributes["SigningEnabled"] is True
    assert attributes["SigningAttributesOrigin"] == "AWS_SES"
    assert attributes["CurrentSigningKeyLength"] == "RSA_2048_BIT"
    assert attributes["NextSigningKeyLength"] == "RSA_2048_BIT"
    assert attributes["SigningHostedZone"] == "dkim.amazonses.com"

    raw = send(live, "Sender <news@signed.example>")
    tags = signatures(raw)
    # The From domain's signature sits above the amazonses.com one, as in SES's mail.
    assert (tags[0][b"d"], tags[0][b"s"]) == (b"signed.example", tokens[0].encode())
    assert tags[1][b"d"] == b"amazonses.com"
    for t in tags:
        assert (t[b"a"], t[b"c"], t[b"q"]) == (b"rsa-sha256", b"relaxed/simple", b"dns/txt")
        assert b"i" not in t
        names = [name.strip() for name in t[b"h"].split(b":")]
        assert names[:4] == [b"From", b"To", b"Subject", b"Date"]
    assert tags[0][b"bh"] == tags[1][b"bh"] and tags[0][b"t"] == tags[1][b"t"]
    assert verify_all(live, raw) == [2048, 1024]
    # Every token's target carries the key, so any of them verifies.
    lookup = zone_dns(live)
    record = lookup(f"{tokens[0]}._domainkey.signed.example")
    assert record.startswith(b"v=DKIM1; k=rsa; p=")
    assert all(lookup(f"{token}._domainkey.signed.example") == record for token in tokens)
    # The key is made once: the next message is signed with the same one.
    assert verify_all(live, send(live, "other@signed.example")) == [2048, 1024]


def test_signing_switches_v1_and_v2_and_an_address_override(live: ServerProcess) -> None:
    # Out of the sandbox's one message a second.
    production_access(live)
    ses, sesv2 = live.client("ses"), live.client("sesv2")
    tokens = ses.verify_domain_dkim(Domain="switch.example")["DkimTokens"]
    publish_cnames(live, "switch.example")
    assert len(signatures(send(live, "a@switch.example"))) == 2

    sesv2.put_email_identity_dkim_attributes(EmailIdentity="switch.example", SigningEnabled=False)
    assert dkim_attributes(live, "switch.example")["SigningEnabled"] is False
    v1 = ses.get_identity_dkim_attributes(Identities=["switch.example"])["DkimAttributes"]
    assert v1["switch.example"] == {
        "DkimEnabled": False,
        "DkimVerificationStatus": "Success",
        "DkimTokens": tokens,
    }
    raw = send(live, "a@switch.example")
    assert [t[b"d"] for t in signatures(raw)] == [b"amazonses.com"]
    assert verify_all(live, raw) == [1024]

    ses.set_identity_dkim_enabled(Identity="switch.example", DkimEnabled=True)
    assert dkim_attributes(live, "switch.example")["SigningEnabled"] is True
    assert [t[b"d"] for t in signatures(send(live, "a@switch.example"))] == [
        b"switch.example",
        b"amazonses.com",
    ]

    # An address identity's own setting overrides its domain's.
    ses.verify_email_identity(EmailAddress="quiet@switch.example")
    ses.set_identity_dkim_enabled(Identity="quiet@switch.example", DkimEnabled=False)
    assert [t[b"d"] for t in signatures(send(live, "quiet@switch.example"))] == [b"amazonses.com"]
    assert len(signatures(send(live, "loud@switch.example"))) == 2


def test_signing_switch_errors_change_nothing(live: ServerProcess) -> None:
    ses, sesv2 = live.client("ses"), live.client("sesv2")
    assert error_of(
        sesv2.put_email_identity_dkim_attributes,
        EmailIdentity="nowhere.example",
        SigningEnabled=True,
    ) == ("BadRequestException", "Domain nowhere.example is not verified for DKIM signing.")
    assert error_of(
        ses.set_identity_dkim_enabled, Identity="nowhere.example", DkimEnabled=True
    ) == ("InvalidParameterValue", "Domain nowhere.example is not verified for DKIM signing.")
    # A domain still pending cannot have signing turned on; it can be turned off.
    sesv2.create_email_identity(EmailIdentity="pending.example")
    sesv2.put_email_identity_dkim_attributes(EmailIdentity="pending.example", SigningEnabled=False)
    assert error_of(
        sesv2.put_email_identity_dkim_attributes,
        EmailIdentity="pending.example",
        SigningEnabled=True,
    ) == ("BadRequestException", "Domain pending.example is not verified for DKIM signing.")
    assert dkim_attributes(live, "pending.example")["SigningEnabled"] is False
    assert dkim_attributes(live, "pending.example")["Status"] == "PENDING"


def test_key_length_and_rotation(live: ServerProcess) -> None:
    # Out of the sandbox's one message a second.
    production_access(live)
    sesv2 = live.client("sesv2")
    created = sesv2.create_email_identity(
        EmailIdentity="short.example",
        DkimSigningAttributes={"NextSigningKeyLength": "RSA_1024_BIT"},
    )
    assert created["DkimAttributes"]["NextSigningKeyLength"] == "RSA_1024_BIT"
    publish_cnames(live, "short.example")
    before = dkim_attributes(live, "short.example")
    assert before["CurrentSigningKeyLength"] == "RSA_1024_BIT"
    assert verify_all(live, send(live, "a@short.example")) == [1024, 1024]

    answer = sesv2.put_email_identity_dkim_signing_attributes(
        EmailIdentity="short.example",
        SigningAttributesOrigin="AWS_SES",
        SigningAttributes={"NextSigningKeyLength": "RSA_2048_BIT"},
    )
    assert answer["DkimStatus"] == "SUCCESS"
    assert answer["DkimTokens"] == before["Tokens"]
    assert answer["SigningHostedZone"] == "dkim.amazonses.com"
    after = dkim_attributes(live, "short.example")
    assert (after["CurrentSigningKeyLength"], after["NextSigningKeyLength"]) == (
        "RSA_2048_BIT",
        "RSA_2048_BIT",
    )
    assert after["LastKeyGenerationTimestamp"] >= before["LastKeyGenerationTimestamp"]
    assert verify_all(live, send(live, "a@short.example")) == [2048, 1024]
    # AWS: the key length can change at most once a day.
    code, message = error_of(
        sesv2.put_email_identity_dkim_signing_attributes,
        EmailIdentity="short.example",
        SigningAttributesOrigin="AWS_SES",
        SigningAttributes={"NextSigningKeyLength": "RSA_1024_BIT"},
    )
    assert (code, message) == (
        "BadRequestException",
        "NextSigningKeyLength can be changed at most once per day.",
    )
    assert dkim_attributes(live, "short.example")["NextSigningKeyLength"] == "RSA_2048_BIT"


# --- BYODKIM ---------------------------------------------------------------------------------


def test_byodkim_pending_until_the_selector_record_then_signed(live: ServerProcess) -> None:
    # Out of the sandbox's one message a second.
    production_access(live)
    sesv2 = live.client("sesv2")
    sesv2.create_email_identity(EmailIdentity="own.example")
    admin_verify(live, "own.example")
    private, public = external_key(1024)
    answer = sesv2.put_email_identity_dkim_signing_attributes(
        EmailIdentity="own.example",
        SigningAttributesOrigin="EXTERNAL",
        SigningAttributes={"DomainSigningSelector": "mail2026", "DomainSigningPrivateKey": private},
    )
    assert (answer["DkimStatus"], answer["DkimTokens"]) == ("PENDING", ["mail2026"])
    attributes = dkim_attributes(live, "own.example")
    assert attributes["SigningAttributesOrigin"] == "EXTERNAL"
    assert (attributes["Status"], attributes["Tokens"]) == ("PENDING", ["mail2026"])
    # Pending: mail goes out without the domain's signature.
    assert [t[b"d"] for t in signatures(send(live, "a@own.example"))] == [b"amazonses.com"]

    # A record with another key does not count.
    publish(
        live, "mail2026._domainkey.own.example", "TXT", f"v=DKIM1; k=rsa; p={public[:-8]}AAAAAAA="
    )
    assert dkim_attributes(live, "own.example")["Status"] == "PENDING"
    publish(live, "mail2026._domainkey.own.example", "TXT", f"v=DKIM1; k=rsa; p={public}")
    assert eventually(lambda: dkim_attributes(live, "own.example")["Status"] == "SUCCESS")

    raw = send(live, "a@own.example")
    tags = signatures(raw)
    assert (tags[0][b"d"], tags[0][b"s"]) == (b"own.example", b"mail2026")
    checker = dkim.DKIM(raw)
    assert checker.verify(idx=0, dnsfunc=lambda name, timeout=5: f"v=DKIM1; p={public}".encode())
    assert checker.keysize == 1024

    # Back to Easy DKIM: new tokens, pending again, no more domain signature until found.
    back = sesv2.put_email_identity_dkim_signing_attributes(
        EmailIdentity="own.example", SigningAttributesOrigin="AWS_SES"
    )
    assert back["DkimStatus"] == "PENDING" and len(back["DkimTokens"]) == 3
    attributes = dkim_attributes(live, "own.example")
    assert attributes["SigningAttributesOrigin"] == "AWS_SES"
    assert attributes["Tokens"] == back["DkimTokens"]
    assert [t[b"d"] for t in signatures(send(live, "a@own.example"))] == [b"amazonses.com"]


def test_byodkim_at_creation_and_bad_keys(live: ServerProcess) -> None:
    # Out of the sandbox's one message a second.
    production_access(live)
    sesv2 = live.client("sesv2")
    private, public = external_key(2048)
    created = sesv2.create_email_identity(
        EmailIdentity="brought.example",
        DkimSigningAttributes={"DomainSigningSelector": "s1", "DomainSigningPrivateKey": private},
    )
    assert created["DkimAttributes"]["SigningAttributesOrigin"] == "EXTERNAL"
    publish(live, "s1._domainkey.brought.example", "TXT", f"v=DKIM1; k=rsa; p={public}")
    assert eventually(lambda: dkim_attributes(live, "brought.example")["Status"] == "SUCCESS")
    assert verify_all(live, send(live, "a@brought.example")) == [2048, 1024]

    put = sesv2.put_email_identity_dkim_signing_attributes
    small = WEAK_KEY
    large, _ = external_key(3072)
    ec_key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    bad = {
        small: "Invalid DomainSigningPrivateKey: the key length must be between 1024 and "
        "2048 bits, not 512.",
        large: "Invalid DomainSigningPrivateKey: the key length must be between 1024 and "
        "2048 bits, not 3072.",
        base64.b64encode(ec_key).decode(): "Invalid DomainSigningPrivateKey: the key must be "
        "an RSA key.",
        base64.b64encode(b"not a key").decode(): "Invalid DomainSigningPrivateKey: not an RSA "
        "private key in PKCS#1 or PKCS#8 form.",
    }
    for key, message in bad.items():
        assert error_of(
            put,
            EmailIdentity="brought.example",
            SigningAttributesOrigin="EXTERNAL",
            SigningAttributes={"DomainSigningSelector": "s2", "DomainSigningPrivateKey": key},
        ) == ("BadRequestException", message)
    assert error_of(put, EmailIdentity="brought.example", SigningAttributesOrigin="EXTERNAL") == (
        "BadRequestException",
        "DomainSigningSelector and DomainSigningPrivateKey are required with the EXTERNAL "
        "signing attributes origin.",
    )
    assert error_of(put, EmailIdentity="missing.example", SigningAttributesOrigin="AWS_SES") == (
        "NotFoundException",
        "Email identity missing.example does not exist.",
    )
    sesv2.create_email_identity(EmailIdentity="person@brought.example")
    assert error_of(
        put, EmailIdentity="person@brought.example", SigningAttributesOrigin="AWS_SES"
    ) == (
        "BadRequestException",
        "DKIM signing attributes can only be set for a domain identity, not "
        "person@brought.example.",
    )
    # Nothing changed: the brought key still signs.
    attributes = dkim_attributes(live, "brought.example")
    assert (attributes["Status"], attributes["Tokens"]) == ("SUCCESS", ["s1"])
    assert verify_all(live, send(live, "a@brought.example")) == [2048, 1024]
