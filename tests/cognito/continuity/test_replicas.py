"""Multi-Region replication: a pool's secondary replica, its statuses in time, and what
the secondary region serves."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.support.server import ServerProcess
from tests.test_server_blackbox import error_of

ACCOUNT = "123456789012"
PRIMARY = "us-east-1"
SECONDARY = "eu-west-1"


def advance(server: ServerProcess, seconds: float) -> None:
    httpx.post(f"{server.url}/_poolmail/clock", json={"advance_seconds": seconds})


def error(call: Any, **params: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    return error_of(excinfo)


def replica_pool(server: ServerProcess, **settings: Any) -> tuple[Any, str]:
    cognito = server.client("cognito-idp", region=PRIMARY)
    pool_id = cognito.create_user_pool(PoolName="shop", **settings)["UserPool"]["Id"]
    return cognito, pool_id


def test_a_replica_is_created_then_inactive_then_active(live: ServerProcess) -> None:
    cognito, pool_id = replica_pool(live)
    created = cognito.create_user_pool_replica(
        UserPoolId=pool_id, RegionName=SECONDARY, UserPoolTags={"team": "id"}
    )["UserPoolReplica"]
    assert created == {
        "RegionName": SECONDARY,
        "Status": "CREATING",
        "Role": "SECONDARY",
        "UserPoolArn": f"arn:aws:cognito-idp:{SECONDARY}:{ACCOUNT}:userpool/{pool_id}",
    }
    primary = {
        "RegionName": PRIMARY,
        "Status": "ACTIVE",
        "Role": "PRIMARY",
        "UserPoolArn": f"arn:aws:cognito-idp:{PRIMARY}:{ACCOUNT}:userpool/{pool_id}",
    }
    listed = cognito.list_user_pool_replicas(UserPoolId=pool_id)["UserPoolReplicas"]
    assert listed == [primary, created]
    advance(live, 60)
    # New secondaries start INACTIVE (user-pool-multi-region.html).
    listed = cognito.list_user_pool_replicas(UserPoolId=pool_id)["UserPoolReplicas"]
    assert listed[1]["Status"] == "INACTIVE"
    updated = cognito.update_user_pool_replica(
        UserPoolId=pool_id, RegionName=SECONDARY, Status="ACTIVE"
    )["UserPoolReplica"]
    assert updated == {**created, "Status": "ACTIVE"}
    secondary = live.client("cognito-idp", region=SECONDARY)
    listed = secondary.list_user_pool_replicas(UserPoolId=pool_id)["UserPoolReplicas"]
    assert [entry["Status"] for entry in listed] == ["ACTIVE", "ACTIVE"]
    # ListUserPools names the regions of the pool's replicas [model].
    described = cognito.list_user_pools(MaxResults=10)["UserPools"]
    assert [pool["ReplicaRegions"] for pool in described] == [[SECONDARY]]


def test_the_secondary_serves_the_same_pool_and_users(live: ServerProcess) -> None:
    cognito, pool_id = replica_pool(live)
    cognito.admin_create_user(UserPoolId=pool_id, Username="ana", MessageAction="SUPPRESS")
    cognito.create_user_pool_replica(UserPoolId=pool_id, RegionName=SECONDARY)
    secondary = live.client("cognito-idp", region=SECONDARY)
    # Still CREATING: nothing served in the secondary region yet.
    code, _, _ = error(secondary.describe_user_pool, UserPoolId=pool_id)
    assert code == "ResourceNotFoundException"
    advance(live, 60)
    pool = secondary.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    assert pool["Id"] == pool_id
    assert pool["Arn"] == f"arn:aws:cognito-idp:{SECONDARY}:{ACCOUNT}:userpool/{pool_id}"
    assert pool["EstimatedNumberOfUsers"] == 1
    assert secondary.admin_get_user(UserPoolId=pool_id, Username="ana")["Username"] == "ana"
    # A user made later in the primary is there too.
    cognito.admin_create_user(UserPoolId=pool_id, Username="bo", MessageAction="SUPPRESS")
    names = [user["Username"] for user in secondary.list_users(UserPoolId=pool_id)["Users"]]
    assert sorted(names) == ["ana", "bo"]
    # "Secondary user pools can't create users" (user-pool-multi-region.html).
    assert error(
        secondary.admin_create_user, UserPoolId=pool_id, Username="cy", MessageAction="SUPPRESS"
    ) == (
        "OperationNotEnabledException",
        "This operation is not enabled in the secondary region of the user pool.",
        400,
    )
    code, _, _ = error(secondary.update_user_pool, UserPoolId=pool_id)
    assert code == "OperationNotEnabledException"
    code, _, _ = error(secondary.delete_user_pool, UserPoolId=pool_id)
    assert code == "OperationNotEnabledException"
    # Another region has no replica.
    other = live.client("cognito-idp", region="ap-south-1")
    assert error(other.describe_user_pool, UserPoolId=pool_id) == (
        "ResourceNotFoundException",
        f"User pool {pool_id} does not exist.",
        400,
    )


def test_create_is_refused_as_aws_refuses(live: ServerProcess) -> None:
    cognito, pool_id = replica_pool(live)
    create = cognito.create_user_pool_replica
    assert error(create, UserPoolId=pool_id, RegionName="xx-nowhere-1") == (
        "InvalidParameterException",
        "Invalid region name: xx-nowhere-1",
        400,
    )
    code, _, _ = error(create, UserPoolId=pool_id, RegionName=PRIMARY)
    assert code == "InvalidParameterException"
    code, _, _ = error(create, UserPoolId="us-east-1_missing1", RegionName=SECONDARY)
    assert code == "ResourceNotFoundException"
    create(UserPoolId=pool_id, RegionName=SECONDARY)
    # At most one secondary (user-pool-multi-region.html, "Limitations").
    assert error(create, UserPoolId=pool_id, RegionName="us-west-2") == (
        "LimitExceededException",
        "The user pool can have at most 1 secondary replica.",
        400,
    )
    advance(live, 60)
    # Only from the primary region.
    secondary = live.client("cognito-idp", region=SECONDARY)
    code, _, _ = error(
        secondary.create_user_pool_replica, UserPoolId=pool_id, RegionName="us-west-2"
    )
    assert code == "OperationNotEnabledException"
    # Lite pools have no replication (Essentials or Plus).
    _, lite = replica_pool(live, UserPoolTier="LITE")
    assert error(create, UserPoolId=lite, RegionName=SECONDARY) == (
        "FeatureUnavailableInTierException",
        "The following features need to be disabled for the LITE pricing tier configured: "
        "Multi-Region replication",
        400,
    )


def test_delete_takes_an_inactive_replica_from_the_primary(live: ServerProcess) -> None:
    cognito, pool_id = replica_pool(live)
    cognito.create_user_pool_replica(UserPoolId=pool_id, RegionName=SECONDARY)
    delete = cognito.delete_user_pool_replica
    code, message, _ = error(delete, UserPoolId=pool_id, RegionName=SECONDARY)
    assert (code, message) == (
        "InvalidParameterException",
        f"Only an INACTIVE replica can be deleted; the replica in {SECONDARY} is CREATING.",
    )
    advance(live, 60)
    cognito.update_user_pool_replica(UserPoolId=pool_id, RegionName=SECONDARY, Status="ACTIVE")
    code, _, _ = error(delete, UserPoolId=pool_id, RegionName=SECONDARY)
    assert code == "InvalidParameterException"
    secondary = live.client("cognito-idp", region=SECONDARY)
    secondary.update_user_pool_replica(UserPoolId=pool_id, RegionName=SECONDARY, Status="INACTIVE")
    # "This operation must be called from the primary Region" [model].
    code, _, _ = error(secondary.delete_user_pool_replica, UserPoolId=pool_id, RegionName=SECONDARY)
    assert code == "OperationNotEnabledException"
    code, _, _ = error(delete, UserPoolId=pool_id, RegionName=PRIMARY)
    assert code == "InvalidParameterException"
    assert error(delete, UserPoolId=pool_id, RegionName="us-west-2") == (
        "ResourceNotFoundException",
        f"User pool {pool_id} has no replica in region us-west-2.",
        400,
    )
    deleted = delete(UserPoolId=pool_id, RegionName=SECONDARY)["UserPoolReplica"]
    assert deleted["Status"] == "DELETING"
    listed = cognito.list_user_pool_replicas(UserPoolId=pool_id)["UserPoolReplicas"]
    assert [entry["Status"] for entry in listed] == ["ACTIVE", "DELETING"]
    advance(live, 60)
    listed = cognito.list_user_pool_replicas(UserPoolId=pool_id)["UserPoolReplicas"]
    assert [entry["Role"] for entry in listed] == ["PRIMARY"]
    code, _, _ = error(secondary.describe_user_pool, UserPoolId=pool_id)
    assert code == "ResourceNotFoundException"
    # A new replica may follow.
    cognito.create_user_pool_replica(UserPoolId=pool_id, RegionName="us-west-2")


def test_an_inactive_secondary_refuses_sign_in(live: ServerProcess) -> None:
    cognito, pool_id = replica_pool(live)
    cognito.create_user_pool_replica(UserPoolId=pool_id, RegionName=SECONDARY)
    advance(live, 60)
    secondary = live.client("cognito-idp", region=SECONDARY)
    assert error(
        secondary.admin_initiate_auth,
        UserPoolId=pool_id,
        ClientId="abcdefghijklmnopqrstuvwxyz",
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "ana", "PASSWORD": "Passw0rd!"},
    ) == (
        "OperationNotEnabledException",
        "The user pool replica in this region is not active.",
        400,
    )


def test_deleting_the_pool_takes_its_replicas(live: ServerProcess) -> None:
    cognito, pool_id = replica_pool(live)
    cognito.create_user_pool_replica(UserPoolId=pool_id, RegionName=SECONDARY)
    advance(live, 60)
    cognito.delete_user_pool(UserPoolId=pool_id)
    secondary = live.client("cognito-idp", region=SECONDARY)
    code, _, _ = error(secondary.describe_user_pool, UserPoolId=pool_id)
    assert code == "ResourceNotFoundException"


def test_an_active_secondary_serves_sign_in(live: ServerProcess) -> None:
    cognito, pool_id = replica_pool(live)
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="app",
        ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    cognito.admin_create_user(UserPoolId=pool_id, Username="ana", MessageAction="SUPPRESS")
    cognito.admin_set_user_password(
        UserPoolId=pool_id, Username="ana", Password="Passw0rd!", Permanent=True
    )
    cognito.create_user_pool_replica(UserPoolId=pool_id, RegionName=SECONDARY)
    advance(live, 60)
    cognito.update_user_pool_replica(UserPoolId=pool_id, RegionName=SECONDARY, Status="ACTIVE")
    secondary = live.client("cognito-idp", region=SECONDARY)
    tokens = secondary.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "ana", "PASSWORD": "Passw0rd!"},
    )["AuthenticationResult"]
    assert secondary.get_user(AccessToken=tokens["AccessToken"])["Username"] == "ana"


def test_a_replica_keeps_its_own_tags(live: ServerProcess) -> None:
    cognito, pool_id = replica_pool(live, UserPoolTags={"team": "primary"})
    arn = cognito.create_user_pool_replica(
        UserPoolId=pool_id, RegionName=SECONDARY, UserPoolTags={"team": "replica"}
    )["UserPoolReplica"]["UserPoolArn"]
    advance(live, 60)
    secondary = live.client("cognito-idp", region=SECONDARY)
    assert secondary.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"team": "replica"}
    secondary.tag_resource(ResourceArn=arn, Tags={"cost": "dr"})
    secondary.untag_resource(ResourceArn=arn, TagKeys=["team"])
    assert secondary.list_tags_for_resource(ResourceArn=arn)["Tags"] == {"cost": "dr"}
    primary_arn = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]["Arn"]
    assert cognito.list_tags_for_resource(ResourceArn=primary_arn)["Tags"] == {"team": "primary"}
