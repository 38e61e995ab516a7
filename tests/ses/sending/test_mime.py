"""The direct MIME writer must produce exactly what the email package produces.

`mime.build` writes simple messages itself (ASCII, dot-atom addresses, no folding) and
leaves everything else to the email package. Whenever it writes one itself, the bytes must
be those the email package would have written, the random multipart boundary aside.
"""

from __future__ import annotations

import datetime as dt
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from poolmail.mail.mailbox import new_message_id
from poolmail.ses.sending import mime

SENT = dt.datetime(2026, 3, 1, 12, 30, 5, tzinfo=dt.UTC)
_BOUNDARY = re.compile(rb'boundary="([^"]+)"')

atoms = st.from_regex(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,12}", fullmatch=True)
addresses = st.one_of(
    st.builds(
        lambda local, domain: f"{local}@{domain}",
        st.lists(atoms, min_size=1, max_size=3).map(".".join),
        st.from_regex(r"[a-z0-9-]{1,10}(\.[a-z]{2,6}){1,2}", fullmatch=True),
    ),
    # Shapes the fast path must decline: display names, quoting, non-ASCII, odd dots.
    st.sampled_from(
        ["Jane <jane@example.com>", '"a b"@example.com', "jöns@example.com", "a..b@example.com"]
    ),
)
texts = st.text(
    alphabet=st.characters(min_codepoint=0, max_codepoint=0x17F, exclude_categories=("Cs",)),
    max_size=200,
)
ascii_texts = st.text(alphabet=st.characters(min_codepoint=9, max_codepoint=126), max_size=300)


def _same(simple: bytes, reference: bytes) -> bool:
    found = _BOUNDARY.search(simple)
    if found is not None:
        other = _BOUNDARY.search(reference)
        assert other is not None
        reference = reference.replace(other.group(1), found.group(1))
    return simple == reference


simple_addresses = st.builds(
    lambda local, domain: f"{local}@{domain}",
    st.lists(atoms, min_size=1, max_size=3).map(".".join),
    st.from_regex(r"[a-z0-9-]{1,10}(\.[a-z]{2,6}){1,2}", fullmatch=True),
)
simple_subjects = st.from_regex(r"[\x21-\x7e]{1,12}( [\x21-\x7e]{1,12}){0,6}", fullmatch=True)
simple_bodies = st.builds(
    lambda lines, ending: ending.join(lines),
    st.lists(st.from_regex(r"[\x20-\x7e\t]{0,90}", fullmatch=True), max_size=6),
    st.sampled_from(["\n", "\r\n", "\r"]),
)


@settings(max_examples=300, deadline=None)
@given(
    sender=simple_addresses,
    to=st.lists(simple_addresses, max_size=3),
    cc=st.lists(simple_addresses, max_size=2),
    reply_to=st.lists(simple_addresses, max_size=1),
    subject=simple_subjects,
    text=st.one_of(st.none(), simple_bodies),
    html=st.one_of(st.none(), simple_bodies),
)
def test_simple_messages_are_written_as_the_email_package_writes_them(
    sender: str,
    to: list[str],
    cc: list[str],
    reply_to: list[str],
    subject: str,
    text: str | None,
    html: str | None,
) -> None:
    _check(sender, to, cc, reply_to, subject, text, html)


@settings(max_examples=300, deadline=None)
@given(
    sender=addresses,
    to=st.lists(addresses, max_size=3),
    cc=st.lists(addresses, max_size=2),
    reply_to=st.lists(addresses, max_size=2),
    subject=st.one_of(ascii_texts, texts),
    text=st.one_of(st.none(), ascii_texts, texts),
    html=st.one_of(st.none(), ascii_texts, texts),
)
def test_the_direct_writer_matches_the_email_package(
    sender: str,
    to: list[str],
    cc: list[str],
    reply_to: list[str],
    subject: str,
    text: str | None,
    html: str | None,
) -> None:
    _check(sender, to, cc, reply_to, subject, text, html)


def _check(
    sender: str,
    to: list[str],
    cc: list[str],
    reply_to: list[str],
    subject: str,
    text: str | None,
    html: str | None,
) -> None:
    headers = mime.Headers(sender=sender, to=to, cc=cc, reply_to=reply_to)
    content = mime.Content(subject, text=text, html=html)
    message_id = new_message_id(SENT.timestamp())  # as long as every real one
    simple = mime._simple_build(headers, content, message_id, SENT)
    if simple is None:
        return
    reference = mime.build_with_email_package(headers, content, message_id, SENT)
    assert _same(simple, reference)


def test_the_common_messages_take_the_direct_path() -> None:
    # What Cognito mails and what a plain SendEmail sends.
    cognito = mime.Content(
        "Your verification code",
        text="Your confirmation code is 123456",
        html="Your confirmation code is 123456",
    )
    ses = mime.Content("Hello", text="Hello from the test.\nSecond line.\n")
    message_id = new_message_id(SENT.timestamp())
    for content in (cognito, ses):
        headers = mime.Headers(sender="no-reply@verificationemail.com", to=["jane@example.com"])
        simple = mime._simple_build(headers, content, message_id, SENT)
        assert simple is not None
        assert _same(simple, mime.build_with_email_package(headers, content, message_id, SENT))
        assert mime.build(headers, content, message_id, SENT).startswith(b"From: no-reply@")


def test_anything_else_goes_through_the_email_package() -> None:
    headers = mime.Headers(sender="Jane Doe <jane@example.com>", to=["bob@example.com"])
    content = mime.Content("Grüße", text="Ünïcödé body")
    assert mime._simple_build(headers, content, "abc-123", SENT) is None
    built = mime.build(headers, content, "abc-123", SENT)
    assert built == mime.build_with_email_package(headers, content, "abc-123", SENT)
    assert b"=?utf-8?" in built
