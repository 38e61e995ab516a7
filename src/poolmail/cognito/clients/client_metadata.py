"""Client ID metadata document (CIMD) policies, and the metadata URLs cached for them.

"A CIMD policy maps a set of metadata URL patterns to exactly one existing user pool app
client": an external OAuth client names itself with an https URL as its client_id, and
Cognito accepts it when the URL matches a pattern of a policy
(cognito/latest/developerguide/cognito-user-pools-client-id-metadata.html). ``receive``
is how a metadata URL enters a policy's cache; the cache's state is what
ListClientMetadataURLs shows and UpdateClientMetadataURLState changes.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from poolmail.cognito.clients import client_metadata_documents
from poolmail.cognito.clients.client_metadata_documents import Document, DocumentRefused
from poolmail.cognito.clients.clients import client_not_found, find_client
from poolmail.cognito.pools import tiers
from poolmail.cognito.pools.user_pools import StoredPool, load_pool
from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.paging import keyset_page
from poolmail.protocol.errors import AwsError
from poolmail.store import Transaction

# "If you don't set a value, the default is 86,400 seconds" (API_CreateCIMDPolicy).
DEFAULT_CACHE_SECONDS = 86400
# Choice (not found): the plan CIMD needs. It is a managed-login (/oauth2/authorize)
# feature, and the model lists FeatureUnavailableInTierException; poolmail asks for
# Essentials, as other managed-login features do.
FEATURE = "Client ID metadata documents"
_COLUMNS = "id, created_at, pool_id, client_id, name, cache_duration, modified_at, data"


@dataclass(slots=True)
class Policy:
    id: str
    pool_id: str
    client_id: str
    name: str
    cache_duration: int
    created: float
    modified: float
    patterns: list[str] = field(default_factory=list)


def _of(row: tuple[Any, ...]) -> Policy:
    policy_id, created, pool_id, client_id, name, duration, modified, data = row
    return Policy(
        str(policy_id),
        str(pool_id),
        str(client_id),
        str(name),
        int(duration),
        float(created),
        float(modified),
        list(json.loads(data)["URLPatterns"]),
    )


def _summary(tx: Transaction, policy: Policy) -> dict[str, Any]:
    shown: dict[str, Any] = {"CIMDPolicyId": policy.id, "PolicyName": policy.name}
    # "Amazon Cognito omits this value when the app client no longer exists" [model].
    client = find_client(tx, policy.client_id)
    if client is not None and client.pool_id == policy.pool_id:
        shown["ClientId"] = policy.client_id
    shown["CacheDuration"] = policy.cache_duration
    shown["CreationDate"] = policy.created
    shown["LastModifiedDate"] = policy.modified
    return shown


def _shape(tx: Transaction, policy: Policy) -> dict[str, Any]:
    return {
        "UserPoolId": policy.pool_id,
        **_summary(tx, policy),
        "URLPatterns": list(policy.patterns),
    }


def _load(tx: Transaction, pool_id: str, policy_id: str) -> Policy:
    row = tx.fetchone(
        f"SELECT {_COLUMNS} FROM cognito_cimd_policies WHERE id = ? AND pool_id = ?",
        (policy_id, pool_id),
    )
    if row is None:
        # Choice: AWS's text was not found; it names the policy as other not-found errors do.
        raise AwsError("ResourceNotFoundException", f"CIMD policy {policy_id} does not exist.")
    return _of(tuple(row))


def _check_client(tx: Transaction, pool: StoredPool, client_id: str) -> None:
    client = find_client(tx, client_id)
    if client is None or client.pool_id != pool.id:
        raise client_not_found(client_id)


def _save(tx: Transaction, policy: Policy) -> None:
    tx.execute(
        "UPDATE cognito_cimd_policies SET client_id = ?, name = ?, cache_duration = ?, "
        "modified_at = ?, data = ? WHERE id = ?",
        (
            policy.client_id,
            policy.name,
            policy.cache_duration,
            policy.modified,
            json.dumps({"URLPatterns": policy.patterns}),
            policy.id,
        ),
    )


def matches(pattern: str, url: str) -> bool:
    """Whether ``url`` matches a policy pattern; "Patterns can contain the * wildcard
    character" [model]. Choice: * stands for any run of characters, the rest is literal."""
    regex = ".*".join(re.escape(part) for part in pattern.split("*"))
    return re.fullmatch(regex, url) is not None


