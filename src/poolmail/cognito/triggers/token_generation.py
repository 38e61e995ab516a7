"""PreTokenGeneration: a function adds, overrides and suppresses the claims (and, from
event version V2_0, the access token's scopes) of the tokens a sign-in is about to get.

Every path that issues user tokens asks ``ask`` for the function's answer outside any
transaction, then ``apply`` changes the claims right before signing. Facts:
../shared/facts/cognito-lambda-triggers.md section 3 (PreTokenGeneration).

Where each path hooks in:
- user sign-ins go through `signin.sessions.sign_in` / `renew`, which take the ``source``
  (HOSTED_AUTH for managed login's token endpoint, with the granted ``scopes``), ask the
  function and hand its answer to the minter as `SignIn.changes`; a minter of its own
  calls ``apply(sign_in.changes, id_claims, access_claims, client.id)`` before signing;
- machine-to-machine tokens (client_credentials) call ``client_credentials`` before
  signing, then ``apply(changes, None, access_claims, client_id)``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from poolmail.cognito.pools.user_pools import StoredPool
from poolmail.cognito.triggers import invoke
from poolmail.cognito.triggers.events import user_attributes, with_metadata
from poolmail.context import RequestContext
from poolmail.protocol.errors import AwsError

if TYPE_CHECKING:
    from poolmail.cognito.users.users import StoredUser

HOSTED_AUTH = "TokenGeneration_HostedAuth"
AUTHENTICATION = "TokenGeneration_Authentication"
NEW_PASSWORD_CHALLENGE = "TokenGeneration_NewPasswordChallenge"
AUTHENTICATE_DEVICE = "TokenGeneration_AuthenticateDevice"
REFRESH_TOKENS = "TokenGeneration_RefreshTokens"
CLIENT_CREDENTIALS = "TokenGeneration_ClientCredentials"

V1, V2, V3 = "V1_0", "V2_0", "V3_0"
_EVENT_VERSION = {V1: "1", V2: "2", V3: "3"}

GROUPS = "cognito:groups"
ROLES = "cognito:roles"
PREFERRED_ROLE = "cognito:preferred_role"
# PTG: claims no function may add, override or suppress. Choice: AWS's reaction to a
# function that tries is not documented; such entries are ignored, the token keeps its own.
_RESERVED = frozenset(
    [
        "acr",
        "amr",
        "aud",
        "at_hash",
        "auth_time",
        "azp",
        "cognito:username",
        "exp",
        "iat",
        "identities",
        "iss",
        "jti",
        "nbf",
        "nonce",
        "origin_jti",
        "sub",
        "token_use",
    ]
)
_RESERVED_ACCESS = _RESERVED | {"client_id", "event_id", "device_key", "version", "username"}
# PTG: not in ID tokens by a function's hand.
_ID_ONLY_OWN = frozenset({"phone_number_verified", "email_verified", "updated_at", "address"})


@dataclass(slots=True)
class TokenChanges:
    """A function's answer, checked: per token, claims to set and to drop; the access
    token's scopes to add and drop; and the group claims' replacement, if any."""

    id_set: dict[str, Any] = field(default_factory=dict)
    id_drop: list[str] = field(default_factory=list)
    access_set: dict[str, Any] = field(default_factory=dict)
    access_drop: list[str] = field(default_factory=list)
    scopes_add: list[str] = field(default_factory=list)
    scopes_drop: list[str] = field(default_factory=list)
    # None: groups as they are; otherwise the replacement group claims ({} drops them).
    groups: dict[str, Any] | None = None


def _arn_and_version(pool: StoredPool) -> tuple[str | None, str]:
    config = pool.settings.get("LambdaConfig") or {}
    version_config = config.get("PreTokenGenerationConfig") or {}
    arn = invoke.configured(pool, "PreTokenGeneration") or version_config.get("LambdaArn")
    return arn, str(version_config.get("LambdaVersion") or V1)


def configured(pool: StoredPool) -> bool:
    return _arn_and_version(pool)[0] is not None


def _invalid() -> AwsError:
    return AwsError("InvalidLambdaResponseException", invoke.UNRECOGNIZABLE)


def _object(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _invalid()
    return value


def _names(value: Any) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
        raise _invalid()
    return list(value)


def _group_claims(details: dict[str, Any]) -> dict[str, Any] | None:
    """The group claims a `groupOverrideDetails` makes. PTG: "If you provide an empty or
    null object in the response, then Amazon Cognito suppresses the groups"."""
    if "groupOverrideDetails" not in details:
        return None
    override = _object(details["groupOverrideDetails"])
    claims: dict[str, Any] = {}
    groups = _names(override.get("groupsToOverride"))
    roles = _names(override.get("iamRolesToOverride"))
    preferred = override.get("preferredRole")
    if preferred is not None and not isinstance(preferred, str):
        raise _invalid()
    if groups:
        claims[GROUPS] = groups
    if roles:
        claims[ROLES] = roles
    if preferred:
        claims[PREFERRED_ROLE] = preferred
    return claims


