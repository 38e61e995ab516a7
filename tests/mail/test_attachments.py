"""A message's attachments: listed and downloaded over HTTP with their content type, as
downloads that never render as pages of poolmail's origin."""

from __future__ import annotations

from email.message import EmailMessage
from urllib.parse import unquote

import httpx
import pytest

from poolmail.mail import attachments
from tests.ses.helpers import production_access, verify
from tests.support.server import ServerProcess

PDF = b"%PDF-1.4 not really a pdf\n"
PNG = b"\x89PNG\r\n\x1a\nnot really a png"
PAGE = b"<script>alert(document.domain)</script>"


def with_attachments() -> bytes:
    message = EmailMessage()
    message["From"] = "news@shop.example.com"
    message["To"] = "ann@example.org"
    message["Subject"] = "Your invoice"
    message.set_content("The invoice is attached.\n")
    message.add_alternative('<p>See <img src="cid:logo@shop"></p>', subtype="html")
    html_part = message.get_payload()[1]
    html_part.add_related(PNG, "image", "png", cid="<logo@shop>")
    message.add_attachment(PDF, "application", "pdf", filename="Rechnung März.pdf")
    message.add_attachment(PAGE, "text", "html", filename="../../evil.html")
    return message.as_bytes()


def test_attachments_are_every_part_but_the_bodies() -> None:
    found = attachments.attachments(with_attachments())
    assert [(part.filename, part.content_type, part.inline) for part in found] == [
        ("part-1.png", "image/png", True),
        ("Rechnung März.pdf", "application/pdf", False),
        ("evil.html", "text/html", False),  # only the name, never a path
    ]
    assert found[0].content_id == "logo@shop"
    assert found[1].size == len(PDF)
    part, content = attachments.attachment(with_attachments(), 1) or (None, b"")
    assert part is not None and content == PDF
    assert attachments.attachment(with_attachments(), 3) is None


def test_a_plain_message_has_none() -> None:
    message = EmailMessage()
    message["Subject"] = "Hi"
    message.set_content("Hello")
    message.add_alternative("<p>Hello</p>", subtype="html")
    assert attachments.attachments(message.as_bytes()) == []


def test_download_headers_quote_the_name_and_keep_the_type_inert() -> None:
    part = attachments.Attachment(0, 'a "b"\r\nX: y.pdf', "Application/PDF; x", 1, False, None)
    headers = attachments.download_headers(part)
    assert headers["Content-Disposition"].startswith('attachment; filename="a _b___X_ y.pdf"')
    assert "\r" not in headers["Content-Disposition"]
    assert headers["Content-Type"] == "application/octet-stream"
    assert headers["X-Content-Type-Options"] == "nosniff"


@pytest.fixture
def invoice_id(live: ServerProcess) -> str:
    verify(live, "shop.example.com")
    production_access(live)
    sent = live.client("ses").send_raw_email(RawMessage={"Data": with_attachments()})
    return str(sent["MessageId"])


def test_attachments_are_listed_and_downloaded(live: ServerProcess, invoice_id: str) -> None:
    base = f"{live.url}/_poolmail/messages/{invoice_id}/attachments"
    listed = httpx.get(base).json()["attachments"]
    assert [(part["index"], part["filename"], part["size"]) for part in listed] == [
        (0, "part-1.png", len(PNG)),
        (1, "Rechnung März.pdf", len(PDF)),
        (2, "evil.html", len(PAGE)),
    ]
    pdf = httpx.get(f"{base}/1")
    assert pdf.status_code == 200
    assert pdf.content == PDF
    assert pdf.headers["content-type"] == "application/pdf"
    disposition = pdf.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="Rechnung M_rz.pdf"')
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == "Rechnung März.pdf"
    # A captured HTML page is a download, sandboxed and never sniffed into a page.
    page = httpx.get(f"{base}/2")
    assert page.content == PAGE
    assert page.headers["content-disposition"] == 'attachment; filename="evil.html"'
    assert "sandbox" in page.headers["content-security-policy"]
    assert page.headers["x-content-type-options"] == "nosniff"
    assert httpx.get(f"{base}/3").status_code == 404
    assert httpx.get(f"{live.url}/_poolmail/messages/nope/attachments").status_code == 404
