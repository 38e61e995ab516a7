"""Open and click tracking: a tracked configuration set's HTML mail gets the open pixel
and rewritten links; the pixel and the redirects record Open and Click events."""

from __future__ import annotations

import re
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

import httpx

from tests.ses.helpers import production_access, verify
from tests.support.server import ServerProcess

SENDER = "news@brand.example"
HTML = (
    '<html><body><p>Hello <a class="btn" href="https://shop.example/sale?a=1&amp;b=2" '
    'ses:tags="campaign:spring; team:growth">sale</a>, '
    "<a href='http://plain.example/'>plain</a>, "
    '<a href="https://private.example/" ses:no-track>private</a>, '
    '<a href="mailto:help@brand.example">mail us</a>.</p>'
    '<!-- <a href="https://commented.example/"> --></body></html>'
)
TEXT = "Hello https://shop.example/sale"
TRACKED = re.compile(r"(https?://[^\"'\s]+/_poolmail/ses/t/(open|click)/[A-Za-z0-9_-]+)")


def ready(server: ServerProcess) -> Any:
    verify(server, "brand.example")
    production_access(server)
    return server.client("sesv2")


def raw(server: ServerProcess, message_id: str) -> bytes:
    answer = httpx.get(f"{server.url}/_poolmail/messages/{message_id}/raw")
    answer.raise_for_status()
    return answer.content


def parsed_parts(data: bytes) -> dict[str, EmailMessage]:
    message = BytesParser(policy=policy.default).parsebytes(data)
    found: dict[str, EmailMessage] = {}
    for part in message.walk():
        if not part.is_multipart():
            assert isinstance(part, EmailMessage)
            found.setdefault(part.get_content_type(), part)
    return found


