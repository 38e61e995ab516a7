"""Custom authentication (`AuthFlow=CUSTOM_AUTH`): DefineAuthChallenge decides, round by
round, whether the sign-in fails, gets tokens or faces another challenge;
CreateAuthChallenge makes each CUSTOM_CHALLENGE and VerifyAuthChallengeResponse judges the
answer. The challenge history (`request.session`) and the private parameters stay in the
server-side session between rounds.

Facts: ../shared/facts/cognito-lambda-triggers.md section 3 (custom auth) and
DG user-pool-lambda-define-auth-challenge / amazon-cognito-user-pools-authentication-flow.
"""

from __future__ import annotations

import json
import types
from dataclasses import dataclass, field
from typing import Any

from poolmail.cognito.clients.clients import ClientRecord
from poolmail.cognito.pools.user_pools import StoredPool
from poolmail.cognito.signin import challenges
from poolmail.cognito.signin.progress import (
    CUSTOM,
    PASSWORD_SRP,
    Passed,
    Progress,
    Responder,
    device_key_of,
    open_step,
    progress_of,
)
from poolmail.cognito.triggers import authentication, invoke
from poolmail.cognito.triggers.events import (
    client_metadata,
    leave_loop,
    user_attributes,
    with_metadata,
)
from poolmail.cognito.users.users import (
    USER_DISABLED,
    USER_NOT_FOUND,
    StoredUser,
    find_user,
    hides_existence,
)
from poolmail.context import RequestContext
from poolmail.protocol.errors import AwsError

CUSTOM_CHALLENGE = "CUSTOM_CHALLENGE"
SRP_A = "SRP_A"
PASSWORD_VERIFIER = "PASSWORD_VERIFIER"
DEFINE = "DefineAuthChallenge"
CREATE = "CreateAuthChallenge"
VERIFY = "VerifyAuthChallengeResponse"
_SOURCE = "{trigger}_Authentication"


