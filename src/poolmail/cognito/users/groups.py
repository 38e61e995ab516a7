"""User pool groups: create, read, update, delete, list, memberships, and what tokens say
about them (`cognito:groups`, `cognito:roles`, `cognito:preferred_role`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from poolmail.cognito.pools.user_pools import load_pool
from poolmail.cognito.users.users import StoredUser, require_user, user_type
from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.paging import keyset_page
from poolmail.protocol.errors import AwsError
from poolmail.store import Transaction

# Not found in AWS's docs: the texts below are the ones Cognito users quote for a
# duplicate group and a missing one.
GROUP_NOT_FOUND = "Group not found."
# Not found: the page size AWS uses without Limit; the model's maximum (60).
PAGE = 60


@dataclass(slots=True)
class Group:
    pool_id: str
    name: str
    created: float
    modified: float
    # Description, RoleArn, Precedence: present only when set.
    settings: dict[str, Any]

    def shaped(self) -> dict[str, Any]:
        return {
            "GroupName": self.name,
            "UserPoolId": self.pool_id,
            **self.settings,
            "LastModifiedDate": self.modified,
            "CreationDate": self.created,
        }


_SELECT = "SELECT name, created_at, modified_at, data FROM cognito_groups WHERE pool_id = ?"


def _group_of(pool_id: str, row: tuple[Any, ...]) -> Group:
    return Group(pool_id, str(row[0]), float(row[1]), float(row[2]), json.loads(row[3]))


def _require(tx: Transaction, pool_id: str, name: str) -> Group:
    row = tx.fetchone(_SELECT + " AND name = ?", (pool_id, name))
    if row is None:
        raise AwsError("ResourceNotFoundException", GROUP_NOT_FOUND)
    return _group_of(pool_id, row)


def _settings(params: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    # UpdateGroup "updates any of the properties" given [model]; the others stay.
    settings = dict(current)
    for member in ("Description", "RoleArn", "Precedence"):
        if params.get(member) is not None:
            settings[member] = params[member]
    return settings


def user_groups(tx: Transaction, pool_id: str, sub: str) -> list[Group]:
    """A user's groups, by precedence (lowest first, unset last), then name."""
    rows = tx.fetchall(
        "SELECT g.name, g.created_at, g.modified_at, g.data FROM cognito_groups g "
        "JOIN cognito_group_members m ON m.pool_id = g.pool_id AND m.group_name = g.name "
        "WHERE g.pool_id = ? AND m.sub = ? ORDER BY g.name",
        (pool_id, sub),
    )
    groups = [_group_of(pool_id, row) for row in rows]
    return sorted(groups, key=_precedence)


def _precedence(group: Group) -> tuple[bool, int]:
    precedence = group.settings.get("Precedence")
    return (precedence is None, int(precedence or 0))


def group_claims(groups: list[Group]) -> dict[str, Any]:
    """The group claims of a member's tokens (cognito-user-pools-user-groups.md): every
    group's name; the roles of groups that have one; the role of the one group with the
    lowest precedence, when exactly one has it ("If two groups have the same precedence,
    neither takes precedence")."""
    if not groups:
        return {}
    claims: dict[str, Any] = {"cognito:groups": [group.name for group in groups]}
    roles = [group.settings["RoleArn"] for group in groups if group.settings.get("RoleArn")]
    if roles:
        claims["cognito:roles"] = roles
        ranked = [g for g in groups if g.settings.get("Precedence") is not None]
        if ranked:
            lowest = min(g.settings["Precedence"] for g in ranked)
            first = [g for g in ranked if g.settings["Precedence"] == lowest]
            if len(first) == 1 and first[0].settings.get("RoleArn"):
                claims["cognito:preferred_role"] = first[0].settings["RoleArn"]
    return claims


def forget_user(tx: Transaction, pool_id: str, sub: str) -> None:
    tx.execute("DELETE FROM cognito_group_members WHERE pool_id = ? AND sub = ?", (pool_id, sub))


# ---- operations -------------------------------------------------------------------------


