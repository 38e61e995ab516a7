"""SES v2 account attributes (dedicated IP auto warm-up, shared pool delivery mode,
pricing plan, VDM) as GetAccount shows them, and UpdateConfigurationSet."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.ses.helpers import advance
from tests.support.server import ServerProcess


def refused(call: Any, **params: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    error = excinfo.value.response["Error"]
    return (
        error["Code"],
        error["Message"],
        excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"],
    )


def test_a_new_account_shows_only_the_warm_up_flag(live: ServerProcess) -> None:
    account = live.client("sesv2").get_account()
    assert account["DedicatedIpAutoWarmupEnabled"] is False
    for member in ("VdmAttributes", "PricingAttributes", "DeliveryAttributes"):
        assert member not in account


def test_warm_up_delivery_and_vdm_attributes_are_stored(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    sesv2.put_account_dedicated_ip_warmup_attributes(AutoWarmupEnabled=True)
    sesv2.put_account_delivery_attributes(SharedPoolDeliveryMode="REGIONAL")
    sesv2.put_account_vdm_attributes(
        VdmAttributes={
            "VdmEnabled": "ENABLED",
            "DashboardAttributes": {"EngagementMetrics": "ENABLED"},
        }
    )
    account = sesv2.get_account()
    assert account["DedicatedIpAutoWarmupEnabled"] is True
    assert account["DeliveryAttributes"] == {"SharedPoolDeliveryMode": "REGIONAL"}
    assert account["VdmAttributes"] == {
        "VdmEnabled": "ENABLED",
        "DashboardAttributes": {"EngagementMetrics": "ENABLED"},
        "GuardianAttributes": {"OptimizedSharedDelivery": "DISABLED"},
    }
    sesv2.put_account_vdm_attributes(VdmAttributes={"VdmEnabled": "DISABLED"})
    sesv2.put_account_dedicated_ip_warmup_attributes()
    account = sesv2.get_account()
    assert account["VdmAttributes"] == {"VdmEnabled": "DISABLED"}
    assert account["DedicatedIpAutoWarmupEnabled"] is False
    # Per region: another region is untouched.
    assert "VdmAttributes" not in live.client("sesv2", region="eu-west-1").get_account()
    # Enums are checked (the client would refuse first, so it does not validate here).
    raw = live.client("sesv2", validate=False)
    code, _, status = refused(raw.put_account_delivery_attributes, SharedPoolDeliveryMode="NOPE")
    assert (code, status) == ("BadRequestException", 400)
    assert sesv2.get_account()["DeliveryAttributes"] == {"SharedPoolDeliveryMode": "REGIONAL"}


def test_a_pricing_plan_change_waits_for_the_next_month(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    sesv2.put_account_pricing_attributes(Plan="ESSENTIALS")
    assert sesv2.get_account()["PricingAttributes"] == {"CurrentPlan": "ESSENTIALS"}
    sesv2.put_account_pricing_attributes(Plan="PRO")
    assert sesv2.get_account()["PricingAttributes"] == {
        "CurrentPlan": "ESSENTIALS",
        "NextPlan": "PRO",
    }
    # Asking for the current plan again cancels the change.
    sesv2.put_account_pricing_attributes(Plan="ESSENTIALS")
    assert sesv2.get_account()["PricingAttributes"] == {"CurrentPlan": "ESSENTIALS"}
    sesv2.put_account_pricing_attributes(Plan="ENTERPRISE")
    advance(live, 32 * 86400)
    assert sesv2.get_account()["PricingAttributes"] == {"CurrentPlan": "ENTERPRISE"}


def test_update_configuration_set_changes_only_what_it_names(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    sesv2.create_configuration_set(
        ConfigurationSetName="signed", SendingOptions={"SendingEnabled": False}
    )
    sesv2.update_configuration_set(
        ConfigurationSetName="signed",
        MessageSecurityOptions={"SigningScheme": {"SmimeScheme": {"SignatureFormat": "DETACHED"}}},
    )
    found = sesv2.get_configuration_set(ConfigurationSetName="signed")
    assert found["MessageSecurityOptions"] == {
        "SigningScheme": {"SmimeScheme": {"SignatureFormat": "DETACHED"}}
    }
    assert found["SendingOptions"] == {"SendingEnabled": False}
    sesv2.update_configuration_set(ConfigurationSetName="signed")
    assert "MessageSecurityOptions" in sesv2.get_configuration_set(ConfigurationSetName="signed")
    sesv2.update_configuration_set(
        ConfigurationSetName="signed",
        MessageSecurityOptions={"SigningScheme": {"DefaultScheme": {}}},
    )
    assert sesv2.get_configuration_set(ConfigurationSetName="signed")["MessageSecurityOptions"] == {
        "SigningScheme": {"DefaultScheme": {}}
    }
    # v1 sees the same set.
    described = live.client("ses").describe_configuration_set(
        ConfigurationSetName="signed", ConfigurationSetAttributeNames=["reputationOptions"]
    )
    assert described["ReputationOptions"]["SendingEnabled"] is False

    assert refused(sesv2.update_configuration_set, ConfigurationSetName="nope") == (
        "NotFoundException",
        "Configuration set <nope> does not exist.",
        404,
    )
    raw = live.client("sesv2", validate=False)
    code, _, status = refused(
        raw.update_configuration_set,
        ConfigurationSetName="signed",
        MessageSecurityOptions={
            "SigningScheme": {"DefaultScheme": {}, "SmimeScheme": {"SignatureFormat": "DETACHED"}}
        },
    )
    assert (code, status) == ("BadRequestException", 400)
    assert sesv2.get_configuration_set(ConfigurationSetName="signed")["MessageSecurityOptions"] == {
        "SigningScheme": {"DefaultScheme": {}}
    }
