"""The outbox of deliveries to other AWS services: each record is stored first, in the
transaction of what caused it, then delivered by a background job (aws_services/delivery.py)
and retried with backoff until the target takes it, so none is lost on a restart.

DESIGN.md ("Other AWS services"): with no endpoint configured, poolmail still records
everything it would have delivered; such records are kept, visible, and marked
undeliverable at once. Every delivery attempt is kept beside its record.

How to publish to SNS (for anything that does: event destinations, identity
notifications, receipt rules): ``add(..., target=Target("sns", topic_arn, region,
{"subject": "..."}), payload=message)`` where ``payload`` is the SNS Message string as
it should arrive and ``subject`` is optional (left out: published without a Subject, as
SES's notifications are). Other keys of ``extra`` are kept with the record, for readers.
EventBridge: ``Target("events", bus_arn, region, {"source": ..., "detail_type": ...,
"resource": optional ARN})`` with the detail JSON as payload. CloudWatch metrics:
``Target("cloudwatch", namespace, region, {"namespace": ...})`` with a JSON list of
MetricData (``Timestamp`` in epoch seconds) as payload. Pinpoint: ``Target("pinpoint",
application_arn, region, {})`` with PutEvents' EventsRequest JSON as payload.
"""

from __future__ import annotations

import itertools
import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

from poolmail.config import Settings
from poolmail.store import Transaction

PENDING = "pending"
DELIVERED = "delivered"
UNDELIVERABLE = "undeliverable"
# The target answered but refused the record for good (a log event too old for CloudWatch
# Logs): retrying cannot help, so the record stops here with the target's reason.
REJECTED = "rejected"
# Backoff between attempts: 1 s, 2 s, 4 s ... at most 5 minutes. AWS calls its own log
# delivery "best effort" (exporting-quotas-and-usage.html); Choice: retry without end, as
# DESIGN.md asks, at a pace a local endpoint restarted by hand catches up with quickly.
FIRST_RETRY = 1.0
MAX_RETRY = 300.0

# The services the outbox delivers to, and the serve option overriding each one's endpoint.
SERVICES = ("logs", "s3", "firehose", "sns", "events", "cloudwatch", "pinpoint")
_SEQUENCE = itertools.count()


@dataclass(frozen=True, slots=True)
class Target:
    """Where a record goes: the service, the resource's ARN, and the service's particulars
    (a log stream name, an object key)."""

    service: str
    arn: str
    region: str
    extra: dict[str, str]


@dataclass(frozen=True, slots=True)
class Record:
    id: str
    account: str
    source: str
    owner: str
    created_at: float
    status: str
    attempts: int
    next_attempt_at: float
    target: Target
    payload: str


def endpoint_for(settings: Settings, service: str) -> str | None:
    """The endpoint URL records for ``service`` go to: its own option, else
    `--aws-endpoint-url`; None when neither is set."""
    own: str | None = getattr(settings, f"{service}_endpoint_url", None)
    return own or settings.aws_endpoint_url


def delivers(settings: Settings) -> bool:
    """Whether any service has an endpoint: the delivery job has work only then."""
    return any(endpoint_for(settings, service) for service in SERVICES)


def add(
    tx: Transaction,
    settings: Settings,
    *,
    account: str,
    source: str,
    owner: str,
    target: Target,
    payload: str,
    now: float,
) -> str:
    """Store a record for delivery; its id. ``source`` names what produced it
    (`cognito-idp:userNotification`), ``owner`` the resource it belongs to (a pool id)."""
    # Time first, then this process's count: records made together (a message's Send and
    # Bounce) are delivered in the order they were made (`due` orders by time, then id).
    record_id = f"{int(now * 1_000_000):014x}-{next(_SEQUENCE):08x}-{uuid.uuid4().hex[:12]}"
    status = PENDING if endpoint_for(settings, target.service) else UNDELIVERABLE
    tx.execute(
        "INSERT INTO aws_outbox (id, account, region, service, source, owner, created_at, "
        "status, attempts, next_attempt_at, target, payload) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)",
        (
            record_id,
            account,
            target.region,
            target.service,
            source,
            owner,
            now,
            status,
            now,
            json.dumps({"arn": target.arn, **target.extra}),
            payload,
        ),
    )
    return record_id


def _record(row: Any) -> Record:
    target = json.loads(row[9])
    arn = target.pop("arn")
    return Record(
        id=row[0],
        account=row[1],
        source=row[4],
        owner=row[5],
        created_at=float(row[6]),
        status=row[7],
        attempts=int(row[8]),
        next_attempt_at=float(row[11]),
        target=Target(row[3], arn, row[2], target),
        payload=row[10],
    )


