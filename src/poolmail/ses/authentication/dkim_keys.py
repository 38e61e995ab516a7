"""DKIM keys: the Easy DKIM key pair poolmail makes for a domain, a key brought by the user
(BYODKIM), and poolmail's own `amazonses.com` key; kept in `ses_dkim_keys`, their public
halves published in poolmail's local DNS zone where SES would publish them.

Choice: Easy DKIM gets one key pair per domain, published at all three CNAME targets
(`<token>.dkim.amazonses.com`) and used under the first token. SES's three tokens exist
for rotation; one key behind them is enough for every verifier to find it.
"""

from __future__ import annotations

import base64
import binascii
import functools
import secrets
from dataclasses import dataclass

from poolmail.protocol.errors import AwsError
from poolmail.ses.identities.dns import DKIM_TARGET_ZONE, add_record, remove_record
from poolmail.store import Transaction

KEY_BITS = {"RSA_1024_BIT": 1024, "RSA_2048_BIT": 2048}
AMAZONSES_DOMAIN = "amazonses.com"
# poolmail's own `amazonses.com` key is stored per region, under no account.
_NO_ACCOUNT = ""


@dataclass(frozen=True, slots=True)
class StoredKey:
    selector: str
    pem: bytes  # PKCS#1 ("RSA PRIVATE KEY") PEM, the form dkimpy reads
    created_at: float


def generate_pem(bits: int) -> bytes:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def public_key_base64(pem: bytes) -> str:
    """The `p=` value of the key's DNS record: its SubjectPublicKeyInfo, base64."""
    from cryptography.hazmat.primitives import serialization

    private = serialization.load_pem_private_key(pem, password=None)
    der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode("ascii")


def key_record(pem: bytes) -> str:
    return f"v=DKIM1; k=rsa; p={public_key_base64(pem)}"


def parse_external_key(value: str) -> tuple[bytes, int]:
    """A BYODKIM `DomainSigningPrivateKey` (a PEM body, base64, no BEGIN/END lines): its
    PKCS#1 PEM and size in bits, or SES's refusal.

    Choice: AWS's texts for a key that is not RSA or not 1024-2048 bits were not found;
    these name the constraint the developer guide states.
    """
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    try:
        der = base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        raise AwsError(
            "BadRequestException", "Invalid DomainSigningPrivateKey: not base64 encoded."
        ) from None
    try:
        key = serialization.load_der_private_key(der, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise AwsError(
            "BadRequestException",
            "Invalid DomainSigningPrivateKey: not an RSA private key in PKCS#1 or PKCS#8 form.",
        ) from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise AwsError(
            "BadRequestException", "Invalid DomainSigningPrivateKey: the key must be an RSA key."
        )
    if not 1024 <= key.key_size <= 2048:
        raise AwsError(
            "BadRequestException",
            "Invalid DomainSigningPrivateKey: the key length must be between 1024 and 2048 "
            f"bits, not {key.key_size}.",
        )
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    return pem, key.key_size


# --- storage ---------------------------------------------------------------------------------


def save(
    tx: Transaction,
    account: str,
    region: str,
    identity: str,
    selector: str,
    pem: bytes,
    now: float,
) -> None:
    tx.execute(
        "INSERT INTO ses_dkim_keys (account, region, identity, selector, private_key, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (account, region, identity) "
        "DO UPDATE SET selector = excluded.selector, private_key = excluded.private_key, "
        "created_at = excluded.created_at",
        (account, region, identity, selector, pem.decode("ascii"), now),
    )


def load(tx: Transaction, account: str, region: str, identity: str) -> StoredKey | None:
    row = tx.fetchone(
        "SELECT selector, private_key, created_at FROM ses_dkim_keys "
        "WHERE account = ? AND region = ? AND identity = ?",
        (account, region, identity),
    )
    if row is None:
        return None
    return StoredKey(str(row[0]), str(row[1]).encode("ascii"), float(row[2]))


def delete(tx: Transaction, account: str, region: str, identity: str) -> None:
    tx.execute(
        "DELETE FROM ses_dkim_keys WHERE account = ? AND region = ? AND identity = ?",
        (account, region, identity),
    )


def install_easy_key(
    tx: Transaction,
    account: str,
    region: str,
    domain: str,
    tokens: list[str],
    pem: bytes,
    now: float,
) -> None:
    """Keep ``pem`` as the domain's Easy DKIM key and publish its public half where the
    domain's CNAMEs point, as SES's own zone does."""
    previous = load(tx, account, region, domain)
    if previous is not None:
        # A rotated key's record makes way: a verifier must find the key that now signs.
        old_record = key_record(previous.pem)
        for token in tokens:
            remove_record(tx, f"{token}.{DKIM_TARGET_ZONE}", "TXT", old_record)
    save(tx, account, region, domain, tokens[0], pem, now)
    record = key_record(pem)
    for token in tokens:
        add_record(tx, f"{token}.{DKIM_TARGET_ZONE}", "TXT", record, now)


def amazonses_key(tx: Transaction, region: str, now: float) -> StoredKey:
    """poolmail's `amazonses.com` key for ``region``, made and published on first use.

    Choice: the selector is a random 32-character token like SES's own (for example
    `6gbrjpgwjskckoa6a5zn6fwqkn67xbtw`), stored per region (the row first stored wins;
    a process offers every region the same key), in the local zone at
    `<selector>._domainkey.amazonses.com`.
    """
    stored = load(tx, _NO_ACCOUNT, region, AMAZONSES_DOMAIN)
    if stored is not None:
        return stored
    selector, pem = _process_key()
    # Sends of several accounts may get here at once: the first key stored stays.
    inserted = tx.execute(
        "INSERT INTO ses_dkim_keys (account, region, identity, selector, private_key, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (_NO_ACCOUNT, region, AMAZONSES_DOMAIN, selector, pem.decode("ascii"), now),
    )
    if inserted:
        add_record(tx, f"{selector}._domainkey.{AMAZONSES_DOMAIN}", "TXT", key_record(pem), now)
        return StoredKey(selector, pem, now)
    stored = load(tx, _NO_ACCOUNT, region, AMAZONSES_DOMAIN)
    if stored is None:  # pragma: no cover - the conflicting row was just there
        raise RuntimeError("the amazonses.com DKIM key vanished while being stored")
    return stored


@functools.lru_cache(maxsize=1)
def _process_key() -> tuple[str, bytes]:
    # Made once per process: a reset empties the table, and making a key again
    # for the first message after every reset would cost each test suite dearly. The
    # stored row stays the truth, so replicas agree on whichever key was stored first.
    selector = base64.b32encode(secrets.token_bytes(20)).decode("ascii").lower()
    # SES's own amazonses.com keys are RSA 1024 (their records read `p=MIGfMA0G...`);
    # cheap to make, so the first message of a fresh server is not held up.
    return selector, generate_pem(1024)
