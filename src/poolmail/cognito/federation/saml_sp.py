"""The pool as a SAML 2.0 service provider (pysaml2 with xmlsec1): the AuthnRequest sent
by HTTP-Redirect to the IdP's single sign-on URL, and the check of the IdP's response posted
to /saml2/idpresponse (signature, audience, destination, validity, InResponseTo).

The SP's entity ID is `urn:amazon:cognito:sp:<poolId>` and its ACS URL the domain's
/saml2/idpresponse [doc cognito-user-pools-saml-idp]; requests are signed with the pool's
SAML signing certificate (GetSigningCertificate) when RequestSigningAlgorithm says so.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from poolmail.cognito.federation.identity_providers import Provider
from poolmail.cognito.federation.provider_details import saml_metadata
from poolmail.cognito.pools import signing_certificate
from poolmail.context import RequestContext

XMLSEC = "xmlsec1"
# Choice (AWS's texts for a refused SAML response were not found beyond the first): the
# error_description names what failed.
INVALID_RESPONSE = "Invalid samlResponse or relayState from identity provider"
NO_XMLSEC = "SAML federation needs the xmlsec1 program, which is not installed"
METADATA_UNREACHABLE = "Unable to retrieve metadata from {url}"
_METADATA_CACHE_SECONDS = 300

_metadata_cache: dict[str, tuple[float, str]] = {}
_metadata_lock = threading.Lock()


class SamlFailure(Exception):
    """The IdP's answer (or its metadata) cannot sign anyone in; the text is the
    error_description."""


@dataclass(frozen=True, slots=True)
class Assertion:
    name_id: str
    # Attribute name (as the IdP sends it: a URI or a plain name) → its values.
    attributes: dict[str, list[str]]


def entity_id(pool_id: str) -> str:
    return f"urn:amazon:cognito:sp:{pool_id}"


def metadata_document(provider: Provider) -> str:
    details = provider.settings["ProviderDetails"]
    if details.get("MetadataFile"):
        return str(details["MetadataFile"]).replace('\\"', '"').strip()
    url = str(details.get("MetadataURL") or "")
    with _metadata_lock:
        cached = _metadata_cache.get(url)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    import httpx

    try:
        response = httpx.get(url, timeout=10.0, follow_redirects=True)
    except httpx.HTTPError:
        raise SamlFailure(METADATA_UNREACHABLE.format(url=url)) from None
    if response.status_code != 200:
        raise SamlFailure(METADATA_UNREACHABLE.format(url=url))
    saml_metadata(response.text)  # refuses what is no IdP metadata, as Create does
    with _metadata_lock:
        _metadata_cache[url] = (time.monotonic() + _METADATA_CACHE_SECONDS, response.text)
    return response.text


def _slo_url(acs_url: str) -> str:
    # The domain's /saml2/logout beside its /saml2/idpresponse.
    return acs_url.rsplit("/saml2/", 1)[0] + "/saml2/logout"


@contextmanager
def _client(ctx: RequestContext, pool_id: str, provider: Provider, acs_url: str) -> Iterator[Any]:
    """A pysaml2 SP client for this pool and IdP; its key files live while it is used."""
    with warnings.catch_warnings():
        # pysaml2 names a cipher mode cryptography has moved; nothing here uses it.
        warnings.filterwarnings("ignore", message=".*cryptography.hazmat.decrepit")
        from saml2 import BINDING_HTTP_POST
        from saml2.client import Saml2Client
        from saml2.config import SPConfig

    xmlsec = shutil.which(XMLSEC)
    if xmlsec is None:
        raise SamlFailure(NO_XMLSEC)
    details = provider.settings["ProviderDetails"]
    document = metadata_document(provider)
    certificate = signing_certificate.current(ctx, pool_id)
    with tempfile.TemporaryDirectory(prefix="poolmail-saml-") as directory:
        key_file = Path(directory, "key.pem")
        cert_file = Path(directory, "cert.pem")
        key_file.write_text(certificate["private_key"])
        body = certificate["certificate"]
        lines = [body[i : i + 64] for i in range(0, len(body), 64)]
        cert_file.write_text(
            "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"
        )
        config = SPConfig()
        config.load(
            {
                "entityid": entity_id(pool_id),
                "xmlsec_binary": xmlsec,
                "metadata": {"inline": [document]},
                "key_file": str(key_file),
                "cert_file": str(cert_file),
                # EncryptedResponses: the IdP encrypts to the pool's certificate.
                "encryption_keypairs": [{"key_file": str(key_file), "cert_file": str(cert_file)}],
                "allow_unknown_attributes": True,
                "service": {
                    "sp": {
                        "endpoints": {
                            "assertion_consumer_service": [(acs_url, BINDING_HTTP_POST)],
                            # "/saml2/logout ... Accepts POST binding only" [doc FED].
                            "single_logout_service": [(_slo_url(acs_url), BINDING_HTTP_POST)],
                        },
                        "allow_unsolicited": details.get("IDPInit") == "true",
                        "authn_requests_signed": bool(details.get("RequestSigningAlgorithm")),
                        "want_response_signed": False,
                        "want_assertions_signed": False,
                        # Cognito requires the IdP to sign the response or the assertion.
                        "want_assertions_or_response_signed": True,
                    }
                },
            }
        )
        yield Saml2Client(config=config)


def authn_request_url(
    ctx: RequestContext, pool_id: str, provider: Provider, acs_url: str, relay_state: str
) -> tuple[str, str]:
    """The IdP's single sign-on URL carrying a new AuthnRequest, and the request's ID."""
    from saml2 import BINDING_HTTP_REDIRECT
    from saml2.xmldsig import SIG_RSA_SHA256

    details = provider.settings["ProviderDetails"]
    idp = saml_metadata(metadata_document(provider))
    signed = bool(details.get("RequestSigningAlgorithm"))
    with _client(ctx, pool_id, provider, acs_url) as client:
        try:
            request_id, info = client.prepare_for_authenticate(
                entityid=idp["entity_id"],
                relay_state=relay_state,
                binding=BINDING_HTTP_REDIRECT,
                sign=signed,
                sigalg=SIG_RSA_SHA256 if signed else None,
            )
        except Exception as error:  # pysaml2 raises bare Exceptions for bad metadata
            raise SamlFailure(f"Unable to build a SAML request: {error}") from None
    location = dict(info["headers"])["Location"]
    return str(location), str(request_id)


def verified_assertion(
    ctx: RequestContext,
    pool_id: str,
    provider: Provider,
    acs_url: str,
    saml_response: str,
    request_id: str | None,
) -> Assertion:
    """The signed-in subject of a posted SAMLResponse, once pysaml2 has checked its
    signature, audience, destination, validity window and InResponseTo."""
    from saml2 import BINDING_HTTP_POST

    outstanding = {request_id: acs_url} if request_id else {}
    with _client(ctx, pool_id, provider, acs_url) as client:
        try:
            response = client.parse_authn_request_response(
                saml_response, BINDING_HTTP_POST, outstanding=outstanding
            )
        except Exception:  # pysaml2's many failures (signature, audience, time, status)
            raise SamlFailure(INVALID_RESPONSE) from None
    if response is None or response.assertion is None or response.name_id is None:
        raise SamlFailure(INVALID_RESPONSE)
    attributes: dict[str, list[str]] = {}
    for statement in response.assertion.attribute_statement or []:
        for attribute in statement.attribute:
            values = [str(value.text or "") for value in attribute.attribute_value]
            attributes.setdefault(str(attribute.name), []).extend(values)
    return Assertion(str(response.name_id.text or "").strip(), attributes)


def logout_request_url(
    ctx: RequestContext,
    pool_id: str,
    provider: Provider,
    acs_url: str,
    name_id: str,
    relay_state: str,
) -> tuple[str, str] | None:
    """The IdP's single logout URL carrying a signed LogoutRequest for ``name_id``, and the
    request's ID; None when the IdP's metadata names no HTTP-Redirect logout service."""
    from saml2 import BINDING_HTTP_REDIRECT
    from saml2.saml import NameID
    from saml2.xmldsig import SIG_RSA_SHA256

    idp = saml_metadata(metadata_document(provider))
    destination = idp.get("SLORedirectBindingURI")
    if not destination:
        return None
    with _client(ctx, pool_id, provider, acs_url) as client:
        request_id, request = client.create_logout_request(
            destination, idp["entity_id"], name_id=NameID(text=name_id), sign=False
        )
        info = client.apply_binding(
            BINDING_HTTP_REDIRECT,
            str(request),
            destination,
            relay_state,
            sign=True,
            sigalg=SIG_RSA_SHA256,
        )
    return str(dict(info["headers"])["Location"]), str(request_id)


def logout_succeeded(
    ctx: RequestContext,
    pool_id: str,
    provider: Provider,
    acs_url: str,
    saml_response: str,
    request_id: str,
) -> bool:
    """Whether a posted LogoutResponse is the IdP's signed-off answer to ``request_id``."""
    from saml2 import BINDING_HTTP_POST

    with _client(ctx, pool_id, provider, acs_url) as client:
        try:
            response = client.parse_logout_request_response(saml_response, BINDING_HTTP_POST)
        except Exception:  # pysaml2's failures: signature, destination, status
            return False
    if response is None or response.response.in_response_to != request_id:
        return False
    return bool(response.status_ok())


