"""RS256 through libcrypto and ctypes (`signin/rs256.py`): byte for byte the signatures
cryptography makes (PKCS #1 v1.5 is deterministic), alone, in pairs, from many threads at
once, and tokens that verify whichever way they were signed."""

from __future__ import annotations

import hashlib
import threading
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa, utils

from poolmail.cognito.signin import rs256, tokens

pytestmark = pytest.mark.skipif(not rs256.available(), reason="no libcrypto through _hashlib")


def _key(bits: int = 2048) -> tuple[rsa.RSAPrivateKey, str]:
    private = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    return private, pem


def _expected(private: rsa.RSAPrivateKey, data: bytes) -> bytes:
    return private.sign(data, padding.PKCS1v15(), hashes.SHA256())


@pytest.mark.parametrize("bits", [2048, 3072])
def test_signatures_are_cryptographys(bits: int) -> None:
    private, pem = _key(bits)
    for data in (b"", b"a.b", "é".encode() * 700):
        assert rs256.sign(pem, data) == _expected(private, data)


@pytest.mark.parametrize("bits", [1024, 2048])
def test_a_prehashed_digest_signs_as_cryptography_does(bits: int) -> None:
    # DKIM's rsa-sha256 hashes its canonical headers itself and hands over the digest.
    private, pem = _key(bits)
    for data in (b"", b"a.b", "é".encode() * 700):
        digest = hashlib.sha256(data).digest()
        expected = private.sign(digest, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))
        assert rs256.sign_digest(pem, digest) == expected == _expected(private, data)
    with pytest.raises(ValueError):
        rs256.sign_digest(pem, b"short")


def test_a_pair_is_two_signatures_in_order() -> None:
    first, first_pem = _key()
    second, second_pem = _key()
    for n in range(50):
        one, two = f"one {n}".encode(), f"two {n}".encode()
        signed = rs256.sign_pair((first_pem, one), (second_pem, two))
        assert signed == (_expected(first, one), _expected(second, two))


def test_pairs_from_many_threads_at_once() -> None:
    private, pem = _key()
    failures: list[str] = []

    def sign_many(name: int) -> None:
        for n in range(20):
            one, two = f"{name}.{n}.a".encode(), f"{name}.{n}.b".encode()
            if rs256.sign_pair((pem, one), (pem, two)) != (
                _expected(private, one),
                _expected(private, two),
            ):
                failures.append(f"{name}.{n}")

    threads = [threading.Thread(target=sign_many, args=(name,)) for name in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []


def test_a_bad_key_fails_without_holding_up_the_next_pair() -> None:
    private, pem = _key()
    with pytest.raises(ValueError):
        rs256.sign_pair((pem, b"x"), ("not a key", b"y"))
    with pytest.raises(ValueError):
        rs256.sign_pair(("not a key", b"y"), (pem, b"x"))
    assert rs256.sign_pair((pem, b"x"), (pem, b"y")) == (
        _expected(private, b"x"),
        _expected(private, b"y"),
    )


@pytest.mark.parametrize("through_libcrypto", [True, False])
def test_token_pairs_verify(monkeypatch: pytest.MonkeyPatch, through_libcrypto: bool) -> None:
    if not through_libcrypto:
        monkeypatch.setattr(rs256, "available", lambda: False)
    keys = [tokens._new_key(tokens.ACCESS), tokens._new_key(tokens.ID)]
    claims: list[dict[str, Any]] = [{"token_use": "access", "n": 1}, {"token_use": "id", "é": "ü"}]
    signed = tokens.sign_pair((keys[0], claims[0]), (keys[1], claims[1]))
    for key, token, expected in zip(keys, signed, claims, strict=True):
        public = key.private_key().public_key()
        assert jwt.decode(token, public, algorithms=["RS256"]) == expected
        assert jwt.get_unverified_header(token) == {"kid": key.kid, "alg": "RS256"}
        assert tokens.verify(keys, token) == expected
    assert tokens.sign(keys[0], claims[0]).rsplit(".", 1)[0] == signed[0].rsplit(".", 1)[0]


def test_a_started_signature_is_collected_whoever_made_it() -> None:
    # Collected at once (the caller usually claims it) or after a wait long enough for the
    # helper thread to have made it: the same bytes either way.
    private, pem = _key()
    started = [rs256.start(pem, f"job {n}".encode()) for n in range(30)]
    for n, pending in enumerate(started):
        assert pending.result() == _expected(private, f"job {n}".encode())


def test_a_cancelled_signature_is_not_made_and_a_bad_key_fails_its_collector() -> None:
    _, pem = _key()
    pending = rs256.start(pem, b"unwanted")
    pending.cancel()
    with pytest.raises(ValueError):
        rs256.start("not a key", b"data").result()
