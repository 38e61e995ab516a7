"""Sign-in: InitiateAuth and AdminInitiateAuth with the password, SRP, refresh and
choice-based flows, and RespondToAuthChallenge / AdminRespondToAuthChallenge, with the app
client's ExplicitAuthFlows and secret enforced.

A flow's first factor ends in `proceed`, which takes the sign-in through its next steps
(new password, device, MFA) to tokens; `RESPONDERS` maps each challenge to the module
that checks its answer.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from typing import Any

from poolmail.cognito.clients import client_secrets
from poolmail.cognito.clients.clients import (
    DEFAULT_AUTH_FLOWS,
    ClientRecord,
    client_not_found,
    find_client,
)
from poolmail.cognito.mfa import challenges as mfa_challenges
from poolmail.cognito.pools.user_pools import StoredPool, load_pool
from poolmail.cognito.signin import challenges, devices, lockout, sessions, srp, user_auth
from poolmail.cognito.signin.challenges import NEW_PASSWORD_REQUIRED, PASSWORD_VERIFIER
from poolmail.cognito.signin.progress import (
    PASSWORD,
    PASSWORD_SRP,
    Passed,
    Progress,
    Responder,
    device_key_of,
    open_step,
    progress_of,
)
from poolmail.cognito.signin.tokens import TokenReads
from poolmail.cognito.threats import risk_responses
from poolmail.cognito.triggers import (
    authentication,
    custom_auth,
    invoke,
    token_generation,
    user_migration,
)
from poolmail.cognito.triggers.events import client_metadata, leave_loop
from poolmail.cognito.users.passwords import (
    RESET_PREFIX,
    check_password,
    password_matches,
    policy_of,
    set_password,
)
from poolmail.cognito.users.users import (
    FORCE_CHANGE_PASSWORD,
    RESET_REQUIRED,
    UNCONFIRMED,
    USER_DISABLED,
    USER_NOT_FOUND,
    StoredUser,
    check_attributes,
    check_secret_hash,
    claim_aliases,
    find_user,
    hides_existence,
    public_client_pool,
    require_user,
    save_user,
    users_lock,
)
from poolmail.context import RequestContext
from poolmail.operations import Handler, LeaveLoop, local_only
from poolmail.protocol.errors import AwsError

# AWS's texts, as users quote them (for instance aws-amplify/amplify-js#9399).
INCORRECT = "Incorrect username or password."
NOT_CONFIRMED = "User is not confirmed."
RESET_NEEDED = "Password reset required for the user"
TEMPORARY_EXPIRED = "Temporary password has expired and must be reset by an administrator."
# AWS quirk: AdminInitiateAuth's USER_PASSWORD_AUTH is refused with this text (AWS's answer
# quoted in getmoto/moto#4836 and awsdocs/aws-doc-sdk-examples#5289).
NOT_SUPPORTED = "Initiate Auth method not supported."
# AWS quirk: a flow the app client does not enable is refused in three wordings: SRP's
# "USER_SRP_AUTH is not enabled for the client" (aws-samples/aws-serverless-workshops#277),
# the admin password flow's "Auth flow not enabled for this client" and the others'
# "USER_PASSWORD_AUTH flow not enabled for this client" (both widely quoted in Q&A threads).
SRP_NOT_ENABLED = "USER_SRP_AUTH is not enabled for the client"

PASSWORD_FLOWS = ("USER_PASSWORD_AUTH", "ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH")
REFRESH_FLOWS = ("REFRESH_TOKEN_AUTH", "REFRESH_TOKEN")
_PUBLIC = ("USER_SRP_AUTH", "USER_PASSWORD_AUTH", "CUSTOM_AUTH", "USER_AUTH", *REFRESH_FLOWS)
_ADMIN = ("USER_SRP_AUTH", "ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH", "CUSTOM_AUTH",
          "USER_AUTH", *REFRESH_FLOWS)  # fmt: skip
# The ExplicitAuthFlows values that enable a flow: its ALLOW_ value, then legacy ones.
_ENABLED_BY = {
    "USER_PASSWORD_AUTH": ("ALLOW_USER_PASSWORD_AUTH", "USER_PASSWORD_AUTH"),
    "ADMIN_USER_PASSWORD_AUTH": ("ALLOW_ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"),
    "ADMIN_NO_SRP_AUTH": ("ALLOW_ADMIN_USER_PASSWORD_AUTH", "ADMIN_NO_SRP_AUTH"),
    "USER_SRP_AUTH": ("ALLOW_USER_SRP_AUTH",),
    "REFRESH_TOKEN_AUTH": ("ALLOW_REFRESH_TOKEN_AUTH",),
    "REFRESH_TOKEN": ("ALLOW_REFRESH_TOKEN_AUTH",),
    "CUSTOM_AUTH": ("ALLOW_CUSTOM_AUTH", "CUSTOM_AUTH_FLOW_ONLY"),
    "USER_AUTH": ("ALLOW_USER_AUTH",),
}


def _check_flow(client: ClientRecord, flow: str) -> None:
    flows = client.settings.get("ExplicitAuthFlows") or list(DEFAULT_AUTH_FLOWS)
    if any(value in flows for value in _ENABLED_BY[flow]):
        return
    # A client with only legacy values always allowed SRP and refresh: those flows had
    # no switch before the ALLOW_ values (CreateUserPoolClient ExplicitAuthFlows [model]).
    legacy = not any(value.startswith("ALLOW_") for value in flows)
    if legacy and flow in ("USER_SRP_AUTH", *REFRESH_FLOWS):
        return
    if flow == "USER_SRP_AUTH":
        raise AwsError("InvalidParameterException", SRP_NOT_ENABLED)
    if flow.startswith("ADMIN_"):
        raise AwsError("InvalidParameterException", "Auth flow not enabled for this client")
    raise AwsError("InvalidParameterException", f"{flow} flow not enabled for this client")


def parameter(values: dict[str, str], name: str) -> str:
    value = values.get(name)
    if not value:
        raise AwsError("InvalidParameterException", f"Missing required parameter {name}")
    return value


def check_secret(client: ClientRecord, username: str, given: str | None) -> None:
    if client_secrets.values(client) and not given:
        # AWS's text when a secret client's request carries no SECRET_HASH.
        raise AwsError(
            "NotAuthorizedException",
            f"Client {client.id} is configured for secret but secret was not received",
        )
    check_secret_hash(client, username, given)


def _unknown_user(client: ClientRecord) -> AwsError:
    # PreventUserExistenceErrors=ENABLED: an unknown user looks like a wrong password.
    if hides_existence(client):
        return AwsError("NotAuthorizedException", INCORRECT)
    return AwsError("UserNotFoundException", USER_NOT_FOUND)


def _check_imported(client: ClientRecord, user: StoredUser | None) -> None:
    """An imported user (CSV import: RESET_REQUIRED, no password) is told to reset whatever
    password it tries; a client that hides existence says the password is wrong instead
    (cognito-user-pools-using-import-tool-password-reset)."""
    if user is None or user.status != RESET_REQUIRED:
        return
    if user.data.get("srp") or user.data.get("password"):
        return
    if hides_existence(client):
        raise AwsError("NotAuthorizedException", INCORRECT)
    raise AwsError("PasswordResetRequiredException", RESET_NEEDED)


def proceed(
    ctx: RequestContext,
    pool: StoredPool,
    client: ClientRecord,
    user: StoredUser,
    progress: Progress,
    *,
    metadata: dict[str, str] | None = None,
    source: str = token_generation.AUTHENTICATION,
    reads: TokenReads | None = None,
    closing: challenges.Pending | None = None,
) -> dict[str, Any]:
    """What follows a passed step: the state's refusal, the next challenge (new password,
    device, MFA), or tokens (``reads``: what the step read for them, if it did).

    Before the tokens, the pool's PostAuthentication function, then its PreTokenGeneration
    function (``source``), as AWS orders them (facts section 4); ``metadata`` is
    RespondToAuthChallenge's ClientMetadata, which only those calls pass on.

    ``closing``: the answered challenge, still open; it closes in the write that stores
    the sign-in, or else before this returns or raises, as if closed first."""
    if closing is None:
        return _proceed(ctx, pool, client, user, progress, metadata, source, reads, None)
    try:
        return _proceed(ctx, pool, client, user, progress, metadata, source, reads, closing)
    except LeaveLoop:
        raise  # the whole answer runs again off the loop: the challenge stays open for it
    except BaseException:
        # An answered challenge is spent whatever happens next (a refusal, a failure).
        challenges.close_challenge(ctx, closing)
        raise


def _proceed(
    ctx: RequestContext,
    pool: StoredPool,
    client: ClientRecord,
    user: StoredUser,
    progress: Progress,
    metadata: dict[str, str] | None,
    source: str,
    reads: TokenReads | None,
    closing: challenges.Pending | None,
) -> dict[str, Any]:
    step = next_step(ctx, pool, client, user, progress)
    if step is not None:
        if closing is not None:
            challenges.close_challenge(ctx, closing)
        return step
    new_device_used = devices.tracking(pool) and progress.device_key is None
    authentication.post_authentication(
        ctx, pool, client, user, new_device=new_device_used, metadata=metadata
    )
    # First: a new device's key goes into progress, and so into the access token.
    new_device = devices.new_device_metadata(ctx, pool, client, user, progress)
    risk_responses.signed_in(ctx, pool, client, user, progress)
    result = sessions.sign_in(
        ctx,
        client,
        user,
        progress.device_key,
        pool=pool,
        source=source,
        metadata=metadata,
        reads=reads,
        closing=closing,
    )
    if new_device is not None:
        result["NewDeviceMetadata"] = new_device
    return {"ChallengeParameters": {}, "AuthenticationResult": result}


def next_step(
    ctx: RequestContext,
    pool: StoredPool,
    client: ClientRecord,
    user: StoredUser,
    progress: Progress,
) -> dict[str, Any] | None:
    """The state's refusal or the next challenge (new password, device, MFA) after a passed
    step; None when the sign-in is complete. Managed login's pages (poolmail.hosted) end a
    sign-in their own way, with an authorization code instead of these tokens."""
    if not user.enabled:
        raise AwsError("NotAuthorizedException", USER_DISABLED)
    if user.status == UNCONFIRMED:
        raise AwsError("UserNotConfirmedException", NOT_CONFIRMED)
    if user.status == RESET_REQUIRED:
        raise AwsError("PasswordResetRequiredException", RESET_NEEDED)
    if user.status == FORCE_CHANGE_PASSWORD:
        expires = user.data.get("temporary_password_expires_at")
        if expires is not None and float(expires) <= ctx.clock.now().timestamp():
            raise AwsError("NotAuthorizedException", TEMPORARY_EXPIRED)
        session = open_step(ctx, client, progress, NEW_PASSWORD_REQUIRED)
        visible = {k: v for k, v in user.attributes.items() if not k.startswith("dev:")}
        return {
            "ChallengeName": NEW_PASSWORD_REQUIRED,
            "Session": session,
            "ChallengeParameters": {
                "USER_ID_FOR_SRP": user.username,
                "requiredAttributes": json.dumps(
                    [f"userAttributes.{name}" for name in _missing(pool, user.attributes)]
                ),
                "userAttributes": json.dumps(visible),
            },
        }
    if (risky := risk_responses.screen(ctx, pool, client, user, progress)) is not None:
        return risky
    step = devices.device_step(ctx, pool, client, user, progress)
    if step is not None:
        return step
    if not progress.mfa_done:
        step = mfa_challenges.mfa_step(ctx, pool, client, user, progress)
        if step is not None:
            return step
        # MFA is settled (none needed): a remembered device that waited for it comes now.
        progress.mfa_done = True
        step = devices.device_step(ctx, pool, client, user, progress)
        if step is not None:
            return step
    return None


def _missing(pool: StoredPool, attributes: dict[str, str]) -> list[str]:
    return [
        entry["Name"]
        for entry in pool.settings.get("SchemaAttributes") or []
        if entry.get("Required") and entry["Name"] != "sub" and not attributes.get(entry["Name"])
    ]


# ---- the flows --------------------------------------------------------------------------


def password_flow(
    ctx: RequestContext,
    pool: StoredPool,
    client: ClientRecord,
    values: dict[str, str],
    validation: dict[str, str] | None = None,
) -> dict[str, Any]:
    passed = password_step(ctx, pool, client, values, validation)
    return proceed(ctx, pool, client, passed.user, passed.progress, reads=passed.reads)


def password_step(
    ctx: RequestContext,
    pool: StoredPool,
    client: ClientRecord,
    values: dict[str, str],
    validation: dict[str, str] | None = None,
) -> Passed:
    """The password checked (lockout, imported users, threat screening): the first factor
    passed, or NotAuthorizedException / UserNotFoundException as InitiateAuth answers.

    The pool's PreAuthentication function runs first: its refusal beats a wrong password
    (facts section 3). ``validation``: InitiateAuth's ClientMetadata, which it gets."""
    username = parameter(values, "USERNAME")
    password = parameter(values, "PASSWORD")
    check_secret(client, username, values.get("SECRET_HASH"))
    failures: tuple[Any, ...] | None = lockout.UNREAD
    reads = None
    with ctx.db.transaction(readonly=True) as tx:
        user = find_user(tx, pool, username)
        if user is not None and invoke.configured(pool, "PreAuthentication") is None:
            # Read with the user where no function runs in between: one transaction.
            failures = lockout.record(tx, pool.id, user.username)
            if not mfa_challenges.may_ask(pool, user):
                reads = sessions.read_for_tokens(tx, pool, user)
    authentication.pre_authentication(ctx, pool, client, user, username, validation)
    if user is None:
        raise _unknown_user(client)
    _check_imported(client, user)
    lockout.check(ctx, pool, user, failures)
    if not password_matches(user, password):
        lockout.failed(ctx, pool, user)
        raise AwsError("NotAuthorizedException", INCORRECT)
    lockout.succeeded(ctx, pool, user)
    risk_responses.check_sign_in(ctx, pool, client, user, password)
    return Passed(user, Progress(user.username, PASSWORD, device_key_of(values)), reads)


