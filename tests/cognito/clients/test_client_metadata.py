"""Client ID metadata document (CIMD) policies of app clients, and their cached URLs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from poolmail.clock import SystemClock
from poolmail.cognito.clients import client_metadata
from poolmail.config import Settings
from poolmail.context import RequestContext
from poolmail.store import Database, open_database
from tests.support.postgres import fresh_database
from tests.support.server import ServerProcess
from tests.test_server_blackbox import error_of

PATTERNS = ["https://apps.example.com/*/client.json"]


def error(call: Any, **params: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    return error_of(excinfo)


def pool_and_client(server: ServerProcess, **settings: Any) -> tuple[Any, str, str]:
    cognito = server.client("cognito-idp")
    pool_id = cognito.create_user_pool(PoolName="shop", **settings)["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(UserPoolId=pool_id, ClientName="app")[
        "UserPoolClient"
    ]["ClientId"]
    return cognito, pool_id, client_id


def test_a_policy_is_created_described_updated_listed_deleted(live: ServerProcess) -> None:
    cognito, pool_id, client_id = pool_and_client(live)
    policy = cognito.create_cimd_policy(
        UserPoolId=pool_id, ClientId=client_id, PolicyName="partners", URLPatterns=PATTERNS
    )["CIMDPolicy"]
    policy_id = policy["CIMDPolicyId"]
    assert policy == {
        "UserPoolId": pool_id,
        "CIMDPolicyId": policy_id,
        "ClientId": client_id,
        "PolicyName": "partners",
        # "If you don't set a value, the default is 86,400 seconds."
        "CacheDuration": 86400,
        "URLPatterns": PATTERNS,
        "CreationDate": policy["CreationDate"],
        "LastModifiedDate": policy["LastModifiedDate"],
    }
    assert (
        cognito.describe_cimd_policy(UserPoolId=pool_id, CIMDPolicyId=policy_id)["CIMDPolicy"]
        == policy
    )
    httpx.post(f"{live.url}/_poolmail/clock", json={"advance_seconds": 5})
    updated = cognito.update_cimd_policy(
        UserPoolId=pool_id,
        CIMDPolicyId=policy_id,
        ClientId=client_id,
        URLPatterns=["https://*.example.org/cimd.json"],
        CacheDuration=172800,
    )["CIMDPolicy"]
    # The name is kept when omitted (API_UpdateCIMDPolicy).
    assert updated["PolicyName"] == "partners"
    assert updated["CacheDuration"] == 172800
    assert updated["URLPatterns"] == ["https://*.example.org/cimd.json"]
    assert updated["LastModifiedDate"] > policy["LastModifiedDate"]
    second = cognito.create_cimd_policy(
        UserPoolId=pool_id, ClientId=client_id, PolicyName="more", URLPatterns=PATTERNS
    )["CIMDPolicy"]["CIMDPolicyId"]
    page = cognito.list_cimd_policies(UserPoolId=pool_id, MaxResults=1)
    assert [item["CIMDPolicyId"] for item in page["CIMDPolicies"]] == [policy_id]
    assert "URLPatterns" not in page["CIMDPolicies"][0]
    rest = cognito.list_cimd_policies(UserPoolId=pool_id, NextToken=page["NextToken"])
    assert [item["CIMDPolicyId"] for item in rest["CIMDPolicies"]] == [second]
    # The client's deletion leaves the policy without its ClientId [model].
    cognito.delete_user_pool_client(UserPoolId=pool_id, ClientId=client_id)
    described = cognito.describe_cimd_policy(UserPoolId=pool_id, CIMDPolicyId=policy_id)
    assert "ClientId" not in described["CIMDPolicy"]
    cognito.delete_cimd_policy(UserPoolId=pool_id, CIMDPolicyId=policy_id)
    assert error(cognito.describe_cimd_policy, UserPoolId=pool_id, CIMDPolicyId=policy_id) == (
        "ResourceNotFoundException",
        f"CIMD policy {policy_id} does not exist.",
        400,
    )


def test_policies_are_refused_as_aws_refuses(live: ServerProcess) -> None:
    cognito, pool_id, client_id = pool_and_client(live)
    create = cognito.create_cimd_policy
    # The model's constraints, checked by the server itself (a client that checks none).
    unchecked = live.client("cognito-idp", validate=False).create_cimd_policy
    assert error(
        create, UserPoolId=pool_id, ClientId="nosuchclient", PolicyName="p", URLPatterns=PATTERNS
    ) == ("ResourceNotFoundException", "User pool client nosuchclient does not exist.", 400)
    code, _, _ = error(
        unchecked,
        UserPoolId=pool_id,
        ClientId=client_id,
        PolicyName="p",
        URLPatterns=["http://insecure.example.com/x"],
    )
    assert code == "InvalidParameterException"
    code, _, _ = error(
        unchecked,
        UserPoolId=pool_id,
        ClientId=client_id,
        PolicyName="p",
        URLPatterns=PATTERNS,
        CacheDuration=60,
    )
    assert code == "InvalidParameterException"
    _, lite, lite_client = pool_and_client(live, UserPoolTier="LITE")
    assert error(
        create, UserPoolId=lite, ClientId=lite_client, PolicyName="p", URLPatterns=PATTERNS
    ) == (
        "FeatureUnavailableInTierException",
        "The following features need to be disabled for the LITE pricing tier configured: "
        "Client ID metadata documents",
        400,
    )
    policy_id = create(
        UserPoolId=pool_id, ClientId=client_id, PolicyName="p", URLPatterns=PATTERNS
    )["CIMDPolicy"]["CIMDPolicyId"]
    assert (
        cognito.list_client_metadata_urls(UserPoolId=pool_id, CIMDPolicyId=policy_id)[
            "ClientMetadataURLs"
        ]
        == []
    )
    url = "https://apps.example.com/a/client.json"
    assert error(
        cognito.update_client_metadata_url_state,
        UserPoolId=pool_id,
        CIMDPolicyId=policy_id,
        URL=url,
        Action="REFRESH",
    ) == (
        "CachedCIMDURLDoesNotExistException",
        f"No client metadata document is cached for {url}.",
        400,
    )


# --- in process: the cache a metadata URL enters when a client presents it -------------------


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest) -> Iterator[Database]:
    if request.param == "sqlite":
        database = open_database(data_dir=":memory:")
        yield database
        database.close()
        return
    with fresh_database() as url:
        database = open_database(database_url=url)
        yield database
        database.close()


def context(db: Database, operation: str) -> RequestContext:
    return RequestContext(
        service="cognito-idp",
        operation=operation,
        account_id="123456789012",
        region="us-east-1",
        request_id="test",
        signed=True,
        db=db,
        clock=SystemClock(),
        settings=Settings(),
    )


def test_a_received_url_is_cached_refreshed_and_invalidated(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from poolmail.cognito.clients import client_metadata_documents, clients
    from poolmail.cognito.pools import user_pools

    ctx = context(db, "Test")
    pool_id = user_pools.create_user_pool(ctx, {"PoolName": "shop"})["UserPool"]["Id"]
    client_id = clients.create_user_pool_client(ctx, {"UserPoolId": pool_id, "ClientName": "app"})[
        "UserPoolClient"
    ]["ClientId"]
    policy_id = client_metadata.create_cimd_policy(
        ctx,
        {"UserPoolId": pool_id, "ClientId": client_id, "PolicyName": "p", "URLPatterns": PATTERNS},
    )["CIMDPolicy"]["CIMDPolicyId"]
    url = "https://apps.example.com/acme/client.json"
    with db.transaction() as tx:
        assert (
            client_metadata.receive(tx, pool_id, "https://other.example.com/x.json", 1000.0) is None
        )
        received = client_metadata.receive(tx, pool_id, url, 1000.0, max_age=3 * 86400)
    assert received is not None and received.id == policy_id
    listed = client_metadata.list_client_metadata_urls(
        ctx, {"UserPoolId": pool_id, "CIMDPolicyId": policy_id}
    )
    assert listed == {"ClientMetadataURLs": []}  # cached at 1000.0: long expired by now
    now = ctx.clock.now().timestamp()
    with db.transaction() as tx:
        client_metadata.receive(tx, pool_id, url, now)
    listed = client_metadata.list_client_metadata_urls(
        ctx, {"UserPoolId": pool_id, "CIMDPolicyId": policy_id}
    )
    assert listed == {
        "ClientMetadataURLs": [{"URL": url, "CachedDate": now, "ExpirationDate": now + 86400}]
    }
    state = {"UserPoolId": pool_id, "CIMDPolicyId": policy_id, "URL": url}
    # REFRESH fetches the document again (tests/cognito/oauth/test_metadata_clients.py
    # fetches it from a real HTTPS server); here, a document as fetched.
    document = client_metadata_documents.check(
        url, {"client_id": url, "redirect_uris": [url], "token_endpoint_auth_method": "none"}
    )
    monkeypatch.setattr(client_metadata_documents, "fetch", lambda _: (document, None))
    client_metadata.update_client_metadata_url_state(ctx, {**state, "Action": "REFRESH"})
    refreshed = client_metadata.list_client_metadata_urls(
        ctx, {"UserPoolId": pool_id, "CIMDPolicyId": policy_id}
    )["ClientMetadataURLs"][0]
    assert refreshed["CachedDate"] >= now
    client_metadata.update_client_metadata_url_state(ctx, {**state, "Action": "INVALIDATE"})
    assert client_metadata.list_client_metadata_urls(
        ctx, {"UserPoolId": pool_id, "CIMDPolicyId": policy_id}
    ) == {"ClientMetadataURLs": []}


def test_patterns_match_with_the_wildcard() -> None:
    assert client_metadata.matches(
        "https://*.example.org/cimd.json", "https://a.b.example.org/cimd.json"
    )
    assert not client_metadata.matches(
        "https://*.example.org/cimd.json", "https://example.org/cimd.json"
    )
    assert client_metadata.matches("https://x.example.com/c.json", "https://x.example.com/c.json")
    assert not client_metadata.matches(
        "https://x.example.com/c.json", "https://x.example.com/c.json?"
    )
