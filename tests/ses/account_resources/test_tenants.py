"""SES v2 tenants through boto3: the tenants, their resource associations, and sends that
name a tenant."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.ses.helpers import messages, production_access, simple_message, verify
from tests.support.server import ServerProcess

ACCOUNT = "123456789012"
PREFIX = f"arn:aws:ses:us-east-1:{ACCOUNT}:"
SENDER = "orders@shop.example"


def refused(call: Any, **params: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    error = excinfo.value.response["Error"]
    return (
        error["Code"],
        error["Message"],
        excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"],
    )


def test_tenant_lifecycle_and_tags(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    created = sesv2.create_tenant(TenantName="acme", Tags=[{"Key": "plan", "Value": "gold"}])
    assert created["TenantName"] == "acme"
    assert created["TenantId"].startswith("tn-")
    assert created["TenantArn"] == f"{PREFIX}tenant/acme/{created['TenantId']}"
    assert created["SendingStatus"] == "ENABLED"
    assert created["Tags"] == [{"Key": "plan", "Value": "gold"}]
    assert created["SuppressionAttributes"] == {
        "SuppressedReasons": ["BOUNCE", "COMPLAINT"],
        "SuppressionScope": "ACCOUNT",
    }
    tenant = sesv2.get_tenant(TenantName="acme")["Tenant"]
    assert tenant["TenantArn"] == created["TenantArn"]
    assert tenant["CreatedTimestamp"] == created["CreatedTimestamp"]

    arn = created["TenantArn"]
    sesv2.tag_resource(ResourceArn=arn, Tags=[{"Key": "team", "Value": "b2b"}])
    assert sesv2.list_tags_for_resource(ResourceArn=arn)["Tags"] == [
        {"Key": "plan", "Value": "gold"},
        {"Key": "team", "Value": "b2b"},
    ]
    sesv2.untag_resource(ResourceArn=arn, TagKeys=["plan"])
    assert sesv2.get_tenant(TenantName="acme")["Tenant"]["Tags"] == [
        {"Key": "team", "Value": "b2b"}
    ]
    assert refused(sesv2.list_tags_for_resource, ResourceArn=f"{PREFIX}tenant/acme/tn-0")[0] == (
        "NotFoundException"
    )

    sesv2.put_tenant_suppression_attributes(
        TenantName="acme", SuppressedReasons=["BOUNCE"], SuppressionScope="TENANT"
    )
    assert sesv2.get_tenant(TenantName="acme")["Tenant"]["SuppressionAttributes"] == {
        "SuppressedReasons": ["BOUNCE"],
        "SuppressionScope": "TENANT",
    }

    assert refused(sesv2.create_tenant, TenantName="acme") == (
        "AlreadyExistsException",
        "Tenant <acme> already exists.",
        400,
    )
    code, message, status = refused(sesv2.create_tenant, TenantName="bad name!")
    assert (code, status) == ("BadRequestException", 400)
    assert "bad name!" in message
    assert refused(sesv2.create_tenant, TenantName="t" * 65)[0] == "BadRequestException"
    assert refused(sesv2.get_tenant, TenantName="absent") == (
        "NotFoundException",
        "Tenant <absent> does not exist.",
        404,
    )
    assert refused(sesv2.put_tenant_suppression_attributes, TenantName="absent")[0] == (
        "NotFoundException"
    )
    # Tenants are per Region.
    assert live.client("sesv2", region="eu-west-1").list_tenants()["Tenants"] == []

    sesv2.delete_tenant(TenantName="acme")
    assert refused(sesv2.delete_tenant, TenantName="acme") == (
        "NotFoundException",
        "Tenant <acme> does not exist.",
        404,
    )
    assert sesv2.list_tenants()["Tenants"] == []


def test_list_tenants_pages_and_filters(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    names = ["alpha", "beta_1", "beta_2", "gamma", "delta"]
    for name in names:
        sesv2.create_tenant(TenantName=name)
    seen: list[str] = []
    token: str | None = None
    while True:
        page = sesv2.list_tenants(PageSize=2, **({"NextToken": token} if token else {}))
        assert len(page["Tenants"]) <= 2
        seen += [tenant["TenantName"] for tenant in page["Tenants"]]
        token = page.get("NextToken")
        if token is None:
            break
    assert seen == names
    first = sesv2.list_tenants()["Tenants"][0]
    assert set(first) == {
        "TenantName",
        "TenantId",
        "TenantArn",
        "CreatedTimestamp",
        "SendingStatus",
    }
    contains = sesv2.list_tenants(Filter={"TENANT_NAME_CONTAINS": "a_"})["Tenants"]
    assert [tenant["TenantName"] for tenant in contains] == ["beta_1", "beta_2"]
    disabled = sesv2.list_tenants(Filter={"SENDING_STATUS": "DISABLED"})["Tenants"]
    assert disabled == []
    assert refused(sesv2.list_tenants, Filter={"SENDING_STATUS": "PAUSED"})[0] == (
        "BadRequestException"
    )
    assert refused(sesv2.list_tenants, NextToken="not-a-token") == (
        "BadRequestException",
        "Invalid pagination token.",
        400,
    )
    assert refused(sesv2.list_tenants, PageSize=0)[0] == "BadRequestException"


def _resources(live: ServerProcess) -> dict[str, str]:
    sesv2 = live.client("sesv2")
    verify(live, "shop.example")
    sesv2.create_configuration_set(ConfigurationSetName="transactional")
    sesv2.create_email_template(
        TemplateName="receipt",
        TemplateContent={"Subject": "Receipt {{n}}", "Text": "Order {{n}}"},
    )
    return {
        "identity": f"{PREFIX}identity/shop.example",
        "set": f"{PREFIX}configuration-set/transactional",
        "template": f"{PREFIX}template/receipt",
    }


def test_resource_associations_round_trip(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    arns = _resources(live)
    sesv2.create_tenant(TenantName="acme")
    sesv2.create_tenant(TenantName="globex")
    for arn in arns.values():
        sesv2.create_tenant_resource_association(TenantName="acme", ResourceArn=arn)
    # A domain identity's ARN is matched without regard to case.
    sesv2.create_tenant_resource_association(
        TenantName="globex", ResourceArn=f"{PREFIX}identity/SHOP.example"
    )

    listed = sesv2.list_tenant_resources(TenantName="acme")["TenantResources"]
    assert listed == [
        {"ResourceType": "EMAIL_IDENTITY", "ResourceArn": arns["identity"]},
        {"ResourceType": "CONFIGURATION_SET", "ResourceArn": arns["set"]},
        {"ResourceType": "EMAIL_TEMPLATE", "ResourceArn": arns["template"]},
    ]
    page = sesv2.list_tenant_resources(TenantName="acme", PageSize=2)
    assert len(page["TenantResources"]) == 2
    rest = sesv2.list_tenant_resources(TenantName="acme", NextToken=page["NextToken"])
    assert rest["TenantResources"] == listed[2:]
    assert "NextToken" not in rest
    templates = sesv2.list_tenant_resources(
        TenantName="acme", Filter={"RESOURCE_TYPE": "EMAIL_TEMPLATE"}
    )["TenantResources"]
    assert templates == listed[2:]
    assert (
        refused(
            sesv2.list_tenant_resources, TenantName="acme", Filter={"RESOURCE_TYPE": "CONTACT_LIST"}
        )[0]
        == "BadRequestException"
    )

    tenants = sesv2.list_resource_tenants(ResourceArn=arns["identity"])["ResourceTenants"]
    assert [tenant["TenantName"] for tenant in tenants] == ["acme", "globex"]
    acme_id = sesv2.get_tenant(TenantName="acme")["Tenant"]["TenantId"]
    assert tenants[0]["TenantId"] == acme_id
    assert tenants[0]["ResourceArn"] == arns["identity"]
    assert "AssociatedTimestamp" in tenants[0]
    first = sesv2.list_resource_tenants(ResourceArn=arns["identity"], PageSize=1)
    assert [t["TenantName"] for t in first["ResourceTenants"]] == ["acme"]
    second = sesv2.list_resource_tenants(
        ResourceArn=arns["identity"], PageSize=1, NextToken=first["NextToken"]
    )
    assert [t["TenantName"] for t in second["ResourceTenants"]] == ["globex"]

    assert refused(
        sesv2.create_tenant_resource_association, TenantName="acme", ResourceArn=arns["set"]
    ) == (
        "AlreadyExistsException",
        f"Resource {arns['set']} is already associated with tenant <acme>.",
        400,
    )
    missing = f"{PREFIX}configuration-set/absent"
    assert refused(
        sesv2.create_tenant_resource_association, TenantName="acme", ResourceArn=missing
    ) == ("NotFoundException", f"Resource {missing} does not exist.", 404)
    other_account = "arn:aws:ses:us-east-1:210987654321:configuration-set/transactional"
    assert (
        refused(
            sesv2.create_tenant_resource_association, TenantName="acme", ResourceArn=other_account
        )[0]
        == "NotFoundException"
    )
    contact_list = f"{PREFIX}contact-list/customers"
    code, _, status = refused(
        sesv2.create_tenant_resource_association, TenantName="acme", ResourceArn=contact_list
    )
    assert (code, status) == ("BadRequestException", 400)
    assert refused(
        sesv2.create_tenant_resource_association, TenantName="absent", ResourceArn=arns["set"]
    ) == ("NotFoundException", "Tenant <absent> does not exist.", 404)
    assert refused(sesv2.list_tenant_resources, TenantName="absent")[0] == "NotFoundException"
    assert refused(sesv2.list_resource_tenants, ResourceArn=missing)[0] == "NotFoundException"

    sesv2.delete_tenant_resource_association(TenantName="acme", ResourceArn=arns["set"])
    assert refused(
        sesv2.delete_tenant_resource_association, TenantName="acme", ResourceArn=arns["set"]
    ) == (
        "NotFoundException",
        f"Resource {arns['set']} is not associated with tenant <acme>.",
        404,
    )
    assert len(sesv2.list_tenant_resources(TenantName="acme")["TenantResources"]) == 2

    # Deleting a tenant removes its associations, not the resources.
    sesv2.delete_tenant(TenantName="acme")
    tenants = sesv2.list_resource_tenants(ResourceArn=arns["identity"])["ResourceTenants"]
    assert [tenant["TenantName"] for tenant in tenants] == ["globex"]
    assert sesv2.get_configuration_set(ConfigurationSetName="transactional")


def test_sends_through_a_tenant(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    arns = _resources(live)
    production_access(live)
    sesv2.create_tenant(TenantName="acme")
    to = {"ToAddresses": ["success@simulator.amazonses.com"]}
    simple = {"Simple": simple_message()}

    assert refused(
        sesv2.send_email,
        FromEmailAddress=SENDER,
        Destination=to,
        Content=simple,
        TenantName="absent",
    ) == ("NotFoundException", "Tenant <absent> does not exist.", 404)
    # The sending identity must be associated with the tenant.
    assert refused(
        sesv2.send_email, FromEmailAddress=SENDER, Destination=to, Content=simple, TenantName="acme"
    ) == (
        "BadRequestException",
        f"Resource {PREFIX}identity/{SENDER} is not associated with tenant <acme>.",
        400,
    )
    sesv2.create_tenant_resource_association(TenantName="acme", ResourceArn=arns["identity"])
    sent = sesv2.send_email(
        FromEmailAddress=SENDER, Destination=to, Content=simple, TenantName="acme"
    )
    assert [m["id"] for m in messages(live)] == [sent["MessageId"]]

    # So must the configuration set and the template it uses.
    assert refused(
        sesv2.send_email,
        FromEmailAddress=SENDER,
        Destination=to,
        Content=simple,
        ConfigurationSetName="transactional",
        TenantName="acme",
    ) == (
        "BadRequestException",
        f"Resource {arns['set']} is not associated with tenant <acme>.",
        400,
    )
    template = {"Template": {"TemplateName": "receipt", "TemplateData": '{"n": "42"}'}}
    assert (
        refused(
            sesv2.send_email,
            FromEmailAddress=SENDER,
            Destination=to,
            Content=template,
            TenantName="acme",
        )[1]
        == f"Resource {arns['template']} is not associated with tenant <acme>."
    )
    sesv2.create_tenant_resource_association(TenantName="acme", ResourceArn=arns["set"])
    sesv2.create_tenant_resource_association(TenantName="acme", ResourceArn=arns["template"])
    sesv2.send_email(
        FromEmailAddress=SENDER,
        Destination=to,
        Content=template,
        ConfigurationSetName="transactional",
        TenantName="acme",
    )
    assert len(messages(live)) == 2

    # A tenant whose sending is disabled refuses sends; reinstated, it sends again.
    tenant_arn = sesv2.get_tenant(TenantName="acme")["Tenant"]["TenantArn"]
    sesv2.update_reputation_entity_customer_managed_status(
        ReputationEntityType="RESOURCE",
        ReputationEntityReference=tenant_arn,
        SendingStatus="DISABLED",
    )
    assert sesv2.get_tenant(TenantName="acme")["Tenant"]["SendingStatus"] == "DISABLED"
    disabled = sesv2.list_tenants(Filter={"SENDING_STATUS": "DISABLED"})["Tenants"]
    assert [tenant["TenantName"] for tenant in disabled] == ["acme"]
    assert refused(
        sesv2.send_email, FromEmailAddress=SENDER, Destination=to, Content=simple, TenantName="acme"
    ) == ("SendingPausedException", "Sending is disabled for tenant <acme>.", 400)
    sesv2.update_reputation_entity_customer_managed_status(
        ReputationEntityType="RESOURCE",
        ReputationEntityReference=tenant_arn,
        SendingStatus="REINSTATED",
    )
    assert sesv2.get_tenant(TenantName="acme")["Tenant"]["SendingStatus"] == "REINSTATED"
    sesv2.send_email(FromEmailAddress=SENDER, Destination=to, Content=simple, TenantName="acme")
    assert len(messages(live)) == 3
    # Without a tenant, none of this applies.
    sesv2.send_email(FromEmailAddress=SENDER, Destination=to, Content=simple)
    assert len(messages(live)) == 4
