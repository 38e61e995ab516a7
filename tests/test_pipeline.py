"""The pipeline's per-request helpers answer as what they stand in for: request ids as
`str(uuid.uuid4())` writes them, base URLs as Starlette derives them."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from starlette.requests import Request

from poolmail.server.pipeline import base_url, new_request_id


def test_request_ids_are_random_uuids() -> None:
    ids = [new_request_id() for _ in range(2000)]
    assert len(set(ids)) == len(ids)
    for request_id in ids:
        parsed = uuid.UUID(request_id)
        assert (parsed.version, parsed.variant) == (4, uuid.RFC_4122)
        assert str(parsed) == request_id
    # Every variant digit (8, 9, a, b) and every version-free digit turns up.
    assert {request_id[19] for request_id in ids} == set("89ab")
    assert {request_id[15] for request_id in ids} == set("0123456789abcdef")


def scope(**changes: Any) -> dict[str, Any]:
    return {
        "type": "http",
        "method": "POST",
        "scheme": "http",
        "path": "/",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1:4747")],
        "server": ("127.0.0.1", 4747),
        **changes,
    }


@pytest.mark.parametrize(
    "request_scope",
    [
        scope(),
        scope(headers=[(b"host", b"auth.example.com"), (b"host", b"other.example.com")]),
        scope(headers=[]),
        scope(headers=[], scheme="https", server=("10.0.0.1", 443)),
        scope(headers=[], server=["::1", 8080]),
        scope(headers=[(b"host", b"bad host:x")], server=("127.0.0.1", 80)),
        scope(root_path="/aws", path="/aws/v2/email/identities"),
        scope(app_root_path="/app", root_path="/app/sub"),
        scope(headers=[], server=None),
    ],
)
def test_base_urls_are_starlettes(request_scope: dict[str, Any]) -> None:
    expected = str(Request(request_scope).base_url).rstrip("/")
    assert base_url(Request(request_scope)) == expected
    assert base_url(Request(request_scope)) == expected  # and again, from the map
