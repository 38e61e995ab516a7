"""Being built (issue 13)."""

from __future__ import annotations

from poolmail.operations import Handler

OPERATIONS: dict[str, Handler] = {}