def events(server: ServerProcess, message_id: str, kind: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{server.url}/_poolmail/messages/{message_id}/events")
    answer.raise_for_status()
    return [event for event in answer.json()["events"] if event["type"] == kind]


def send(sesv2: Any, configuration_set: str | None) -> str:
    params: dict[str, Any] = {
        "FromEmailAddress": SENDER,
        "Destination": {"ToAddresses": ["reader@example.com"]},
        "Content": {
            "Simple": {
                "Subject": {"Data": "Spring sale"},
                "Body": {"Text": {"Data": TEXT}, "Html": {"Data": HTML}},
            }
        },
    }
    if configuration_set:
        params["ConfigurationSetName"] = configuration_set
    message_id: str = sesv2.send_email(**params)["MessageId"]
    return message_id


def test_tracked_mail_records_clicks_and_opens(live: ServerProcess) -> None:
    sesv2 = ready(live)
    sesv2.create_configuration_set(ConfigurationSetName="tracked")
    sesv2.put_configuration_set_tracking_options(
        ConfigurationSetName="tracked", CustomRedirectDomain="track.brand.example"
    )
    message_id = send(sesv2, "tracked")
    found = parsed_parts(raw(live, message_id))
    assert found["text/plain"].get_content().replace("\r\n", "\n") == TEXT + "\n"
    html = found["text/html"].get_content()
    urls = dict((kind, url) for url, kind in TRACKED.findall(html) if kind == "open")
    clicks = [url for url, kind in TRACKED.findall(html) if kind == "click"]
    # Two links tracked; the no-track one, mailto and the comment stay as written.
    assert len(clicks) == 2
    assert "https://shop.example" not in html and "http://plain.example/" not in html
    assert '<a href="https://private.example/" ses:no-track>private</a>' in html
    assert '<a href="mailto:help@brand.example">' in html
    assert '<!-- <a href="https://commented.example/"> -->' in html
    assert 'class="btn"' in html and 'ses:tags="campaign:spring; team:growth"' in html
    assert html.index(urls["open"]) > html.index("</p>")
    assert html.rstrip().endswith(
        f'<img alt="" src="{urls["open"]}" style="display: none; width: 1px; height: 1px;">'
        "</body></html>"
    )

    answer = httpx.get(clicks[0], headers={"User-Agent": "Reader/1.0"}, follow_redirects=False)
    assert answer.status_code == 302
    assert answer.headers["location"] == "https://shop.example/sale?a=1&b=2"
    [click] = events(live, message_id, "Click")
    assert click["link"] == "https://shop.example/sale?a=1&b=2"
    assert click["linkTags"] == {"campaign": ["spring"], "team": ["growth"]}
    assert click["ipAddress"] == "127.0.0.1"
    assert click["userAgent"] == "Reader/1.0"
    assert click["timestamp"].endswith("Z")
    second = httpx.get(clicks[1], follow_redirects=False)
    assert second.headers["location"] == "http://plain.example/"
    assert events(live, message_id, "Click")[1]["linkTags"] == {}

    pixel = httpx.get(urls["open"], headers={"User-Agent": "Mail/2"})
    assert pixel.status_code == 200
    assert pixel.headers["content-type"] == "image/gif"
    assert pixel.content.startswith(b"GIF89a")
    [opened] = events(live, message_id, "Open")
    assert opened["userAgent"] == "Mail/2" and opened["ipAddress"] == "127.0.0.1"
    # A HEAD (a link checker) records nothing.
    assert httpx.head(urls["open"]).status_code == 200
    assert len(events(live, message_id, "Open")) == 1

    # The console's Links view of the message offers the tracked links to click.
    links_view = httpx.get(f"{live.url}/console/mail/{message_id}?view=links")
    assert links_view.status_code == 200
    assert f'<a href="{clicks[0]}" target="_blank"' in links_view.text

    for kind in ("open", "click"):
        unknown = httpx.get(f"{live.url}/_poolmail/ses/t/{kind}/nope", follow_redirects=False)
        assert unknown.status_code == 404


def test_untracked_mail_is_left_as_it_is(live: ServerProcess) -> None:
    sesv2 = ready(live)
    sesv2.create_configuration_set(ConfigurationSetName="plain")
    for configuration_set in (None, "plain"):
        message_id = send(sesv2, configuration_set)
        html = parsed_parts(raw(live, message_id))["text/html"].get_content()
        assert "/_poolmail/ses/t/" not in html
        assert 'href="https://shop.example/sale?a=1&amp;b=2"' in html


def test_raw_mail_keeps_its_structure_and_encodings(live: ServerProcess) -> None:
    ready(live)
    ses = live.client("ses")
    ses.create_configuration_set(ConfigurationSet={"Name": "v1"})
    ses.create_configuration_set_tracking_options(
        ConfigurationSetName="v1", TrackingOptions={"CustomRedirectDomain": "t.brand.example"}
    )
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = SENDER
    message["To"] = "reader@example.com"
    message["Subject"] = "Raw"
    message.set_content("Plain text, not tracked: https://shop.example/")
    message.add_alternative(
        '<html><body><p>Caf\u00e9 <a href="https://shop.example/">shop</a></p></body></html>',
        subtype="html",
        cte="quoted-printable",
    )
    message.add_attachment(
        b'<a href="https://attached.example/">x</a>',
        maintype="text",
        subtype="html",
        filename="page.html",
    )
    message_id = ses.send_raw_email(
        RawMessage={"Data": message.as_bytes()}, ConfigurationSetName="v1"
    )["MessageId"]
    stored = BytesParser(policy=policy.default).parsebytes(raw(live, message_id))
    leaves = [part for part in stored.walk() if not part.is_multipart()]
    assert [part.get_content_type() for part in leaves] == ["text/plain", "text/html", "text/html"]
    assert [str(part["Content-Transfer-Encoding"]) for part in leaves] == [
        "7bit",
        "quoted-printable",
        "base64",
    ]
    html = leaves[1].get_content()
    assert "Caf\u00e9" in html and "https://shop.example/" not in html
    assert len(TRACKED.findall(html)) == 2
    assert leaves[2].get_content() == '<a href="https://attached.example/">x</a>'
    assert "https://shop.example/" in leaves[0].get_content()


def test_a_click_destination_tracks_clicks_only(live: ServerProcess) -> None:
    sesv2 = ready(live)
    sesv2.create_configuration_set(ConfigurationSetName="clicks")
    sesv2.create_configuration_set_event_destination(
        ConfigurationSetName="clicks",
        EventDestinationName="metrics",
        EventDestination={
            "Enabled": True,
            "MatchingEventTypes": ["CLICK"],
            "CloudWatchDestination": {
                "DimensionConfigurations": [
                    {
                        "DimensionName": "campaign",
                        "DimensionValueSource": "LINK_TAG",
                        "DefaultDimensionValue": "none",
                    }
                ]
            },
        },
    )
    html = parsed_parts(raw(live, send(sesv2, "clicks")))["text/html"].get_content()
    kinds = [kind for _, kind in TRACKED.findall(html)]
    assert kinds == ["click", "click"]
