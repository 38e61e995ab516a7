"""The MFA challenges of a sign-in (issue 13, point 5): being built."""

from __future__ import annotations

from typing import Any

from poolmail.cognito.clients import ClientRecord
from poolmail.cognito.signin.progress import Progress, Responder
from poolmail.cognito.user_pools import StoredPool
from poolmail.cognito.users import StoredUser
from poolmail.context import RequestContext


def mfa_step(
    ctx: RequestContext,
    pool: StoredPool,
    client: ClientRecord,
    user: StoredUser,
    progress: Progress,
) -> dict[str, Any] | None:
    """The MFA challenge this sign-in must answer next, or None when it needs none."""
    return None


RESPONDERS: dict[str, Responder] = {}
