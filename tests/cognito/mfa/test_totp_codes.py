"""The TOTP check (`cognito/mfa/totp.code_matches`) answers as pyotp's `verify` with one
step of tolerance either side, which it replaced on the sign-in path."""

from __future__ import annotations

import base64

import pyotp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from poolmail.cognito.mfa.totp import code_matches

SECRETS = st.binary(min_size=14, max_size=40).map(
    lambda raw: base64.b32encode(raw).decode().rstrip("=")
)
TIMES = st.one_of(st.integers(min_value=120, max_value=2**33), st.floats(120.0, 2.0**33))


def _full_width(code: str) -> str:
    return "".join(chr(ord(digit) + 0xFEE0) for digit in code)


@settings(max_examples=300, deadline=None)
@given(secret=SECRETS, now=TIMES, shift=st.integers(-3, 3), lower=st.booleans())
def test_codes_near_now_match_as_pyotp_says(
    secret: str, now: float, shift: int, lower: bool
) -> None:
    code = pyotp.TOTP(secret).at(int(now) + 30 * shift)
    secret = secret.lower() if lower else secret
    expected = pyotp.TOTP(secret).verify(code, for_time=int(now), valid_window=1)
    assert code_matches(secret, code, now) is expected
    # pyotp folds the code with NFKC: full-width digits are the same code.
    assert code_matches(secret, _full_width(code), now) is expected


@settings(max_examples=200, deadline=None)
@given(secret=SECRETS, now=TIMES, code=st.text(max_size=12))
def test_any_text_is_judged_as_pyotp_judges_it(secret: str, now: float, code: str) -> None:
    expected = pyotp.TOTP(secret).verify(code, for_time=int(now), valid_window=1)
    assert code_matches(secret, code, now) is expected


@pytest.mark.parametrize("secret", ["ABC", "ABCDEFGH", "1" * 32, "A" * 16])
def test_secrets_pyotp_refuses_are_refused(secret: str) -> None:
    with pytest.raises(ValueError):
        pyotp.TOTP(secret).verify("123456", for_time=10**9, valid_window=1)
    with pytest.raises(ValueError):
        code_matches(secret, "123456", 10**9)
