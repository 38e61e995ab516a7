"""A managed-login sign-in, step by step, through the API's own sign-in code.

The password is checked by `auth.password_flow` (lockout, user status, threat checks and
triggers as InitiateAuth), each challenge answer by the responder RespondToAuthChallenge
uses, and `auth.next_step` says what comes next. Only the end differs: the API mints
tokens, a page hands the signed-in user to the authorization code (`poolmail.cognito.oauth`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field
from typing import Any

from poolmail.cognito.clients import client_secrets
from poolmail.cognito.clients.clients import ClientRecord
from poolmail.cognito.mfa import totp
from poolmail.cognito.pools.user_pools import StoredPool
from poolmail.cognito.signin import auth, user_auth
from poolmail.cognito.signin.progress import Passed
from poolmail.cognito.threats import risk_responses
from poolmail.cognito.triggers import authentication
from poolmail.cognito.users.users import StoredUser
from poolmail.context import RequestContext


@dataclass(slots=True)
class Challenge:
    """A challenge the user answers on a page: its name, the Session that stands for the
    sign-in, and the challenge's parameters (JSON-encoded lists stay as AWS sends them)."""

    name: str
    session: str
    username: str
    parameters: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class SignedIn:
    """The sign-in is complete: the page completes the authorization request."""

    user: StoredUser


Step = Challenge | SignedIn


def secret_hash(client: ClientRecord, username: str) -> str | None:
    """The SECRET_HASH a client with a secret sends; managed login knows the secret, so
    its forms carry none (the API flows need one, AWS's hosted UI does not ask for it)."""
    secrets = client_secrets.values(client)
    if not secrets:
        return None
    digest = hmac.new(secrets[0].encode(), (username + client.id).encode(), hashlib.sha256)
    return base64.b64encode(digest.digest()).decode("ascii")


def _step(
    ctx: RequestContext,
    pool: StoredPool,
    client: ClientRecord,
    answered: dict[str, Any] | Passed,
) -> Step:
    if isinstance(answered, Passed):
        following = auth.next_step(ctx, pool, client, answered.user, answered.progress)
        if following is None:
            # What `auth.proceed` does before its tokens: PostAuthentication, then the
            # sign-in recorded (the code's tokens run PreTokenGeneration, as HostedAuth).
            authentication.post_authentication(
                ctx, pool, client, answered.user, new_device=False, metadata=None
            )
            risk_responses.signed_in(ctx, pool, client, answered.user, answered.progress)
            return SignedIn(answered.user)
        answered = following
    parameters: dict[str, str] = answered.get("ChallengeParameters") or {}
    return Challenge(
        answered["ChallengeName"],
        answered["Session"],
        parameters.get("USER_ID_FOR_SRP") or parameters.get("USERNAME") or "",
        parameters,
    )


def sign_in(
    ctx: RequestContext, pool: StoredPool, client: ClientRecord, username: str, password: str
) -> Step:
    """The password step; raises AwsError with InitiateAuth's code and text."""
    values = {"USERNAME": username, "PASSWORD": password}
    hashed = secret_hash(client, username)
    if hashed is not None:
        values["SECRET_HASH"] = hashed
    return _step(ctx, pool, client, auth.password_step(ctx, pool, client, values))


def answer(
    ctx: RequestContext,
    pool: StoredPool,
    client: ClientRecord,
    challenge: Challenge,
    answers: dict[str, str],
) -> Step:
    """``answers`` (ChallengeResponses without USERNAME) to the open ``challenge``; raises
    AwsError with RespondToAuthChallenge's code and text."""
    responses = {"USERNAME": challenge.username, **answers}
    hashed = secret_hash(client, challenge.username)
    if hashed is not None:
        responses["SECRET_HASH"] = hashed
    params = {
        "ChallengeName": challenge.name,
        "Session": challenge.session,
        "ChallengeResponses": responses,
    }
    return _step(ctx, pool, client, auth.RESPONDERS[challenge.name](ctx, pool, client, params))


def start_totp_setup(ctx: RequestContext, challenge: Challenge) -> tuple[str, Challenge]:
    """AssociateSoftwareToken with the MFA_SETUP Session: the secret to show, and the
    challenge under its new Session."""
    result = totp.associate_software_token(ctx, {"Session": challenge.session})
    moved = Challenge(challenge.name, result["Session"], challenge.username, challenge.parameters)
    return str(result["SecretCode"]), moved


def finish_totp_setup(
    ctx: RequestContext, pool: StoredPool, client: ClientRecord, challenge: Challenge, code: str
) -> Step:
    """VerifySoftwareToken with the first code, then the MFA_SETUP answer it allows."""
    result = totp.verify_software_token(ctx, {"Session": challenge.session, "UserCode": code})
    verified = Challenge(
        challenge.name, result["Session"], challenge.username, challenge.parameters
    )
    return answer(ctx, pool, client, verified, {})


def after_sign_up(
    ctx: RequestContext, pool: StoredPool, client: ClientRecord, session: str
) -> Step:
    """Sign the just-confirmed user in with ConfirmSignUp's Session, as managed login does
    after its confirmation page (the code was the first factor; MFA still applies)."""
    return _step(ctx, pool, client, user_auth.signed_up(ctx, pool, client, session, {}))
