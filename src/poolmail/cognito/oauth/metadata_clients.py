"""Managed login's clients named by an https URL: a client ID metadata document (CIMD) client
is accepted as the app client of the CIMD policy its URL matches, restricted by its document
(cognito/latest/developerguide/cognito-user-pools-client-id-metadata.html).

"Amazon Cognito fetches the document during the /oauth2/authorize request" and "uses the
document as the client's registration for that request"; the document is cached for the
policy's cache duration (client_metadata.receive), so the URL shows in
ListClientMetadataURLs, and the token endpoint finds it there.

Choice (not found: how AWS names a CIMD client in its tokens): the request runs as the
mapped app client, so tokens carry the app client's ID as `aud`/`client_id`, which is what
the pool's token verifiers know; the code remembers the URL and is redeemed only with it.
"""

from __future__ import annotations

import dataclasses

from poolmail.cognito.clients import client_metadata, client_metadata_documents
from poolmail.cognito.clients.client_metadata_documents import Document, DocumentRefused
from poolmail.cognito.clients.client_secrets import SECRETS
from poolmail.cognito.clients.clients import ClientRecord, find_client
from poolmail.context import RequestContext

# The metadata URL a client record stands for, kept in its (in-memory) settings.
METADATA_URL = "poolmail:ClientMetadataURL"
# The document's grant types ("Amazon Cognito allows a grant type for a CIMD client only
# when both the associated app client and the client's metadata document" allow it).
GRANT_TYPES = "poolmail:ClientMetadataGrantTypes"
# AllowedOAuthFlows value -> (grant type, response type) of the document that allows it.
_FLOWS = {"code": ("authorization_code", "code"), "implicit": ("implicit", "token")}

__all__ = ["DocumentRefused", "is_metadata_url", "metadata_url", "resolve"]


def is_metadata_url(client_id: str) -> bool:
    return client_id.startswith("https://")


def metadata_url(client: ClientRecord) -> str | None:
    """The metadata URL a resolved client stands for; None for an app client itself."""
    found = client.settings.get(METADATA_URL)
    return None if found is None else str(found)


def resolve(ctx: RequestContext, pool_id: str, url: str) -> ClientRecord | None:
    """The client ``url`` names in the pool: None when no policy's pattern matches it (or
    its app client is gone); DocumentRefused when its document cannot be had or is not
    acceptable. A cached document is used while its cache lasts; else it is fetched."""
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction(readonly=True) as tx:
        policy = client_metadata.matching(tx, pool_id, url)
        if policy is None:
            return None
        client = find_client(tx, policy.client_id)
        document = client_metadata_documents.cached(tx, policy.id, url, now)
    if client is None or client.pool_id != pool_id:
        return None
    if document is None:
        # Fetched outside any transaction: the URL may take seconds to answer.
        document, max_age = client_metadata_documents.fetch(url)
        with ctx.db.transaction() as tx:
            client_metadata.receive(tx, pool_id, url, now, max_age, document)
    return _restricted(client, document)


def _restricted(client: ClientRecord, document: Document) -> ClientRecord:
    settings = dict(client.settings)
    # "CIMD clients are public clients": the app client's secrets do not apply.
    settings.pop("ClientSecret", None)
    settings.pop(SECRETS, None)
    # Choice: the document's redirect_uris are the client's callback URLs; the app
    # client's own (and its DefaultRedirectURI) belong to the app client.
    settings["CallbackURLs"] = list(document.redirect_uris)
    settings.pop("DefaultRedirectURI", None)
    settings["AllowedOAuthFlows"] = [
        flow
        for flow in settings.get("AllowedOAuthFlows") or []
        if flow in _FLOWS
        and _FLOWS[flow][0] in document.grant_types
        and _FLOWS[flow][1] in document.response_types
    ]
    if document.scopes is not None:
        # Choice: a document's `scope` narrows the app client's scopes.
        allowed = settings.get("AllowedOAuthScopes") or []
        settings["AllowedOAuthScopes"] = [s for s in allowed if s in document.scopes]
    settings[METADATA_URL] = document.url
    settings[GRANT_TYPES] = list(document.grant_types)
    return dataclasses.replace(client, settings=settings)
