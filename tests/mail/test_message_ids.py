"""Message ids: the time in hex, then a random version-4 UUID, then SES's suffix."""

from __future__ import annotations

import re
import uuid

from poolmail.mail.mailbox import new_message_id

_SHAPE = re.compile(r"([0-9a-f]{16})-([0-9a-f-]{36})-000000")


def test_ids_carry_the_time_and_a_version_4_uuid() -> None:
    seen = set()
    for number in range(2000):
        at = 1_750_000_000.0 + number / 7
        found = _SHAPE.fullmatch(new_message_id(at))
        assert found is not None
        assert int(found.group(1), 16) == int(at * 1000)
        middle = uuid.UUID(found.group(2))
        # What uuid.uuid4() writes: the same text back, version 4, RFC 4122's variant.
        assert str(middle) == found.group(2)
        assert middle.version == 4 and middle.variant == uuid.RFC_4122
        seen.add(found.group(2))
    assert len(seen) == 2000


def test_ids_sort_by_time() -> None:
    ids = [new_message_id(1_750_000_000.0 + step) for step in (0.0, 0.001, 1.5, 4096.0)]
    assert ids == sorted(ids)
