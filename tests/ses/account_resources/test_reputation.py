"""SES v2 reputation entities through boto3: every identity, configuration set and tenant
is one; SES's status follows the bounces and complaints of its mail to the simulator."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.ses.helpers import advance, production_access, simple_message, verify
from tests.support.server import ServerProcess

PREFIX = "arn:aws:ses:us-east-1:123456789012:"
POLICY = "arn:aws:ses:us-east-1:aws:reputation-policy/"
SENDER = "news@brand.example"
RESOURCE = {"ReputationEntityType": "RESOURCE"}


def refused(call: Any, **params: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    error = excinfo.value.response["Error"]
    status = excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]
    return error["Code"], error["Message"], status


def entity(sesv2: Any, arn: str) -> dict[str, Any]:
    found: dict[str, Any] = sesv2.get_reputation_entity(ReputationEntityReference=arn, **RESOURCE)[
        "ReputationEntity"
    ]
    return found


def test_every_resource_is_an_entity_with_defaults(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    verify(live, "brand.example")
    sesv2.create_configuration_set(ConfigurationSetName="marketing")
    tenant_arn = sesv2.create_tenant(TenantName="acme")["TenantArn"]
    listed = sesv2.list_reputation_entities()["ReputationEntities"]
    assert [item["ReputationEntityReference"] for item in listed] == sorted(
        [f"{PREFIX}identity/brand.example", f"{PREFIX}configuration-set/marketing", tenant_arn]
    )
    found = entity(sesv2, f"{PREFIX}configuration-set/marketing")
    assert found["ReputationEntityType"] == "RESOURCE"
    assert found["ReputationManagementPolicy"] == POLICY + "standard"
    assert found["CustomerManagedStatus"]["Status"] == "ENABLED"
    assert found["AwsSesManagedStatus"]["Status"] == "ENABLED"
    assert found["SendingStatusAggregate"] == "ENABLED"
    assert "ReputationImpact" not in found
    assert "Cause" not in found["AwsSesManagedStatus"]

    page = sesv2.list_reputation_entities(PageSize=2)
    assert len(page["ReputationEntities"]) == 2
    rest = sesv2.list_reputation_entities(PageSize=2, NextToken=page["NextToken"])
    assert rest["ReputationEntities"] == listed[2:]
    assert "NextToken" not in rest
    by_prefix = sesv2.list_reputation_entities(
        Filter={"ENTITY_REFERENCE_PREFIX": f"{PREFIX}tenant/"}
    )["ReputationEntities"]
    assert [item["ReputationEntityReference"] for item in by_prefix] == [tenant_arn]
    assert refused(sesv2.list_reputation_entities, Filter={"REPUTATION_IMPACT": "MEDIUM"})[0] == (
        "BadRequestException"
    )
    assert refused(sesv2.list_reputation_entities, NextToken="garbage")[0] == (
        "BadRequestException"
    )

    missing = f"{PREFIX}configuration-set/absent"
    assert refused(sesv2.get_reputation_entity, ReputationEntityReference=missing, **RESOURCE) == (
        "NotFoundException",
        f"Reputation entity <{missing}> does not exist.",
        404,
    )
    other = "arn:aws:ses:us-east-1:210987654321:configuration-set/marketing"
    assert refused(sesv2.get_reputation_entity, ReputationEntityReference=other, **RESOURCE)[0] == (
        "NotFoundException"
    )
    assert refused(
        sesv2.update_reputation_entity_customer_managed_status,
        ReputationEntityReference=missing,
        SendingStatus="DISABLED",
        **RESOURCE,
    ) == ("BadRequestException", f"Reputation entity <{missing}> does not exist.", 400)


def test_policy_and_customer_status(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    sesv2.create_configuration_set(ConfigurationSetName="marketing")
    arn = f"{PREFIX}configuration-set/marketing"
    sesv2.update_reputation_entity_policy(
        ReputationEntityReference=arn, ReputationEntityPolicy=POLICY + "strict", **RESOURCE
    )
    assert entity(sesv2, arn)["ReputationManagementPolicy"] == POLICY + "strict"
    for bad in (
        "arn:aws:ses:us-east-1:aws:reputation-policy/lenient",
        "arn:aws:ses:eu-west-1:aws:reputation-policy/none",
        "standard",
    ):
        code, message, status = refused(
            sesv2.update_reputation_entity_policy,
            ReputationEntityReference=arn,
            ReputationEntityPolicy=bad,
            **RESOURCE,
        )
        assert (code, status) == ("BadRequestException", 400)
        assert bad in message
    assert entity(sesv2, arn)["ReputationManagementPolicy"] == POLICY + "strict"

    sesv2.update_reputation_entity_customer_managed_status(
        ReputationEntityReference=arn, SendingStatus="DISABLED", **RESOURCE
    )
    found = entity(sesv2, arn)
    assert found["CustomerManagedStatus"]["Status"] == "DISABLED"
    assert found["AwsSesManagedStatus"]["Status"] == "ENABLED"
    assert found["SendingStatusAggregate"] == "DISABLED"
    disabled = sesv2.list_reputation_entities(Filter={"SENDING_STATUS": "DISABLED"})
    assert [item["ReputationEntityReference"] for item in disabled["ReputationEntities"]] == [arn]
    # Deleting the resource forgets the entity.
    sesv2.delete_configuration_set(ConfigurationSetName="marketing")
    assert refused(sesv2.get_reputation_entity, ReputationEntityReference=arn, **RESOURCE)[0] == (
        "NotFoundException"
    )


def _send(live: ServerProcess, recipients: list[str], **extra: Any) -> None:
    live.client("sesv2").send_email(
        FromEmailAddress=SENDER,
        Destination={"ToAddresses": recipients},
        Content={"Simple": simple_message()},
        **extra,
    )
    # The next send is a second later: within the sending rate, however many recipients.
    advance(live, 1)


def test_bounces_to_the_simulator_disable_an_entity(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    verify(live, SENDER)
    production_access(live)
    sesv2.create_configuration_set(ConfigurationSetName="mostly-fine")
    sesv2.create_configuration_set(ConfigurationSetName="bouncy")
    tenant_arn = sesv2.create_tenant(TenantName="acme")["TenantArn"]
    for resource in (f"{PREFIX}identity/{SENDER}", f"{PREFIX}configuration-set/bouncy"):
        sesv2.create_tenant_resource_association(TenantName="acme", ResourceArn=resource)

    # One bounce in 14 recipients (7%): above the 5% review rate, under the 10% pause rate.
    fine = [f"success+{index}@simulator.amazonses.com" for index in range(13)]
    _send(live, [*fine, "bounce@simulator.amazonses.com"], ConfigurationSetName="mostly-fine")
    mostly_fine = f"{PREFIX}configuration-set/mostly-fine"
    found = entity(sesv2, mostly_fine)
    assert found["AwsSesManagedStatus"]["Status"] == "ENABLED"
    assert found["ReputationImpact"] == "LOW"
    assert found["SendingStatusAggregate"] == "ENABLED"
    # The strict policy disables at the review rates.
    sesv2.update_reputation_entity_policy(
        ReputationEntityReference=mostly_fine,
        ReputationEntityPolicy=POLICY + "strict",
        **RESOURCE,
    )
    strict = entity(sesv2, mostly_fine)
    assert strict["AwsSesManagedStatus"]["Status"] == "DISABLED"
    assert "7.14%" in strict["AwsSesManagedStatus"]["Cause"]
    assert strict["SendingStatusAggregate"] == "DISABLED"

    # Through the tenant: one delivered, one bounced (50%).
    bouncy = f"{PREFIX}configuration-set/bouncy"
    _send(
        live, ["success@simulator.amazonses.com"], ConfigurationSetName="bouncy", TenantName="acme"
    )
    assert entity(sesv2, tenant_arn)["SendingStatusAggregate"] == "ENABLED"
    _send(
        live, ["bounce@simulator.amazonses.com"], ConfigurationSetName="bouncy", TenantName="acme"
    )
    for arn in (bouncy, tenant_arn):
        found = entity(sesv2, arn)
        assert found["AwsSesManagedStatus"]["Status"] == "DISABLED"
        assert found["ReputationImpact"] == "HIGH"
        assert found["SendingStatusAggregate"] == "DISABLED"
        assert found["CustomerManagedStatus"]["Status"] == "ENABLED"
    assert sesv2.get_tenant(TenantName="acme")["Tenant"]["SendingStatus"] == "DISABLED"
    assert refused(
        sesv2.send_email,
        FromEmailAddress=SENDER,
        Destination={"ToAddresses": ["success@simulator.amazonses.com"]},
        Content={"Simple": simple_message()},
        TenantName="acme",
    ) == (
        "SendingPausedException",
        "Sending is disabled for tenant <acme>.",
        400,
    )
    high = sesv2.list_reputation_entities(Filter={"REPUTATION_IMPACT": "HIGH"})
    assert {item["ReputationEntityReference"] for item in high["ReputationEntities"]} == {
        bouncy,
        tenant_arn,
        f"{PREFIX}identity/{SENDER}",
    }

    # The `none` policy never disables; the finding stays.
    sesv2.update_reputation_entity_policy(
        ReputationEntityReference=bouncy, ReputationEntityPolicy=POLICY + "none", **RESOURCE
    )
    relaxed = entity(sesv2, bouncy)
    assert relaxed["AwsSesManagedStatus"]["Status"] == "ENABLED"
    assert relaxed["ReputationImpact"] == "HIGH"

    # Reinstated, the tenant sends again: rates count from the reinstatement on.
    sesv2.update_reputation_entity_customer_managed_status(
        ReputationEntityReference=tenant_arn, SendingStatus="REINSTATED", **RESOURCE
    )
    reinstated = entity(sesv2, tenant_arn)
    assert reinstated["AwsSesManagedStatus"]["Status"] == "ENABLED"
    assert reinstated["SendingStatusAggregate"] == "REINSTATED"
    _send(live, ["success@simulator.amazonses.com"], TenantName="acme")


def test_complaints_count(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    verify(live, SENDER)
    production_access(live)
    sesv2.create_configuration_set(ConfigurationSetName="spammy")
    _send(live, ["complaint@simulator.amazonses.com"], ConfigurationSetName="spammy")
    found = entity(sesv2, f"{PREFIX}configuration-set/spammy")
    assert found["AwsSesManagedStatus"]["Status"] == "DISABLED"
    assert found["ReputationImpact"] == "HIGH"
