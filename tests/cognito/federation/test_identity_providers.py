"""Identity providers: create, describe, list, update, delete, identifiers, the checks per
ProviderType with AWS's texts, and app clients that name providers."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.cognito.helpers import error_of, idp, make_client, make_pool
from tests.support.server import ServerProcess

GOOGLE = {
    "client_id": "1example23456789.apps.googleusercontent.com",
    "client_secret": "provider-app-client-secret",
    "authorize_scopes": "email profile openid",
}
OIDC = {
    "client_id": "1example23456789",
    "client_secret": "provider-app-client-secret",
    "attributes_request_method": "GET",
    "oidc_issuer": "https://auth.example.com",
    "authorize_scopes": "openid profile email",
}
METADATA = """<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"
    entityID="http://www.okta.com/exk123">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
        Location="https://idp.example.com/slo/saml"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
        Location="https://idp.example.com/sso/post"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
        Location="https://idp.example.com/sso/saml"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"""


def create(
    server: ServerProcess, pool_id: str, name: str, kind: str, details: dict[str, str], **extra: Any
) -> dict[str, Any]:
    provider: dict[str, Any] = idp(server).create_identity_provider(
        UserPoolId=pool_id, ProviderName=name, ProviderType=kind, ProviderDetails=details, **extra
    )["IdentityProvider"]
    return provider


def refused(call: Any, **params: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    return error_of(excinfo)


def test_google_is_described_with_cognitos_endpoints(live: ServerProcess) -> None:
    cognito = idp(live)
    pool_id = make_pool(live)
    created = create(live, pool_id, "Google", "Google", GOOGLE, IdpIdentifiers=["gmail.com"])
    assert created["ProviderDetails"] == {
        **GOOGLE,
        "attributes_url": "https://people.googleapis.com/v1/people/me?personFields=",
        "attributes_url_add_attributes": "true",
        "authorize_url": "https://accounts.google.com/o/oauth2/v2/auth",
        "oidc_issuer": "https://accounts.google.com",
        "token_request_method": "POST",
        "token_url": "https://www.googleapis.com/oauth2/v4/token",
    }
    # Google names its users by `sub`.
    assert created["AttributeMapping"] == {"username": "sub"}
    assert created["IdpIdentifiers"] == ["gmail.com"]
    described = cognito.describe_identity_provider(UserPoolId=pool_id, ProviderName="Google")
    assert described["IdentityProvider"] == created
    by_identifier = cognito.get_identity_provider_by_identifier(
        UserPoolId=pool_id, IdpIdentifier="gmail.com"
    )
    assert by_identifier["IdentityProvider"] == created


def test_social_names_and_reserved_names(live: ServerProcess) -> None:
    pool_id = make_pool(live)
    cognito = idp(live)
    call = cognito.create_identity_provider
    base = {"UserPoolId": pool_id, "ProviderDetails": GOOGLE}
    assert refused(call, **base, ProviderName="NameOfGP", ProviderType="Google") == (
        "InvalidParameterException",
        "Provider NameOfGP cannot be of type Google.",
    )
    assert refused(call, **base, ProviderName="Google", ProviderType="OIDC") == (
        "InvalidParameterException",
        "Provider Google cannot be of type OIDC.",
    )
    oidc = {"UserPoolId": pool_id, "ProviderDetails": OIDC, "ProviderType": "OIDC"}
    assert refused(call, **oidc, ProviderName="COGNITO") == (
        "InvalidParameterException",
        "Provider name COGNITO is reserved.",
    )
    create(live, pool_id, "Okta", "OIDC", OIDC)
    assert refused(call, **oidc, ProviderName="Okta") == (
        "DuplicateProviderException",
        f"Okta already exists in user pool {pool_id}",
    )
    # The model's pattern: no `_` at either end.
    code, _ = refused(call, **oidc, ProviderName="_Okta")
    assert code == "InvalidParameterException"


def test_required_details_per_type(live: ServerProcess) -> None:
    pool_id = make_pool(live)
    call = idp(live).create_identity_provider
    social = {"client_id": "x", "authorize_scopes": "email"}
    assert refused(
        call,
        UserPoolId=pool_id,
        ProviderName="Facebook",
        ProviderType="Facebook",
        ProviderDetails=social,
    ) == (
        "InvalidParameterException",
        "client_id, client_secret and authorize_scopes are all required idp details",
    )
    without_issuer = {key: value for key, value in OIDC.items() if key != "oidc_issuer"}
    code, message = refused(
        call,
        UserPoolId=pool_id,
        ProviderName="Okta",
        ProviderType="OIDC",
        ProviderDetails=without_issuer,
    )
    assert (code, "oidc_issuer" in message) == ("InvalidParameterException", True)
    assert refused(
        call,
        UserPoolId=pool_id,
        ProviderName="Okta",
        ProviderType="OIDC",
        ProviderDetails={**OIDC, "attributes_request_method": "PUT"},
    ) == ("InvalidParameterException", "attributes_request_method must be GET or POST")
    # An OIDC client without a secret is a public one: allowed.
    public = {key: value for key, value in OIDC.items() if key != "client_secret"}
    assert create(live, pool_id, "Public", "OIDC", public)["ProviderDetails"] == {
        **public,
        "attributes_url_add_attributes": "false",
    }


def test_saml_metadata_is_read(live: ServerProcess) -> None:
    pool_id = make_pool(live)
    call = idp(live).create_identity_provider
    saml = {"UserPoolId": pool_id, "ProviderName": "Okta", "ProviderType": "SAML"}
    assert refused(call, **saml, ProviderDetails={"IDPSignout": "true"}) == (
        "InvalidParameterException",
        "At least one of the MetadataURL or MetadataFile should be provided.",
    )
    unreadable = ("InvalidParameterException", "Unable to unmarshall metadata")
    assert refused(call, **saml, ProviderDetails={"MetadataFile": "<md:Entity"}) == unreadable
    # A document with a DTD is refused whole: no entity expands.
    bomb = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'
    assert refused(call, **saml, ProviderDetails={"MetadataFile": bomb}) == unreadable
    no_sso = METADATA.replace("SingleSignOnService", "ArtifactResolutionService")
    code, _ = refused(call, **saml, ProviderDetails={"MetadataFile": no_sso})
    assert code == "InvalidParameterException"

    # Quotes escaped by backslashes, as the model asks of MetadataFile, read the same.
    escaped = METADATA.replace('"', '\\"')
    created = create(live, pool_id, "Okta", "SAML", {"MetadataFile": escaped, "IDPSignout": "true"})
    details = created["ProviderDetails"]
    assert details["SSORedirectBindingURI"] == "https://idp.example.com/sso/saml"
    assert details["SLORedirectBindingURI"] == "https://idp.example.com/slo/saml"
    assert details["IDPSignout"] == "true"
    # SAML users are named by their NameID: no default username mapping.
    assert created["AttributeMapping"] == {}

    encrypted = create(
        live,
        pool_id,
        "Azure",
        "SAML",
        {"MetadataURL": "https://idp.example.com/metadata", "EncryptedResponses": "true"},
    )
    certificate = idp(live).get_signing_certificate(UserPoolId=pool_id)["Certificate"]
    assert encrypted["ProviderDetails"]["ActiveEncryptionCertificate"] == certificate


def test_apple_describe_omits_the_private_key(live: ServerProcess) -> None:
    pool_id = make_pool(live)
    details = {
        "client_id": "com.example.cognito",
        "team_id": "3EXAMPLE",
        "key_id": "2EXAMPLE",
        "private_key": "1EXAMPLE",
        "authorize_scopes": "email name",
    }
    created = create(live, pool_id, "SignInWithApple", "SignInWithApple", details)
    assert "private_key" not in created["ProviderDetails"]
    assert created["ProviderDetails"]["oidc_issuer"] == "https://appleid.apple.com"


def test_mapping_and_acr_checks(live: ServerProcess) -> None:
    pool_id = make_pool(live)
    call = idp(live).create_identity_provider
    oidc = {"UserPoolId": pool_id, "ProviderName": "Okta", "ProviderType": "OIDC"}
    assert refused(call, **oidc, ProviderDetails=OIDC, AttributeMapping={"custom:nope": "x"}) == (
        "InvalidParameterException",
        "Attribute mapping has an attribute that is not in the schema: custom:nope",
    )
    assert refused(
        call,
        UserPoolId=pool_id,
        ProviderName="Google",
        ProviderType="Google",
        ProviderDetails=GOOGLE,
        AcrMapping={"Level1": "urn:x"},
    ) == ("InvalidParameterException", "AcrMapping is supported for OIDC identity providers only.")
    created = create(
        live,
        pool_id,
        "Okta",
        "OIDC",
        OIDC,
        AttributeMapping={"email": "email", "username": "oid"},
        AcrMapping={"Level1": "urn:x"},
    )
    assert created["AttributeMapping"] == {"email": "email", "username": "oid"}
    assert created["AcrMapping"] == {"Level1": "urn:x"}


def test_identifiers_are_unique_in_the_pool(live: ServerProcess) -> None:
    cognito = idp(live)
    pool_id = make_pool(live)
    create(live, pool_id, "Okta", "OIDC", OIDC, IdpIdentifiers=["example.com"])
    taken = (
        "InvalidParameterException",
        "Identifier example.com is already used by another identity provider.",
    )
    assert (
        refused(
            cognito.create_identity_provider,
            UserPoolId=pool_id,
            ProviderName="Other",
            ProviderType="OIDC",
            ProviderDetails=OIDC,
            IdpIdentifiers=["example.com"],
        )
        == taken
    )
    # Moving an identifier: the old holder lets it go first.
    cognito.update_identity_provider(UserPoolId=pool_id, ProviderName="Okta", IdpIdentifiers=["a"])
    create(live, pool_id, "Other", "OIDC", OIDC, IdpIdentifiers=["example.com"])
    found = cognito.get_identity_provider_by_identifier(
        UserPoolId=pool_id, IdpIdentifier="example.com"
    )
    assert found["IdentityProvider"]["ProviderName"] == "Other"
    assert refused(
        cognito.get_identity_provider_by_identifier, UserPoolId=pool_id, IdpIdentifier="nope"
    ) == ("ResourceNotFoundException", "Identity provider with identifier nope does not exist.")
    # A deleted provider's identifiers are free again.
    cognito.delete_identity_provider(UserPoolId=pool_id, ProviderName="Other")
    code, _ = refused(
        cognito.get_identity_provider_by_identifier, UserPoolId=pool_id, IdpIdentifier="example.com"
    )
    assert code == "ResourceNotFoundException"
    cognito.update_identity_provider(
        UserPoolId=pool_id, ProviderName="Okta", IdpIdentifiers=["example.com"]
    )


def test_update_keeps_omitted_members_and_delete(live: ServerProcess) -> None:
    cognito = idp(live)
    pool_id = make_pool(live)
    created = create(live, pool_id, "Okta", "OIDC", OIDC, AttributeMapping={"email": "mail"})
    updated = cognito.update_identity_provider(
        UserPoolId=pool_id, ProviderName="Okta", ProviderDetails={**OIDC, "client_id": "other"}
    )["IdentityProvider"]
    assert updated["ProviderDetails"]["client_id"] == "other"
    assert updated["AttributeMapping"] == {"email": "mail", "username": "sub"}
    assert updated["CreationDate"] == created["CreationDate"]
    code, _ = refused(
        cognito.update_identity_provider,
        UserPoolId=pool_id,
        ProviderName="Okta",
        ProviderDetails={"client_id": "x"},
    )
    assert code == "InvalidParameterException"
    for call in (cognito.update_identity_provider, cognito.delete_identity_provider):
        assert refused(call, UserPoolId=pool_id, ProviderName="COGNITO") == (
            "UnsupportedIdentityProviderException",
            "Identity provider COGNITO cannot be updated or deleted.",
        )
    cognito.delete_identity_provider(UserPoolId=pool_id, ProviderName="Okta")
    missing = ("ResourceNotFoundException", "Identity provider Okta does not exist.")
    assert (
        refused(cognito.describe_identity_provider, UserPoolId=pool_id, ProviderName="Okta")
        == missing
    )
    assert refused(cognito.delete_identity_provider, UserPoolId=pool_id, ProviderName="Okta") == (
        missing
    )


def test_list_in_pages(live: ServerProcess) -> None:
    cognito = idp(live)
    pool_id = make_pool(live)
    for name in ("Okta", "Azure", "Auth0"):
        create(live, pool_id, name, "OIDC", OIDC)
    first = cognito.list_identity_providers(UserPoolId=pool_id, MaxResults=2)
    assert [p["ProviderName"] for p in first["Providers"]] == ["Okta", "Azure"]
    assert set(first["Providers"][0]) == {
        "ProviderName",
        "ProviderType",
        "LastModifiedDate",
        "CreationDate",
    }
    rest = cognito.list_identity_providers(
        UserPoolId=pool_id, MaxResults=2, NextToken=first["NextToken"]
    )
    assert [p["ProviderName"] for p in rest["Providers"]] == ["Auth0"]
    assert "NextToken" not in rest
    assert refused(cognito.list_identity_providers, UserPoolId="us-east-1_nope") == (
        "ResourceNotFoundException",
        "User pool us-east-1_nope does not exist.",
    )


def test_clients_name_existing_providers(live: ServerProcess) -> None:
    cognito = idp(live)
    pool_id = make_pool(live)
    missing = (
        "InvalidParameterException",
        f"The provider Okta does not exist for User Pool {pool_id}",
    )
    assert (
        refused(
            cognito.create_user_pool_client,
            UserPoolId=pool_id,
            ClientName="app",
            SupportedIdentityProviders=["COGNITO", "Okta"],
        )
        == missing
    )
    create(live, pool_id, "Okta", "OIDC", OIDC)
    client_id = make_client(live, pool_id, SupportedIdentityProviders=["COGNITO", "Okta"])
    # A deleted provider leaves the clients that named it; resending it is refused.
    cognito.delete_identity_provider(UserPoolId=pool_id, ProviderName="Okta")
    client = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)
    assert client["UserPoolClient"]["SupportedIdentityProviders"] == ["COGNITO"]
    assert (
        refused(
            cognito.update_user_pool_client,
            UserPoolId=pool_id,
            ClientId=client_id,
            SupportedIdentityProviders=["Okta"],
        )
        == missing
    )


def test_three_hundred_providers_a_pool(live: ServerProcess) -> None:
    cognito = idp(live)
    pool_id = make_pool(live)
    for number in range(300):
        create(live, pool_id, f"Idp{number:03}", "OIDC", OIDC)
    assert refused(
        cognito.create_identity_provider,
        UserPoolId=pool_id,
        ProviderName="OneTooMany",
        ProviderType="OIDC",
        ProviderDetails=OIDC,
    ) == ("LimitExceededException", "The user pool has reached its limit of identity providers.")
    # The same identifier twice in one request is refused too.
    cognito.delete_identity_provider(UserPoolId=pool_id, ProviderName="Idp000")
    assert refused(
        cognito.create_identity_provider,
        UserPoolId=pool_id,
        ProviderName="Twice",
        ProviderType="OIDC",
        ProviderDetails=OIDC,
        IdpIdentifiers=["a", "a"],
    ) == ("InvalidParameterException", "Identifier a is already used by another identity provider.")


def test_describe_output_sent_back_updates_cleanly(live: ServerProcess) -> None:
    # Infrastructure tools send back what they read, Cognito's read-only keys included.
    cognito = idp(live)
    pool_id = make_pool(live)
    created = create(live, pool_id, "Google", "Google", GOOGLE)
    again = cognito.update_identity_provider(
        UserPoolId=pool_id,
        ProviderName="Google",
        ProviderDetails={**created["ProviderDetails"], "attributes_url_add_attributes": "false"},
    )["IdentityProvider"]
    assert again["ProviderDetails"] == created["ProviderDetails"]


def test_a_pool_goes_with_its_providers(live: ServerProcess) -> None:
    cognito = idp(live)
    pool_id = make_pool(live)
    create(live, pool_id, "Okta", "OIDC", OIDC, IdpIdentifiers=["example.com"])
    cognito.delete_user_pool(UserPoolId=pool_id)
    assert refused(cognito.list_identity_providers, UserPoolId=pool_id) == (
        "ResourceNotFoundException",
        f"User pool {pool_id} does not exist.",
    )
