"""MIME messages: built from SES's simple content, or read from a raw message."""

from __future__ import annotations

import datetime as dt
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
