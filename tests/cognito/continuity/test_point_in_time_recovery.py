"""Point-in-time recovery: a real restore of a pool's users from poolmail's history, the
recovery's statuses in time, and AWS's limits."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.support.server import ServerProcess
from tests.test_server_blackbox import error_of

HISTORY = "/_poolmail/cognito/point-in-time-recovery"


def advance(server: ServerProcess, seconds: float) -> None:
    httpx.post(f"{server.url}/_poolmail/clock", json={"advance_seconds": seconds})


def server_now(server: ServerProcess) -> dt.datetime:
    return dt.datetime.fromtimestamp(
        httpx.get(f"{server.url}/_poolmail/clock").json()["epoch"], dt.UTC
    )


def error(call: Any, **params: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    return error_of(excinfo)


def tracked_pool(server: ServerProcess, **settings: Any) -> tuple[Any, str]:
    cognito = server.client("cognito-idp")
    pool_id = cognito.create_user_pool(PoolName="shop", **settings)["UserPool"]["Id"]
    answer = httpx.post(f"{server.url}{HISTORY}", json={"user_pool_id": pool_id, "enabled": True})
    assert answer.status_code == 200 and answer.json()["enabled"] is True
    return cognito, pool_id


def add_user(cognito: Any, pool_id: str, username: str, **attributes: str) -> None:
    cognito.admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": key, "Value": value} for key, value in attributes.items()],
    )


def users(cognito: Any, pool_id: str) -> dict[str, dict[str, str]]:
    return {
        user["Username"]: {a["Name"]: a["Value"] for a in user["Attributes"]}
        for user in cognito.list_users(UserPoolId=pool_id)["Users"]
    }


def test_a_recovery_restores_deleted_users_and_reverts_changes(live: ServerProcess) -> None:
    cognito, pool_id = tracked_pool(live)
    add_user(cognito, pool_id, "ana", name="Ana")
    add_user(cognito, pool_id, "bo", name="Bo")
    cognito.admin_set_user_password(
        UserPoolId=pool_id, Username="bo", Password="Original1!", Permanent=True
    )
    cognito.create_group(UserPoolId=pool_id, GroupName="staff")
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username="ana", GroupName="staff")
    advance(live, 60)
    point = server_now(live)
    advance(live, 60)
    # After the recovery point: a deletion, a change, a new user, a new password.
    cognito.admin_delete_user(UserPoolId=pool_id, Username="ana")
    cognito.admin_update_user_attributes(
        UserPoolId=pool_id, Username="bo", UserAttributes=[{"Name": "name", "Value": "Wrong"}]
    )
    cognito.admin_set_user_password(
        UserPoolId=pool_id, Username="bo", Password="Changed1!", Permanent=True
    )
    add_user(cognito, pool_id, "cy", name="Cy")
    advance(live, 15 * 60)
    restoration = cognito.initiate_point_in_time_recovery(
        UserPoolId=pool_id, RestoreTimestamp=point
    )["Restoration"]
    restore_id = restoration["RestoreId"]
    assert restoration["RestoreStatus"] == "PREVIEW_GENERATING"
    assert abs(restoration["RestoreTimestamp"] - point) < dt.timedelta(milliseconds=1)
    assert "RestorePreview" not in restoration
    # Starting before the preview is ready is refused.
    code, _, _ = error(
        cognito.start_point_in_time_recovery, UserPoolId=pool_id, RestoreId=restore_id
    )
    assert code == "InvalidParameterException"
    advance(live, 10)
    described = cognito.describe_point_in_time_recovery(UserPoolId=pool_id, RestoreId=restore_id)[
        "Restoration"
    ]
    assert described["RestoreStatus"] == "PREVIEW_GENERATED"
    assert described["RestorePreview"] == [
        {"Entity": "Users", "CreateCount": 1, "UpdateCount": 1, "DeleteCount": 1}
    ]
    started = cognito.start_point_in_time_recovery(UserPoolId=pool_id, RestoreId=restore_id)[
        "Restoration"
    ]
    assert started["RestoreStatus"] == "RESTORING"
    assert users(cognito, pool_id).keys() == {"ana", "bo"}
    assert users(cognito, pool_id)["ana"]["name"] == "Ana"
    assert users(cognito, pool_id)["bo"]["name"] == "Bo"
    # The deleted user is back in the groups they were in.
    groups = cognito.admin_list_groups_for_user(UserPoolId=pool_id, Username="ana")["Groups"]
    assert [group["GroupName"] for group in groups] == ["staff"]
    # "Users who changed their password after the recovery point keep their current
    # password" [model].
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="app",
        ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    signed_in = cognito.admin_initiate_auth(
        UserPoolId=pool_id,
        ClientId=client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "bo", "PASSWORD": "Changed1!"},
    )
    assert "AuthenticationResult" in signed_in
    advance(live, 10)
    listed = cognito.list_point_in_time_recoveries(UserPoolId=pool_id)["Restorations"]
    assert listed == [
        {
            "RestoreId": restore_id,
            "RestoreStatus": "RESTORE_COMPLETED",
            "RestoreTimestamp": restoration["RestoreTimestamp"],
        }
    ]
    # One completed recovery of a pool in 24 hours.
    assert error(
        cognito.initiate_point_in_time_recovery, UserPoolId=pool_id, RestoreTimestamp=point
    ) == (
        "LimitExceededException",
        "You can complete one recovery of a user pool in a 24-hour period.",
        400,
    )


def test_the_recovery_point_is_checked(live: ServerProcess) -> None:
    cognito, pool_id = tracked_pool(live)
    initiate = cognito.initiate_point_in_time_recovery
    advance(live, 20 * 60)
    now = server_now(live)
    assert error(initiate, UserPoolId=pool_id, RestoreTimestamp=now - dt.timedelta(minutes=5)) == (
        "InvalidParameterException",
        "The recovery point must be at least 15 minutes in the past.",
        400,
    )
    code, message, _ = error(
        initiate, UserPoolId=pool_id, RestoreTimestamp=now - dt.timedelta(hours=1)
    )
    assert (code, message) == (
        "InvalidParameterException",
        "The recovery point can't be earlier than the creation time of the user pool.",
    )
    advance(live, 2 * 86400)
    assert error(
        initiate,
        UserPoolId=pool_id,
        RestoreTimestamp=server_now(live) - dt.timedelta(days=1, hours=1),
    ) == (
        "InvalidParameterException",
        "The recovery point must be within 1 day in the past with the ESSENTIALS feature plan.",
        400,
    )
    _, lite = tracked_pool(live, UserPoolTier="LITE")
    assert error(initiate, UserPoolId=lite, RestoreTimestamp=now)[0] == (
        "FeatureUnavailableInTierException"
    )
    # A pool whose history poolmail did not keep.
    untracked = cognito.create_user_pool(PoolName="plain")["UserPool"]["Id"]
    advance(live, 20 * 60)
    code, _, _ = error(
        initiate, UserPoolId=untracked, RestoreTimestamp=server_now(live) - dt.timedelta(minutes=16)
    )
    assert code == "InvalidParameterException"


def test_cancel_expiry_and_one_active_recovery(live: ServerProcess) -> None:
    cognito, pool_id = tracked_pool(live)
    advance(live, 16 * 60)
    point = server_now(live) - dt.timedelta(minutes=15, seconds=30)
    initiate = cognito.initiate_point_in_time_recovery
    first = initiate(UserPoolId=pool_id, RestoreTimestamp=point)["Restoration"]["RestoreId"]
    assert error(initiate, UserPoolId=pool_id, RestoreTimestamp=point) == (
        "LimitExceededException",
        "A user pool can have only one active recovery at a time.",
        400,
    )
    cancelled = cognito.cancel_point_in_time_recovery(UserPoolId=pool_id, RestoreId=first)[
        "Restoration"
    ]
    assert cancelled["RestoreStatus"] == "PREVIEW_CANCELLED"
    assert "RestorePreview" not in cancelled
    code, _, _ = error(cognito.cancel_point_in_time_recovery, UserPoolId=pool_id, RestoreId=first)
    assert code == "InvalidParameterException"
    second = initiate(UserPoolId=pool_id, RestoreTimestamp=point)["Restoration"]["RestoreId"]
    advance(live, 86400)
    described = cognito.describe_point_in_time_recovery(UserPoolId=pool_id, RestoreId=second)
    assert described["Restoration"]["RestoreStatus"] == "PREVIEW_EXPIRED"
    listed = cognito.list_point_in_time_recoveries(UserPoolId=pool_id, MaxResults=1)
    assert [item["RestoreId"] for item in listed["Restorations"]] == [second]
    rest = cognito.list_point_in_time_recoveries(
        UserPoolId=pool_id, MaxResults=1, NextToken=listed["NextToken"]
    )
    assert [item["RestoreId"] for item in rest["Restorations"]] == [first]
    assert "NextToken" not in rest
    missing = "00000000-0000-4000-8000-000000000000"
    assert error(
        cognito.describe_point_in_time_recovery, UserPoolId=pool_id, RestoreId=missing
    ) == (
        "ResourceNotFoundException",
        f"Point-in-time recovery {missing} does not exist in user pool {pool_id}.",
        400,
    )


def test_three_previews_a_day(live: ServerProcess) -> None:
    cognito, pool_id = tracked_pool(live)
    advance(live, 16 * 60)
    point = server_now(live) - dt.timedelta(minutes=15, seconds=30)
    for _ in range(3):
        restore_id = cognito.initiate_point_in_time_recovery(
            UserPoolId=pool_id, RestoreTimestamp=point
        )["Restoration"]["RestoreId"]
        cognito.cancel_point_in_time_recovery(UserPoolId=pool_id, RestoreId=restore_id)
    assert error(
        cognito.initiate_point_in_time_recovery, UserPoolId=pool_id, RestoreTimestamp=point
    ) == (
        "LimitExceededException",
        "You can create up to three recovery previews of a user pool in 24 hours.",
        400,
    )


def test_history_switch_of_the_admin_api(live: ServerProcess) -> None:
    cognito = live.client("cognito-idp")
    pool_id = cognito.create_user_pool(PoolName="shop")["UserPool"]["Id"]
    read = httpx.get(f"{live.url}{HISTORY}", params={"user_pool_id": pool_id}).json()
    assert read == {"user_pool_id": pool_id, "enabled": False, "since": None}
    missing = httpx.post(
        f"{live.url}{HISTORY}", json={"user_pool_id": "us-east-1_nope", "enabled": True}
    )
    assert missing.status_code == 404
    bad = httpx.post(f"{live.url}{HISTORY}", json={"user_pool_id": pool_id, "enabled": "yes"})
    assert bad.status_code == 400


def test_the_restore_follows_each_users_history(live: ServerProcess) -> None:
    cognito, pool_id = tracked_pool(live)
    add_user(cognito, pool_id, "gone", name="Before")
    cognito.admin_delete_user(UserPoolId=pool_id, Username="gone")
    add_user(cognito, pool_id, "kept", name="One")
    advance(live, 30)
    cognito.admin_update_user_attributes(
        UserPoolId=pool_id, Username="kept", UserAttributes=[{"Name": "name", "Value": "Two"}]
    )
    advance(live, 30)
    point = server_now(live)
    advance(live, 30)
    # After the point: "gone" comes back as a new user, "brief" comes and goes, "kept"
    # changes twice.
    add_user(cognito, pool_id, "gone", name="After")
    add_user(cognito, pool_id, "brief")
    cognito.admin_delete_user(UserPoolId=pool_id, Username="brief")
    for value in ("Three", "Four"):
        cognito.admin_update_user_attributes(
            UserPoolId=pool_id, Username="kept", UserAttributes=[{"Name": "name", "Value": value}]
        )
    advance(live, 15 * 60)
    restore_id = cognito.initiate_point_in_time_recovery(
        UserPoolId=pool_id, RestoreTimestamp=point
    )["Restoration"]["RestoreId"]
    advance(live, 10)
    preview = cognito.describe_point_in_time_recovery(UserPoolId=pool_id, RestoreId=restore_id)[
        "Restoration"
    ]["RestorePreview"]
    assert preview == [{"Entity": "Users", "CreateCount": 0, "UpdateCount": 1, "DeleteCount": 1}]
    cognito.start_point_in_time_recovery(UserPoolId=pool_id, RestoreId=restore_id)
    assert users(cognito, pool_id) == {"kept": users(cognito, pool_id)["kept"]}
    assert users(cognito, pool_id)["kept"]["name"] == "Two"
    # A pool whose history is off forgets it: no recovery to a point before.
    httpx.post(f"{live.url}{HISTORY}", json={"user_pool_id": pool_id, "enabled": False})
    advance(live, 86400)
    code, _, _ = error(
        cognito.initiate_point_in_time_recovery,
        UserPoolId=pool_id,
        RestoreTimestamp=server_now(live) - dt.timedelta(minutes=20),
    )
    assert code == "InvalidParameterException"


def test_with_a_replica_only_the_primary_recovers_once_replicated(live: ServerProcess) -> None:
    cognito, pool_id = tracked_pool(live)
    advance(live, 16 * 60)
    point = server_now(live) - dt.timedelta(minutes=15, seconds=30)
    cognito.create_user_pool_replica(UserPoolId=pool_id, RegionName="eu-west-1")
    assert error(
        cognito.initiate_point_in_time_recovery, UserPoolId=pool_id, RestoreTimestamp=point
    ) == (
        "InvalidParameterException",
        "A recovery can be initiated only after the user pool's replication is complete.",
        400,
    )
    advance(live, 60)
    secondary = live.client("cognito-idp", region="eu-west-1")
    code, _, _ = error(
        secondary.initiate_point_in_time_recovery, UserPoolId=pool_id, RestoreTimestamp=point
    )
    assert code == "OperationNotEnabledException"
    restoration = cognito.initiate_point_in_time_recovery(
        UserPoolId=pool_id, RestoreTimestamp=point
    )["Restoration"]
    assert restoration["RestoreStatus"] == "PREVIEW_GENERATING"
