"""User pool groups through boto3: CRUD, memberships, paging, and groups in tokens."""

from __future__ import annotations

import jwt
import pytest
from botocore.exceptions import ClientError

from tests.cognito.helpers import auth_pool, confirmed_user, error_of, idp, make_pool, password_auth
from tests.support.server import ServerProcess

ROLE = "arn:aws:iam::123456789012:role/{}"


def claims(token: str) -> dict[str, object]:
    decoded: dict[str, object] = jwt.decode(token, options={"verify_signature": False})
    return decoded


def test_create_get_update_delete(live: ServerProcess) -> None:
    pool_id = make_pool(live)
    cognito = idp(live)
    group = cognito.create_group(
        UserPoolId=pool_id, GroupName="admins", Description="Admins", Precedence=1
    )["Group"]
    assert group["GroupName"] == "admins" and group["UserPoolId"] == pool_id
    assert group["Description"] == "Admins" and group["Precedence"] == 1
    assert "RoleArn" not in group
    assert group["CreationDate"] == group["LastModifiedDate"]
    with pytest.raises(ClientError) as excinfo:
        cognito.create_group(UserPoolId=pool_id, GroupName="admins")
    assert error_of(excinfo) == (
        "GroupExistsException",
        "A group with the name admins already exists.",
    )
    updated = cognito.update_group(
        UserPoolId=pool_id, GroupName="admins", RoleArn=ROLE.format("admin")
    )["Group"]
    # Only what the request names changes.
    assert updated["Description"] == "Admins" and updated["Precedence"] == 1
    assert updated["RoleArn"] == ROLE.format("admin")
    assert cognito.get_group(UserPoolId=pool_id, GroupName="admins")["Group"] == updated
    cognito.delete_group(UserPoolId=pool_id, GroupName="admins")
    for call in (cognito.get_group, cognito.delete_group):
        with pytest.raises(ClientError) as excinfo:
            call(UserPoolId=pool_id, GroupName="admins")
        assert error_of(excinfo) == ("ResourceNotFoundException", "Group not found.")
    with pytest.raises(ClientError) as excinfo:
        cognito.create_group(UserPoolId="us-east-1_Missing00", GroupName="x")
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        "User pool us-east-1_Missing00 does not exist.",
    )


def test_list_groups_pages(live: ServerProcess) -> None:
    pool_id = make_pool(live)
    cognito = idp(live)
    names = [f"group-{index}" for index in range(5)]
    for name in names:
        cognito.create_group(UserPoolId=pool_id, GroupName=name)
    seen: list[str] = []
    page = cognito.list_groups(UserPoolId=pool_id, Limit=2)
    seen += [group["GroupName"] for group in page["Groups"]]
    while "NextToken" in page:
        page = cognito.list_groups(UserPoolId=pool_id, Limit=2, NextToken=page["NextToken"])
        assert len(page["Groups"]) <= 2
        seen += [group["GroupName"] for group in page["Groups"]]
    assert sorted(seen) == names
    assert len(cognito.list_groups(UserPoolId=pool_id)["Groups"]) == 5


