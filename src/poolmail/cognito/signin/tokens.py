"""Cognito's JSON Web Tokens: each pool's RSA signing keys (persisted, rotatable, served as
JWKS), RS256 signing and checking, and the claims of ID and access tokens.

Like Cognito's JWKS, a pool has two active keys: one signs ID tokens, the other access
tokens. A rotation makes a new pair active and keeps the old keys listed, so tokens
already issued still verify.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from poolmail.protocol import fast_json
from poolmail.store import Database, Transaction

# cryptography (and ctypes, for rs256) is imported where keys are made, parsed or used, not
# here: it is a fair share of the server's start-up, and only sign-in and the JWKS need it.
if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric import rsa

ID = "id"
ACCESS = "access"
# The one scope of tokens from the user pools API (not the hosted UI): it authorises the
# token-based user operations (GetUser, ChangePassword, ...).
ADMIN_SCOPE = "aws.cognito.signin.user.admin"


class InvalidTokenError(Exception):
    """Not a token this server signed: malformed, unknown key, or a bad signature."""


@dataclass(frozen=True, slots=True)
class SigningKey:
    kid: str
    token_use: str
    active: bool
    private_pem: str

    def private_key(self) -> rsa.RSAPrivateKey:
        return _load_private(self.private_pem)


@functools.lru_cache(maxsize=512)
def _load_private(pem: str) -> rsa.RSAPrivateKey:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    # Keys never change once stored, so a parsed key may be reused for the process's life.
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


def b64url(raw: bytes) -> str:
    """Base64url without padding, as JWTs write their segments."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _int_b64(value: int) -> str:
    return b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def _new_key(token_use: str) -> SigningKey:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # Cognito's kids are Base64 of a 32-byte digest (`abcd...EXAMPLE=`); this is one.
    kid = base64.b64encode(hashlib.sha256(der).digest()).decode("ascii")
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    return SigningKey(kid, token_use, True, pem)


def _keys_lock(pool_id: str) -> str:
    return f"poolmail:cognito-keys:{pool_id}"


def _rows(tx: Transaction, pool_id: str) -> list[SigningKey]:
    rows = tx.fetchall(
        "SELECT kid, token_use, active, private_key FROM cognito_signing_keys "
        "WHERE pool_id = ? ORDER BY created_at, token_use, kid",
        (pool_id,),
    )
    return [SigningKey(str(r[0]), str(r[1]), bool(r[2]), str(r[3])) for r in rows]


def _insert_pair(tx: Transaction, pool_id: str, now: float) -> None:
    for key in (_new_key(ID), _new_key(ACCESS)):
        tx.execute(
            "INSERT INTO cognito_signing_keys (pool_id, kid, token_use, active, created_at, "
            "private_key) VALUES (?, ?, ?, 1, ?, ?)",
            (pool_id, key.kid, key.token_use, now, key.private_pem),
        )


@dataclass(frozen=True, slots=True)
class TokenReads:
    """What a sign-in's API tokens need from the store (the pool's keys, the user's group
    claims), read early, with the user, where nothing can change them before the tokens
    are signed (``sessions.read_for_tokens``): one transaction less per sign-in."""

    sub: str
    keys: list[SigningKey]
    group_claims: dict[str, Any]


def stored_keys(tx: Transaction, pool_id: str) -> list[SigningKey]:
    """Every key the pool has, oldest first: none before its first use (``pool_keys``)."""
    return _rows(tx, pool_id)


def has_active(keys: list[SigningKey]) -> bool:
    return any(key.active for key in keys)


def pool_keys(db: Database, pool_id: str, now: float) -> list[SigningKey]:
    """Every key of the pool, oldest first; a pool's first pair is made on first use.

    Under a per-pool lock, so replicas starting together make one pair, not two.
    """
    with db.transaction(readonly=True) as tx:
        keys = _rows(tx, pool_id)
    if has_active(keys):
        return keys
    with db.transaction(lock=_keys_lock(pool_id)) as tx:
        keys = _rows(tx, pool_id)
        if not any(key.active for key in keys):
            _insert_pair(tx, pool_id, now)
            keys = _rows(tx, pool_id)
    return keys


def active_key(keys: list[SigningKey], token_use: str) -> SigningKey:
    return [key for key in keys if key.active and key.token_use == token_use][-1]


def rotate(db: Database, pool_id: str, now: float, *, keep_previous: bool) -> list[SigningKey]:
    """A new active pair; the previous keys stay listed (inactive) unless dropped."""
    with db.transaction(lock=_keys_lock(pool_id)) as tx:
        if keep_previous:
            tx.execute("UPDATE cognito_signing_keys SET active = 0 WHERE pool_id = ?", (pool_id,))
        else:
            tx.execute("DELETE FROM cognito_signing_keys WHERE pool_id = ?", (pool_id,))
        _insert_pair(tx, pool_id, now)
        return _rows(tx, pool_id)


