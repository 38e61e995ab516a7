"""Cognito user pools: pools, users, the mail they send, sign-in.

Each resource module lists the operations it serves in ``OPERATIONS``.
"""

from __future__ import annotations

from poolmail.cognito import (
    client_metadata,
    client_secrets,
    clients,
    custom_attributes,
    domains,
    filters,
    groups,
    invitations,
    limits,
    log_delivery,
    passwords,
    resource_servers,
    self_service,
    session_configuration,
    signing_certificate,
    signup,
    terms,
    user_pools,
    user_removal,
    users,
)
from poolmail.cognito.branding import managed_login_branding, ui_customization
from poolmail.cognito.continuity import point_in_time_recovery, replicas
from poolmail.cognito.federation import identity_providers, linked_users
from poolmail.cognito.imports import jobs as import_jobs
from poolmail.cognito.mfa import config as mfa_config
from poolmail.cognito.mfa import preferences, totp
from poolmail.cognito.signin import (
    auth,
    auth_factors,
    client_tokens,
    device_operations,
    passkeys,
    refresh,
    sessions,
    sign_out,
    token_exchange,
    user_sessions,
)
from poolmail.cognito.threats import risk_events, threat_protection
from poolmail.operations import Handler

_MODULES = (
    user_pools,
    replicas,
    point_in_time_recovery,
    client_metadata,
    custom_attributes,
    clients,
    client_secrets,
    signing_certificate,
    session_configuration,
    terms,
    limits,
    domains,
    managed_login_branding,
    resource_servers,
    ui_customization,
    users,
    import_jobs,
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
    client_tokens,
    token_exchange,
    mfa_config,
    totp,
    preferences,
    device_operations,
    passkeys,
    auth_factors,
    threat_protection,
    risk_events,
    log_delivery,
    identity_providers,
    linked_users,
)

OPERATIONS: dict[str, Handler] = {
    name: handler for module in _MODULES for name, handler in module.OPERATIONS.items()
}
