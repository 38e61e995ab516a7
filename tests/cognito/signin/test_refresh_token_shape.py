"""The refresh token's shape (`sessions._new_refresh_token`): a JWE's five segments, the
encrypted key opening with the sign-in's origin_jti, the other parts random."""

from __future__ import annotations

import base64
import json

from poolmail.cognito.signin import sessions, tokens


def _bytes(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def test_a_refresh_token_looks_like_cognito_s_jwe() -> None:
    origin = tokens.new_jti()
    token = sessions._new_refresh_token(origin)
    segments = token.split(".")
    assert json.loads(_bytes(segments[0])) == {
        "cty": "JWT",
        "enc": "A256GCM",
        "alg": "RSA-OAEP",
    }
    assert [len(_bytes(segment)) for segment in segments[1:]] == [256, 12, 512, 16]
    assert all("=" not in segment for segment in segments)
    assert sessions._origin_of(token) == origin


def test_refresh_tokens_of_one_sign_in_differ_past_the_origin() -> None:
    origin = tokens.new_jti()
    first, second = (sessions._new_refresh_token(origin).split(".") for _ in range(2))
    assert _bytes(first[1])[:16] == _bytes(second[1])[:16]
    # Every random part is fresh: none repeats between two tokens.
    assert _bytes(first[1])[16:] != _bytes(second[1])[16:]
    assert all(a != b for a, b in zip(first[2:], second[2:], strict=True))
