"""The Date header of a built message: `email.utils.format_datetime`'s text, written
directly for UTC times."""

from __future__ import annotations

import datetime as dt
import random
from email.utils import format_datetime

from poolmail.ses.sending import mime


def test_utc_times_read_as_the_email_package_writes_them() -> None:
    rng = random.Random(18)
    moments = [
        dt.datetime(2000, 1, 1, tzinfo=dt.UTC),
        dt.datetime(1999, 12, 31, 23, 59, 59, 999_999, tzinfo=dt.UTC),
        dt.datetime(2024, 2, 29, 7, 5, 3, tzinfo=dt.UTC),
        dt.datetime(9, 3, 4, tzinfo=dt.UTC),
    ] + [dt.datetime.fromtimestamp(rng.uniform(0, 4_000_000_000), dt.UTC) for _ in range(3000)]
    for moment in moments:
        assert mime.date_header(moment) == format_datetime(moment)


def test_other_zones_are_left_to_the_email_package() -> None:
    for moment in (
        dt.datetime(2024, 5, 6, 7, 8, 9),
        dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone(dt.timedelta(hours=-5))),
        dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone(dt.timedelta(0))),
    ):
        assert mime.date_header(moment) == format_datetime(moment)


def test_a_built_message_is_dated_so() -> None:
    sent = dt.datetime(2026, 12, 6, 18, 56, 38, tzinfo=dt.UTC)
    raw = mime.build(
        mime.Headers(sender="a@example.com", to=["b@example.com"]),
        mime.Content("Hello", text="Hi."),
        "0000-1",
        sent,
    )
    assert b"\r\nDate: Sun, 06 Dec 2026 18:56:38 +0000\r\n" in raw