def jwks(keys: list[SigningKey]) -> dict[str, Any]:
    """The JWK Set, members in the order Cognito's jwks.json lists them."""
    entries = []
    for key in keys:
        numbers = key.private_key().public_key().public_numbers()
        entries.append(
            {
                "alg": "RS256",
                "e": _int_b64(numbers.e),
                "kid": key.kid,
                "kty": "RSA",
                "n": _int_b64(numbers.n),
                "use": "sig",
            }
        )
    return {"keys": entries}


@functools.lru_cache(maxsize=512)
def _header_segment(kid: str) -> str:
    # A key's header never changes: encoded once, not at every signature.
    return b64url(json.dumps({"kid": kid, "alg": "RS256"}, separators=(",", ":")).encode())


@functools.cache
def _rs256() -> tuple[Any, Any]:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    return padding.PKCS1v15(), hashes.SHA256()


def _signing_input(key: SigningKey, claims: dict[str, Any]) -> str:
    # Claims are written by orjson (compact, non-ASCII as UTF-8, as Cognito's tokens
    # carry it): `json` took longer than everything else of a signature but OpenSSL's part.
    return f"{_header_segment(key.kid)}.{b64url(fast_json.dumps(claims))}"


def _signature(key: SigningKey, data: bytes) -> bytes:
    from poolmail.cognito.signin import rs256

    if rs256.available():
        return rs256.sign(key.private_pem, data)
    scheme, digest = _rs256()
    return key.private_key().sign(data, scheme, digest)


def sign(key: SigningKey, claims: dict[str, Any]) -> str:
    signing_input = _signing_input(key, claims)
    return f"{signing_input}.{b64url(_signature(key, signing_input.encode()))}"


def sign_pair(
    first: tuple[SigningKey, dict[str, Any]], second: tuple[SigningKey, dict[str, Any]]
) -> tuple[str, str]:
    """Two tokens, signed at once where OpenSSL can sign without the GIL (``rs256``):
    a sign-in's answer then waits for one signature instead of two."""
    from poolmail.cognito.signin import rs256

    inputs = [_signing_input(key, claims) for key, claims in (first, second)]
    if rs256.available():
        signatures = rs256.sign_pair(
            (first[0].private_pem, inputs[0].encode()), (second[0].private_pem, inputs[1].encode())
        )
    else:
        signatures = (
            _signature(first[0], inputs[0].encode()),
            _signature(second[0], inputs[1].encode()),
        )
    return (
        f"{inputs[0]}.{b64url(signatures[0])}",
        f"{inputs[1]}.{b64url(signatures[1])}",
    )


def unverified_claims(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(header, claims) of a compact JWS, unchecked; InvalidTokenError when malformed."""
    parts = token.split(".")
    if len(parts) != 3:
        raise InvalidTokenError("not a compact JWS")
    try:
        header = json.loads(_unb64url(parts[0]))
        claims = json.loads(_unb64url(parts[1]))
    except ValueError as exc:
        raise InvalidTokenError("undecodable") from exc
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise InvalidTokenError("not JSON objects")
    return header, claims


def verify(keys: list[SigningKey], token: str) -> dict[str, Any]:
    """The claims of a token one of ``keys`` signed; InvalidTokenError otherwise.

    Expiry and revocation are the caller's: they need the clock and the store.
    """
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    header, claims = unverified_claims(token)
    key = next((k for k in keys if k.kid == header.get("kid")), None)
    if key is None or header.get("alg") != "RS256":
        raise InvalidTokenError("unknown key")
    signing_input, _, signature = token.rpartition(".")
    try:
        key.private_key().public_key().verify(
            _unb64url(signature), signing_input.encode(), padding.PKCS1v15(), hashes.SHA256()
        )
    except (InvalidSignature, ValueError) as exc:
        raise InvalidTokenError("bad signature") from exc
    return claims


def pool_of_issuer(issuer: object) -> str | None:
    """The pool ID an `iss` names (`<endpoint>/<poolId>`)."""
    if not isinstance(issuer, str) or "/" not in issuer:
        return None
    pool_id = issuer.rsplit("/", 1)[1]
    # Only a pool ID's characters: a forged token's NUL must not reach PostgreSQL.
    plain = pool_id.replace("_", "").replace("-", "")
    return pool_id if "_" in pool_id and plain.isalnum() else None


def new_jti() -> str:
    """A random (version 4) UUID, as `str(uuid.uuid4())` writes it: a sign-in takes four,
    and building UUID objects for them cost more than the bytes."""
    raw = bytearray(os.urandom(16))
    raw[6] = raw[6] & 0x0F | 0x40
    raw[8] = raw[8] & 0x3F | 0x80
    text = raw.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
