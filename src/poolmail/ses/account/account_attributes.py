"""SES v2 account attributes stored with the account's state (``ses_accounts.data``):
dedicated IP auto warm-up, the shared pool delivery mode, the pricing plan and VDM; and
what GetAccount shows of them (``for_get_account``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.ses.account import quota

Change = Callable[[dict[str, Any], float], None]


def _change(ctx: RequestContext, change: Change) -> None:
    # Every change to the account's row is a read-modify-write under the account's lock,
    # as account.py makes its own.
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction(lock=quota.lock_name(ctx.account_id, ctx.region)) as tx:
        data = quota.load_account(tx, ctx.settings, ctx.account_id, ctx.region)
        change(data, now)
        quota.save_account(tx, ctx.account_id, ctx.region, data)


def next_month(moment: float) -> float:
    """The start (UTC) of the calendar month after ``moment``'s."""
    day = dt.datetime.fromtimestamp(moment, dt.UTC)
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return dt.datetime(year, month, 1, tzinfo=dt.UTC).timestamp()


def put_account_dedicated_ip_warmup_attributes(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    # Optional in the model; absent it reads as false, as AWS's Java services read an
    # unset Boolean (the choice account.py makes for SendingEnabled).
    enabled = bool(params.get("AutoWarmupEnabled", False))

    def change(data: dict[str, Any], now: float) -> None:
        data["DedicatedIpAutoWarmupEnabled"] = enabled

    _change(ctx, change)
    return {}


def put_account_delivery_attributes(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    mode = params["SharedPoolDeliveryMode"]

    def change(data: dict[str, Any], now: float) -> None:
        data["DeliveryAttributes"] = {"SharedPoolDeliveryMode": mode}

    _change(ctx, change)
    return {}


def put_account_pricing_attributes(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    """Choice: the model's NextPlan is "the pricing plan that will become active at the
    start of the next monthly cycle": a first plan takes effect at once, a change of plan
    at the start of the next calendar month (UTC), and asking for the current plan again
    cancels a scheduled change."""
    plan = params["Plan"]

    def change(data: dict[str, Any], now: float) -> None:
        pricing = _settled_pricing(data.get("PricingAttributes"), now)
        if pricing is None or pricing["CurrentPlan"] == plan:
            data["PricingAttributes"] = {"CurrentPlan": plan}
        else:
            data["PricingAttributes"] = {**pricing, "NextPlan": plan, "NextPlanAt": next_month(now)}

    _change(ctx, change)
    return {}


def _settled_pricing(pricing: dict[str, Any] | None, now: float) -> dict[str, Any] | None:
    """The stored plans as of ``now``: a scheduled plan whose month has come is current."""
    if not pricing:
        return None
    if pricing.get("NextPlan") and now >= float(pricing.get("NextPlanAt", 0)):
        return {"CurrentPlan": pricing["NextPlan"]}
    return dict(pricing)


def put_account_vdm_attributes(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    attributes = params["VdmAttributes"]
    stored: dict[str, Any] = {"VdmEnabled": attributes["VdmEnabled"]}
    for member in ("DashboardAttributes", "GuardianAttributes"):
        if attributes.get(member):
            stored[member] = dict(attributes[member])

    def change(data: dict[str, Any], now: float) -> None:
        data["VdmAttributes"] = stored

    _change(ctx, change)
    return {}


def for_get_account(data: dict[str, Any], now: float) -> dict[str, Any]:
    """GetAccount's members from these attributes.

    Choice: like the account details, VdmAttributes, PricingAttributes and
    DeliveryAttributes appear once the account stored some (floci-io/floci reports AWS
    omitting VdmAttributes until VDM is configured, and adding the dashboard and guardian
    settings only while VDM is enabled, each DISABLED unless set).
    """
    result: dict[str, Any] = {
        "DedicatedIpAutoWarmupEnabled": bool(data.get("DedicatedIpAutoWarmupEnabled", False))
    }
    vdm = data.get("VdmAttributes")
    if vdm:
        shown: dict[str, Any] = {"VdmEnabled": vdm["VdmEnabled"]}
        if vdm["VdmEnabled"] == "ENABLED":
            shown["DashboardAttributes"] = {
                "EngagementMetrics": "DISABLED",
                **(vdm.get("DashboardAttributes") or {}),
            }
            shown["GuardianAttributes"] = {
                "OptimizedSharedDelivery": "DISABLED",
                **(vdm.get("GuardianAttributes") or {}),
            }
        result["VdmAttributes"] = shown
    pricing = _settled_pricing(data.get("PricingAttributes"), now)
    if pricing:
        result["PricingAttributes"] = {
            key: pricing[key] for key in ("CurrentPlan", "NextPlan") if key in pricing
        }
    if data.get("DeliveryAttributes"):
        result["DeliveryAttributes"] = dict(data["DeliveryAttributes"])
    return result


V1: dict[str, Handler] = {}
V2: dict[str, Handler] = {
    "PutAccountDedicatedIpWarmupAttributes": put_account_dedicated_ip_warmup_attributes,
    "PutAccountDeliveryAttributes": put_account_delivery_attributes,
    "PutAccountPricingAttributes": put_account_pricing_attributes,
    "PutAccountVdmAttributes": put_account_vdm_attributes,
}
