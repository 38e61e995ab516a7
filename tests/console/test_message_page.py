"""One message in the console over HTTP: its views, the link check and the release to an
SMTP server (a real aiosmtpd listener on a free loopback port)."""

from __future__ import annotations

import contextlib
import re
from email.message import EmailMessage

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.console.helpers import form_post, production_access, verify
from tests.ses.test_smtp import Inbox, free_port, inbox, wait_for
from tests.support.server import ServerProcess

__all__ = ["inbox"]

SENDER = "news@shop.example.com"


def send_newsletter(site: ServerProcess, links: list[str]) -> str:
    """A raw message with an HTML body (links, a script, an image without alt) and a PDF."""
    verify(site, "shop.example.com")
    production_access(site)
    anchors = "".join(f'<a href="{url}">link {n}</a> ' for n, url in enumerate(links))
    message = EmailMessage()
    message["From"] = f"Shop <{SENDER}>"
    message["To"] = "ann@example.org"
    message["Subject"] = "Spring news"
    message["X-Campaign"] = "spring-2026"
    message.set_content("Spring is here.\n")
    message.add_alternative(
        f'<div style="display:flex">{anchors}<img src="https://shop.example.com/a.png">'
        "<script>track()</script></div>",
        subtype="html",
    )
    message.add_attachment(b"%PDF-1.4\n", "application", "pdf", filename="catalogue.pdf")
    sent = site.client("ses").send_raw_email(RawMessage={"Data": message.as_bytes()})
    return str(sent["MessageId"])


def view(site: ServerProcess, message_id: str, name: str) -> str:
    answer = httpx.get(f"{site.url}/console/mail/{message_id}", params={"view": name})
    assert answer.status_code == 200
    return answer.text


def test_each_view_of_a_message(site: ServerProcess) -> None:
    message_id = send_newsletter(site, ["https://shop.example.com/sale"])
    html = view(site, message_id, "html")
    assert 'class="html-body"' in html
    assert "&lt;script&gt;track()&lt;/script&gt;" in html  # the HTML source, escaped
    tabs = re.findall(r'data-view="([a-z]+)"', html)
    assert tabs == ["html", "text", "source", "headers", "attachments", "links", "check", "release"]
    assert "Spring is here." in view(site, message_id, "text")
    source = view(site, message_id, "source")
    assert "X-Campaign: spring-2026" in source
    assert "Content-Disposition: attachment; filename=&#34;catalogue.pdf&#34;" in source
    assert "<th>X-Campaign</th><td>spring-2026</td>" in view(site, message_id, "headers")
    listed = view(site, message_id, "attachments")
    assert f"/_poolmail/messages/{message_id}/attachments/0" in listed
    assert "catalogue.pdf" in listed
    found = re.findall(r'data-rule="([a-z-]+)"', view(site, message_id, "check"))
    assert found == ["script", "css-flex-grid", "img-alt"]
    # An unknown view is the first one there is.
    assert 'class="html-body"' in view(site, message_id, "nonsense")


def test_a_message_without_html_offers_no_html_views(site: ServerProcess) -> None:
    verify(site, SENDER)
    message_id = site.client("ses").send_email(
        Source=SENDER,
        Destination={"ToAddresses": [SENDER]},
        Message={"Subject": {"Data": "Plain"}, "Body": {"Text": {"Data": "Just text"}}},
    )["MessageId"]
    page = view(site, message_id, "html")
    assert re.findall(r'data-view="([a-z]+)"', page) == [
        "text",
        "source",
        "headers",
        "attachments",
        "links",
        "release",
    ]
    assert "Just text" in page


def test_links_are_checked_only_on_request(site: ServerProcess) -> None:
    links = [
        f"{site.url}/_poolmail/health",
        f"{site.url}/_poolmail/messages/no-such-message",
        f"http://127.0.0.1:{free_port()}/closed",
        "https://unreachable.invalid/offer",
    ]
    message_id = send_newsletter(site, links)
    before = view(site, message_id, "links")
    assert before.count("not checked") == len(links) + 1  # one per link, one image
    path = f"/console/mail/{message_id}/links"
    assert form_post(site, path, {}, origin="https://evil.example").status_code == 403

    checked = form_post(site, path, {})
    assert checked.status_code == 200
    answers = dict(
        re.findall(r'<tr data-link="([^"]+)">.*?<td class="answer">(.*?)</td>', checked.text, re.S)
    )
    assert re.search(r"badge-ok\">200</span> OK", answers[links[0]])
    assert 'badge-broken">404</span>' in answers[links[1]]
    assert "no answer" in answers[links[2]]
    assert "no answer" in answers[links[3]]


