"""``parse_form`` reads every form body as ``parse_qsl(..., keep_blank_values=True)``."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from poolmail.protocol.form import parse_form

# Characters that mean something to the parser, the escapes' digits, and the rest.
PIECES = st.sampled_from(["&", "=", "+", "%", "%2", "%41", "%e9", "%C3%A9", "%zz", "%%", " "])
TEXT = st.lists(
    st.one_of(PIECES, st.text(alphabet="aZ09._-~/é\u2603\x00\ud800", max_size=3)), max_size=14
).map("".join)


@given(TEXT)
@settings(max_examples=3000)
def test_it_reads_what_parse_qsl_reads(text: str) -> None:
    assert parse_form(text) == parse_qsl(text, keep_blank_values=True)


@given(st.text(max_size=40))
@settings(max_examples=1000)
def test_it_reads_any_text_as_parse_qsl(text: str) -> None:
    assert parse_form(text) == parse_qsl(text, keep_blank_values=True)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "&",
        "&&a=1&&",
        "a",
        "a=",
        "=b",
        "=",
        "a=b=c",
        "a+b=c+d",
        "Action=SendEmail&Source=sender%40bench.example&Message.Body.Text.Data=Hello+there.",
        "Action=GetSendQuota&Version=2010-12-01",
        "x=%E2%98%83&y=%ff&z=%",
        urlencode({"Subject": "caf\u00e9 & more = 100%", "Empty": ""}),
    ],
)
def test_samples(text: str) -> None:
    assert parse_form(text) == parse_qsl(text, keep_blank_values=True)