def test_memberships(live: ServerProcess) -> None:
    pool_id = make_pool(live)
    cognito = idp(live)
    for name in ("alice", "bob"):
        confirmed_user(live, pool_id, name)
    for group in ("readers", "writers"):
        cognito.create_group(UserPoolId=pool_id, GroupName=group)
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username="alice", GroupName="readers")
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username="alice", GroupName="readers")
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username="alice", GroupName="writers")
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username="bob", GroupName="readers")
    mine = cognito.admin_list_groups_for_user(UserPoolId=pool_id, Username="alice")["Groups"]
    assert [group["GroupName"] for group in mine] == ["readers", "writers"]
    members = cognito.list_users_in_group(UserPoolId=pool_id, GroupName="readers")["Users"]
    assert sorted(user["Username"] for user in members) == ["alice", "bob"]
    assert members[0]["UserStatus"] == "CONFIRMED"
    page = cognito.list_users_in_group(UserPoolId=pool_id, GroupName="readers", Limit=1)
    rest = cognito.list_users_in_group(
        UserPoolId=pool_id, GroupName="readers", Limit=1, NextToken=page["NextToken"]
    )
    assert len(page["Users"]) == len(rest["Users"]) == 1 and "NextToken" not in rest
    cognito.admin_remove_user_from_group(UserPoolId=pool_id, Username="alice", GroupName="readers")
    mine = cognito.admin_list_groups_for_user(UserPoolId=pool_id, Username="alice")["Groups"]
    assert [group["GroupName"] for group in mine] == ["writers"]
    cognito.delete_group(UserPoolId=pool_id, GroupName="writers")
    assert cognito.admin_list_groups_for_user(UserPoolId=pool_id, Username="alice")["Groups"] == []
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username="nobody", GroupName="readers")
    assert error_of(excinfo) == ("UserNotFoundException", "User does not exist.")
    with pytest.raises(ClientError) as excinfo:
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username="bob", GroupName="ghosts")
    assert error_of(excinfo) == ("ResourceNotFoundException", "Group not found.")
    with pytest.raises(ClientError) as excinfo:
        cognito.list_users_in_group(UserPoolId=pool_id, GroupName="ghosts")
    assert error_of(excinfo) == ("ResourceNotFoundException", "Group not found.")


def test_a_recreated_user_does_not_inherit_groups(live: ServerProcess) -> None:
    pool_id = make_pool(live)
    cognito = idp(live)
    confirmed_user(live, pool_id, "carol")
    cognito.create_group(UserPoolId=pool_id, GroupName="staff")
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username="carol", GroupName="staff")
    cognito.admin_delete_user(UserPoolId=pool_id, Username="carol")
    confirmed_user(live, pool_id, "carol")
    assert cognito.admin_list_groups_for_user(UserPoolId=pool_id, Username="carol")["Groups"] == []
    assert cognito.list_users_in_group(UserPoolId=pool_id, GroupName="staff")["Users"] == []


def test_groups_and_roles_appear_in_tokens(live: ServerProcess) -> None:
    pool_id, client_id = auth_pool(live)
    cognito = idp(live)
    confirmed_user(live, pool_id, "dave")
    cognito.create_group(
        UserPoolId=pool_id, GroupName="editors", Precedence=5, RoleArn=ROLE.format("editor")
    )
    cognito.create_group(
        UserPoolId=pool_id, GroupName="admins", Precedence=1, RoleArn=ROLE.format("admin")
    )
    cognito.create_group(UserPoolId=pool_id, GroupName="readers")
    result = password_auth(live, client_id, "dave")["AuthenticationResult"]
    assert "cognito:groups" not in claims(result["IdToken"])
    assert "cognito:groups" not in claims(result["AccessToken"])
    for group in ("editors", "admins", "readers"):
        cognito.admin_add_user_to_group(UserPoolId=pool_id, Username="dave", GroupName=group)
    # A refresh reads the memberships of now.
    renewed = cognito.initiate_auth(
        ClientId=client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": result["RefreshToken"]},
    )["AuthenticationResult"]
    id_claims = claims(renewed["IdToken"])
    assert id_claims["cognito:groups"] == ["admins", "editors", "readers"]
    assert id_claims["cognito:roles"] == [ROLE.format("admin"), ROLE.format("editor")]
    assert id_claims["cognito:preferred_role"] == ROLE.format("admin")
    access = claims(renewed["AccessToken"])
    assert access["cognito:groups"] == ["admins", "editors", "readers"]
    assert "cognito:roles" not in access
    # Two groups sharing the lowest precedence: neither role is preferred.
    cognito.update_group(UserPoolId=pool_id, GroupName="editors", Precedence=1)
    again = password_auth(live, client_id, "dave")["AuthenticationResult"]
    assert "cognito:preferred_role" not in claims(again["IdToken"])