def test_a_message_is_released_to_the_smtp_server_named(
    site: ServerProcess, inbox: tuple[Inbox, int]
) -> None:
    handler, port = inbox
    message_id = send_newsletter(site, [])
    path = f"/console/mail/{message_id}/release"
    form = view(site, message_id, "release")
    assert 'name="port" value="1025"' in form
    assert 'name="to" value="ann@example.org"' in form

    released = form_post(
        site, path, {"host": "127.0.0.1", "port": str(port), "to": "ann@example.org"}
    )
    assert released.status_code == 200
    assert f"Released to 127.0.0.1:{port} for ann@example.org." in released.text
    wait_for(lambda: handler.received)
    envelope_from, recipients, content = handler.received[-1]
    raw = httpx.get(f"{site.url}/_poolmail/messages/{message_id}/raw").content
    assert (envelope_from, recipients) == (SENDER, ["ann@example.org"])
    assert content.rstrip(b"\r\n") == raw.rstrip(b"\r\n")

    # Other recipients, as typed.
    form_post(
        site,
        path,
        {"host": "localhost", "port": str(port), "to": "x@example.net, Y <y@example.net>"},
    )
    wait_for(lambda: len(handler.received) == 2)
    assert handler.received[-1][1] == ["x@example.net", "y@example.net"]


@pytest.mark.parametrize(
    ("fields", "status", "said"),
    [
        ({"host": "127.0.0.1", "port": "0", "to": "a@example.org"}, 400, "The port is a number"),
        ({"host": "a b", "port": "25", "to": "a@example.org"}, 400, "The host is a name"),
        ({"host": "127.0.0.1", "port": "25", "to": "nobody"}, 400, "at least one recipient"),
        (
            {"host": "127.0.0.1", "port": "25", "to": "a@x.org\r\nRCPT TO:<b@x.org>"},
            400,
            "at least",
        ),
        ({"host": "127.0.0.1", "port": "CLOSED", "to": "a@example.org"}, 502, "did not take it"),
    ],
)
def test_a_release_that_cannot_go_says_why(
    site: ServerProcess, inbox: tuple[Inbox, int], fields: dict[str, str], status: int, said: str
) -> None:
    handler, _ = inbox
    message_id = send_newsletter(site, [])
    if fields["port"] == "CLOSED":
        fields = {**fields, "port": str(free_port())}
    answer = form_post(site, f"/console/mail/{message_id}/release", fields)
    assert answer.status_code == status
    assert said in answer.text
    assert 'id="release-form"' in answer.text  # the form again, with the values typed
    assert handler.received == []


def test_release_is_refused_cross_site_and_for_a_refused_message(
    site: ServerProcess, inbox: tuple[Inbox, int]
) -> None:
    handler, port = inbox
    verify(site, SENDER)
    with contextlib.suppress(ClientError):  # the sandbox refuses it, and keeps it
        site.client("ses").send_email(
            Source=SENDER,
            Destination={"ToAddresses": ["stranger@example.org"]},
            Message={"Subject": {"Data": "Hi"}, "Body": {"Text": {"Data": "Hello"}}},
        )
    [rejected] = httpx.get(f"{site.url}/_poolmail/messages", params={"status": "rejected"}).json()[
        "messages"
    ]
    fields = {"host": "127.0.0.1", "port": str(port), "to": "a@example.org"}
    path = f"/console/mail/{rejected['id']}/release"
    assert form_post(site, path, fields, origin="https://evil.example").status_code == 403
    refused = form_post(site, path, fields)
    assert refused.status_code == 400
    assert "A refused message has no MIME message to release." in refused.text
    assert form_post(site, "/console/mail/nope/release", fields).status_code == 404
    assert handler.received == []