def matching(tx: Transaction, pool_id: str, url: str) -> Policy | None:
    """The pool's first policy (in creation order) with a pattern ``url`` matches."""
    rows = tx.fetchall(
        f"SELECT {_COLUMNS} FROM cognito_cimd_policies WHERE pool_id = ? ORDER BY created_at, id",
        (pool_id,),
    )
    for row in rows:
        policy = _of(tuple(row))
        if any(matches(pattern, url) for pattern in policy.patterns):
            return policy
    return None


def receive(
    tx: Transaction,
    pool_id: str,
    url: str,
    now: float,
    max_age: int | None = None,
    document: Document | None = None,
) -> Policy | None:
    """The policy a metadata URL matches, its document now cached; None when none matches."""
    policy = matching(tx, pool_id, url)
    if policy is not None:
        _cache(tx, policy, url, now, max_age, document)
    return policy


def _cache(
    tx: Transaction,
    policy: Policy,
    url: str,
    now: float,
    max_age: int | None,
    document: Document | None,
) -> None:
    # A Cache-Control max-age between one day and one year wins over the policy's
    # CacheDuration (API_CIMDPolicyType).
    seconds = policy.cache_duration
    if max_age is not None and 86400 <= max_age <= 31556952:
        seconds = max_age
    tx.execute("DELETE FROM cognito_cimd_urls WHERE policy_id = ? AND url = ?", (policy.id, url))
    tx.execute(
        "INSERT INTO cognito_cimd_urls (pool_id, policy_id, url, created_at, expires_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (policy.pool_id, policy.id, url, now, now + seconds),
    )
    if document is not None:
        client_metadata_documents.store(tx, policy.pool_id, policy.id, document)


# --- operations -----------------------------------------------------------------------------


def create_cimd_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction() as tx:
        pool = load_pool(tx, ctx, params["UserPoolId"])
        tiers.require(pool.settings, tiers.ESSENTIALS, FEATURE)
        _check_client(tx, pool, params["ClientId"])
        policy = Policy(
            uuid.uuid4().hex,
            pool.id,
            params["ClientId"],
            params["PolicyName"],
            params.get("CacheDuration") or DEFAULT_CACHE_SECONDS,
            now,
            now,
            list(params["URLPatterns"]),
        )
        tx.execute(
            "INSERT INTO cognito_cimd_policies (id, pool_id, client_id, name, cache_duration, "
            "created_at, modified_at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                policy.id,
                policy.pool_id,
                policy.client_id,
                policy.name,
                policy.cache_duration,
                now,
                now,
                json.dumps({"URLPatterns": policy.patterns}),
            ),
        )
        return {"CIMDPolicy": _shape(tx, policy)}


def describe_cimd_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with ctx.db.transaction(readonly=True) as tx:
        pool = load_pool(tx, ctx, params["UserPoolId"])
        return {"CIMDPolicy": _shape(tx, _load(tx, pool.id, params["CIMDPolicyId"]))}


def update_cimd_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with ctx.db.transaction() as tx:
        pool = load_pool(tx, ctx, params["UserPoolId"])
        tiers.require(pool.settings, tiers.ESSENTIALS, FEATURE)
        policy = _load(tx, pool.id, params["CIMDPolicyId"])
        _check_client(tx, pool, params["ClientId"])
        policy.client_id = params["ClientId"]
        policy.patterns = list(params["URLPatterns"])
        # "If you don't set a value, Amazon Cognito keeps the current cache duration"
        # (API_UpdateCIMDPolicy); the name likewise.
        policy.name = params.get("PolicyName") or policy.name
        policy.cache_duration = params.get("CacheDuration") or policy.cache_duration
        policy.modified = ctx.clock.now().timestamp()
        _save(tx, policy)
        return {"CIMDPolicy": _shape(tx, policy)}


