"""The local list of breached passwords that compromised-credentials detection checks.

AWS checks passwords against credentials "compromised elsewhere"
(cognito-user-pool-settings-compromised-credentials.html); poolmail cannot know those, so
it checks a small built-in list of the passwords most common in public breach corpora,
plus the lines of `--breached-passwords FILE` (one password a line). Matches are exact
(case-sensitive), as a leaked password is one string.
"""

from __future__ import annotations

import functools
from pathlib import Path

# The most common passwords of breach corpora that pass Cognito's default policy (8+
# characters, upper and lower case, a digit, a symbol), so that a pool with the default
# policy can meet them; and a few classics for relaxed policies. Choice: "Passw0rd!" is
# left out, though breached, because poolmail's own tests and many apps' use it as the
# known-good test password; list it in a file to have it refused.
BUILT_IN = frozenset(
    {
        "P@ssw0rd",
        "P@ssword1",
        "P@ssw0rd1",
        "P@ssw0rd!",
        "P@ssw0rd123",
        "Password1!",
        "Password1@",
        "Password123!",
        "Password@123",
        "Passw0rd1!",
        "Welcome1!",
        "Welcome123!",
        "Welcome@123",
        "Qwerty123!",
        "Qwerty@123",
        "Aa123456!",
        "Abc@1234",
        "Abcd@1234",
        "Admin@123",
        "Admin123!",
        "Test@1234",
        "Test1234!",
        "Summer2024!",
        "Winter2024!",
        "Changeme1!",
        "Letmein1!",
        "Iloveyou1!",
        "123456",
        "123456789",
        "12345678",
        "password",
        "password1",
        "qwerty",
        "qwerty123",
        "111111",
        "abc123",
        "iloveyou",
        "admin",
        "letmein",
        "welcome",
    }
)


@functools.lru_cache(maxsize=4)
def _from_file(path: str) -> frozenset[str]:
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def is_breached(password: str, path: str | None) -> bool:
    """Whether ``password`` is on the built-in list or in the file at ``path``."""
    if password in BUILT_IN:
        return True
    return path is not None and password in _from_file(path)
