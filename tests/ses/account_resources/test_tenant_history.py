"""A tenant's reputation counts are running totals kept as its mail is sent
(ses/tenants/history.py): they follow reinstatements and the 14-day window, and stay
when the captured mailbox is emptied."""

from __future__ import annotations

import httpx

from tests.ses.account_resources.test_reputation import PREFIX, RESOURCE, SENDER, _send, entity
from tests.ses.helpers import advance, production_access, verify
from tests.support.server import ServerProcess


def test_a_tenant_counts_its_mail_apart_from_the_mailbox(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    verify(live, SENDER)
    production_access(live)
    tenant_arn = sesv2.create_tenant(TenantName="acme")["TenantArn"]
    sesv2.create_tenant_resource_association(
        TenantName="acme", ResourceArn=f"{PREFIX}identity/{SENDER}"
    )
    _send(live, ["success@simulator.amazonses.com"], TenantName="acme")
    _send(live, ["bounce@simulator.amazonses.com"], TenantName="acme")
    assert sesv2.get_tenant(TenantName="acme")["Tenant"]["SendingStatus"] == "DISABLED"

    # Emptying the captured mailbox is no change of reputation.
    httpx.delete(f"{live.url}/_aws/ses").raise_for_status()
    assert sesv2.get_tenant(TenantName="acme")["Tenant"]["SendingStatus"] == "DISABLED"
    listed = sesv2.list_reputation_entities(Filter={"SENDING_STATUS": "DISABLED"})
    assert [item["ReputationEntityReference"] for item in listed["ReputationEntities"]] == [
        tenant_arn
    ]

    # Reinstated, it counts afresh: one more bounce in two sends is 50% again.
    sesv2.update_reputation_entity_customer_managed_status(
        ReputationEntityReference=tenant_arn, SendingStatus="REINSTATED", **RESOURCE
    )
    _send(live, ["success@simulator.amazonses.com"], TenantName="acme")
    assert entity(sesv2, tenant_arn)["SendingStatusAggregate"] == "REINSTATED"
    _send(live, ["bounce@simulator.amazonses.com"], TenantName="acme")
    assert entity(sesv2, tenant_arn)["SendingStatusAggregate"] == "DISABLED"

    # Back to ENABLED, the fortnight's mail counts again; past it, none does.
    sesv2.update_reputation_entity_customer_managed_status(
        ReputationEntityReference=tenant_arn, SendingStatus="ENABLED", **RESOURCE
    )
    assert entity(sesv2, tenant_arn)["AwsSesManagedStatus"]["Status"] == "DISABLED"
    advance(live, 14 * 86400 + 1)
    found = entity(sesv2, tenant_arn)
    assert found["AwsSesManagedStatus"]["Status"] == "ENABLED"
    assert found["SendingStatusAggregate"] == "ENABLED"
