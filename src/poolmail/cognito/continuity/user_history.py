"""The user history point-in-time recovery restores from (point_in_time_recovery.py).

For a tracked pool, every users row that an update replaces or a deletion removes is kept
with the time it stopped being current. Tracking is per pool and off by default, so the
sign-up and sign-in paths of other pools write no history: ``remember`` is one
INSERT ... SELECT that copies nothing for them.
"""

from __future__ import annotations

from poolmail.store import Transaction

# Users rows as kept; the history adds replaced_at and deleted.
ROW_COLUMNS = (
    "username, sub, status, enabled, email, phone, preferred_username, created_at, "
    "modified_at, data"
)


def remember(tx: Transaction, pool_id: str, username: str, now: float, *, deleted: bool) -> None:
    """Keep the user's row as it is before an update or deletion at ``now``, when the pool
    is tracked."""
    tx.execute(
        f"INSERT INTO cognito_user_history (pool_id, {ROW_COLUMNS}, replaced_at, deleted) "
        f"SELECT pool_id, {ROW_COLUMNS}, ?, ? FROM users WHERE pool_id = ? AND username = ? "
        "AND EXISTS (SELECT 1 FROM cognito_pitr_tracking WHERE pool_id = ?)",
        (now, int(deleted), pool_id, username, pool_id),
    )
    if deleted:
        # The groups a deleted user was in go with them (groups.forget_user); a restore
        # puts the user back in those that still exist.
        tx.execute(
            "INSERT INTO cognito_group_member_history "
            "(pool_id, group_name, sub, created_at, replaced_at) "
            "SELECT pool_id, group_name, sub, created_at, ? FROM cognito_group_members "
            "WHERE pool_id = ? AND sub IN "
            "(SELECT sub FROM users WHERE pool_id = ? AND username = ?) "
            "AND EXISTS (SELECT 1 FROM cognito_pitr_tracking WHERE pool_id = ?)",
            (now, pool_id, pool_id, username, pool_id),
        )


def restore_groups(tx: Transaction, pool_id: str, sub: str, point: float) -> None:
    """Put a restored user back in the groups they were in when last deleted, those they
    had joined by ``point`` and that still exist."""
    last = tx.fetchone(
        "SELECT MAX(replaced_at) FROM cognito_group_member_history WHERE pool_id = ? AND sub = ?",
        (pool_id, sub),
    )
    if last is None or last[0] is None:
        return
    tx.execute(
        "INSERT INTO cognito_group_members (pool_id, group_name, sub, created_at) "
        "SELECT h.pool_id, h.group_name, h.sub, h.created_at FROM cognito_group_member_history h "
        "WHERE h.pool_id = ? AND h.sub = ? AND h.replaced_at = ? AND h.created_at <= ? "
        "AND EXISTS (SELECT 1 FROM cognito_groups g "
        "WHERE g.pool_id = h.pool_id AND g.name = h.group_name) "
        "ON CONFLICT DO NOTHING",
        (pool_id, sub, float(last[0]), point),
    )


def tracked_since(tx: Transaction, pool_id: str) -> float | None:
    row = tx.fetchone("SELECT since FROM cognito_pitr_tracking WHERE pool_id = ?", (pool_id,))
    return None if row is None else float(row[0])


def track(tx: Transaction, pool_id: str, enabled: bool, now: float) -> float | None:
    """Start (or stop, forgetting the history) keeping the pool's user history; the time
    it is kept since."""
    if not enabled:
        for table in (
            "cognito_pitr_tracking",
            "cognito_user_history",
            "cognito_group_member_history",
        ):
            tx.execute(f"DELETE FROM {table} WHERE pool_id = ?", (pool_id,))
        return None
    since = tracked_since(tx, pool_id)
    if since is not None:
        return since
    tx.execute("INSERT INTO cognito_pitr_tracking (pool_id, since) VALUES (?, ?)", (pool_id, now))
    return now
