"""What the events of several triggers carry beyond the envelope: the user's attributes as
Cognito shows them to functions, the request's client metadata and validation data; and
the step every operation that may invoke a function takes first (``leave_loop``).

Facts: ../shared/facts/cognito-lambda-triggers.md sections 2 and 6.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from poolmail.cognito.pools.user_pools import StoredPool
from poolmail.operations import LeaveLoop, on_loop

if TYPE_CHECKING:
    from poolmail.cognito.users.users import StoredUser

# `LambdaConfig` keys that name no function of their own.
_NOT_FUNCTIONS = ("KMSKeyID", "PreTokenGenerationConfig")


def has_triggers(pool: StoredPool) -> bool:
    """Whether any function may run for ``pool``."""
    config = pool.settings.get("LambdaConfig") or {}
    return any(value for key, value in config.items() if key not in _NOT_FUNCTIONS) or bool(
        (config.get("PreTokenGenerationConfig") or {}).get("LambdaArn")
    )


def leave_loop(pool: StoredPool) -> None:
    """Before an operation's first write: a pool with triggers is served off the event
    loop, since a function may take up to Cognito's five seconds (operations.LeaveLoop).
    A pool without any costs one dictionary look-up."""
    if on_loop() and has_triggers(pool):
        raise LeaveLoop


def user_attributes(pool: StoredPool, user: StoredUser) -> dict[str, str]:
    """`request.userAttributes` of an existing user: strings only, with `sub`,
    `cognito:user_status` and the alias markers real events carry."""
    shown = {name: value for name, value in user.attributes.items()}
    shown["sub"] = user.sub
    aliases = pool.settings.get("AliasAttributes") or []
    for name in ("email", "phone_number"):
        if name in aliases and user.attributes.get(f"{name}_verified") == "true":
            shown[f"cognito:{name}_alias"] = user.attributes.get(name, "")
    if "preferred_username" in aliases and user.attributes.get("preferred_username"):
        shown["cognito:preferred_username"] = user.attributes["preferred_username"]
    shown["cognito:user_status"] = user.status
    return shown


def client_metadata(params: dict[str, Any]) -> dict[str, str] | None:
    """The request's `ClientMetadata`, passed on unchecked and unstored, as Cognito does."""
    given = params.get("ClientMetadata")
    return dict(given) if given else None


def validation_data(params: dict[str, Any]) -> dict[str, str] | None:
    """`ValidationData` (a list of Name/Value pairs on the wire) as the map functions get."""
    given = params.get("ValidationData")
    if not given:
        return None
    return {str(entry["Name"]): str(entry.get("Value", "")) for entry in given}


def with_metadata(request: dict[str, Any], metadata: dict[str, str] | None) -> dict[str, Any]:
    """``request`` with `clientMetadata` when the caller sent some: real events without
    it leave the member out."""
    if metadata:
        request["clientMetadata"] = metadata
    return request