def srp_flow(
    ctx: RequestContext,
    pool: StoredPool,
    client: ClientRecord,
    values: dict[str, str],
    validation: dict[str, str] | None = None,
) -> dict[str, Any]:
    """PASSWORD_VERIFIER with the salt and B; the server's b waits with the secret block.

    An unknown user of a client that hides existence gets a made-up salt and B, as AWS
    does, and fails only at the signature.
    """
    username = parameter(values, "USERNAME")
    srp_a = parameter(values, "SRP_A")
    check_secret(client, username, values.get("SECRET_HASH"))
    if srp.parse_a(srp_a) is None:
        # Not found: AWS's text for an SRP_A of 0 mod N.
        raise AwsError("InvalidParameterException", "SRP_A is invalid.")
    with ctx.db.transaction(readonly=True) as tx:
        user = find_user(tx, pool, username)
    authentication.pre_authentication(ctx, pool, client, user, username, validation)
    if user is None and not hides_existence(client):
        raise AwsError("UserNotFoundException", USER_NOT_FOUND)
    if not hides_existence(client):
        # Hidden, an imported user gets the made-up challenge an unknown user gets.
        _check_imported(client, user)
    stored = user.data.get("srp") if user is not None else None
    user_id = user.username if user is not None else username
    salt = stored["salt"] if stored else srp.new_salt()
    verifier = stored["verifier"] if stored else srp.make_verifier(pool.id, user_id, "", salt)
    half = srp.server_half(verifier)
    block = challenges.new_secret_block()
    data = {"A": srp_a, "b": f"{half.b:x}", "B": f"{half.big_b:x}", "verifier": verifier}
    data["real"] = stored is not None
    data["progress"] = Progress(user_id, PASSWORD_SRP, device_key_of(values)).to_data()
    challenges.open_challenge(ctx, client, block, user_id, PASSWORD_VERIFIER, data)
    return {
        "ChallengeName": PASSWORD_VERIFIER,
        "ChallengeParameters": {
            "SALT": salt,
            "SECRET_BLOCK": block,
            "SRP_B": f"{half.big_b:x}",
            "USERNAME": user_id,
            "USER_ID_FOR_SRP": user_id,
        },
    }


