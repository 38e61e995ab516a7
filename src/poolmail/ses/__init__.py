"""Amazon SES: one engine behind SES v1 (query) and SES v2 (REST-JSON).

Each resource module lists the operations it serves in ``V1`` and ``V2``.
"""

from __future__ import annotations

from poolmail.operations import Handler
from poolmail.ses import (
    account,
    account_attributes,
    bulk,
    configuration_set_options,
    configuration_set_update,
    configuration_sets,
    custom_verification,
    identities,
    identity_certificates,
    multi_region_endpoints,
    policies,
    reputation_entities,
    send_bounce,
    sending,
    sending_v2,
    tags,
    templates,
)
from poolmail.ses.authentication import dkim, mail_from
from poolmail.ses.contacts import contacts, lists
from poolmail.ses.dedicated_ips import ips, pools
from poolmail.ses.deliverability import campaigns, dashboard, test_reports
from poolmail.ses.events import destinations, notifications
from poolmail.ses.insights import (
    address_insights,
    message_insights,
    metrics,
    recommendations,
)
from poolmail.ses.jobs import export_jobs, import_jobs
from poolmail.ses.receiving import filters, rule_sets, rules
from poolmail.ses.suppression import destinations as suppressed_destinations
from poolmail.ses.suppression import settings as suppression_settings
from poolmail.ses.tenants import associations as tenant_associations
from poolmail.ses.tenants import tenants

_MODULES = (
    identities,
    account,
    templates,
    configuration_sets,
    policies,
    sending,
    sending_v2,
    bulk,
    custom_verification,
    tags,
    lists,
    contacts,
    configuration_set_options,
    mail_from,
    dkim,
    destinations,
    notifications,
    tenants,
    tenant_associations,
    multi_region_endpoints,
    reputation_entities,
    identity_certificates,
    send_bounce,
    rule_sets,
    rules,
    filters,
    suppressed_destinations,
    suppression_settings,
    import_jobs,
    export_jobs,
    message_insights,
    address_insights,
    metrics,
    recommendations,
    pools,
    ips,
    dashboard,
    test_reports,
    campaigns,
    account_attributes,
    configuration_set_update,
)

SES_OPERATIONS: dict[str, Handler] = {
    name: handler for module in _MODULES for name, handler in module.V1.items()
}
SESV2_OPERATIONS: dict[str, Handler] = {
    name: handler for module in _MODULES for name, handler in module.V2.items()
}
