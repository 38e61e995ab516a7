"""The WHERE clause of a filtered listing, built from the filters a caller set.

The mailbox, the SMS outbox and the invocation log all filter the same way: a column equal
to a value when the filter is set, a time window, keyset paging on (created_at, id).
"""

from __future__ import annotations

from typing import Any


class Conditions:
    """Clauses joined by AND, with their arguments in order."""

    __slots__ = ("args", "clauses")

    def __init__(self) -> None:
        self.clauses: list[str] = []
        self.args: list[Any] = []

    def add(self, clause: str, *args: Any) -> Conditions:
        self.clauses.append(clause)
        self.args.extend(args)
        return self

    def equal(self, *pairs: tuple[str, Any]) -> Conditions:
        """`column = value` for each pair whose value is set (not None)."""
        for column, value in pairs:
            if value is not None:
                self.add(f"{column} = ?", value)
        return self

    def window(self, column: str, since: float | None, until: float | None) -> Conditions:
        """``column`` within [since, until], either end open when None."""
        if since is not None:
            self.add(f"{column} >= ?", since)
        if until is not None:
            self.add(f"{column} <= ?", until)
        return self

    def before(self, created_at: float, row_id: str, *, prefix: str = "") -> Conditions:
        """Rows after (created_at, id) in a newest-first listing: keyset paging, so no row
        is skipped or repeated when rows arrive during a walk."""
        return self.add(
            f"({prefix}created_at < ? OR ({prefix}created_at = ? AND {prefix}id < ?))",
            created_at,
            created_at,
            row_id,
        )

    def copy(self) -> Conditions:
        copied = Conditions()
        copied.clauses, copied.args = list(self.clauses), list(self.args)
        return copied

    def sql(self, keyword: str = "WHERE") -> str:
        """` WHERE a AND b` (or ` AND a AND b` after a clause of the caller's), or ''."""
        return f" {keyword} " + " AND ".join(self.clauses) if self.clauses else ""
