"""Cognito user pools: pools, users, the mail they send, sign-in.

Each resource module lists the operations it serves in ``OPERATIONS``.
"""

from __future__ import annotations

from poolmail.cognito import (
    clients,
    domains,
    filters,
    groups,
    invitations,
    passwords,
    self_service,
    signup,
    user_pools,
    user_removal,
    users,
)
from poolmail.cognito.mfa import config as mfa_config
from poolmail.cognito.mfa import preferences, totp
from poolmail.cognito.signin import (
    auth,
    auth_factors,
    device_operations,
    passkeys,
    refresh,
    sessions,
    sign_out,
    user_sessions,
)
from poolmail.operations import Handler

_MODULES = (
    user_pools,
    clients,
    domains,
    users,
    user_removal,
    filters,
    signup,
    passwords,
    invitations,
    auth,
    sessions,
    sign_out,
    groups,
    self_service,
    refresh,
    user_sessions,
    mfa_config,
    totp,
    preferences,
    device_operations,
    passkeys,
    auth_factors,
)

OPERATIONS: dict[str, Handler] = {
    name: handler for module in _MODULES for name, handler in module.OPERATIONS.items()
}
