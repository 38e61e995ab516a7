"""protocol/fast_json: orjson's speed, the standard library's answers."""

from __future__ import annotations

import json
from typing import Any

import pytest

from poolmail.protocol import fast_json

ACCEPTED = [
    b'{"a": 1, "b": [true, false, null], "c": {"d": "e"}}',
    b'{"n": 1.5e300, "m": -0.0, "i": 12345678901234567890123}',
    b'{"nan": NaN, "inf": -Infinity}',
    b'{"s": "\\ud800 lone", "t": "\\u00e9\\ud83d\\ude00"}',
    b'{"dup": 1, "dup": 2}',
    '{"é": "ü"}'.encode(),
    '{"utf16": 1}'.encode("utf-16"),
    '  {"str": "input"}  ',
    b"[]",
    b'"just a string"',
    b"\xef\xbb\xbf{}",
]
REFUSED = [
    b"",
    b"{",
    b'{"a": 1,}',
    b"\xff\xfe\xfa",
    b'{"a": "\x01"}',
    b"{} {}",
    b"nul",
    "\ufeff{}",
]


@pytest.mark.parametrize("text", ACCEPTED)
def test_loads_decodes_as_json_does(text: bytes | str) -> None:
    expected = json.loads(text)
    got = fast_json.loads(text)
    assert json.dumps(got) == json.dumps(expected)  # NaN != NaN, so compare their JSON


@pytest.mark.parametrize("text", REFUSED)
def test_loads_refuses_what_json_refuses(text: bytes | str) -> None:
    with pytest.raises(ValueError):
        json.loads(text)
    with pytest.raises(ValueError):
        fast_json.loads(text)


@pytest.mark.parametrize(
    "document",
    [
        {"a": [1, 2.5, None, True], "b": {"c": 'é \u2028 "quoted" \\ back'}},
        {"big": 2**70},
        {"lone": "\ud800"},
        {1: "int key"},
        [],
    ],
)
def test_dumps_writes_what_json_reads_back(document: Any) -> None:
    written = fast_json.dumps(document)
    assert isinstance(written, bytes)
    assert json.loads(written) == json.loads(json.dumps(document))
