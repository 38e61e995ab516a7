"""Password lockout (issue 13, point 10): being built."""

from __future__ import annotations

from poolmail.cognito.user_pools import StoredPool
from poolmail.cognito.users import StoredUser
from poolmail.context import RequestContext


def check(ctx: RequestContext, pool: StoredPool, user: StoredUser) -> None:
    """Refuse a password attempt while the user is locked out."""


def failed(ctx: RequestContext, pool: StoredPool, user: StoredUser) -> None:
    """Count a wrong password."""


def succeeded(ctx: RequestContext, pool: StoredPool, user: StoredUser) -> None:
    """A correct password ends the count."""
