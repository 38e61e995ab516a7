"""Remembered devices (issue 13, point 9): being built."""

from __future__ import annotations

from typing import Any

from poolmail.cognito.clients import ClientRecord
from poolmail.cognito.signin.progress import Progress, Responder
from poolmail.cognito.user_pools import StoredPool
from poolmail.cognito.users import StoredUser
from poolmail.context import RequestContext


def device_step(
    ctx: RequestContext,
    pool: StoredPool,
    client: ClientRecord,
    user: StoredUser,
    progress: Progress,
) -> dict[str, Any] | None:
    """The DEVICE_SRP_AUTH challenge when the sign-in names a device to check, else None."""
    return None


def new_device_metadata(
    ctx: RequestContext,
    pool: StoredPool,
    client: ClientRecord,
    user: StoredUser,
    progress: Progress,
) -> dict[str, Any] | None:
    """NewDeviceMetadata for a sign-in from a device the pool should start tracking."""
    return None


RESPONDERS: dict[str, Responder] = {}
