"""Linked users: AdminLinkProviderForUser puts the identity in the user's `identities`
attribute as AWS shows it; AdminDisableProviderForUser removes links and passwords; the
refusals with AWS's texts."""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.cognito.federation.test_identity_providers import GOOGLE, OIDC, create
from tests.cognito.helpers import (
    INCORRECT,
    auth_pool,
    confirmed_user,
    error_of,
    idp,
    make_pool,
    password_auth,
)
from tests.support.server import ServerProcess

FACEBOOK = {**GOOGLE, "client_id": "1example23456789"}
AMAZON = {**GOOGLE, "client_id": "amzn1.application-oa2-client.1"}
APPLE = {
    "client_id": "com.example",
    "team_id": "T",
    "key_id": "K",
    "private_key": "P",
    "authorize_scopes": "email",
}


def cognito_user(username: str) -> dict[str, str]:
    return {"ProviderName": "Cognito", "ProviderAttributeValue": username}


def source(provider: str, value: str, name: str = "Cognito_Subject") -> dict[str, str]:
    return {
        "ProviderName": provider,
        "ProviderAttributeName": name,
        "ProviderAttributeValue": value,
    }


def link(server: ServerProcess, pool_id: str, username: str, provider: str, value: str) -> None:
    idp(server).admin_link_provider_for_user(
        UserPoolId=pool_id,
        DestinationUser=cognito_user(username),
        SourceUser=source(provider, value),
    )


def identities(server: ServerProcess, pool_id: str, username: str) -> list[dict[str, Any]]:
    user = idp(server).admin_get_user(UserPoolId=pool_id, Username=username)
    values = [a["Value"] for a in user["UserAttributes"] if a["Name"] == "identities"]
    return json.loads(values[0]) if values else []


def refused(server: ServerProcess, pool_id: str, dest: dict[str, str], src: dict[str, str]) -> Any:
    with pytest.raises(ClientError) as excinfo:
        idp(server).admin_link_provider_for_user(
            UserPoolId=pool_id, DestinationUser=dest, SourceUser=src
        )
    return error_of(excinfo)


def test_link_shows_in_identities(live: ServerProcess) -> None:
    pool_id = make_pool(live)
    create(live, pool_id, "Google", "Google", GOOGLE)
    confirmed_user(live, pool_id, "alice")
    link(live, pool_id, "alice", "Google", "102613502779525861182")
    [entry] = identities(live, pool_id, "alice")
    assert entry == {
        "userId": "102613502779525861182",
        "providerName": "Google",
        "providerType": "Google",
        "issuer": None,
        "primary": False,
        "dateCreated": entry["dateCreated"],
    }
    assert entry["dateCreated"] > 10**12  # milliseconds, as AWS writes them
    # The raw value is compact JSON, as AWS shows it.
    user = idp(live).admin_get_user(UserPoolId=pool_id, Username="alice")
    raw = next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "identities")
    assert raw.startswith('[{"userId":"102613502779525861182","providerName":"Google"')
    listed = idp(live).list_users(UserPoolId=pool_id)["Users"][0]["Attributes"]
    assert any(a["Name"] == "identities" for a in listed)
    # Linking what is linked changes nothing.
    link(live, pool_id, "alice", "Google", "102613502779525861182")
    assert len(identities(live, pool_id, "alice")) == 1


def test_link_refusals(live: ServerProcess) -> None:
    pool_id = make_pool(live)
    create(live, pool_id, "Google", "Google", GOOGLE)
    create(live, pool_id, "Okta", "OIDC", OIDC)
    confirmed_user(live, pool_id, "alice")
    confirmed_user(live, pool_id, "bob")
    alice = cognito_user("alice")
    assert refused(live, pool_id, alice, cognito_user("bob")) == (
        "InvalidParameterException",
        "Invalid SourceUser: Cognito users with a username/password may not be passed in as a "
        "SourceUser, only as a DestinationUser",
    )
    assert refused(live, pool_id, alice, source("Azure", "x")) == (
        "InvalidParameterException",
        f"The provider Azure does not exist for User Pool {pool_id}",
    )
    assert refused(live, pool_id, alice, source("Google", "x", name="email")) == (
        "InvalidParameterException",
        "ProviderAttributeName must be Cognito_Subject for social identity providers.",
    )
    assert refused(live, pool_id, cognito_user("carol"), source("Google", "x")) == (
        "UserNotFoundException",
        "User does not exist.",
    )
    # A federated destination is `<provider>_<id>`, an EXTERNAL_PROVIDER user.
    assert refused(live, pool_id, source("Google", "alice"), source("Okta", "x")) == (
        "UserNotFoundException",
        "User does not exist.",
    )
    link(live, pool_id, "alice", "Google", "g1")
    assert refused(live, pool_id, cognito_user("bob"), source("Google", "g1")) == (
        "AliasExistsException",
        "The SourceUser is already linked to another user.",
    )
    assert refused(live, pool_id, alice, source("Google", "g2")) == (
        "InvalidParameterException",
        "DestinationUser is already linked to an identity of provider Google.",
    )
    # OIDC and SAML sources may link by a mapped attribute.
    idp(live).admin_link_provider_for_user(
        UserPoolId=pool_id,
        DestinationUser=cognito_user("bob"),
        SourceUser=source("Okta", "bob@example.com", name="email"),
    )
    assert identities(live, pool_id, "bob")[0]["userId"] == "bob@example.com"
    with pytest.raises(ClientError) as excinfo:
        idp(live).admin_link_provider_for_user(
            UserPoolId="us-east-1_nope", DestinationUser=alice, SourceUser=source("Google", "x")
        )
    assert error_of(excinfo)[0] == "ResourceNotFoundException"


