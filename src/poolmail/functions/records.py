"""Records of function invocations: what was asked, what came back, the log. Newest first;
the newest KEEP_PER_OWNER of each owner (a pool) are kept, older ones are dropped."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from poolmail.store import Transaction

KEEP_PER_OWNER = 1000
MAX_LIMIT = 1000

_COLUMNS = (
    "id, account, region, created_at, function_name, arn, runner, source, owner, "
    "duration_ms, request, response, error_type, error_message, log"
)


@dataclass(frozen=True, slots=True)
class Invocation:
    id: str
    account: str
    region: str
    created_at: float
    function_name: str
    arn: str
    runner: str  # 'embedded' or 'endpoint'
    source: str
    owner: str
    duration_ms: float
    request: Any
    response: Any = None
    error_type: str | None = None
    error_message: str | None = None
    log: str = ""


@dataclass(frozen=True, slots=True)
class InvocationFilter:
    function_name: str | None = None
    source: str | None = None
    owner: str | None = None
    invocation_id: str | None = None
    limit: int = 100


def add(tx: Transaction, invocation: Invocation) -> None:
    tx.execute(
        f"INSERT INTO function_invocations ({_COLUMNS}) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            invocation.id,
            invocation.account,
            invocation.region,
            invocation.created_at,
            invocation.function_name,
            invocation.arn,
            invocation.runner,
            invocation.source,
            invocation.owner,
            invocation.duration_ms,
            json.dumps(invocation.request),
            None if invocation.error_type else json.dumps(invocation.response),
            invocation.error_type,
            invocation.error_message,
            invocation.log,
        ),
    )
    oldest_kept = tx.fetchone(
        "SELECT created_at FROM function_invocations WHERE owner = ? "
        "ORDER BY created_at DESC LIMIT 1 OFFSET ?",
        (invocation.owner, KEEP_PER_OWNER - 1),
    )
    if oldest_kept is not None:
        # What the dropped invocations shaped goes with them (functions/shaped.py).
        tx.execute(
            "DELETE FROM function_shaped WHERE invocation_id IN (SELECT id FROM "
            "function_invocations WHERE owner = ? AND created_at < ?)",
            (invocation.owner, oldest_kept[0]),
        )
        tx.execute(
            "DELETE FROM function_invocations WHERE owner = ? AND created_at < ?",
            (invocation.owner, oldest_kept[0]),
        )


def find(tx: Transaction, where: InvocationFilter) -> list[Invocation]:
    clauses: list[str] = []
    params: list[Any] = []
    for column, value in (
        ("function_name", where.function_name),
        ("source", where.source),
        ("owner", where.owner),
        ("id", where.invocation_id),
    ):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    condition = f"WHERE {' AND '.join(clauses)} " if clauses else ""
    rows = tx.fetchall(
        f"SELECT {_COLUMNS} FROM function_invocations {condition}"
        "ORDER BY created_at DESC, id LIMIT ?",
        (*params, max(1, min(where.limit, MAX_LIMIT))),
    )
    return [_invocation(row) for row in rows]


def get(tx: Transaction, invocation_id: str) -> Invocation | None:
    row = tx.fetchone(f"SELECT {_COLUMNS} FROM function_invocations WHERE id = ?", (invocation_id,))
    return None if row is None else _invocation(row)


def _invocation(row: tuple[Any, ...]) -> Invocation:
    return Invocation(
        id=row[0],
        account=row[1],
        region=row[2],
        created_at=float(row[3]),
        function_name=row[4],
        arn=row[5],
        runner=row[6],
        source=row[7],
        owner=row[8],
        duration_ms=float(row[9]),
        request=json.loads(row[10]),
        response=None if row[11] is None else json.loads(row[11]),
        error_type=row[12],
        error_message=row[13],
        log=row[14],
    )


def to_json(invocation: Invocation) -> dict[str, Any]:
    """The record as the admin API shows it."""
    return {
        "id": invocation.id,
        "time": invocation.created_at,
        "function": invocation.function_name,
        "arn": invocation.arn,
        "runner": invocation.runner,
        "source": invocation.source,
        "owner": invocation.owner,
        "account": invocation.account,
        "region": invocation.region,
        "durationMs": round(invocation.duration_ms, 3),
        "request": invocation.request,
        "response": invocation.response,
        "error": (
            None
            if invocation.error_type is None
            else {"errorType": invocation.error_type, "errorMessage": invocation.error_message}
        ),
        "log": invocation.log,
    }
