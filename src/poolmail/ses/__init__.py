"""Amazon SES: one engine behind SES v1 (query) and SES v2 (REST-JSON).

Grouped by capability: ``identities`` (addresses, domains, verification, policies),
``sending`` (the engine every send ends in, the send operations, MIME), ``templates``,
``account`` (quotas, sending state, account attributes, tags), ``configuration``
(configuration sets), ``authentication`` (DKIM, MAIL FROM), ``events``, ``suppression``,
``contacts``, ``receiving``, ``tracking``, ``tenants``, ``jobs``, ``insights``,
``dedicated_ips`` and ``deliverability``.

Each resource module lists the operations it serves in ``V1`` and ``V2``. The server
imports a module at the first call of one of its operations (``poolmail.operations``), so
this package imports none of them itself.
"""

from __future__ import annotations

# The modules serving both APIs' operations, relative to this package; where two list the
# same operation, the later one serves it.
HANDLER_MODULES = (
    "identities.identities",
    "account.account",
    "templates.templates",
    "configuration.sets",
    "identities.policies",
    "sending.sending",
    "sending.sending_v2",
    "sending.bulk",
    "identities.custom_verification",
    "account.tags",
    "contacts.lists",
    "contacts.contacts",
    "configuration.options",
    "authentication.mail_from",
    "authentication.dkim",
    "events.destinations",
    "events.notifications",
    "tenants.tenants",
    "tenants.associations",
    "account.multi_region_endpoints",
    "account.reputation_entities",
    "identities.identity_certificates",
    "sending.send_bounce",
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
    "account.account_attributes",
    "configuration.update",
)
