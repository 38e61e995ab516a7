"""Timestamps in requests: epoch seconds or ISO 8601; anything else, or a time no
datetime can hold, is the caller's malformed input (SerializationException), not a 500."""

from __future__ import annotations

import datetime as dt

import pytest

from poolmail.protocol.errors import AwsError
from poolmail.protocol.json_values import parse_timestamp


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1_700_000_000, dt.datetime(2023, 11, 14, 22, 13, 20, tzinfo=dt.UTC)),
        ("1700000000.5", dt.datetime(2023, 11, 14, 22, 13, 20, 500000, tzinfo=dt.UTC)),
        ("2024-05-17T12:34:56Z", dt.datetime(2024, 5, 17, 12, 34, 56, tzinfo=dt.UTC)),
    ],
)
def test_times_are_read(value: object, expected: dt.datetime) -> None:
    assert parse_timestamp(value, "StartDate") == expected


@pytest.mark.parametrize(
    "value", [1e13, -1e13, float("inf"), float("nan"), "1e13", "1e400", "nan", "soon", True]
)
def test_times_no_datetime_holds_are_malformed_input(value: object) -> None:
    with pytest.raises(AwsError) as raised:
        parse_timestamp(value, "StartDate")
    assert raised.value.code == "SerializationException"
    assert raised.value.message == "Invalid timestamp for StartDate."
