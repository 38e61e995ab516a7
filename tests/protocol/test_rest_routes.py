"""The literal route table agrees with trying every route's pattern, as it did alone."""

from __future__ import annotations

import pytest

from poolmail.protocol import rest_routes
from poolmail.protocol.models import SESV2


def scanned(service: str, method: str, path: str) -> str | None:
    for route in rest_routes.routes(service):
        if route.method == method and route.pattern.fullmatch(path):
            return route.operation
    return None


@pytest.mark.parametrize("service", [SESV2])
def test_literal_routes_answer_as_the_patterns_do(service: str) -> None:
    table = rest_routes._literal_routes(service)
    assert ("POST", "/v2/email/outbound-emails") in table
    for (method, path), found in table.items():
        assert found.operation == scanned(service, method, path), (method, path)
        assert rest_routes.match(service, method, path) == found


def test_labelled_paths_still_match_by_pattern() -> None:
    found = rest_routes.match(SESV2, "GET", "/v2/email/identities/a%40example.com")
    assert found is not None
    assert (found.operation, found.labels) == (
        "GetEmailIdentity",
        {"EmailIdentity": "a@example.com"},
    )
    # The listing's literal route wins over the identity label, as before.
    listing = rest_routes.match(SESV2, "GET", "/v2/email/identities")
    assert listing is not None and listing.operation == "ListEmailIdentities"