_COLUMNS = (
    "id, account, region, service, source, owner, created_at, status, attempts, target, "
    "payload, next_attempt_at"
)


def due(tx: Transaction, now: float, limit: int = 100) -> list[Record]:
    """Pending records whose next attempt is due, oldest first."""
    rows = tx.fetchall(
        f"SELECT {_COLUMNS} FROM aws_outbox WHERE status = ? AND next_attempt_at <= ? "
        "ORDER BY created_at, id LIMIT ?",
        (PENDING, now, limit),
    )
    return [_record(row) for row in rows]


def note_attempt(
    tx: Transaction, record: Record, now: float, error: str | None, final: bool = False
) -> None:
    """Keep an attempt's outcome; a failed one schedules the next with backoff, unless
    ``final`` (the target refused the record for good)."""
    attempt = record.attempts + 1
    tx.execute(
        "INSERT INTO aws_outbox_attempts (record_id, attempt, attempted_at, error) "
        "VALUES (?, ?, ?, ?)",
        (record.id, attempt, now, error),
    )
    if error is None:
        tx.execute(
            "UPDATE aws_outbox SET status = ?, attempts = ?, delivered_at = ?, last_error = NULL "
            "WHERE id = ?",
            (DELIVERED, attempt, now, record.id),
        )
        return
    if final:
        tx.execute(
            "UPDATE aws_outbox SET status = ?, attempts = ?, last_error = ? WHERE id = ?",
            (REJECTED, attempt, error, record.id),
        )
        return
    delay = min(FIRST_RETRY * 2 ** (attempt - 1), MAX_RETRY)
    tx.execute(
        "UPDATE aws_outbox SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?",
        (attempt, now + delay, error, record.id),
    )


# The failures that mean the endpoint itself could not be reached (botocore's names), as
# the delivery job writes them first in `last_error`.
UNREACHABLE = ("EndpointConnectionError", "ConnectTimeoutError", "ConnectionClosedError")


def hurry(tx: Transaction, services: set[str], now: float) -> None:
    """Make due now every pending record of ``services`` whose last attempt could not
    reach the endpoint: a delivery to it just succeeded, so it is back, and what waited out
    its backoff meanwhile (up to MAX_RETRY) need not wait longer. Records the target itself
    refused keep their backoff."""
    unreachable = " OR ".join("last_error LIKE ?" for _ in UNREACHABLE)
    for service in sorted(services):
        tx.execute(
            "UPDATE aws_outbox SET next_attempt_at = ? "
            f"WHERE status = ? AND service = ? AND next_attempt_at > ? AND ({unreachable})",
            (now, PENDING, service, now, *(f"{name}:%" for name in UNREACHABLE)),
        )


def _shown(payload: str) -> Any:
    """A payload as the admin API shows it: JSON decoded; a plain log line (an import job's
    log) as its text."""
    try:
        return json.loads(payload)
    except ValueError:
        return payload


def listing(
    tx: Transaction, *, source_prefix: str = "", owner: str | None = None, limit: int = 1000
) -> list[dict[str, Any]]:
    """Records (newest first) with their attempts, as poolmail's admin API shows them."""
    escaped = re.sub(r"([\\%_])", r"\\\1", source_prefix)
    sql = (
        f"SELECT {_COLUMNS}, last_error, delivered_at FROM aws_outbox "
        "WHERE source LIKE ? ESCAPE '\\' "
        + ("AND owner = ? " if owner is not None else "")
        + "ORDER BY created_at DESC, id LIMIT ?"
    )
    params: tuple[Any, ...] = (escaped + "%",)
    params += (owner, limit) if owner is not None else (limit,)
    rows = tx.fetchall(sql, params)
    attempts: dict[str, list[dict[str, Any]]] = {row[0]: [] for row in rows}
    if rows:
        marks = ", ".join("?" * len(rows))
        for record_id, attempt, at, error in tx.fetchall(
            "SELECT record_id, attempt, attempted_at, error FROM aws_outbox_attempts "
            f"WHERE record_id IN ({marks}) ORDER BY record_id, attempt",
            [row[0] for row in rows],
        ):
            attempts[record_id].append({"attempt": int(attempt), "at": float(at), "error": error})
    shown = []
    for row in rows:
        record = _record(row)
        shown.append(
            {
                "id": record.id,
                "account": record.account,
                "source": record.source,
                "owner": record.owner,
                "created_at": record.created_at,
                "status": record.status,
                "service": record.target.service,
                "target": {"arn": record.target.arn, **record.target.extra},
                "region": record.target.region,
                "payload": _shown(record.payload),
                "last_error": row[12],
                "delivered_at": row[13],
                "next_attempt_at": record.next_attempt_at if record.status == PENDING else None,
                "attempts": attempts[record.id],
            }
        )
    return shown