def _claims(value: Any, *, strings_only: bool) -> dict[str, Any]:
    claims = _object(value)
    for claim in claims.values():
        if strings_only and not isinstance(claim, str | int | float | bool):
            raise _invalid()
    return claims


def changes_from(answer: dict[str, Any], version: str) -> TokenChanges:
    """A function's `response`, checked: InvalidLambdaResponseException when malformed."""
    if version == V1:
        details = _object(answer.get("claimsOverrideDetails"))
        return TokenChanges(
            id_set=_claims(details.get("claimsToAddOrOverride"), strings_only=True),
            id_drop=_names(details.get("claimsToSuppress")),
            groups=_group_claims(details),
        )
    details = _object(answer.get("claimsAndScopeOverrideDetails"))
    id_token = _object(details.get("idTokenGeneration"))
    access = _object(details.get("accessTokenGeneration"))
    scopes_add = _names(access.get("scopesToAdd"))
    if any(not scope or " " in scope for scope in scopes_add):
        # PTG: "scopesToAdd" values can't contain spaces. Choice: refused as bad output.
        raise _invalid()
    return TokenChanges(
        id_set=_claims(id_token.get("claimsToAddOrOverride"), strings_only=False),
        id_drop=_names(id_token.get("claimsToSuppress")),
        access_set=_claims(access.get("claimsToAddOrOverride"), strings_only=False),
        access_drop=_names(access.get("claimsToSuppress")),
        scopes_add=scopes_add,
        scopes_drop=_names(access.get("scopesToSuppress")),
        groups=_group_claims(details),
    )


def ask(
    ctx: RequestContext,
    pool: StoredPool,
    source: str,
    user: StoredUser | None,
    client_id: str,
    *,
    group_claims: dict[str, Any],
    scopes: list[str],
    metadata: dict[str, str] | None = None,
) -> TokenChanges | None:
    """Run the pool's PreTokenGeneration function, if any; what it changes, or None.

    ``user`` is None for TokenGeneration_ClientCredentials (machine-to-machine tokens),
    which AWS "only sends ... when your event version is V3_0": other versions get None
    back without a call. Never inside a transaction."""
    arn, version = _arn_and_version(pool)
    if arn is None or (user is None and version != V3):
        return None
    request: dict[str, Any] = {
        "userAttributes": user_attributes(pool, user) if user is not None else {},
        "groupConfiguration": {
            "groupsToOverride": list(group_claims.get(GROUPS) or []),
            "iamRolesToOverride": list(group_claims.get(ROLES) or []),
            "preferredRole": group_claims.get(PREFERRED_ROLE),
        },
    }
    response: dict[str, Any]
    if version == V1:
        response = {"claimsOverrideDetails": None}
    else:
        request["scopes"] = list(scopes)
        response = {"claimsAndScopeOverrideDetails": None}
    with_metadata(request, metadata)
    name = user.username if user is not None else client_id
    event = invoke.envelope(
        ctx,
        pool,
        source,
        name,
        request,
        response,
        client_id=client_id,
        version=_EVENT_VERSION.get(version, "1"),
    )
    if user is None:
        # Choice: a machine-to-machine token has no user; its event names none.
        event["userName"] = None
    # `invoke.call` names the trigger by its LambdaConfig key; a pool that only set
    # PreTokenGenerationConfig has that key's ARN under it.
    answer = invoke.call(ctx, _with_arn(pool, arn), "PreTokenGeneration", event)
    return changes_from(answer, version)


