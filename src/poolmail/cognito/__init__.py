"""Cognito user pools: pools, users, the mail they send, sign-in.

Each resource module lists the operations it serves in ``OPERATIONS``. The server imports
a module at the first call of one of its operations (``poolmail.operations``), so this
package imports none of them itself.
"""

from __future__ import annotations

# The modules serving Cognito's operations, relative to this package; where two list the
# same operation, the later one serves it.
HANDLER_MODULES = (
    "user_pools",
    "continuity.replicas",
    "continuity.point_in_time_recovery",
    "client_metadata",
    "custom_attributes",
    "clients",
    "client_secrets",
    "signing_certificate",
    "session_configuration",
    "terms",
    "limits",
    "domains",
    "branding.managed_login_branding",
    "resource_servers",
    "branding.ui_customization",
    "users",
    "imports.jobs",
    "user_removal",
    "filters",
    "signup",
    "passwords",
    "invitations",
    "signin.auth",
    "signin.sessions",
    "signin.sign_out",
    "groups",
    "self_service",
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
    "log_delivery",
    "federation.identity_providers",
    "federation.linked_users",
)
