"""Amazon SES: one engine behind SES v1 (query) and SES v2 (REST-JSON).

Each resource module lists the operations it serves in ``V1`` and ``V2``. The server
imports a module at the first call of one of its operations (``poolmail.operations``), so
this package imports none of them itself.
"""

from __future__ import annotations

# The modules serving both APIs' operations, relative to this package; where two list the
# same operation, the later one serves it.
HANDLER_MODULES = (
    "identities",
    "account",
    "templates",
    "configuration_sets",
    "policies",
    "sending",
    "sending_v2",
    "bulk",
    "custom_verification",
    "tags",
    "contacts.lists",
    "contacts.contacts",
    "configuration_set_options",
    "authentication.mail_from",
    "authentication.dkim",
    "events.destinations",
    "events.notifications",
    "tenants.tenants",
    "tenants.associations",
    "multi_region_endpoints",
    "reputation_entities",
    "identity_certificates",
    "send_bounce",
    "receiving.rule_sets",
    "receiving.rules",
    "receiving.filters",
    "suppression.destinations",
    "suppression.settings",
    "jobs.import_jobs",
    "jobs.export_jobs",
    "insights.message_insights",
    "insights.address_insights",
    "insights.metrics",
    "insights.recommendations",
    "dedicated_ips.pools",
    "dedicated_ips.ips",
    "deliverability.dashboard",
    "deliverability.test_reports",
    "deliverability.campaigns",
    "account_attributes",
    "configuration_set_update",
)
