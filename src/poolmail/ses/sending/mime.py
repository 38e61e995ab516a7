"""MIME messages: built from SES's simple content, or read from a raw message."""

from __future__ import annotations

import datetime as dt
import random
import re
import sys
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, getaddresses

# Headers SES reads from a raw message to learn how to send it, and removes before sending.
SES_CONTROL_HEADERS = (
    "X-SES-CONFIGURATION-SET",
    "X-SES-MESSAGE-TAGS",
    "X-SES-SOURCE-ARN",
    "X-SES-FROM-ARN",
    "X-SES-RETURN-PATH-ARN",
)


@dataclass(slots=True)
class Content:
    subject: str
    text: str | None = None
    html: str | None = None


@dataclass(slots=True)
class Headers:
    sender: str
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    reply_to: list[str] = field(default_factory=list)
    extra: dict[str, str] = field(default_factory=dict)


def message_id_header(message_id: str) -> str:
    return f"<{message_id}@email.amazonses.com>"


def build(headers: Headers, content: Content, message_id: str, sent: dt.datetime) -> bytes:
    """A complete MIME message, as SES assembles one from SendEmail's parts."""
    # Most messages (every Cognito mail, most SendEmail calls) are plain ASCII with simple
    # addresses; for those the email package's header registry and generator cost nearly
    # a millisecond, more than the rest of a send. `_simple_build` writes the very same
    # bytes directly (tests/ses/sending/test_mime.py holds it to that) and declines anything else.
    simple = _simple_build(headers, content, message_id, sent)
    if simple is not None:
        return simple
    return build_with_email_package(headers, content, message_id, sent)


def build_with_email_package(
    headers: Headers, content: Content, message_id: str, sent: dt.datetime
) -> bytes:
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = headers.sender
    if headers.to:
        message["To"] = ", ".join(headers.to)
    if headers.cc:
        message["Cc"] = ", ".join(headers.cc)
    if headers.reply_to:
        message["Reply-To"] = ", ".join(headers.reply_to)
    message["Subject"] = content.subject
    message["Date"] = format_datetime(sent)
    message["Message-ID"] = message_id_header(message_id)
    for name, value in headers.extra.items():
        message[name] = value
    if content.text is not None and content.html is not None:
        message.set_content(content.text)
        message.add_alternative(content.html, subtype="html")
    elif content.html is not None:
        message.set_content(content.html, subtype="html")
    else:
        message.set_content(content.text or "")
    return message.as_bytes()


# A dot-atom address (RFC 5322 3.4.1) that the email package writes back unchanged.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_SIMPLE_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*")
# An unstructured header value that needs neither encoding nor folding: printable ASCII
# words separated by single spaces, no encoded-word look-alikes.
_SIMPLE_TEXT = re.compile(r"[\x21-\x7e]+(?: [\x21-\x7e]+)*")
_SIMPLE_ID = re.compile(r"<[A-Za-z0-9.-]+@[A-Za-z0-9.-]+>")
# Body bytes the email package sends as 7bit without re-encoding.
_SIMPLE_BODY = re.compile(r"[\x20-\x7e\t\r\n]*")
_MAX_LINE = 78  # policy.SMTP.max_line_length
_CRLF = "\r\n"


