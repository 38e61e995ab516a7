"""Client ID metadata documents themselves: fetched from their https URL, checked as Cognito
checks them, and kept beside the cached URL (cognito_cimd_urls, client_metadata.py) for the
cache's lifetime.

"CIMD clients are public clients. The metadata document's token_endpoint_auth_method value
must support none ... CIMD doesn't support the client_credentials grant"
(cognito/latest/developerguide/cognito-user-pools-client-id-metadata.html); the document's
members are those of OAuth dynamic client registration (RFC 7591) as the CIMD draft
(draft-ietf-oauth-client-id-metadata-document) uses them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from poolmail.store import Transaction

# Not found: AWS's limits. Choice: the draft's advice, a small document (5 KB) fetched
# without following redirects, within a few seconds.
MAX_BYTES = 5 * 1024
TIMEOUT_SECONDS = 5.0
# RFC 7591 2: what an omitted member means.
DEFAULT_GRANT_TYPES = ("authorization_code",)
DEFAULT_RESPONSE_TYPES = ("code",)
PUBLIC = "none"

_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*(\d+)", re.IGNORECASE)


class DocumentRefused(Exception):
    """The metadata URL gave no usable document; the message says why (Choice: AWS's
    texts were not found)."""


@dataclass(frozen=True, slots=True)
class Document:
    url: str
    redirect_uris: tuple[str, ...]
    grant_types: tuple[str, ...]
    response_types: tuple[str, ...]
    # None: the document sets no `scope`, so the app client's scopes apply.
    scopes: tuple[str, ...] | None
    raw: dict[str, Any]


def fetch(url: str) -> tuple[Document, int | None]:
    """The checked document at ``url`` and the max-age of its Cache-Control (None when
    unset). TLS is verified against the system's trust store, or SSL_CERT_FILE."""
    import httpx

    try:
        with (
            httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False) as client,
            client.stream("GET", url, headers={"Accept": "application/json"}) as response,
        ):
            if response.status_code != 200:
                raise DocumentRefused(
                    f"The client metadata document URL answered HTTP {response.status_code}."
                )
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_BYTES:
                    raise DocumentRefused(
                        f"The client metadata document is larger than {MAX_BYTES} bytes."
                    )
            cache_control = response.headers.get("cache-control", "")
    except httpx.HTTPError as error:
        raise DocumentRefused(
            f"The client metadata document could not be retrieved: {error}"
        ) from None
    try:
        raw = json.loads(body)
    except ValueError:
        raise DocumentRefused("The client metadata document is not valid JSON.") from None
    found = _MAX_AGE.search(cache_control)
    return check(url, raw), int(found[1]) if found else None


def _strings(raw: dict[str, Any], member: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = raw.get(member)
    if value is None:
        return default
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise DocumentRefused(f"The client metadata document's {member} must be a list of strings.")
    return tuple(value)


def check(url: str, raw: Any) -> Document:
    """The document, if Cognito would accept it for ``url``; DocumentRefused otherwise."""
    if not isinstance(raw, dict):
        raise DocumentRefused("The client metadata document must be a JSON object.")
    # The draft: "client_id ... MUST match the URL of the document using simple string
    # comparison".
    if raw.get("client_id") != url:
        raise DocumentRefused(
            "The client_id of the client metadata document does not match its URL."
        )
    redirects = _strings(raw, "redirect_uris", ())
    if not redirects:
        raise DocumentRefused("The client metadata document lists no redirect_uris.")
    # Choice: an omitted method means client_secret_basic (RFC 7591 2), which a CIMD
    # client may not use: the document must say `none`.
    if raw.get("token_endpoint_auth_method") != PUBLIC:
        raise DocumentRefused(
            "The client metadata document's token_endpoint_auth_method must be none."
        )
    scope = raw.get("scope")
    if scope is not None and not isinstance(scope, str):
        raise DocumentRefused("The client metadata document's scope must be a string.")
    return Document(
        url=url,
        redirect_uris=redirects,
        grant_types=_strings(raw, "grant_types", DEFAULT_GRANT_TYPES),
        response_types=_strings(raw, "response_types", DEFAULT_RESPONSE_TYPES),
        scopes=None if scope is None else tuple(scope.split()),
        raw=raw,
    )


def store(tx: Transaction, pool_id: str, policy_id: str, document: Document) -> None:
    forget(tx, policy_id, document.url)
    tx.execute(
        "INSERT INTO cognito_cimd_documents (pool_id, policy_id, url, document) "
        "VALUES (?, ?, ?, ?)",
        (pool_id, policy_id, document.url, json.dumps(document.raw)),
    )


def forget(tx: Transaction, policy_id: str, url: str | None = None) -> None:
    """Drop a URL's document, or (``url`` None) every document of the policy."""
    if url is None:
        tx.execute("DELETE FROM cognito_cimd_documents WHERE policy_id = ?", (policy_id,))
        return
    tx.execute(
        "DELETE FROM cognito_cimd_documents WHERE policy_id = ? AND url = ?", (policy_id, url)
    )


def cached(tx: Transaction, policy_id: str, url: str, now: float) -> Document | None:
    """The document kept for ``url`` while its cache lasts; None when none is."""
    row = tx.fetchone(
        "SELECT d.document FROM cognito_cimd_documents d JOIN cognito_cimd_urls u "
        "ON u.policy_id = d.policy_id AND u.url = d.url "
        "WHERE d.policy_id = ? AND d.url = ? AND u.expires_at > ?",
        (policy_id, url, now),
    )
    if row is None:
        return None
    try:
        return check(url, json.loads(row[0]))
    except DocumentRefused:
        return None