def _initiate(
    ctx: RequestContext,
    pool: StoredPool,
    client: ClientRecord,
    params: dict[str, Any],
    allowed: tuple[str, ...],
) -> dict[str, Any]:
    flow: str = params["AuthFlow"]
    risk_responses.note_sign_in(params)
    # Before the first write: a pool's functions run off the event loop.
    leave_loop(pool)
    if flow not in allowed:
        raise AwsError("InvalidParameterException", NOT_SUPPORTED)
    _check_flow(client, flow)
    values: dict[str, str] = params.get("AuthParameters") or {}
    if flow == "USER_AUTH":
        started = user_auth.initiate(ctx, pool, client, params)
        if isinstance(started, Passed):
            return proceed(ctx, pool, client, started.user, started.progress)
        return started
    if flow in PASSWORD_FLOWS:
        # An unknown user is migrated first, then signs in as any user does.
        user_migration.on_sign_in(ctx, pool, client, values, params.get("ClientMetadata"))
        return password_flow(ctx, pool, client, values, client_metadata(params))
    if flow == "USER_SRP_AUTH":
        return srp_flow(ctx, pool, client, values, client_metadata(params))
    if flow in REFRESH_FLOWS:
        token = parameter(values, "REFRESH_TOKEN")
        result = sessions.refresh(ctx, pool, client, token, values.get("SECRET_HASH"))
        return {"ChallengeParameters": {}, "AuthenticationResult": result}
    if not (pool.settings.get("LambdaConfig") or {}).get("DefineAuthChallenge"):
        raise AwsError(
            "InvalidParameterException",
            "Custom auth lambda trigger is not configured for the user pool.",
        )
    started = custom_auth.initiate(ctx, pool, client, params)
    if isinstance(started, Passed):
        return proceed(ctx, pool, client, started.user, started.progress)
    return started


