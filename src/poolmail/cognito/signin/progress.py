"""Where a sign-in stands between challenges, and what a challenge's answer leads to.

A sign-in passes through steps: a first factor (password, SRP, a one-time code, a passkey),
then possibly a new password, a device check and an MFA code, then tokens. Each challenge
keeps the ``Progress`` in its server-side session; a responder that accepts an answer
returns ``Passed`` and `auth.proceed` takes the sign-in to its next step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from poolmail.cognito.clients.clients import ClientRecord
from poolmail.cognito.pools.user_pools import StoredPool
from poolmail.cognito.signin import challenges
from poolmail.cognito.signin.tokens import TokenReads
from poolmail.cognito.users.users import StoredUser
from poolmail.context import RequestContext

# First factors, as AuthFactorType names them, plus the flows that are not factors.
PASSWORD = "PASSWORD"
PASSWORD_SRP = "PASSWORD_SRP"
EMAIL_OTP = "EMAIL_OTP"
SMS_OTP = "SMS_OTP"
WEB_AUTHN = "WEB_AUTHN"
CUSTOM = "CUSTOM"


@dataclass(slots=True)
class Progress:
    """A sign-in's state, carried from challenge to challenge."""

    username: str
    first_factor: str
    # The DEVICE_KEY the client sent, if any (AuthParameters or ChallengeResponses).
    device_key: str | None = None
    # The device proved itself (DEVICE_SRP_AUTH / DEVICE_PASSWORD_VERIFIER).
    device_verified: bool = False
    # MFA is settled: passed, not needed, or not allowed (a one-time-code first factor).
    mfa_done: bool = False
    # The MFA factor being set up in this sign-in (MFA_SETUP with an email address): the
    # code that proves the address turns it on.
    mfa_setup: str | None = None
    # The ClientMetadata of the request that started the sign-in.
    client_metadata: dict[str, str] | None = None

    def to_data(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Progress:
        return cls(**data)


@dataclass(slots=True)
class Passed:
    """A challenge answered correctly: the sign-in continues with ``progress``."""

    user: StoredUser
    progress: Progress
    # The tokens' reads, when the responder made them with the user (sessions.py).
    reads: TokenReads | None = None
    # The answered challenge, when the responder left its closing to the sign-in's one
    # write (`auth.proceed`): closed with the tokens' refresh token, or on the way out.
    closing: challenges.Pending | None = None


Responder = Callable[
    [RequestContext, StoredPool, ClientRecord, dict[str, Any]], "dict[str, Any] | Passed"
]


def open_step(
    ctx: RequestContext,
    client: ClientRecord,
    progress: Progress,
    challenge: str,
    data: dict[str, Any] | None = None,
) -> str:
    """Open ``challenge`` for the sign-in in ``progress``; the Session the client gets."""
    session = challenges.new_session()
    stored = {**(data or {}), "progress": progress.to_data()}
    challenges.open_challenge(ctx, client, session, progress.username, challenge, stored)
    return session


def progress_of(pending: challenges.Pending) -> Progress:
    """The sign-in an open challenge belongs to (challenges opened before progress was
    kept, like SRP's, carry none: their first factor is the password)."""
    stored = pending.data.get("progress")
    if stored is None:
        return Progress(pending.username, PASSWORD_SRP)
    return Progress.from_data(stored)


def device_key_of(answers: dict[str, str]) -> str | None:
    return answers.get("DEVICE_KEY") or None
