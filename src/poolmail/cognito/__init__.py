"""Cognito user pools: pools, users, the mail they send, sign-in.

One subpackage a capability: ``pools`` (a pool's settings), ``clients`` (app clients),
``users`` (users, sign-up, passwords, groups, ListUsers), ``messaging`` (what a pool's
mail and texts say and how they leave), ``signin``, ``mfa``, ``oauth``, ``federation``,
``triggers``, ``threats``, ``imports``, ``branding``, ``continuity``.

Each resource module lists the operations it serves in ``OPERATIONS``. The server imports
a module at the first call of one of its operations (``poolmail.operations``), so this
package imports none of them itself.
"""

from __future__ import annotations

# The modules serving Cognito's operations, relative to this package; where two list the
# same operation, the later one serves it.
HANDLER_MODULES = (
    "pools.user_pools",
    "continuity.replicas",
    "continuity.point_in_time_recovery",
    "clients.client_metadata",
    "pools.custom_attributes",
    "clients.clients",
    "clients.client_secrets",
    "pools.signing_certificate",
    "pools.session_configuration",
    "clients.terms",
    "pools.limits",
    "pools.domains",
    "branding.managed_login_branding",
    "clients.resource_servers",
    "branding.ui_customization",
    "users.users",
    "imports.jobs",
    "users.user_removal",
    "users.filters",
    "users.signup",
    "users.passwords",
    "users.invitations",
    "signin.auth",
    "signin.sessions",
    "signin.sign_out",
    "users.groups",
    "users.self_service",
    "signin.refresh",
    "signin.user_sessions",
    "signin.client_tokens",
    "signin.token_exchange",
    "mfa.config",
    "mfa.totp",
    "mfa.preferences",
    "signin.device_operations",
    "signin.passkeys",
    "signin.auth_factors",
    "threats.threat_protection",
    "threats.risk_events",
    "pools.log_delivery",
    "federation.identity_providers",
    "federation.linked_users",
)
