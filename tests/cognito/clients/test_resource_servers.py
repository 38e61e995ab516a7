"""Resource servers: create, describe, list with pages, update resetting omitted scopes,
delete; the refusals; app clients' AllowedOAuthScopes checked against them, and a deleted
scope's association kept inactive."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from poolmail.clock import SystemClock
from poolmail.cognito.clients import resource_servers
from poolmail.cognito.pools import user_pools
from poolmail.config import Settings
from poolmail.context import RequestContext
from poolmail.store import open_database
from tests.cognito.helpers import error_of, idp, make_client, make_pool
from tests.support.server import ServerProcess

SCOPES = [
    {"ScopeName": "photos.read", "ScopeDescription": "Read photos"},
    {"ScopeName": "photos.write", "ScopeDescription": "Write photos"},
]
API = "https://photos.example.com"


def create(server: ServerProcess, pool_id: str, identifier: str = API, **more: Any) -> Any:
    more.setdefault("Scopes", SCOPES)
    return idp(server).create_resource_server(
        UserPoolId=pool_id, Identifier=identifier, Name="Photos API", **more
    )["ResourceServer"]


def refused(call: Any, **params: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    return error_of(excinfo)


def test_create_describe_update_delete(live: ServerProcess) -> None:
    cognito = idp(live)
    pool_id = make_pool(live)
    server = create(live, pool_id)
    assert server == {
        "UserPoolId": pool_id,
        "Identifier": API,
        "Name": "Photos API",
        "Scopes": SCOPES,
    }
    described = cognito.describe_resource_server(UserPoolId=pool_id, Identifier=API)
    assert described["ResourceServer"] == server

    # Omitted scopes are reset: "If you don't provide a value for an attribute, it is set
    # to the default value."
    updated = cognito.update_resource_server(UserPoolId=pool_id, Identifier=API, Name="Renamed")
    assert updated["ResourceServer"] == {
        "UserPoolId": pool_id,
        "Identifier": API,
        "Name": "Renamed",
    }
    again = cognito.update_resource_server(
        UserPoolId=pool_id, Identifier=API, Name="Photos API", Scopes=SCOPES[:1]
    )["ResourceServer"]
    assert again["Scopes"] == SCOPES[:1]
    assert (
        cognito.describe_resource_server(UserPoolId=pool_id, Identifier=API)["ResourceServer"]
        == again
    )

    cognito.delete_resource_server(UserPoolId=pool_id, Identifier=API)
    missing = f"Resource server {API} does not exist in user pool {pool_id}."
    for call in (cognito.describe_resource_server, cognito.delete_resource_server):
        assert refused(call, UserPoolId=pool_id, Identifier=API) == (
            "ResourceNotFoundException",
            missing,
        )
    assert refused(
        cognito.update_resource_server, UserPoolId=pool_id, Identifier=API, Name="x"
    ) == ("ResourceNotFoundException", missing)


def test_list_pages(live: ServerProcess) -> None:
    cognito = idp(live)
    pool_id = make_pool(live)
    for number in range(5):
        create(live, pool_id, f"api-{number}", Scopes=[])
    first = cognito.list_resource_servers(UserPoolId=pool_id, MaxResults=3)
    assert [server["Identifier"] for server in first["ResourceServers"]] == [
        "api-0",
        "api-1",
        "api-2",
    ]
    assert first["ResourceServers"][0] == {
        "UserPoolId": pool_id,
        "Identifier": "api-0",
        "Name": "Photos API",
    }
    rest = cognito.list_resource_servers(
        UserPoolId=pool_id, MaxResults=3, NextToken=first["NextToken"]
    )
    assert [server["Identifier"] for server in rest["ResourceServers"]] == ["api-3", "api-4"]
    assert "NextToken" not in rest
    other = make_pool(live)
    assert cognito.list_resource_servers(UserPoolId=other, MaxResults=10)["ResourceServers"] == []


def test_refusals(live: ServerProcess) -> None:
    cognito = idp(live)
    pool_id = make_pool(live)
    create(live, pool_id)
    assert refused(
        cognito.create_resource_server, UserPoolId=pool_id, Identifier=API, Name="Again"
    ) == ("InvalidParameterException", f"{API} already exists in user pool {pool_id}.")
    # The same identifier in another pool is another server.
    create(live, make_pool(live))
    assert refused(
        cognito.create_resource_server,
        UserPoolId="us-east-1_Missing12",
        Identifier=API,
        Name="x",
    ) == ("ResourceNotFoundException", "User pool us-east-1_Missing12 does not exist.")
    # A scope name has no slash [model ResourceServerScopeNameType].
    code, message = refused(
        cognito.create_resource_server,
        UserPoolId=pool_id,
        Identifier="other",
        Name="x",
        Scopes=[{"ScopeName": "a/b", "ScopeDescription": "d"}],
    )
    assert code == "InvalidParameterException"
    assert message.startswith("1 validation error detected: Value 'a/b' at 'scopes.1.member.")
    # At most 100 scopes.
    many = [{"ScopeName": f"s{n}", "ScopeDescription": "d"} for n in range(101)]
    code, message = refused(
        cognito.create_resource_server,
        UserPoolId=pool_id,
        Identifier="many",
        Name="x",
        Scopes=many,
    )
    assert (code, message.split(": ", 1)[0]) == (
        "InvalidParameterException",
        "1 validation error detected",
    )
    assert "Member must have length less than or equal to 100" in message


def test_twenty_five_per_pool(live: ServerProcess) -> None:
    pool_id = make_pool(live)
    for number in range(25):
        create(live, pool_id, f"api-{number}", Scopes=[])
    assert refused(
        idp(live).create_resource_server, UserPoolId=pool_id, Identifier="api-25", Name="x"
    ) == ("LimitExceededException", resource_servers.LIMIT)
    servers = idp(live).list_resource_servers(UserPoolId=pool_id, MaxResults=50)
    assert len(servers["ResourceServers"]) == 25


def test_client_scopes_must_exist(live: ServerProcess) -> None:
    cognito = idp(live)
    pool_id = make_pool(live)
    oauth = {
        "AllowedOAuthFlowsUserPoolClient": True,
        "AllowedOAuthFlows": ["code"],
        "CallbackURLs": ["https://app.example.com/callback"],
    }
    scopes = ["openid", f"{API}/photos.read"]
    with pytest.raises(ClientError) as excinfo:
        make_client(live, pool_id, AllowedOAuthScopes=scopes, **oauth)
    assert error_of(excinfo) == (
        "ScopeDoesNotExistException",
        f"Invalid scope requested: {pool_id}|{API}/photos.read",
    )
    with pytest.raises(ClientError) as excinfo:
        make_client(live, pool_id, AllowedOAuthScopes=["Cognito"], **oauth)
    assert error_of(excinfo) == ("ScopeDoesNotExistException", "Invalid scope requested: Cognito")

    create(live, pool_id)
    client_id = make_client(live, pool_id, AllowedOAuthScopes=scopes, **oauth)
    # A scope of the same name in another pool does not count.
    other = make_pool(live)
    with pytest.raises(ClientError) as excinfo:
        make_client(live, other, AllowedOAuthScopes=scopes, **oauth)
    assert error_of(excinfo)[0] == "ScopeDoesNotExistException"

    # Deleting the scope keeps the client's association (inactive): the client still
    # lists it, and re-adding the scope revives it.
    cognito.update_resource_server(
        UserPoolId=pool_id, Identifier=API, Name="Photos API", Scopes=SCOPES[1:]
    )
    described = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)
    assert described["UserPoolClient"]["AllowedOAuthScopes"] == scopes
    # Updating the client with the removed scope is refused, as creating one is.
    with pytest.raises(ClientError) as excinfo:
        cognito.update_user_pool_client(
            UserPoolId=pool_id, ClientId=client_id, AllowedOAuthScopes=scopes, **oauth
        )
    assert error_of(excinfo)[0] == "ScopeDoesNotExistException"
    # A whole server referenced by a client is deleted cleanly.
    cognito.delete_resource_server(UserPoolId=pool_id, Identifier=API)
    assert (
        cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"][
            "AllowedOAuthScopes"
        ]
        == scopes
    )
    create(live, pool_id)
    cognito.update_user_pool_client(
        UserPoolId=pool_id, ClientId=client_id, AllowedOAuthScopes=scopes, **oauth
    )


def test_active_scopes_leave_out_deleted_ones() -> None:
    # In process: what token issuance asks (a deleted scope's association is inactive).
    db = open_database(data_dir=":memory:")
    ctx = RequestContext(
        service="cognito-idp",
        operation="Test",
        account_id="123456789012",
        region="us-east-1",
        request_id="test",
        signed=True,
        db=db,
        clock=SystemClock(),
        settings=Settings(),
    )
    pool_id = user_pools.create_user_pool(ctx, {"PoolName": "shop"})["UserPool"]["Id"]
    params = {"UserPoolId": pool_id, "Identifier": API, "Name": "Photos", "Scopes": SCOPES}
    resource_servers.create_resource_server(ctx, params)
    client_scopes = ["openid", f"{API}/photos.read", f"{API}/photos.write", "other/x"]
    with db.transaction(readonly=True) as tx:
        assert resource_servers.active_scopes(tx, pool_id, client_scopes) == client_scopes[:3]
    resource_servers.update_resource_server(ctx, {**params, "Scopes": SCOPES[1:]})
    with db.transaction(readonly=True) as tx:
        assert resource_servers.active_scopes(tx, pool_id, client_scopes) == [
            "openid",
            f"{API}/photos.write",
        ]
    db.close()
