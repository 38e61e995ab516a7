"""Federation's pure logic: attribute mapping, the user ID, the `identities` claim, the
authorization URL per provider type, and the authorization request kept while the user is
at the IdP."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from poolmail.cognito.federation import oidc_client, redirects
from poolmail.cognito.federation.federated_users import (
    SignInRefused,
    mapped_attributes,
    token_identities,
    user_id,
)
from poolmail.cognito.federation.identity_providers import Provider
from poolmail.cognito.oauth.authorization import AuthorizationRequest
from poolmail.cognito.users.users import StoredUser


def provider(kind: str, mapping: dict[str, str], **details: str) -> Provider:
    settings: dict[str, Any] = {"ProviderDetails": details, "AttributeMapping": mapping}
    return Provider("us-east-1_abc", kind if kind != "OIDC" else "Corp", kind, 0, 0, settings)


def test_mapping_turns_claims_into_attribute_strings() -> None:
    corp = provider("OIDC", {"username": "sub", "email": "email", "email_verified": "ev"})
    claims = {"sub": "u1", "email": "a@example.com", "ev": True, "unmapped": "x"}
    assert mapped_attributes(corp, claims) == {"email": "a@example.com", "email_verified": "true"}
    saml = provider("SAML", {"name": "urn:name", "custom:teams": "urn:teams"})
    attributes = {"urn:name": ["Jo"], "urn:teams": ["a", "b"]}
    assert mapped_attributes(saml, attributes) == {"name": "Jo", "custom:teams": '["a","b"]'}


def test_user_id_is_the_claim_mapped_to_username_else_the_name_id() -> None:
    assert user_id(provider("OIDC", {"username": "sub"}), {"sub": "abc"}) == "abc"
    assert user_id(provider("SAML", {}), {}, "M252249") == "M252249"
    with pytest.raises(SignInRefused, match="attribute sub"):
        user_id(provider("OIDC", {"username": "sub"}), {})


def test_tokens_carry_identities_with_string_flags() -> None:
    entry = {
        "userId": "u1",
        "providerName": "Corp",
        "providerType": "OIDC",
        "issuer": None,
        "primary": True,
        "dateCreated": 1642699117273,
    }
    user = StoredUser("p", "Corp_u1", "s", "EXTERNAL_PROVIDER", True, 0, 0)
    user.attributes["identities"] = json.dumps([entry])
    assert token_identities(user) == [{**entry, "primary": "true", "dateCreated": "1642699117273"}]


def _query(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


@pytest.mark.parametrize(
    ("kind", "nonce", "mode"),
    [("OIDC", True, None), ("Facebook", False, None), ("SignInWithApple", True, "form_post")],
)
def test_authorization_url_per_provider_type(kind: str, nonce: bool, mode: str | None) -> None:
    idp = provider(kind, {}, client_id="cid", authorize_scopes="openid email")
    where = oidc_client.Endpoints(None, "https://idp.example/auth?x=1", "", None, None)
    url = oidc_client.authorization_url(
        idp, where, state="st", nonce="nn", redirect_uri="https://d/oauth2/idpresponse", prompt=None
    )
    query = _query(url)
    assert url.startswith("https://idp.example/auth?x=1&")
    assert (query["client_id"], query["state"], query["scope"]) == ("cid", "st", "openid email")
    assert ("nonce" in query) is nonce
    assert query.get("response_mode") == mode


def test_the_authorization_request_survives_the_wait() -> None:
    request = AuthorizationRequest(
        domain="d.auth.us-east-1.amazoncognito.com",
        pool_id="us-east-1_abc",
        client_id="c",
        redirect_uri="http://localhost/cb",
        response_type="code",
        scopes=("openid", "email"),
        state="s",
        identity_provider="Corp",
        prompt=frozenset({"login"}),
        params=(("client_id", "c"), ("state", "s")),
    )
    stored = json.loads(json.dumps(redirects.stored_request(request)))
    assert redirects.restored_request(stored) == request


def test_sign_in_with_apple_names_come_from_the_posted_user() -> None:
    apple = provider("SignInWithApple", {})
    user = json.dumps({"name": {"firstName": "Jo", "lastName": "Doe"}, "email": "j@x.example"})
    assert redirects.apple_user(apple, {"user": user}) == {
        "firstName": "Jo",
        "lastName": "Doe",
        "name": "Jo Doe",
    }
    assert redirects.apple_user(apple, {"user": "not json"}) == {}
    assert redirects.apple_user(provider("OIDC", {}), {"user": user}) == {}