# ---- challenge responses ----------------------------------------------------------------


def _password_verifier(
    ctx: RequestContext, pool: StoredPool, client: ClientRecord, params: dict[str, Any]
) -> dict[str, Any] | Passed:
    answers: dict[str, str] = params.get("ChallengeResponses") or {}
    username = parameter(answers, "USERNAME")
    block = parameter(answers, "PASSWORD_CLAIM_SECRET_BLOCK")
    claimed = parameter(answers, "PASSWORD_CLAIM_SIGNATURE")
    timestamp = parameter(answers, "TIMESTAMP")
    pending = challenges.find_challenge(ctx, client, block, PASSWORD_VERIFIER)
    # One attempt per secret block: a wrong signature needs a new InitiateAuth.
    challenges.close_challenge(ctx, pending)
    check_secret(client, username, answers.get("SECRET_HASH"))
    canonical = srp.canonical_timestamp(timestamp)
    if canonical is None:
        raise AwsError("InvalidParameterException", srp.TIMESTAMP_FORMAT)
    data = pending.data
    half = srp.ServerHalf(int(data["b"], 16), int(data["B"], 16))
    key = srp.password_key(int(data["A"], 16), half, data["verifier"])
    try:
        block_bytes = base64.b64decode(block, validate=True)
    except (ValueError, binascii.Error):
        block_bytes = b""
    expected = srp.signature(key, pool.id, pending.username, block_bytes, canonical)
    matches = hmac.compare_digest(expected.encode(), claimed.encode())
    with ctx.db.transaction(readonly=True) as tx:
        user = find_user(tx, pool, pending.username)
    if user is not None:
        lockout.check(ctx, pool, user)
    if not (data.get("real") and matches and username == pending.username) or user is None:
        if user is not None:
            lockout.failed(ctx, pool, user)
        raise AwsError("NotAuthorizedException", INCORRECT)
    lockout.succeeded(ctx, pool, user)
    progress = progress_of(pending)
    progress.device_key = progress.device_key or device_key_of(answers)
    if "custom" in data:
        # SRP as the first rounds of a custom sign-in: DefineAuthChallenge goes on.
        return custom_auth.password_verified(ctx, pool, client, user, pending, params)
    return Passed(user, progress)


