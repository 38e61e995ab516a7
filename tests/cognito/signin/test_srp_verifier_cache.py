"""srp.make_verifier's cache of recent verifiers: the same answers as computing g^x, no
key that is x itself, and a bounded size."""

from __future__ import annotations

import pytest

from poolmail.cognito.signin import srp

POOL_ID = "us-east-1_AbCdEfGhI"


def _uncached(username: str, password: str, salt: str) -> str:
    return f"{pow(srp.G, srp._x(POOL_ID, username, password, salt), srp.N):x}"


def test_repeated_verifiers_match_the_computed_ones() -> None:
    salt = srp.new_salt()
    first = srp.make_verifier(POOL_ID, "dana", "Passw0rd!", salt)
    again = srp.make_verifier(POOL_ID, "dana", "Passw0rd!", salt)
    assert first == again == _uncached("dana", "Passw0rd!", salt)
    # A wrong password, another user or salt is never answered from the cache.
    assert srp.make_verifier(POOL_ID, "dana", "Passw0rd?", salt) == _uncached(
        "dana", "Passw0rd?", salt
    )
    assert srp.make_verifier(POOL_ID, "Dana", "Passw0rd!", salt) != first
    assert srp.make_verifier(POOL_ID, "dana", "Passw0rd!", srp.new_salt()) != first


def test_the_cache_keeps_no_x_and_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(srp, "VERIFIERS_KEPT", 3)
    monkeypatch.setattr(srp, "_verifiers", {})
    salt = srp.new_salt()
    made = [srp.make_verifier(POOL_ID, f"user{n}", "Passw0rd!", salt) for n in range(5)]
    assert len(srp._verifiers) == 3
    assert list(srp._verifiers.values()) == made[2:]  # the oldest went first
    xs = {srp._x(POOL_ID, f"user{n}", "Passw0rd!", salt).to_bytes(32, "big") for n in range(5)}
    assert not xs & set(srp._verifiers)
    # An evicted verifier is computed again, the same.
    assert srp.make_verifier(POOL_ID, "user0", "Passw0rd!", salt) == made[0]