def _simple_build(
    headers: Headers, content: Content, message_id: str, sent: dt.datetime
) -> bytes | None:
    """What `build_with_email_package` returns, for a message with ASCII text, dot-atom
    addresses and no header long enough to fold; None for any other message."""
    if headers.extra:
        return None
    lines: list[str] = []
    for name, addresses in (
        ("From", [headers.sender]),
        ("To", headers.to),
        ("Cc", headers.cc),
        ("Reply-To", headers.reply_to),
    ):
        if not addresses:
            continue
        if not all(_SIMPLE_ADDRESS.fullmatch(address) for address in addresses):
            return None
        lines.append(f"{name}: {', '.join(addresses)}")
    lines.append(f"Subject: {content.subject}")
    if "=?" in content.subject or not _SIMPLE_TEXT.fullmatch(content.subject):
        return None
    lines.append(f"Date: {date_header(sent)}")
    if any(len(line) > _MAX_LINE for line in lines):
        return None
    # One unbreakable token: the email package writes it whole, however long.
    identifier = message_id_header(message_id)
    if not _SIMPLE_ID.fullmatch(identifier):
        return None
    lines.append(f"Message-ID: {identifier}")
    parts = [
        (subtype, _simple_body(text))
        for subtype, text in (("plain", content.text), ("html", content.html))
        if text is not None
    ]
    if not parts:
        parts = [("plain", _simple_body(""))]
    if any(body is None for _, body in parts):
        return None
    if len(parts) == 1:
        subtype, body = parts[0]
        lines += [
            f'Content-Type: text/{subtype}; charset="utf-8"',
            "Content-Transfer-Encoding: 7bit",
            "MIME-Version: 1.0",
            "",
            body or "",
        ]
        return _CRLF.join(lines).encode("ascii")
    text_body, html_body = parts[0][1] or "", parts[1][1] or ""
    boundary = _boundary(text_body + html_body)
    # The email package's multipart/alternative, quirks included: the HTML part repeats
    # MIME-Version, and the boundary parameter always folds onto its own line.
    lines += [
        "MIME-Version: 1.0",
        "Content-Type: multipart/alternative;",
        f' boundary="{boundary}"',
        "",
        f"--{boundary}",
        'Content-Type: text/plain; charset="utf-8"',
        "Content-Transfer-Encoding: 7bit",
        "",
        text_body,
        f"--{boundary}",
        'Content-Type: text/html; charset="utf-8"',
        "Content-Transfer-Encoding: 7bit",
        "MIME-Version: 1.0",
        "",
        html_body,
        f"--{boundary}--",
        "",
    ]
    return _CRLF.join(lines).encode("ascii")


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def date_header(sent: dt.datetime) -> str:
    """``email.utils.format_datetime(sent)``: for a time in UTC (every send's clock), the
    same text written directly, without its time tuple and ``strftime("%z")``."""
    if sent.tzinfo is not dt.UTC:
        return format_datetime(sent)
    return (
        f"{_DAYS[sent.weekday()]}, {sent.day:02d} {_MONTHS[sent.month - 1]} {sent.year:04d} "
        f"{sent.hour:02d}:{sent.minute:02d}:{sent.second:02d} +0000"
    )


def _simple_body(text: str) -> str | None:
    """A 7bit body as the email package writes it (every line ended by CRLF, the last
    included), or None when it would choose another encoding."""
    if not _SIMPLE_BODY.fullmatch(text):
        return None
    lines = text.encode("ascii").splitlines()
    if any(len(line) > _MAX_LINE for line in lines):
        return None
    return _CRLF.join(line.decode("ascii") for line in lines) + _CRLF


def _boundary(text: str) -> str:
    # The email package's boundary: fifteen '=', a random 19-digit number, '=='.
    while True:
        boundary = "=" * 15 + f"{random.randrange(sys.maxsize):019d}" + "=="
        if boundary not in text:
            return boundary


@dataclass(slots=True)
class RawMessage:
    message: EmailMessage
    control: dict[str, str]

    @property
    def sender(self) -> str | None:
        value = self.message.get("From")
        return str(value) if value is not None else None

    def header_addresses(self, *names: str) -> list[str]:
        values = [str(value) for name in names for value in self.message.get_all(name, [])]
        return [address for _, address in getaddresses(values) if address]

    @property
    def subject(self) -> str:
        return str(self.message.get("Subject", ""))


def parse_raw(data: bytes) -> RawMessage:
    message = BytesParser(policy=policy.SMTP).parsebytes(data)
    assert isinstance(message, EmailMessage)
    control = {}
    for name in SES_CONTROL_HEADERS:
        value = message.get(name)
        if value is not None:
            control[name] = str(value)
            del message[name]
    return RawMessage(message, control)


def finish_raw(raw: RawMessage, message_id: str, sent: dt.datetime) -> bytes:
    """The raw message as SES sends it: no Bcc header, SES's Message-ID, a Date."""
    message = raw.message
    del message["Bcc"]
    del message["Message-ID"]
    message["Message-ID"] = message_id_header(message_id)
    if message.get("Date") is None:
        message["Date"] = format_datetime(sent)
    return message.as_bytes()


def bodies(data: bytes) -> tuple[str | None, str | None]:
    """The first text and HTML bodies of a stored message (attachments skipped)."""
    message = BytesParser(policy=policy.default).parsebytes(data)
    text = html = None
    for part in message.walk():
        if part.is_multipart() or part.get_content_disposition() == "attachment":
            continue
        kind = part.get_content_type()
        if kind == "text/plain" and text is None:
            text = _content(part)
        elif kind == "text/html" and html is None:
            html = _content(part)
    return text, html


def _content(part: object) -> str:
    assert isinstance(part, EmailMessage)
    try:
        text = str(part.get_content())
    except (LookupError, ValueError):
        payload = part.get_payload(decode=True)
        text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""
    # Stored messages use SMTP's CRLF line ends; readers want text as it was written.
    return text.replace("\r\n", "\n")
