"""Messages in the shape LocalStack's `GET /_aws/ses` lists them, so its users' tests run
unchanged against poolmail.

A message never changes once stored, so neither does its entry: the mailbox keeps it as
JSON text beside the message (`messages.listing`), and a listing of ten thousand messages
joins stored texts instead of decoding and encoding each message again.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import orjson


def iso(epoch: float) -> str:
    moment = dt.datetime.fromtimestamp(epoch, dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def needs_raw(details: dict[str, Any]) -> bool:
    """Whether the entry shows something only the stored MIME message holds."""
    return bool(details.get("raw")) or not isinstance(details.get("body"), dict)


def shape(
    *,
    message_id: str,
    region: str,
    created_at: float,
    source: str,
    recipients: list[str],
    subject: str,
    details: dict[str, Any],
    raw: bytes | None,
) -> dict[str, Any]:
    """One message's entry; ``raw`` is needed only when ``needs_raw(details)``."""
    destination = details.get("destination", {})
    given = details.get("body")
    if isinstance(given, dict):
        text, html = given.get("text"), given.get("html")
    else:
        # Imported here: the ses package imports the mailbox, which imports this module.
        from poolmail.ses.sending.mime import bodies

        text, html = bodies(raw) if raw is not None else (None, None)
    shaped: dict[str, Any] = {
        "Id": message_id,
        "Region": region,
        "Timestamp": iso(created_at),
        "Source": source,
        "Destination": {
            "ToAddresses": destination.get("to", recipients),
            "CcAddresses": destination.get("cc", []),
            "BccAddresses": destination.get("bcc", []),
        },
        "Subject": subject,
        "Body": {"text_part": text, "html_part": html},
    }
    if details.get("raw") and raw is not None:
        shaped["RawData"] = raw.decode("utf-8", "replace")
    if "template" in details:
        shaped["Template"] = details["template"]
        shaped["TemplateData"] = details.get("template_data")
    return shaped


def to_json(entry: dict[str, Any]) -> str:
    # As Starlette's JSONResponse writes JSON, so stored and fresh entries look alike.
    # orjson writes strings, lists, dicts and null byte for byte as that does (every
    # code point but the surrogates, tests/mail/test_localstack.py) in a fifth of the
    # time; a template's name and data are the caller's, which may hold a number that the
    # two write differently, and what orjson refuses (a lone surrogate) goes to `json`.
    if "Template" not in entry:
        try:
            return orjson.dumps(entry).decode()
        except orjson.JSONEncodeError:
            pass
    return json.dumps(entry, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def stored_entry(
    *,
    message_id: str,
    region: str,
    created_at: float,
    source: str,
    recipients: list[str],
    subject: str,
    details: dict[str, Any],
    raw: bytes | None,
) -> str | None:
    """The entry to keep with a new message, or None for a raw send: its entry carries
    the whole message (RawData), which the row already holds once."""
    if details.get("raw"):
        return None
    return to_json(
        shape(
            message_id=message_id,
            region=region,
            created_at=created_at,
            source=source,
            recipients=recipients,
            subject=subject,
            details=details,
            raw=raw,
        )
    )