def create_group(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    now = ctx.clock.now().timestamp()
    pool_id, name = params["UserPoolId"], params["GroupName"]
    group = Group(pool_id, name, now, now, _settings(params, {}))
    with ctx.db.transaction() as tx:
        load_pool(tx, ctx, pool_id)
        added = tx.execute(
            "INSERT INTO cognito_groups (pool_id, name, created_at, modified_at, data) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (pool_id, name, now, now, json.dumps(group.settings)),
        )
    if added != 1:
        raise AwsError("GroupExistsException", f"A group with the name {name} already exists.")
    return {"Group": group.shaped()}


def get_group(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with ctx.db.transaction() as tx:
        load_pool(tx, ctx, params["UserPoolId"])
        group = _require(tx, params["UserPoolId"], params["GroupName"])
    return {"Group": group.shaped()}


def update_group(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with ctx.db.transaction() as tx:
        load_pool(tx, ctx, params["UserPoolId"])
        group = _require(tx, params["UserPoolId"], params["GroupName"])
        group.settings = _settings(params, group.settings)
        group.modified = ctx.clock.now().timestamp()
        tx.execute(
            "UPDATE cognito_groups SET modified_at = ?, data = ? WHERE pool_id = ? AND name = ?",
            (group.modified, json.dumps(group.settings), group.pool_id, group.name),
        )
    return {"Group": group.shaped()}


def delete_group(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    pool_id, name = params["UserPoolId"], params["GroupName"]
    with ctx.db.transaction() as tx:
        load_pool(tx, ctx, pool_id)
        _require(tx, pool_id, name)
        tx.execute(
            "DELETE FROM cognito_group_members WHERE pool_id = ? AND group_name = ?",
            (pool_id, name),
        )
        tx.execute("DELETE FROM cognito_groups WHERE pool_id = ? AND name = ?", (pool_id, name))
    return {}


def list_groups(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    pool_id = params["UserPoolId"]
    with ctx.db.transaction() as tx:
        load_pool(tx, ctx, pool_id)
        rows, token = keyset_page(
            tx,
            "SELECT name, created_at, modified_at, data FROM cognito_groups WHERE pool_id = ?",
            [pool_id],
            key="name",
            token=params.get("NextToken"),
            token_error="InvalidParameterException",
            limit=params.get("Limit") or PAGE,
        )
    result: dict[str, Any] = {"Groups": [_group_of(pool_id, row).shaped() for row in rows]}
    if token:
        result["NextToken"] = token
    return result


def _member_scope(
    tx: Transaction, ctx: RequestContext, params: dict[str, Any]
) -> tuple[StoredUser, Group]:
    pool = load_pool(tx, ctx, params["UserPoolId"])
    user = require_user(tx, pool, params["Username"])
    return user, _require(tx, pool.id, params["GroupName"])


def admin_add_user_to_group(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with ctx.db.transaction() as tx:
        user, group = _member_scope(tx, ctx, params)
        # Adding a member twice is no error: AWS answers 200 and nothing changes.
        tx.execute(
            "INSERT INTO cognito_group_members (pool_id, group_name, sub, created_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (group.pool_id, group.name, user.sub, ctx.clock.now().timestamp()),
        )
    return {}


def admin_remove_user_from_group(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with ctx.db.transaction() as tx:
        user, group = _member_scope(tx, ctx, params)
        tx.execute(
            "DELETE FROM cognito_group_members WHERE pool_id = ? AND group_name = ? AND sub = ?",
            (group.pool_id, group.name, user.sub),
        )
    return {}


def admin_list_groups_for_user(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    pool_id = params["UserPoolId"]
    with ctx.db.transaction() as tx:
        user = require_user(tx, load_pool(tx, ctx, pool_id), params["Username"])
        rows, token = keyset_page(
            tx,
            # Paged by when the user joined each group; the derived table gives the
            # columns the names keyset_page expects.
            "SELECT name, created_at, group_created, modified_at, data FROM ("
            "SELECT g.name AS name, m.created_at AS created_at, g.created_at AS group_created, "
            "g.modified_at AS modified_at, g.data AS data, m.pool_id AS pool_id, m.sub AS sub "
            "FROM cognito_group_members m JOIN cognito_groups g "
            "ON g.pool_id = m.pool_id AND g.name = m.group_name) AS memberships "
            "WHERE pool_id = ? AND sub = ?",
            [pool_id, user.sub],
            key="name",
            token=params.get("NextToken"),
            token_error="InvalidParameterException",
            limit=params.get("Limit") or PAGE,
        )
    groups = [_group_of(pool_id, (row[0], *row[2:])).shaped() for row in rows]
    result: dict[str, Any] = {"Groups": groups}
    if token:
        result["NextToken"] = token
    return result


def list_users_in_group(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    pool_id = params["UserPoolId"]
    with ctx.db.transaction() as tx:
        pool = load_pool(tx, ctx, pool_id)
        _require(tx, pool_id, params["GroupName"])
        rows, token = keyset_page(
            tx,
            "SELECT username, created_at FROM ("
            "SELECT u.username AS username, m.created_at AS created_at, m.pool_id AS pool_id, "
            "m.group_name AS group_name FROM cognito_group_members m JOIN users u "
            "ON u.pool_id = m.pool_id AND u.sub = m.sub) AS members "
            "WHERE pool_id = ? AND group_name = ?",
            [pool_id, params["GroupName"]],
            key="username",
            token=params.get("NextToken"),
            token_error="InvalidParameterException",
            limit=params.get("Limit") or PAGE,
        )
        users = [user_type(require_user(tx, pool, str(row[0]))) for row in rows]
    result: dict[str, Any] = {"Users": users}
    if token:
        result["NextToken"] = token
    return result


OPERATIONS: dict[str, Handler] = {
    "CreateGroup": create_group,
    "GetGroup": get_group,
    "UpdateGroup": update_group,
    "DeleteGroup": delete_group,
    "ListGroups": list_groups,
    "AdminAddUserToGroup": admin_add_user_to_group,
    "AdminRemoveUserFromGroup": admin_remove_user_from_group,
    "AdminListGroupsForUser": admin_list_groups_for_user,
    "ListUsersInGroup": list_users_in_group,
}
