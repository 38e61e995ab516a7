"""Token ids (`jti`, `event_id`, `origin_jti`) are random version-4 UUIDs in their usual
text form, though made without `uuid.uuid4()`."""

from __future__ import annotations

import uuid

from poolmail.cognito.signin.tokens import new_jti


def test_token_ids_are_random_version_4_uuids() -> None:
    seen = set()
    for _ in range(2000):
        text = new_jti()
        parsed = uuid.UUID(text)
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
        assert str(parsed) == text
        seen.add(text)
    assert len(seen) == 2000