def client_credentials(
    ctx: RequestContext,
    pool: StoredPool,
    client_id: str,
    scopes: list[str],
    metadata: dict[str, str] | None = None,
) -> TokenChanges | None:
    """The changes to a client_credentials access token (TokenGeneration_ClientCredentials,
    V3_0 only); ``metadata`` is the token request's `aws_client_metadata`, decoded."""
    return ask(
        ctx,
        pool,
        CLIENT_CREDENTIALS,
        None,
        client_id,
        group_claims={},
        scopes=scopes,
        metadata=metadata,
    )


def _with_arn(pool: StoredPool, arn: str) -> StoredPool:
    if invoke.configured(pool, "PreTokenGeneration") == arn:
        return pool
    config = {**(pool.settings.get("LambdaConfig") or {}), "PreTokenGeneration": arn}
    return dataclasses.replace(pool, settings={**pool.settings, "LambdaConfig": config})


def apply(
    changes: TokenChanges | None,
    id_claims: dict[str, Any] | None,
    access_claims: dict[str, Any] | None,
    client_id: str,
) -> None:
    """Change the claims about to be signed (either token may be absent), as PTG says:
    suppression beats override; group overrides reach both tokens."""
    if changes is None:
        return
    if changes.groups is not None:
        for claims in (id_claims, access_claims):
            if claims is None:
                continue
            for name in (GROUPS, ROLES, PREFERRED_ROLE):
                claims.pop(name, None)
        if id_claims is not None:
            id_claims.update(changes.groups)
        if access_claims is not None and GROUPS in changes.groups:
            access_claims[GROUPS] = changes.groups[GROUPS]
    if id_claims is not None:
        _set(id_claims, changes.id_set, changes.id_drop, _RESERVED | _ID_ONLY_OWN)
    if access_claims is not None:
        allowed_aud = changes.access_set.get("aud") == client_id
        _set(access_claims, changes.access_set, changes.access_drop, _RESERVED_ACCESS)
        if allowed_aud and "aud" not in changes.access_drop:
            # PTG: `aud` may be added to access tokens only equal to the app client's ID.
            access_claims["aud"] = client_id
        _scopes(access_claims, changes.scopes_add, changes.scopes_drop)


def _set(
    claims: dict[str, Any], add: dict[str, Any], drop: list[str], fixed: frozenset[str]
) -> None:
    for name, value in add.items():
        if name in fixed or name in drop or _cognito_owned(name):
            continue
        claims[name] = value
    for name in drop:
        if name in fixed or (name.startswith("cognito:") and name != GROUPS):
            continue
        if name == GROUPS:
            # PTG: suppressing cognito:groups drops the roles with it.
            for related in (GROUPS, ROLES, PREFERRED_ROLE):
                claims.pop(related, None)
            continue
        claims.pop(name, None)


def _cognito_owned(name: str) -> bool:
    # PTG: any other `cognito:*` claim is Cognito's; `dev:*` may only be suppressed.
    return name.startswith(("cognito:", "dev:"))


def _scopes(claims: dict[str, Any], add: list[str], drop: list[str]) -> None:
    if not add and not drop:
        return
    current = str(claims.get("scope") or "").split()
    for scope in add:
        if scope not in current:
            current.append(scope)
    kept = [scope for scope in current if scope not in drop]
    if kept:
        claims["scope"] = " ".join(kept)
    else:
        claims.pop("scope", None)
