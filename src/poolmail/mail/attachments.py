"""A stored message's attachments: every part that is not one of its bodies, listed in
the order the message holds them and read back one by one by position."""

from __future__ import annotations

import mimetypes
import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from urllib.parse import quote

BODY_TYPES = ("text/plain", "text/html")
# A content type a download may carry as given; anything else goes as octet-stream.
_CONTENT_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*")


@dataclass(frozen=True, slots=True)
class Attachment:
    index: int
    filename: str
    content_type: str
    size: int
    # Shown in the body (an image the HTML refers to by `cid:`) rather than attached.
    inline: bool
    content_id: str | None

    def as_json(self) -> dict[str, object]:
        return {
            "index": self.index,
            "filename": self.filename,
            "content_type": self.content_type,
            "size": self.size,
            "inline": self.inline,
            "content_id": self.content_id,
        }


def attachments(raw: bytes) -> list[Attachment]:
    """Every attachment and inline part of ``raw``, numbered from 0."""
    return [attachment for attachment, _ in _parts(raw)]


def attachment(raw: bytes, index: int) -> tuple[Attachment, bytes] | None:
    """The ``index``-th attachment with its decoded content; None when there is none."""
    for found, content in _parts(raw):
        if found.index == index:
            return found, content
    return None


def _parts(raw: bytes) -> list[tuple[Attachment, bytes]]:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)  # policy.default makes EmailMessage parts
    leaves: list[EmailMessage] = []
    _leaves(message, leaves)
    found: list[tuple[Attachment, bytes]] = []
    bodies_seen: set[str] = set()
    for part in leaves:
        kind = part.get_content_type()
        disposition = part.get_content_disposition()
        # The first text and HTML parts not marked as attachments are the bodies, as
        # ses/sending/mime.py's `bodies` reads them; every other leaf is an attachment.
        if kind in BODY_TYPES and disposition != "attachment" and kind not in bodies_seen:
            bodies_seen.add(kind)
            continue
        content = _content(part)
        referred = disposition is None and "Content-ID" in part
        found.append(
            (
                Attachment(
                    index=len(found),
                    filename=_filename(part, kind, len(found)),
                    content_type=kind,
                    size=len(content),
                    inline=disposition == "inline" or referred,
                    content_id=_content_id(part),
                ),
                content,
            )
        )
    return found


def _leaves(part: EmailMessage, into: list[EmailMessage]) -> None:
    # A forwarded message (message/rfc822) is one attachment, not parts of this message.
    if part.is_multipart() and part.get_content_type() != "message/rfc822":
        for child in part.iter_parts():
            assert isinstance(child, EmailMessage)
            _leaves(child, into)
        return
    into.append(part)


def _content(part: EmailMessage) -> bytes:
    if part.get_content_type() == "message/rfc822":
        inner = part.get_content()
        return bytes(inner.as_bytes()) if isinstance(inner, EmailMessage) else b""
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _filename(part: EmailMessage, kind: str, index: int) -> str:
    given = part.get_filename()
    if given:
        # Only the name: a path in a captured message must not become one on disk.
        return re.split(r"[\\/]", given)[-1].strip() or f"part-{index + 1}"
    extension = ".eml" if kind == "message/rfc822" else mimetypes.guess_extension(kind) or ".bin"
    return f"part-{index + 1}{extension}"


def _content_id(part: EmailMessage) -> str | None:
    value = part.get("Content-ID")
    return str(value).strip().strip("<>") or None if value is not None else None


def download_headers(found: Attachment) -> dict[str, str]:
    """Headers that make a browser save the part under its name, never show it: a
    captured HTML or SVG attachment must not run as a page of the server's origin."""
    ascii_name = re.sub(r"[^A-Za-z0-9._ -]", "_", found.filename) or "attachment"
    disposition = f'attachment; filename="{ascii_name}"'
    if ascii_name != found.filename:
        disposition += f"; filename*=UTF-8''{quote(found.filename, safe='')}"
    return {
        "Content-Disposition": disposition,
        "Content-Type": media_type(found.content_type),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "no-store",
    }


def media_type(kind: str) -> str:
    return kind if _CONTENT_TYPE.fullmatch(kind) else "application/octet-stream"
