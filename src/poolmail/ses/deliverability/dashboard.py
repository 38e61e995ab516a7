"""The Deliverability dashboard subscription: on or off, the domains subscribed, and when a
cancelled subscription ends. Kept with the account's state (``ses_accounts.data``, key
``DeliverabilityDashboard``) in the region.

AWS bills the dashboard by the month: a subscription that is switched off, or a domain
dropped from it, stays until the end of the calendar month (AccountStatus
PENDING_EXPIRATION, ``SubscriptionExpiryDate``; the domain among
``PendingExpirationSubscribedDomains``) [model GetDeliverabilityDashboardOptions].
"""

from __future__ import annotations

from typing import Any

from poolmail.context import RequestContext
from poolmail.operations import Handler, local_only
from poolmail.protocol.errors import AwsError
from poolmail.ses.account import quota
from poolmail.ses.account.account_attributes import next_month
from poolmail.ses.identities.coverage import verified_identities
from poolmail.store import Transaction

KEY = "DeliverabilityDashboard"


def settled(data: dict[str, Any], now: float) -> dict[str, Any]:
    """The account's dashboard state as of ``now``: what expired is gone.

    ``{"Enabled": bool, "ExpiresAt": float | None, "Domains": {domain: {...,
    "ExpiresAt": float | None}}}``.
    """
    state = dict(data.get(KEY) or {"Enabled": False, "ExpiresAt": None, "Domains": {}})
    if not state["Enabled"] and state.get("ExpiresAt") is not None and now >= state["ExpiresAt"]:
        return {"Enabled": False, "ExpiresAt": None, "Domains": {}}
    state["Domains"] = {
        domain: option
        for domain, option in (state.get("Domains") or {}).items()
        if option.get("ExpiresAt") is None or now < option["ExpiresAt"]
    }
    return state


def status(state: dict[str, Any]) -> str:
    if state["Enabled"]:
        return "ACTIVE"
    return "PENDING_EXPIRATION" if state.get("ExpiresAt") is not None else "DISABLED"


def no_dashboard(account: str) -> AwsError:
    # AWS's answer to a dashboard report asked of an account without a subscription
    # (GetDomainStatisticsReport, aws/aws-cli#5210).
    return AwsError("NotFoundException", f"Unable to find a dashboard account for <{account}>.")


def require(tx: Transaction, account: str, region: str, now: float) -> dict[str, Any]:
    """The dashboard state, or AWS's NotFoundException when the account has none (a
    subscription pending expiration still answers until it ends)."""
    data = quota.find_account(tx, account, region) or {}
    state = settled(data, now)
    if status(state) == "DISABLED":
        raise no_dashboard(account)
    return state


def require_domain(
    tx: Transaction, account: str, region: str, domain: str, now: float
) -> dict[str, Any]:
    """The subscription of ``domain``. Choice: AWS's text for a domain outside the
    subscription was not found; this one names it."""
    state = require(tx, account, region, now)
    option = state["Domains"].get(domain.lower())
    if option is None:
        raise AwsError(
            "NotFoundException",
            f"Domain <{domain}> is not subscribed to the Deliverability dashboard.",
        )
    return dict(option)


def _wire(domain: str, option: dict[str, Any]) -> dict[str, Any]:
    shown: dict[str, Any] = {"Domain": domain, "SubscriptionStartDate": option["StartDate"]}
    if option.get("InboxPlacementTrackingOption") is not None:
        shown["InboxPlacementTrackingOption"] = option["InboxPlacementTrackingOption"]
    return shown


def put_deliverability_dashboard_option(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    """Choice: each subscribed domain must be a domain identity the account has verified
    ("a verified domain that you use to send email" [model]); an unknown or unverified one
    is NotFoundException. ``DashboardEnabled`` false cancels the subscription at the end
    of the month, whatever domains it names."""
    enabled = bool(params["DashboardEnabled"])
    given = params.get("SubscribedDomains") or []
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction(lock=quota.lock_name(ctx.account_id, ctx.region)) as tx:
        names = [str(option.get("Domain") or "").lower() for option in given]
        if enabled:
            known = verified_identities(tx, ctx.account_id, ctx.region, names, now)
            for name, option in zip(names, given, strict=True):
                if not name or "@" in name or name not in known:
                    raise AwsError(
                        "NotFoundException",
                        f"Domain <{option.get('Domain', '')}> is not a verified domain "
                        "identity of this account.",
                    )
            if len(set(names)) != len(names):
                raise AwsError("BadRequestException", "A domain is given more than once.")
        data = quota.load_account(tx, ctx.settings, ctx.account_id, ctx.region)
        state = settled(data, now)
        domains: dict[str, Any] = dict(state["Domains"])
        month_end = next_month(now)
        if enabled:
            for name, option in zip(names, given, strict=True):
                earlier = domains.get(name) or {}
                start = option.get("SubscriptionStartDate")
                domains[name] = {
                    "StartDate": start.timestamp() if start else earlier.get("StartDate", now),
                    "InboxPlacementTrackingOption": option.get("InboxPlacementTrackingOption"),
                    "ExpiresAt": None,
                }
            for name, option in domains.items():
                if name not in names and option.get("ExpiresAt") is None:
                    option["ExpiresAt"] = month_end
            data[KEY] = {"Enabled": True, "ExpiresAt": None, "Domains": domains}
        elif state["Enabled"]:
            for option in domains.values():
                option["ExpiresAt"] = option.get("ExpiresAt") or month_end
            data[KEY] = {"Enabled": False, "ExpiresAt": month_end, "Domains": domains}
        else:
            data[KEY] = state
        quota.save_account(tx, ctx.account_id, ctx.region, data)
    return {}


@local_only
def get_deliverability_dashboard_options(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction(readonly=True) as tx:
        state = settled(quota.find_account(tx, ctx.account_id, ctx.region) or {}, now)
    domains = sorted(state["Domains"].items())
    answer: dict[str, Any] = {
        "DashboardEnabled": bool(state["Enabled"]),
        "AccountStatus": status(state),
        "ActiveSubscribedDomains": [
            _wire(name, option) for name, option in domains if option.get("ExpiresAt") is None
        ],
        "PendingExpirationSubscribedDomains": [
            _wire(name, option) for name, option in domains if option.get("ExpiresAt") is not None
        ],
    }
    if state.get("ExpiresAt") is not None:
        answer["SubscriptionExpiryDate"] = state["ExpiresAt"]
    return answer


V1: dict[str, Handler] = {}
V2: dict[str, Handler] = {
    "PutDeliverabilityDashboardOption": put_deliverability_dashboard_option,
    "GetDeliverabilityDashboardOptions": get_deliverability_dashboard_options,
}
