"""Password lockout: after five wrong passwords a user is locked out for 2^(n-5) seconds.

AWS's rule (developer guide, authentication.html, "Lockout behavior for failed sign-in
attempts"): "After five failed sign-in attempts with a user's password, regardless of
whether those are requested with unauthenticated or IAM-authorized API operations, Amazon
Cognito locks out your user for one second. The lockout duration then doubles after each
additional one failed attempt, up to a maximum of approximately 15 minutes. Attempts made
during a lockout period generate a Password attempts exceeded exception, and don't affect
the duration of subsequent lockout periods. For a cumulative number of failed sign-in
attempts n, not including Password attempts exceeded exceptions, Amazon Cognito locks out
your user for 2^(n-5) seconds. To reset the lockout to its n=0 initial state, your user must
either sign in successfully after a lockout period expires, or not initiate any sign-in
attempts for 15 consecutive minutes at any time after a lockout."

So the fifth wrong password itself is answered "Incorrect username or password." (it is
not made during a lockout: it starts one), and any attempt in the next second, even with the
right password, "Password attempts exceeded". The rule speaks of sign-in only: ChangePassword's
PreviousPassword is not a sign-in and does not count here.

One row per user in `cognito_password_failures`, changed under a per-user lock, so replicas
sharing a PostgreSQL database count each failure exactly once. A sign-in with nothing on
record reads one row and writes nothing.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from poolmail.cognito.pools.user_pools import StoredPool
from poolmail.cognito.threats import risk_events
from poolmail.cognito.users.users import StoredUser
from poolmail.context import RequestContext
from poolmail.protocol.errors import AwsError
from poolmail.store import Transaction

# AWS's text, without a final period (amazon-archives/amazon-cognito-identity-js#479, #506).
ATTEMPTS_EXCEEDED = "Password attempts exceeded"
FREE_FAILURES = 5
# "Up to a maximum of approximately 15 minutes": 2^10 s would be 17 minutes, so the cap.
MAX_LOCKOUT = 900.0
# "Not initiate any sign-in attempts for 15 consecutive minutes" resets the count. Not
# found: whether that holds before a first lockout; poolmail forgets old failures alike.
QUIET_RESET = 900.0

# The user whose `check` found nothing on record in this request: its `succeeded` then
# has nothing to reset and writes nothing (the password path is benchmarked). A request
# runs in its own context, so this never leaks from one request into another.
_clean: ContextVar[tuple[str, str] | None] = ContextVar("poolmail_lockout_clean", default=None)

_SELECT = (
    "SELECT failures, last_failure_at, locked_until FROM cognito_password_failures "
    "WHERE pool_id = ? AND username = ?"
)


def _lock(pool_id: str, username: str) -> str:
    return f"poolmail:cognito-lockout:{pool_id}:{username}"


def lockout_seconds(failures: int) -> float:
    """How long the ``failures``-th wrong password in a row locks the user out."""
    if failures < FREE_FAILURES:
        return 0.0
    return min(2.0 ** min(failures - FREE_FAILURES, 20), MAX_LOCKOUT)


# ``check``'s row, when the caller has not read it with the user (``record``).
UNREAD = ("unread",)


def record(tx: Transaction, pool_id: str, username: str) -> tuple[Any, ...] | None:
    """The user's row, for a caller that reads it with the user and hands it to ``check``
    (one transaction instead of two)."""
    return tx.fetchone(_SELECT, (pool_id, username))


def check(
    ctx: RequestContext,
    pool: StoredPool,
    user: StoredUser,
    row: tuple[Any, ...] | None = UNREAD,
) -> None:
    """Refuse a password attempt while the user is locked out."""
    if row is UNREAD:
        with ctx.db.transaction(readonly=True) as tx:
            row = tx.fetchone(_SELECT, (pool.id, user.username))
    if row is None:
        _clean.set((pool.id, user.username))
        return
    _clean.set(None)
    now = ctx.clock.now().timestamp()
    if float(row[2]) <= now:
        return
    # Refused attempts leave the count and the lockout alone, but they are attempts: the
    # quiet quarter of an hour that resets the count starts again after them (AWS: "not
    # initiate any sign-in attempts for 15 consecutive minutes"). The write commits first.
    with ctx.db.transaction(lock=_lock(pool.id, user.username)) as tx:
        tx.execute(
            "UPDATE cognito_password_failures SET last_failure_at = ? "
            "WHERE pool_id = ? AND username = ? AND last_failure_at < ?",
            (now, pool.id, user.username, now),
        )
    raise AwsError("NotAuthorizedException", ATTEMPTS_EXCEEDED)


def failed(ctx: RequestContext, pool: StoredPool, user: StoredUser) -> None:
    """Count a wrong password; the fifth and each later one lock the user out.

    Raises "Password attempts exceeded" when another attempt locked the user out since
    `check` (on another replica, say): this one was then made during the lockout.
    """
    _clean.set(None)
    risk_events.password_failed(ctx, pool, user)
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction(lock=_lock(pool.id, user.username)) as tx:
        row = tx.fetchone(_SELECT, (pool.id, user.username))
        if row is not None and float(row[2]) > now:
            refused = True
        else:
            refused = False
            failures = 1
            if row is not None and now - float(row[1]) < QUIET_RESET:
                failures = int(row[0]) + 1
            _record(tx, pool.id, user.username, failures, now, row is not None)
    if refused:
        raise AwsError("NotAuthorizedException", ATTEMPTS_EXCEEDED)


def _record(
    tx: Transaction, pool_id: str, username: str, failures: int, now: float, exists: bool
) -> None:
    until = now + lockout_seconds(failures) if failures >= FREE_FAILURES else 0.0
    if exists:
        tx.execute(
            "UPDATE cognito_password_failures SET failures = ?, last_failure_at = ?, "
            "locked_until = ? WHERE pool_id = ? AND username = ?",
            (failures, now, until, pool_id, username),
        )
    else:
        tx.execute(
            "INSERT INTO cognito_password_failures (pool_id, username, failures, "
            "last_failure_at, locked_until) VALUES (?, ?, ?, ?, ?)",
            (pool_id, username, failures, now, until),
        )


def succeeded(ctx: RequestContext, pool: StoredPool, user: StoredUser) -> None:
    """A correct password (outside a lockout, or `check` would have refused it) ends the
    count: the user is back at n=0."""
    clean = _clean.get() == (pool.id, user.username)
    _clean.set(None)
    if clean:
        return
    with ctx.db.transaction(lock=_lock(pool.id, user.username)) as tx:
        forget_user(tx, pool.id, user.username)


def forget_user(tx: Transaction, pool_id: str, username: str) -> None:
    """Drop a user's count (a deleted user's name may be taken again)."""
    tx.execute(
        "DELETE FROM cognito_password_failures WHERE pool_id = ? AND username = ?",
        (pool_id, username),
    )
