"""Rewriting the HTML bodies of a MIME message in place: every other byte (headers,
boundaries, other parts, preamble) stays as it was, and each rewritten body keeps its
charset and Content-Transfer-Encoding."""

from __future__ import annotations

import base64
import binascii
import quopri
import re
from collections.abc import Callable
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32

_HEADER_END = re.compile(rb"\r?\n\r?\n")
_LINE_END = re.compile(rb"\r?\n")
MAX_DEPTH = 20  # nested multiparts followed; deeper ones are left as they are


def _split(segment: bytes) -> tuple[Message, int]:
    """The headers of a part and where its body starts."""
    end = _HEADER_END.search(segment)
    if segment.startswith((b"\r\n", b"\n")):  # no headers at all
        return Message(), 2 if segment.startswith(b"\r\n") else 1
    header_bytes = segment[: end.start()] if end else segment
    body_start = end.end() if end else len(segment)
    headers = BytesHeaderParser(policy=compat32).parsebytes(header_bytes + b"\r\n\r\n")
    return headers, body_start


def _html_spans(segment: bytes, offset: int, depth: int) -> list[tuple[int, int, Message]]:
    """Absolute (start, end, headers) of each HTML body in ``segment``."""
    headers, body_start = _split(segment)
    kind = headers.get_content_type()
    body = segment[body_start:]
    if kind.startswith("multipart/"):
        boundary = headers.get_param("boundary")
        if not isinstance(boundary, str) or not boundary or depth >= MAX_DEPTH:
            return []
        return _multipart_spans(body, offset + body_start, boundary, depth)
    if kind != "text/html" or headers.get_content_disposition() == "attachment":
        return []
    return [(offset + body_start, offset + len(segment), headers)]


def _multipart_spans(
    body: bytes, offset: int, boundary: str, depth: int
) -> list[tuple[int, int, Message]]:
    delimiter = re.compile(
        rb"(?:^|\r?\n)--"
        + re.escape(boundary.encode("ascii", "replace"))
        + rb"(--)?[ \t]*(?=\r?\n|$)"
    )
    spans: list[tuple[int, int, Message]] = []
    part_start: int | None = None
    for match in delimiter.finditer(body):
        if part_start is not None:
            part = body[part_start : match.start()]
            spans += _html_spans(part, offset + part_start, depth + 1)
        if match.group(1):  # the close delimiter
            break
        line_end = _LINE_END.match(body, match.end())
        part_start = line_end.end() if line_end else match.end()
    return spans


def _decode(body: bytes, encoding: str, charset: str) -> str | None:
    try:
        if encoding == "base64":
            raw = base64.b64decode(body, validate=False)
        elif encoding == "quoted-printable":
            raw = quopri.decodestring(body)
        else:
            raw = body
        return raw.decode(charset)
    except (binascii.Error, LookupError, UnicodeDecodeError, ValueError):
        return None


def _encode(text: str, encoding: str, charset: str, trailing: bytes) -> bytes | None:
    try:
        raw = text.encode(charset)
    except (LookupError, UnicodeEncodeError):
        return None
    if encoding == "base64":
        encoded = base64.encodebytes(raw).replace(b"\n", b"\r\n")
        return encoded[:-2] + trailing
    if encoding == "quoted-printable":
        lines = _LINE_END.split(raw)
        encoded_lines = [quopri.encodestring(line).replace(b"=\n", b"=\r\n") for line in lines]
        return b"\r\n".join(line.rstrip(b"\n") for line in encoded_lines)
    return raw


def rewrite_html(raw: bytes, change: Callable[[str], str]) -> bytes:
    """``raw`` with each HTML body (not attachments) replaced by ``change`` of its text.

    A body that cannot be decoded with its own charset and encoding, or whose new text
    its charset cannot hold, is left unchanged.
    """
    spans = _html_spans(raw, 0, 0)
    for start, end, headers in reversed(spans):
        body = raw[start:end]
        encoding = str(headers.get("Content-Transfer-Encoding", "7bit")).strip().lower()
        charset = headers.get_content_charset() or "us-ascii"
        text = _decode(body, encoding, charset)
        if text is None:
            continue
        trailing = b"\r\n" if body.endswith(b"\r\n") else b"\n" if body.endswith(b"\n") else b""
        changed = change(text)
        if changed == text:  # nothing to track: the part keeps its very bytes
            continue
        encoded = _encode(changed, encoding, charset, trailing)
        if encoded is None:
            continue
        raw = raw[:start] + encoded + raw[end:]
    return raw