def test_five_identities_at_most(live: ServerProcess) -> None:
    pool_id = make_pool(live)
    confirmed_user(live, pool_id, "alice")
    for name, kind, details in (
        ("Google", "Google", GOOGLE),
        ("Facebook", "Facebook", FACEBOOK),
        ("LoginWithAmazon", "LoginWithAmazon", AMAZON),
        ("SignInWithApple", "SignInWithApple", APPLE),
        ("Okta", "OIDC", OIDC),
        ("Azure", "OIDC", OIDC),
    ):
        create(live, pool_id, name, kind, details)
    for name in ("Google", "Facebook", "LoginWithAmazon", "SignInWithApple", "Okta"):
        link(live, pool_id, "alice", name, f"{name}-id")
    assert refused(live, pool_id, cognito_user("alice"), source("Azure", "x")) == (
        "LimitExceededException",
        "A user can be linked to at most 5 identities.",
    )
    types = [entry["providerType"] for entry in identities(live, pool_id, "alice")]
    assert types == ["Google", "Facebook", "LoginWithAmazon", "SignInWithApple", "OIDC"]


def test_immutable_custom_attributes_refuse_linking(live: ServerProcess) -> None:
    schema = [{"Name": "tier", "AttributeDataType": "String", "Mutable": False}]
    pool_id = make_pool(live, Schema=schema)
    create(live, pool_id, "Google", "Google", GOOGLE)
    idp(live).admin_create_user(
        UserPoolId=pool_id,
        Username="alice",
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "custom:tier", "Value": "gold"}],
    )
    assert refused(live, pool_id, cognito_user("alice"), source("Google", "g")) == (
        "InvalidParameterException",
        "DestinationUser has immutable custom attributes and cannot be linked.",
    )


def test_disable_removes_the_link(live: ServerProcess) -> None:
    cognito = idp(live)
    pool_id = make_pool(live)
    create(live, pool_id, "Google", "Google", GOOGLE)
    confirmed_user(live, pool_id, "alice")
    confirmed_user(live, pool_id, "bob")
    link(live, pool_id, "alice", "Google", "g1")
    cognito.admin_disable_provider_for_user(UserPoolId=pool_id, User=source("Google", "g1"))
    assert identities(live, pool_id, "alice") == []
    # The identity is free again.
    link(live, pool_id, "bob", "Google", "g1")
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_disable_provider_for_user(UserPoolId=pool_id, User=source("Google", "g9"))
    assert error_of(excinfo) == ("UserNotFoundException", "User does not exist.")
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_disable_provider_for_user(UserPoolId=pool_id, User=source("Okta", "g1"))
    assert error_of(excinfo) == (
        "InvalidParameterException",
        f"The provider Okta does not exist for User Pool {pool_id}",
    )


def test_deleting_a_provider_or_user_frees_its_links(live: ServerProcess) -> None:
    cognito = idp(live)
    pool_id = make_pool(live)
    create(live, pool_id, "Google", "Google", GOOGLE)
    confirmed_user(live, pool_id, "alice")
    confirmed_user(live, pool_id, "bob")
    link(live, pool_id, "alice", "Google", "g1")
    cognito.admin_delete_user(UserPoolId=pool_id, Username="alice")
    link(live, pool_id, "bob", "Google", "g1")
    cognito.delete_identity_provider(UserPoolId=pool_id, ProviderName="Google")
    create(live, pool_id, "Google", "Google", GOOGLE)
    confirmed_user(live, pool_id, "carol")
    link(live, pool_id, "carol", "Google", "g1")
    # Users keep what they showed: deleting a provider deletes no user.
    assert identities(live, pool_id, "bob")[0]["userId"] == "g1"


def test_disabling_cognito_takes_the_password(live: ServerProcess) -> None:
    pool_id, client_id = auth_pool(live)
    confirmed_user(live, pool_id, "alice")
    password_auth(live, client_id, "alice")
    idp(live).admin_disable_provider_for_user(
        UserPoolId=pool_id,
        User={
            "ProviderName": "Cognito",
            "ProviderAttributeName": "Cognito_Subject",
            "ProviderAttributeValue": "alice",
        },
    )
    with pytest.raises(ClientError) as excinfo:
        password_auth(live, client_id, "alice")
    assert error_of(excinfo) == INCORRECT
