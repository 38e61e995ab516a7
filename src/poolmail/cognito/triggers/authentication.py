"""PreAuthentication and PostAuthentication: the functions around a sign-in.

PreAuthentication runs before the password (or SRP) check and may refuse the sign-in;
PostAuthentication runs once every factor passed, before the tokens are made, and its
failure takes them away. Facts: ../shared/facts/cognito-lambda-triggers.md sections 3-4.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from poolmail.cognito.clients.clients import ClientRecord
from poolmail.cognito.pools.user_pools import StoredPool
from poolmail.cognito.signin import devices
from poolmail.cognito.triggers import invoke
from poolmail.cognito.triggers.events import user_attributes, with_metadata
from poolmail.context import RequestContext

if TYPE_CHECKING:
    from poolmail.cognito.users.users import StoredUser

PRE_AUTHENTICATION = "PreAuthentication_Authentication"
POST_AUTHENTICATION = "PostAuthentication_Authentication"


def _hides_existence(client: ClientRecord) -> bool:
    return client.settings.get("PreventUserExistenceErrors") == "ENABLED"


def pre_authentication(
    ctx: RequestContext,
    pool: StoredPool,
    client: ClientRecord,
    user: StoredUser | None,
    entered: str,
    validation: dict[str, str] | None,
) -> None:
    """Run the pool's PreAuthentication function, if any. ``user`` None: nobody has the
    name ``entered``; the function still runs when the client hides that (its event then
    says `userNotFound`), as a reported real pool does (facts section 3).

    ``validation``: InitiateAuth's ClientMetadata, which AWS hands over as
    `validationData` (section 6)."""
    if invoke.configured(pool, "PreAuthentication") is None:
        return
    if user is None and not _hides_existence(client):
        return
    request: dict[str, object] = {
        "userAttributes": user_attributes(pool, user) if user is not None else {},
        "validationData": validation,
    }
    if _hides_existence(client):
        # D2023 PA: set only when PreventUserExistenceErrors is ENABLED.
        request["userNotFound"] = user is None
    name = user.username if user is not None else entered
    event = invoke.envelope(
        ctx, pool, PRE_AUTHENTICATION, name, dict(request), {}, client_id=client.id
    )
    invoke.call(ctx, pool, "PreAuthentication", event)


def post_authentication(
    ctx: RequestContext,
    pool: StoredPool,
    client: ClientRecord,
    user: StoredUser,
    *,
    new_device: bool,
    metadata: dict[str, str] | None,
) -> None:
    """Run the pool's PostAuthentication function, if any, once the sign-in passed.

    ``metadata``: only RespondToAuthChallenge's ClientMetadata reaches it, never
    InitiateAuth's (D2023 POA). `newDeviceUsed` is set only where the pool remembers
    devices."""
    if invoke.configured(pool, "PostAuthentication") is None:
        return
    request: dict[str, object] = {"userAttributes": user_attributes(pool, user)}
    if devices.tracking(pool):
        request["newDeviceUsed"] = new_device
    event = invoke.envelope(
        ctx,
        pool,
        POST_AUTHENTICATION,
        user.username,
        with_metadata(dict(request), metadata),
        {},
        client_id=client.id,
    )
    invoke.call(ctx, pool, "PostAuthentication", event)
