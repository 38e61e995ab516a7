"""Reading an import file into records: the suppression list's and a contact list's, in
CSV or JSON lines, each record checked on its own so one bad line fails alone.

AWS documents the suppression-list formats (docs.aws.amazon.com/ses/latest/dg/
sending-email-suppression-list.html): CSV lines `address,REASON`, JSON lines
`{"emailAddress": "...", "reason": "BOUNCE"}`. Choice: AWS's contact-list format was not
found; poolmail reads CSV with a header row naming `emailAddress` (required),
`unsubscribeAll`, `attributesData` and `topicPreferences` (`topic=OPT_IN;other=OPT_OUT`),
and JSON lines with the same keys (`topicPreferences` as a list of
`{"topicName", "subscriptionStatus"}`).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from typing import Any

from poolmail.ses.identities.coverage import bare_address

REASONS = ("BOUNCE", "COMPLAINT")
STATUSES = ("OPT_IN", "OPT_OUT")
# "You can import up to 100,000 addresses" an object (suppression-list bulk import).
MAX_RECORDS = 100_000


class FileError(Exception):
    """The file as a whole cannot be read: the job fails with this message."""


@dataclass(slots=True)
class Record:
    line: int
    email: str
    reason: str | None = None
    unsubscribe_all: bool = False
    attributes: str | None = None
    topics: list[dict[str, str]] = field(default_factory=list)


@dataclass(slots=True)
class Failure:
    line: int
    raw: str
    error: str


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileError("The data source is not UTF-8 text.") from exc


def _address(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("emailAddress is required.")
    from poolmail.ses.sending.outbound import address_problem

    email = value.strip()
    problem = address_problem(bare_address(email))
    if problem is not None or bare_address(email) != email:
        raise ValueError(f"Invalid email address {email}: {problem or 'not a bare address'}")
    return email


def _reason(value: Any, required: bool) -> str | None:
    if value in (None, "") and not required:
        return None
    text = str(value).strip().upper() if value is not None else ""
    if text not in REASONS:
        raise ValueError(f"Invalid reason {value!r}: must be one of BOUNCE, COMPLAINT.")
    return text


def _lines(body: bytes) -> list[tuple[int, str]]:
    lines = [(number, line) for number, line in enumerate(_text(body).splitlines(), 1)]
    kept = [(number, line) for number, line in lines if line.strip()]
    if len(kept) > MAX_RECORDS:
        raise FileError(f"The data source holds more than {MAX_RECORDS} records.")
    return kept


def suppression_records(
    body: bytes, data_format: str, reason_required: bool
) -> tuple[list[Record], list[Failure]]:
    records: list[Record] = []
    failures: list[Failure] = []
    for number, line in _lines(body):
        try:
            if data_format == "JSON":
                item = json.loads(line)
                if not isinstance(item, dict):
                    raise ValueError("A record must be a JSON object.")
                email, reason = item.get("emailAddress"), item.get("reason")
            else:
                cells = next(csv.reader([line]))
                if number == 1 and cells and cells[0].strip().lower() == "emailaddress":
                    continue  # a header row
                email = cells[0] if cells else None
                reason = cells[1] if len(cells) > 1 else None
            records.append(Record(number, _address(email), _reason(reason, reason_required)))
        except (ValueError, csv.Error) as exc:
            failures.append(Failure(number, line, str(exc) or "Malformed record."))
    return records, failures


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if value in (None, ""):
        return False
    text = str(value).strip().lower()
    if text not in ("true", "false"):
        raise ValueError(f"Invalid unsubscribeAll {value!r}: must be true or false.")
    return text == "true"


def _attributes(value: Any) -> str | None:
    if value in (None, ""):
        return None
    text = value if isinstance(value, str) else json.dumps(value)
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise ValueError("attributesData must be a JSON object.")
    return str(text)


def _topics(value: Any, known: dict[str, str], list_name: str) -> list[dict[str, str]]:
    pairs: list[tuple[Any, Any]] = []
    if value in (None, ""):
        return []
    if isinstance(value, str):
        for part in value.split(";"):
            if part.strip():
                name, _, status = part.partition("=")
                pairs.append((name.strip(), status.strip()))
    elif isinstance(value, list):
        for item in value:
            if not isinstance(item, dict):
                raise ValueError("topicPreferences must be a list of objects.")
            pairs.append((item.get("topicName"), item.get("subscriptionStatus")))
    else:
        raise ValueError("topicPreferences must be a list.")
    seen: dict[str, str] = {}
    for name, status in pairs:
        if not isinstance(name, str) or name not in known:
            raise ValueError(f"List: {list_name} doesn't contain Topic: {name}")
        if status not in STATUSES:
            raise ValueError(f"Invalid subscriptionStatus {status!r} for Topic: {name}")
        seen[name] = str(status)
    return [{"TopicName": name, "SubscriptionStatus": status} for name, status in seen.items()]


def contact_records(
    body: bytes, data_format: str, topics: dict[str, str], list_name: str
) -> tuple[list[Record], list[Failure]]:
    """The contacts of the file; ``topics`` are the list's (name -> default status)."""
    records: list[Record] = []
    failures: list[Failure] = []
    lines = _lines(body)
    header: list[str] | None = None
    if data_format == "CSV":
        if not lines:
            return [], []
        header = [cell.strip() for cell in next(csv.reader([lines[0][1]]))]
        if "emailAddress" not in header:
            raise FileError("The CSV header must name an emailAddress column.")
        lines = lines[1:]
    for number, line in lines:
        try:
            if header is not None:
                cells = next(csv.reader([line]))
                item: Any = dict(zip(header, cells, strict=False))
            else:
                item = json.loads(line)
                if not isinstance(item, dict):
                    raise ValueError("A record must be a JSON object.")
            records.append(
                Record(
                    number,
                    _address(item.get("emailAddress")),
                    unsubscribe_all=_bool(item.get("unsubscribeAll")),
                    attributes=_attributes(item.get("attributesData")),
                    topics=_topics(item.get("topicPreferences"), topics, list_name),
                )
            )
        except (ValueError, csv.Error) as exc:
            failures.append(Failure(number, line, str(exc) or "Malformed record."))
    return records, failures


def failures_file(failures: list[Failure], data_format: str) -> bytes:
    """The failed records with why, in the job's format."""
    if data_format == "JSON":
        return "".join(
            json.dumps({"line": f.line, "record": f.raw, "error": f.error}) + "\n" for f in failures
        ).encode()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["line", "record", "error"])
    for failure in failures:
        writer.writerow([failure.line, failure.raw, failure.error])
    return out.getvalue().encode()