@dataclass(slots=True)
class Round:
    """A custom sign-in between rounds: who signs in and what the functions said so far."""

    # The name the client signed in with (the user's username once known).
    name: str
    not_found: bool
    # `request.session`: {challengeName, challengeResult, challengeMetadata} per round.
    history: list[dict[str, Any]] = field(default_factory=list)
    # The current challenge's privateChallengeParameters and challengeMetadata.
    private: dict[str, Any] = field(default_factory=dict)
    metadata: str | None = None

    def to_data(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "not_found": self.not_found,
            "history": self.history,
            "private": self.private,
            "metadata": self.metadata,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Round:
        return cls(
            str(data["name"]),
            bool(data["not_found"]),
            list(data.get("history") or []),
            dict(data.get("private") or {}),
            data.get("metadata"),
        )


def _auth() -> types.ModuleType:
    # auth imports this module for its RESPONDERS; its helpers are imported at first use.
    from poolmail.cognito.signin import auth

    return auth


def initiate(
    ctx: RequestContext, pool: StoredPool, client: ClientRecord, params: dict[str, Any]
) -> dict[str, Any] | Passed:
    """InitiateAuth / AdminInitiateAuth with CUSTOM_AUTH: DefineAuthChallenge with an empty
    session, or, with `CHALLENGE_NAME: SRP_A`, with the SRP_A round already passed."""
    auth = _auth()
    values: dict[str, str] = params.get("AuthParameters") or {}
    username = auth.parameter(values, "USERNAME")
    auth.check_secret(client, username, values.get("SECRET_HASH"))
    with_srp = values.get("CHALLENGE_NAME") == SRP_A
    if with_srp:
        auth.parameter(values, "SRP_A")
    leave_loop(pool)
    with ctx.db.transaction(readonly=True) as tx:
        user = find_user(tx, pool, username)
    if not with_srp:
        # The SRP start runs it itself, when DefineAuthChallenge asks for the password.
        # Choice: AWS fires it for InitiateAuth (TRIG's table), in which order with
        # DefineAuthChallenge is not documented; first, as on the password flows.
        authentication.pre_authentication(
            ctx, pool, client, user, username, client_metadata(params)
        )
    if user is None and not hides_existence(client):
        raise AwsError("UserNotFoundException", USER_NOT_FOUND)
    if user is not None and not user.enabled:
        raise AwsError("NotAuthorizedException", USER_DISABLED)
    state = Round(user.username if user is not None else username, user is None)
    progress = Progress(state.name, CUSTOM, device_key_of(values))
    if with_srp:
        # DG define-auth-challenge: "invoked with an initial session that contains
        # challengeName: SRP_A and challengeResult: true".
        state.history.append(_result(SRP_A, True, None))
        progress.first_factor = PASSWORD_SRP
    return _define(ctx, pool, client, user, state, progress, None, values, params)


def _result(name: str, passed: bool, metadata: str | None) -> dict[str, Any]:
    return {"challengeName": name, "challengeResult": passed, "challengeMetadata": metadata}


def _request(
    pool: StoredPool,
    client: ClientRecord,
    user: StoredUser | None,
    extra: dict[str, Any],
    metadata: dict[str, str] | None,
) -> dict[str, Any]:
    """The request part every challenge trigger shares: the attributes, then the trigger's
    own members, `clientMetadata` (RespondToAuthChallenge's only) and `userNotFound`
    ("populated when PreventUserExistenceErrors is set to ENABLED")."""
    request: dict[str, Any] = {
        "userAttributes": user_attributes(pool, user) if user is not None else {},
        **extra,
    }
    with_metadata(request, metadata)
    if hides_existence(client):
        request["userNotFound"] = user is None
    return request


def _invoke(
    ctx: RequestContext,
    pool: StoredPool,
    client: ClientRecord,
    trigger: str,
    name: str,
    request: dict[str, Any],
    response: dict[str, Any],
) -> dict[str, Any]:
    event = invoke.envelope(
        ctx, pool, _SOURCE.format(trigger=trigger), name, request, response, client_id=client.id
    )
    return invoke.call(ctx, pool, trigger, event)


def _define(
    ctx: RequestContext,
    pool: StoredPool,
    client: ClientRecord,
    user: StoredUser | None,
    state: Round,
    progress: Progress,
    metadata: dict[str, str] | None,
    values: dict[str, str],
    started: dict[str, Any] | None = None,
) -> dict[str, Any] | Passed:
    """Ask DefineAuthChallenge what comes next, and do it. ``started``: the InitiateAuth
    request, while the sign-in has not left it."""
    request = _request(pool, client, user, {"session": state.history}, metadata)
    response = {"challengeName": None, "issueTokens": False, "failAuthentication": False}
    decided = _invoke(ctx, pool, client, DEFINE, state.name, request, response)
    # Choice (AWS's precedence not documented): failing wins over issuing tokens.
    if decided.get("failAuthentication") is True:
        raise AwsError("NotAuthorizedException", _auth().INCORRECT)
    if decided.get("issueTokens") is True:
        if user is None:
            # An unknown user never gets tokens, whatever the function says.
            raise AwsError("NotAuthorizedException", _auth().INCORRECT)
        if progress.first_factor == CUSTOM:
            # "MFA is not supported when using passwordless authentication flows within a
            # Custom Auth Flow, as MFA generation is dependent on the password verifier
            # challenge being triggered" (the Cognito team, aws-amplify/amplify-js#12887).
            progress.mfa_done = True
        progress.client_metadata = metadata
        return Passed(user, progress)
    challenge = decided.get("challengeName")
    if challenge == CUSTOM_CHALLENGE:
        return _create(ctx, pool, client, user, state, progress, metadata)
    after_srp = bool(state.history) and state.history[-1]["challengeName"] == SRP_A
    if challenge == PASSWORD_VERIFIER and after_srp and started is not None:
        return _password_verifier(ctx, pool, client, state, progress, values, started)
    # Choice: AWS's answer to a Define response that names no next step it can take is not
    # documented; the output is unusable, which AWS reports this way.
    raise AwsError("InvalidLambdaResponseException", invoke.UNRECOGNIZABLE)


def _strings(value: Any) -> dict[str, str]:
    """A parameter map as the wire's map of strings. Functions often put numbers in it
    (`attemptsLeft: 2`); they reach the client as their JSON text."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise AwsError("InvalidLambdaResponseException", invoke.UNRECOGNIZABLE)
    return {
        str(key): item if isinstance(item, str) else json.dumps(item) for key, item in value.items()
    }


def _create(
    ctx: RequestContext,
    pool: StoredPool,
    client: ClientRecord,
    user: StoredUser | None,
    state: Round,
    progress: Progress,
    metadata: dict[str, str] | None,
) -> dict[str, Any]:
    request = _request(
        pool, client, user, {"challengeName": CUSTOM_CHALLENGE, "session": state.history}, metadata
    )
    response = {
        "publicChallengeParameters": None,
        "privateChallengeParameters": None,
        "challengeMetadata": None,
    }
    created = _invoke(ctx, pool, client, CREATE, state.name, request, response)
    public = _strings(created.get("publicChallengeParameters"))
    private = created.get("privateChallengeParameters")
    if private is not None and not isinstance(private, dict):
        raise AwsError("InvalidLambdaResponseException", invoke.UNRECOGNIZABLE)
    label = created.get("challengeMetadata")
    state.private = private or {}
    state.metadata = label if isinstance(label, str) else None
    session = open_step(ctx, client, progress, CUSTOM_CHALLENGE, {"custom": state.to_data()})
    return {
        "ChallengeName": CUSTOM_CHALLENGE,
        "Session": session,
        "ChallengeParameters": {**public, "USERNAME": state.name},
    }


def _password_verifier(
    ctx: RequestContext,
    pool: StoredPool,
    client: ClientRecord,
    state: Round,
    progress: Progress,
    values: dict[str, str],
    params: dict[str, Any],
) -> dict[str, Any]:
    """PASSWORD_VERIFIER after SRP_A: SRP's own challenge, marked as a custom sign-in so
    that the verified password leads back to DefineAuthChallenge (`password_verified`)."""
    started: dict[str, Any] = _auth().srp_flow(ctx, pool, client, values, client_metadata(params))
    block = started["ChallengeParameters"]["SECRET_BLOCK"]
    pending = challenges.find_challenge(ctx, client, block, PASSWORD_VERIFIER)
    data = {**pending.data, "custom": state.to_data(), "progress": progress.to_data()}
    challenges.update_challenge(ctx, pending, data)
    return started


def password_verified(
    ctx: RequestContext,
    pool: StoredPool,
    client: ClientRecord,
    user: StoredUser,
    pending: challenges.Pending,
    params: dict[str, Any],
) -> dict[str, Any] | Passed:
    """The SRP password of a custom sign-in is right: DefineAuthChallenge again, with the
    PASSWORD_VERIFIER round passed. MFA applies once the function issues tokens."""
    state = Round.from_data(pending.data["custom"])
    state.history.append(_result(PASSWORD_VERIFIER, True, None))
    progress = progress_of(pending)
    answers: dict[str, str] = params.get("ChallengeResponses") or {}
    progress.device_key = progress.device_key or device_key_of(answers)
    metadata = params.get("ClientMetadata") or None
    return _define(ctx, pool, client, user, state, progress, metadata, {})


def _custom_challenge(
    ctx: RequestContext, pool: StoredPool, client: ClientRecord, params: dict[str, Any]
) -> dict[str, Any] | Passed:
    """RespondToAuthChallenge with CUSTOM_CHALLENGE: VerifyAuthChallengeResponse on
    `ANSWER`, then DefineAuthChallenge with the round's result."""
    from poolmail.cognito.signin import user_auth

    leave_loop(pool)
    pending = challenges.find_challenge(ctx, client, params.get("Session"), CUSTOM_CHALLENGE)
    # One answer per session, right or wrong: the next round has a session of its own.
    challenges.close_challenge(ctx, pending)
    answers: dict[str, str] = params.get("ChallengeResponses") or {}
    user = user_auth.check_answerer(ctx, pool, client, pending, answers)
    answer = _auth().parameter(answers, "ANSWER")
    state = Round.from_data(pending.data["custom"])
    metadata = params.get("ClientMetadata") or None
    extra = {"privateChallengeParameters": state.private, "challengeAnswer": answer}
    request = _request(pool, client, user, extra, metadata)
    verdict = _invoke(ctx, pool, client, VERIFY, state.name, request, {"answerCorrect": False})
    state.history.append(
        _result(CUSTOM_CHALLENGE, verdict.get("answerCorrect") is True, state.metadata)
    )
    state.private, state.metadata = {}, None
    progress = progress_of(pending)
    progress.device_key = progress.device_key or device_key_of(answers)
    return _define(ctx, pool, client, user, state, progress, metadata, {})


RESPONDERS: dict[str, Responder] = {CUSTOM_CHALLENGE: _custom_challenge}
