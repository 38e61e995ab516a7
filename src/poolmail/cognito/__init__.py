"""Cognito user pools: pools, users, the mail they send, sign-in."""

from __future__ import annotations

from poolmail.cognito.user_pools import (
    create_user_pool,
    delete_user_pool,
    describe_user_pool,
    list_user_pools,
)
from poolmail.operations import Handler

OPERATIONS: dict[str, Handler] = {
    "CreateUserPool": create_user_pool,
    "DescribeUserPool": describe_user_pool,
    "ListUserPools": list_user_pools,
    "DeleteUserPool": delete_user_pool,
}
