"""The sign-up path's small helpers: the sub of a new user, the text part of its mail."""

from __future__ import annotations

import html
import re
import uuid

import pytest

from poolmail.cognito.messaging.delivery import _text_of
from poolmail.cognito.users.signup import _new_sub


def test_a_new_sub_is_a_random_uuid_as_uuid4_writes_it() -> None:
    subs = {_new_sub() for _ in range(2000)}
    assert len(subs) == 2000
    for sub in subs:
        parsed = uuid.UUID(sub)
        assert str(parsed) == sub
        assert parsed.version == 4 and parsed.variant == uuid.RFC_4122


def _by_regexes(body: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", re.sub(r"<br\s*/?>", "\n", body)))


@pytest.mark.parametrize(
    "body",
    [
        "Your verification code is 123456. ",
        "",
        "1 > 0 and 2 >= 1",
        "Code: <b>123456</b>",
        "Line one<br>line two<br/>three<br />four",
        "Tom &amp; Jerry &lt;3",
        "a & b",
        "a < b",
    ],
)
def test_the_text_part_is_the_html_body_without_tags_and_entities(body: str) -> None:
    assert _text_of(body) == _by_regexes(body)
