"""ProviderDetails of identity providers: the keys each ProviderType requires, the SAML
metadata check, and the members DescribeIdentityProvider adds to what was given.

Sources: [model] ProviderDetails (cognito-idp 2016-04-18), whose create/describe examples
per type list the keys and the endpoints Cognito fills in; the texts below name theirs.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from poolmail.protocol.errors import AwsError

SAML = "SAML"
OIDC = "OIDC"
GOOGLE = "Google"
FACEBOOK = "Facebook"
AMAZON = "LoginWithAmazon"
APPLE = "SignInWithApple"
SOCIAL = (GOOGLE, FACEBOOK, AMAZON, APPLE)

# ---- texts: observed ones name their source; the others are Choices (AWS's not found) -----
# [obs aws-amplify/amplify-cli#8266] for Google, Facebook and Login with Amazon.
SOCIAL_KEYS = "client_id, client_secret and authorize_scopes are all required idp details"
# Choice: the same sentence with Sign in with Apple's and OIDC's required keys [model].
APPLE_KEYS = (
    "client_id, team_id, key_id, private_key and authorize_scopes are all required idp details"
)
OIDC_KEYS = (
    "client_id, attributes_request_method, oidc_issuer and authorize_scopes are all "
    "required idp details"
)
REQUEST_METHOD = "attributes_request_method must be GET or POST"
# [obs hashicorp/terraform-provider-aws#4815]
SAML_SOURCE = "At least one of the MetadataURL or MetadataFile should be provided."
# [obs ory/mocksaml#103, as the console shows it] for a document Cognito cannot read.
SAML_UNREADABLE = "Unable to unmarshall metadata"
# Choice: a readable document without an IdP's single sign-on service.
SAML_NO_SSO = "Metadata does not contain an IDPSSODescriptor with a SingleSignOnService"

_MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"
_REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"

# What Describe shows besides the given keys [model ProviderDetails, "Describe response"].
# Facebook's URLs carry its api_version; v17.0 is the model's example, used when none is set.
_FACEBOOK_VERSION = "v17.0"
_ADDED: dict[str, dict[str, str]] = {
    GOOGLE: {
        "attributes_url": "https://people.googleapis.com/v1/people/me?personFields=",
        "attributes_url_add_attributes": "true",
        "authorize_url": "https://accounts.google.com/o/oauth2/v2/auth",
        "oidc_issuer": "https://accounts.google.com",
        "token_request_method": "POST",
        "token_url": "https://www.googleapis.com/oauth2/v4/token",
    },
    FACEBOOK: {
        "attributes_url": "https://graph.facebook.com/{version}/me?fields=",
        "attributes_url_add_attributes": "true",
        "authorize_url": "https://www.facebook.com/{version}/dialog/oauth",
        "token_request_method": "GET",
        "token_url": "https://graph.facebook.com/{version}/oauth/access_token",
    },
    AMAZON: {
        "attributes_url": "https://api.amazon.com/user/profile",
        "attributes_url_add_attributes": "false",
        "authorize_url": "https://www.amazon.com/ap/oa",
        "token_request_method": "POST",
        "token_url": "https://api.amazon.com/auth/o2/token",
    },
    APPLE: {
        "attributes_url_add_attributes": "false",
        "authorize_url": "https://appleid.apple.com/auth/authorize",
        "oidc_issuer": "https://appleid.apple.com",
        "token_request_method": "POST",
        "token_url": "https://appleid.apple.com/auth/token",
    },
    OIDC: {"attributes_url_add_attributes": "false"},
}

# The claim that names a user at each provider, mapped to `username` when the request maps
# nothing to it: "Amazon Cognito will automatically parse the Facebook, Google, and Login
# with Amazon tokens for id, sub, and user_id, respectively" [model AdminLinkProviderForUser];
# OIDC and Apple: sub [doc cognito-user-pools-oidc-idp]. [inf] that Describe shows it; moto
# stores {"username": "sub"} too. SAML: the NameID, which no attribute names.
USER_ID_CLAIM = {GOOGLE: "sub", FACEBOOK: "id", AMAZON: "user_id", APPLE: "sub", OIDC: "sub"}

_REQUIRED: dict[str, tuple[tuple[str, ...], str]] = {
    GOOGLE: (("client_id", "client_secret", "authorize_scopes"), SOCIAL_KEYS),
    FACEBOOK: (("client_id", "client_secret", "authorize_scopes"), SOCIAL_KEYS),
    AMAZON: (("client_id", "client_secret", "authorize_scopes"), SOCIAL_KEYS),
    APPLE: (("client_id", "team_id", "key_id", "private_key", "authorize_scopes"), APPLE_KEYS),
    # client_secret is optional: "client_secret?" in the OIDC IdP guide (public clients).
    OIDC: (
        ("client_id", "attributes_request_method", "oidc_issuer", "authorize_scopes"),
        OIDC_KEYS,
    ),
}


def saml_metadata(document: str) -> dict[str, str]:
    """What Cognito reads from a SAML metadata document: the IdP's entity ID and its
    redirect-binding sign-in and sign-out URLs."""
    # "The value of MetadataFile must be the plaintext metadata document with all quote (")
    # characters escaped by backslashes" [model]: a document sent that way reads unescaped.
    text = document.replace('\\"', '"').strip()
    # Safe parsing without defusedxml: no DTD at all, so no entity (internal or external)
    # can expand; expat resolves no external entities anyway.
    if "<!DOCTYPE" in text.upper() or "<!ENTITY" in text.upper():
        raise AwsError("InvalidParameterException", SAML_UNREADABLE)
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        raise AwsError("InvalidParameterException", SAML_UNREADABLE) from None
    entities = (
        [root] if root.tag == f"{_MD}EntityDescriptor" else root.findall(f"{_MD}EntityDescriptor")
    )
    for entity in entities:
        idp = entity.find(f"{_MD}IDPSSODescriptor")
        if idp is None or idp.find(f"{_MD}SingleSignOnService") is None:
            continue
        found = {"entity_id": entity.get("entityID", "")}
        for tag, key in (
            ("SingleSignOnService", "SSORedirectBindingURI"),
            ("SingleLogoutService", "SLORedirectBindingURI"),
        ):
            for service in idp.findall(f"{_MD}{tag}"):
                if service.get("Binding") == _REDIRECT and service.get("Location"):
                    found[key] = str(service.get("Location"))
                    break
        return found
    if root.tag not in (f"{_MD}EntityDescriptor", f"{_MD}EntitiesDescriptor"):
        raise AwsError("InvalidParameterException", SAML_UNREADABLE)
    raise AwsError("InvalidParameterException", SAML_NO_SSO)


# "Amazon Cognito sets the value of the following keys automatically. They are read-only.
# attributes_url_add_attributes" (API_CreateIdentityProvider); SAML's are read from the
# metadata. Choice: a request that carries them (Describe's output sent back, as
# infrastructure tools do) has them ignored, not refused.
READ_ONLY = (
    "attributes_url_add_attributes",
    "ActiveEncryptionCertificate",
    "SLORedirectBindingURI",
    "SSORedirectBindingURI",
)


def given(details: dict[str, str]) -> dict[str, str]:
    """The ProviderDetails of a request that poolmail stores: all but the read-only keys."""
    return {key: value for key, value in details.items() if key not in READ_ONLY}


def check(provider_type: str, details: dict[str, str]) -> None:
    """Refuse ProviderDetails that lack what ``provider_type`` needs."""
    if provider_type == SAML:
        if not details.get("MetadataFile") and not details.get("MetadataURL"):
            raise AwsError("InvalidParameterException", SAML_SOURCE)
        if details.get("MetadataFile"):
            saml_metadata(details["MetadataFile"])
        # Not done: AWS fetches MetadataURL at once ("Non-ok status code 404 returned from
        # remote metadata source <url>", aws-solutions/aws-data-lake-solution#31). Choice:
        # poolmail fetches nothing (tests run offline); the URL is stored as given.
        return
    keys, text = _REQUIRED[provider_type]
    if any(not details.get(key) for key in keys):
        raise AwsError("InvalidParameterException", text)
    if provider_type == OIDC and details["attributes_request_method"] not in ("GET", "POST"):
        raise AwsError("InvalidParameterException", REQUEST_METHOD)
    # Not done for OIDC: discovery of authorize_url, token_url, attributes_url and jwks_uri
    # from `<oidc_issuer>/.well-known/openid-configuration` ("Amazon Cognito accepts the
    # following elements when it can't discover endpoint URLs from oidc_issuer" [model]).
    # Choice: no network at create time; the keys given are stored, and issue 15's sign-in
    # discovers what is missing when it needs it.


def described(provider_type: str, details: dict[str, str]) -> dict[str, str]:
    """ProviderDetails as DescribeIdentityProvider shows them."""
    shown = dict(details)
    version = details.get("api_version") or _FACEBOOK_VERSION
    for key, value in _ADDED.get(provider_type, {}).items():
        shown.setdefault(key, value.format(version=version))
    if provider_type == APPLE:
        # "Describe omits private_key" [model, Sign in with Apple's describe response].
        shown.pop("private_key", None)
    if provider_type == SAML and details.get("MetadataFile"):
        found = saml_metadata(details["MetadataFile"])
        for key in ("SSORedirectBindingURI", "SLORedirectBindingURI"):
            if key in found:
                shown[key] = found[key]
    return dict(sorted(shown.items()))


def issuer(provider_type: str, details: dict[str, str]) -> str | None:
    """The `issuer` of a user's identity from this provider: a SAML IdP's entity ID; None
    for the others, as the `identities` of Google users show (`"issuer":null`, in many
    published trigger events). [inf] OIDC providers show null too."""
    if provider_type == SAML and details.get("MetadataFile"):
        return saml_metadata(details["MetadataFile"]).get("entity_id") or None
    return None


def default_mapping(provider_type: str, mapping: dict[str, str]) -> dict[str, Any]:
    claim = USER_ID_CLAIM.get(provider_type)
    if claim is None or "username" in mapping:
        return dict(mapping)
    return {**mapping, "username": claim}