def _new_password(
    ctx: RequestContext, pool: StoredPool, client: ClientRecord, params: dict[str, Any]
) -> dict[str, Any] | Passed:
    """The invited user's own password (and any required attributes): CONFIRMED, tokens."""
    answers: dict[str, str] = params.get("ChallengeResponses") or {}
    pending = challenges.find_challenge(ctx, client, params.get("Session"), NEW_PASSWORD_REQUIRED)
    username = parameter(answers, "USERNAME")
    password = parameter(answers, "NEW_PASSWORD")
    check_secret(client, username, answers.get("SECRET_HASH"))
    given = [
        {"Name": name.removeprefix("userAttributes."), "Value": value}
        for name, value in answers.items()
        if name.startswith("userAttributes.")
    ]
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction(lock=users_lock(pool.id)) as tx:
        user = require_user(tx, pool, pending.username)
        named = find_user(tx, pool, username)
        if named is None or named.username != user.username:
            raise AwsError("NotAuthorizedException", challenges.INVALID_SESSION)
        check_password(policy_of(pool), password, RESET_PREFIX)
        user.attributes.update(check_attributes(pool, given, updating=True))
        missing = _missing(pool, user.attributes)
        if missing:
            # AWS's text (aws/aws-sdk-js#1290, aws-amplify/aws-sdk-android#1402).
            names = " and ".join(missing)
            raise AwsError(
                "InvalidParameterException", f"Invalid attributes given, {names} is missing"
            )
        set_password(user, pool, password, now, temporary=False)
        claim_aliases(tx, pool, user, now, force=False)
        save_user(tx, pool, user, now)
    challenges.close_challenge(ctx, pending)
    return Passed(user, progress_of(pending))