@dataclass(frozen=True, slots=True)
class LogoutRequest:
    name_id: str
    # The IdP's single logout URL carrying poolmail's LogoutResponse.
    response_url: str


def answered_logout_request(
    ctx: RequestContext,
    pool_id: str,
    provider: Provider,
    acs_url: str,
    saml_request: str,
    relay_state: str,
) -> LogoutRequest | None:
    """A LogoutRequest this IdP posted (signed by it, for this pool), and the URL of the
    answer; None when it is not this IdP's valid request."""
    from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
    from saml2.xmldsig import SIG_RSA_SHA256

    destination = saml_metadata(metadata_document(provider)).get("SLORedirectBindingURI")
    if not destination:
        return None
    with _client(ctx, pool_id, provider, acs_url) as client:
        try:
            parsed = client.parse_logout_request(saml_request, BINDING_HTTP_POST)
        except Exception:  # another IdP's, unsigned, altered, expired
            return None
        message = None if parsed is None else parsed.message
        if message is None or message.name_id is None or not _signed(message):
            return None
        response = client.create_logout_response(message, [BINDING_HTTP_REDIRECT])
        info = client.apply_binding(
            BINDING_HTTP_REDIRECT,
            str(response),
            destination,
            relay_state,
            response=True,
            sign=True,
            sigalg=SIG_RSA_SHA256,
        )
    location = str(dict(info["headers"])["Location"])
    return LogoutRequest(str(message.name_id.text or "").strip(), location)


def _signed(message: Any) -> bool:
    # pysaml2 checks a signature that is there; a sign-out nobody signed is refused.
    return message.signature is not None
