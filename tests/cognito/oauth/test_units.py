"""Logic of cognito/oauth without a server: host names, at_hash, client credentials."""

from __future__ import annotations

import base64

import pytest

from poolmail.cognito.oauth import grants, hosts, issuance


def test_host_names() -> None:
    assert hosts.host_name("Shop.Auth.us-east-1.LOCALHOST:4747") == (
        "shop.auth.us-east-1.localhost"
    )
    assert hosts.host_name("[::1]:4747") == "[::1]"
    assert hosts.canonical("shop.auth.eu-west-1.localhost") == (
        "shop.auth.eu-west-1.amazoncognito.com"
    )
    assert hosts.canonical("auth.example.com") == "auth.example.com"
    assert hosts.is_prefix_host("shop.auth.us-east-1.amazoncognito.com")
    assert not hosts.is_prefix_host("auth.example.com")
    assert not hosts.is_prefix_host("-bad.auth.us-east-1.localhost")


def test_at_hash_is_the_left_half_of_sha256() -> None:
    # OpenID Connect Core 3.1.3.6's construction, checked against a known value.
    assert issuance.at_hash("abc") == "ungWv48Bz-pBQUDeXa4iIw"


def test_client_auth_by_header_and_body() -> None:
    header = "Basic " + base64.b64encode(b"client:s3cret").decode()
    assert grants.client_auth(header, {}) == grants.ClientAuth("client", "s3cret", basic=True)
    assert grants.client_auth(None, {"client_id": "c", "client_secret": "s"}) == (
        grants.ClientAuth("c", "s")
    )
    for bad in ("Basic !!!", "Basic " + base64.b64encode(b"no-colon").decode()):
        with pytest.raises(grants.OAuthError) as excinfo:
            grants.client_auth(bad, {})
        assert excinfo.value.error == "invalid_client"
    # The body may not name another client than the header.
    with pytest.raises(grants.OAuthError):
        grants.client_auth(header, {"client_id": "other"})