def delete_cimd_policy(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with ctx.db.transaction() as tx:
        pool = load_pool(tx, ctx, params["UserPoolId"])
        policy = _load(tx, pool.id, params["CIMDPolicyId"])
        tx.execute("DELETE FROM cognito_cimd_urls WHERE policy_id = ?", (policy.id,))
        client_metadata_documents.forget(tx, policy.id)
        tx.execute("DELETE FROM cognito_cimd_policies WHERE id = ?", (policy.id,))
    return {}


def list_cimd_policies(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with ctx.db.transaction(readonly=True) as tx:
        pool = load_pool(tx, ctx, params["UserPoolId"])
        rows, token = keyset_page(
            tx,
            f"SELECT {_COLUMNS} FROM cognito_cimd_policies WHERE pool_id = ?",
            [pool.id],
            key="id",
            token=params.get("NextToken"),
            token_error="InvalidParameterException",
            limit=params.get("MaxResults") or 60,
        )
        result: dict[str, Any] = {"CIMDPolicies": [_summary(tx, _of(tuple(r))) for r in rows]}
    if token:
        result["NextToken"] = token
    return result


def list_client_metadata_urls(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction(readonly=True) as tx:
        pool = load_pool(tx, ctx, params["UserPoolId"])
        policy = _load(tx, pool.id, params["CIMDPolicyId"])
        # Choice: a document whose cache expired is no longer listed.
        rows, token = keyset_page(
            tx,
            "SELECT url, created_at, expires_at FROM cognito_cimd_urls "
            "WHERE policy_id = ? AND expires_at > ?",
            [policy.id, now],
            key="url",
            token=params.get("NextToken"),
            token_error="InvalidParameterException",
            limit=params.get("MaxResults") or 60,
        )
    urls = [
        {"URL": str(url), "CachedDate": float(cached), "ExpirationDate": float(expires)}
        for url, cached, expires in rows
    ]
    result: dict[str, Any] = {"ClientMetadataURLs": urls}
    if token:
        result["NextToken"] = token
    return result


def update_client_metadata_url_state(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    url = params["URL"]
    with ctx.db.transaction(readonly=True) as tx:
        _cached_policy(tx, ctx, params, url)
    document: Document | None = None
    max_age: int | None = None
    if params["Action"] == "REFRESH":
        # REFRESH "retrieves the document from the URL again" [model]; outside any
        # transaction, as the fetch may take seconds.
        try:
            document, max_age = client_metadata_documents.fetch(url)
        except DocumentRefused as refused:
            # Choice (AWS's answer not found): the cached document stays; the reason is said.
            raise AwsError("InvalidParameterException", str(refused)) from None
    with ctx.db.transaction() as tx:
        policy = _cached_policy(tx, ctx, params, url)
        if document is None:
            tx.execute(
                "DELETE FROM cognito_cimd_urls WHERE policy_id = ? AND url = ?", (policy.id, url)
            )
            client_metadata_documents.forget(tx, policy.id, url)
        else:
            _cache(tx, policy, url, ctx.clock.now().timestamp(), max_age, document)
    return {}


def _cached_policy(
    tx: Transaction, ctx: RequestContext, params: dict[str, Any], url: str
) -> Policy:
    pool = load_pool(tx, ctx, params["UserPoolId"])
    tiers.require(pool.settings, tiers.ESSENTIALS, FEATURE)
    policy = _load(tx, pool.id, params["CIMDPolicyId"])
    cached = tx.fetchone(
        "SELECT 1 FROM cognito_cimd_urls WHERE policy_id = ? AND url = ? AND expires_at > ?",
        (policy.id, url, ctx.clock.now().timestamp()),
    )
    if cached is None:
        # Choice: AWS's text was not found.
        raise AwsError(
            "CachedCIMDURLDoesNotExistException",
            f"No client metadata document is cached for {url}.",
        )
    return policy


OPERATIONS: dict[str, Handler] = {
    "CreateCIMDPolicy": create_cimd_policy,
    "DescribeCIMDPolicy": describe_cimd_policy,
    "ListCIMDPolicies": list_cimd_policies,
    "UpdateCIMDPolicy": update_cimd_policy,
    "DeleteCIMDPolicy": delete_cimd_policy,
    "ListClientMetadataURLs": list_client_metadata_urls,
    "UpdateClientMetadataURLState": update_client_metadata_url_state,
}
