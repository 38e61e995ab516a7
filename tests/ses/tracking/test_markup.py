"""The pieces of tracking that need no server: rewriting links in HTML markup, and
rewriting the HTML parts of a MIME message with every other byte kept."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest

from poolmail.ses.tracking.markup import Link, link_tags, track
from poolmail.ses.tracking.parts import rewrite_html


def clicks(markup: str) -> tuple[str, list[Link]]:
    seen: list[Link] = []

    def url(link: Link) -> str:
        seen.append(link)
        return f"http://t/c/{len(seen)}"

    return track(markup, pixel_url=None, click_url=url), seen


def test_only_http_anchors_without_no_track_are_rewritten() -> None:
    markup = (
        '<p><a class=x data-note=" href=fake" href="https://a.example/?x=1&amp;y=2">a</a>'
        "<A HREF=http://b.example/>b</A>"
        "<a href='https://c.example/' ses:no-track>c</a>"
        '<a href="mailto:d@example.com">d</a><a name="top">e</a>'
        '<!-- <a href="https://comment.example/"> -->'
        '<script>var s = "<a href=\\"https://script.example/\\">";</script>'
        '<img src="https://image.example/i.png"></p>'
    )
    tracked, seen = clicks(markup)
    assert [link.url for link in seen] == ["https://a.example/?x=1&y=2", "http://b.example/"]
    assert tracked == (
        '<p><a class=x data-note=" href=fake" href="http://t/c/1">a</a>'
        '<A HREF="http://t/c/2">b</A>'
        "<a href='https://c.example/' ses:no-track>c</a>"
        '<a href="mailto:d@example.com">d</a><a name="top">e</a>'
        '<!-- <a href="https://comment.example/"> -->'
        '<script>var s = "<a href=\\"https://script.example/\\">";</script>'
        '<img src="https://image.example/i.png"></p>'
    )


@pytest.mark.parametrize(
    ("value", "tags"),
    [
        ("campaign:spring", {"campaign": ["spring"]}),
        ("a:1; b:2;a:3", {"a": ["1", "3"], "b": ["2"]}),
        ("nocolon;:empty;ok:", {"ok": [""]}),
        (None, {}),
    ],
)
def test_link_tags(value: str | None, tags: dict[str, list[str]]) -> None:
    assert link_tags(value) == tags


def test_the_pixel_goes_before_the_body_end_or_at_the_end() -> None:
    pixel = '<img alt="" src="http://t/o" style="display: none; width: 1px; height: 1px;">'
    assert track("<body>x</BODY >", pixel_url="http://t/o", click_url=None) == (
        f"<body>x{pixel}</BODY >"
    )
    assert track("<p>x</p>", pixel_url="http://t/o", click_url=None) == f"<p>x</p>{pixel}"


@pytest.mark.parametrize("cte", ["7bit", "quoted-printable", "base64"])
def test_mime_parts_keep_their_encoding_and_the_rest_stays(cte: str) -> None:
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = "a@example.com"
    message["Subject"] = "s"
    message.set_content("text https://a.example/")
    markup = '<html><body><a href="https://a.example/">a</a> ' + "word " * 40 + "</body></html>\n"
    message.add_alternative(markup, subtype="html", cte=cte)
    raw = message.as_bytes()
    assert rewrite_html(raw, lambda text: text) == raw

    changed = rewrite_html(raw, lambda text: text.replace("https://a.example/", "http://t/c/1"))
    parsed = BytesParser(policy=policy.default).parsebytes(changed)
    text_part, html_part = [part for part in parsed.walk() if not part.is_multipart()]
    assert str(html_part["Content-Transfer-Encoding"]) == cte
    assert html_part.get_content().replace("\r\n", "\n") == markup.replace(
        "https://a.example/", "http://t/c/1"
    )
    assert text_part.get_content().strip() == "text https://a.example/"
    # Everything before the HTML part's body is byte for byte the same.
    head = raw[: raw.index(b"Content-Type: text/html")]
    assert changed.startswith(head)
    assert b"\n" not in changed.replace(b"\r\n", b"")


def test_a_body_its_charset_cannot_decode_is_left_alone() -> None:
    raw = (
        b"Content-Type: text/html; charset=us-ascii\r\n\r\n"
        b'<a href="https://a.example/">caf\xe9</a>\r\n'
    )
    assert rewrite_html(raw, lambda text: "changed") == raw