# Each challenge a sign-in can be asked, and the function that checks its answer.
RESPONDERS: dict[str, Responder] = {
    PASSWORD_VERIFIER: _password_verifier,
    NEW_PASSWORD_REQUIRED: _new_password,
    **mfa_challenges.RESPONDERS,
    **devices.RESPONDERS,
    **user_auth.RESPONDERS,
    **custom_auth.RESPONDERS,
}


def _respond(
    ctx: RequestContext, pool: StoredPool, client: ClientRecord, params: dict[str, Any]
) -> dict[str, Any]:
    risk_responses.note_sign_in(params)
    # Before the first write (a challenge's session closes): a pool's functions run off
    # the event loop.
    leave_loop(pool)
    responder = RESPONDERS.get(params["ChallengeName"])
    if responder is None:
        # A challenge poolmail never issues (CUSTOM_CHALLENGE without Lambda triggers):
        # no open session can answer it.
        raise AwsError("NotAuthorizedException", challenges.INVALID_SESSION)
    answered = responder(ctx, pool, client, params)
    if isinstance(answered, Passed):
        source = _TOKEN_SOURCES.get(params["ChallengeName"], token_generation.AUTHENTICATION)
        metadata = client_metadata(params)
        return proceed(
            ctx,
            pool,
            client,
            answered.user,
            answered.progress,
            metadata=metadata,
            source=source,
            reads=answered.reads,
            closing=answered.closing,
        )
    return answered


# The PreTokenGeneration source of a sign-in that a challenge's answer completes.
_TOKEN_SOURCES = {
    NEW_PASSWORD_REQUIRED: token_generation.NEW_PASSWORD_CHALLENGE,
    "DEVICE_PASSWORD_VERIFIER": token_generation.AUTHENTICATE_DEVICE,
}


# ---- operations -------------------------------------------------------------------------


def _public(ctx: RequestContext, client_id: str) -> tuple[RequestContext, StoredPool, ClientRecord]:
    ctx, client, pool = public_client_pool(ctx, client_id)
    return ctx, pool, client


def _admin(ctx: RequestContext, pool_id: str, client_id: str) -> tuple[StoredPool, ClientRecord]:
    with ctx.db.transaction(readonly=True) as tx:
        pool = load_pool(tx, ctx, pool_id)
        client = find_client(tx, client_id)
    if client is None or client.pool_id != pool.id:
        raise client_not_found(client_id)
    return pool, client


@local_only
def initiate_auth(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    ctx, pool, client = _public(ctx, params["ClientId"])
    return _initiate(ctx, pool, client, params, _PUBLIC)


@local_only
def admin_initiate_auth(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    pool, client = _admin(ctx, params["UserPoolId"], params["ClientId"])
    return _initiate(ctx, pool, client, params, _ADMIN)


@local_only
def respond_to_auth_challenge(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    ctx, pool, client = _public(ctx, params["ClientId"])
    return _respond(ctx, pool, client, params)


@local_only
def admin_respond_to_auth_challenge(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    pool, client = _admin(ctx, params["UserPoolId"], params["ClientId"])
    return _respond(ctx, pool, client, params)


OPERATIONS: dict[str, Handler] = {
    "InitiateAuth": initiate_auth,
    "AdminInitiateAuth": admin_initiate_auth,
    "RespondToAuthChallenge": respond_to_auth_challenge,
    "AdminRespondToAuthChallenge": admin_respond_to_auth_challenge,
}
