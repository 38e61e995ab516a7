"""Custom MAIL FROM domains: v1 Set/GetIdentityMailFromDomain*, v2
PutEmailIdentityMailFromAttributes, the search for the domain's MX record with SES's
states and timing, and the envelope sender a send uses.

The setting lives in the identity's row, ``data["MailFrom"]``: ``{"Domain", "Behavior"
(v1 spelling), "Status", "Since" (start of the current Pending/TemporaryFailure window),
"CheckedAt"}``; without ``Domain`` only the behaviour is kept.
"""

from __future__ import annotations

import json
from typing import Any

from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.protocol.errors import AwsError
from poolmail.ses.identities.dns import Resolver, normalize_name, resolver_for
from poolmail.ses.identities.verification import (
    DOMAIN,
    identity_lock,
    load,
    normalize_identity,
    update_data,
    valid_domain,
)
from poolmail.store import Database, Transaction

KEY = "MailFrom"
PENDING, SUCCESS, FAILED, TEMPORARY_FAILURE = "Pending", "Success", "Failed", "TemporaryFailure"
USE_DEFAULT, REJECT = "UseDefaultValue", "RejectMessage"
V2_STATUS = {
    PENDING: "PENDING",
    SUCCESS: "SUCCESS",
    FAILED: "FAILED",
    TEMPORARY_FAILURE: "TEMPORARY_FAILURE",
}
V2_BEHAVIOR = {USE_DEFAULT: "USE_DEFAULT_VALUE", REJECT: "REJECT_MESSAGE"}
V1_BEHAVIOR = {v2: v1 for v1, v2 in V2_BEHAVIOR.items()}
# AWS quirk: SES searches for the MX record for up to 72 hours (Pending), and a record
# that disappears leaves 72 hours (TemporaryFailure) before Failed
# (docs.aws.amazon.com/ses/latest/dg/mail-from.html).
WINDOW_SECONDS = 72 * 3600.0
# An unchanged check result is written back at most this often.
CHECK_WRITE_INTERVAL = 60.0
SPF_VALUE = "v=spf1 include:amazonses.com ~all"
# Choice: AWS's text for this refusal was not found; SES's troubleshooting page lists the
# reason as "Mail FROM domain is not verified".
NOT_VERIFIED_MESSAGE = "Mail FROM domain is not verified."


def mx_target(region: str) -> str:
    return f"feedback-smtp.{region}.amazonses.com"


def default_domain(region: str) -> str:
    """The MAIL FROM domain SES uses when no custom one applies: `amazonses.com` in
    us-east-1, `<region>.amazonses.com` elsewhere (as on SES's Return-Path headers)."""
    return "amazonses.com" if region == "us-east-1" else f"{region}.amazonses.com"


def status(setting: dict[str, Any], now: float) -> str:
    """The setting's status as of ``now``: a search or a temporary failure ends in Failed
    after its window."""
    current = str(setting.get("Status", PENDING))
    if (
        current in (PENDING, TEMPORARY_FAILURE)
        and now - float(setting.get("Since", now)) >= WINDOW_SECONDS
    ):
        return FAILED
    return current


def records_in_place(resolver: Resolver, domain: str, region: str) -> bool:
    """Exactly one MX record, pointing at SES's feedback endpoint of the region.

    AWS quirk: "If the MAIL FROM domain has multiple MX records, the custom MAIL FROM setup
    … will fail" (docs.aws.amazon.com/ses/latest/dg/mail-from.html). SES's states follow
    the MX record only; the SPF record is for the receivers, not for the status."""
    values = resolver.mx(domain)
    if len(values) != 1:
        return False
    _, _, host = values[0].partition(" ")
    return host == mx_target(region)


def check(resolver: Resolver, region: str, setting: dict[str, Any], now: float) -> dict[str, Any]:
    """The setting after one look at DNS (the same dict when nothing needs writing)."""
    current = status(setting, now)
    if "Domain" not in setting or current == FAILED:
        return setting
    found = records_in_place(resolver, setting["Domain"], region)
    if found and current != SUCCESS:
        return {**setting, "Status": SUCCESS, "Since": now, "CheckedAt": now}
    if not found and current == SUCCESS:
        return {**setting, "Status": TEMPORARY_FAILURE, "Since": now, "CheckedAt": now}
    if now - float(setting.get("CheckedAt", 0.0)) >= CHECK_WRITE_INTERVAL:
        return {**setting, "CheckedAt": now}
    return setting


def refresh(
    db: Database,
    resolver: Resolver,
    account: str,
    region: str,
    identity: str,
    data: dict[str, Any],
    now: float,
) -> dict[str, Any]:
    """Re-check one identity's MAIL FROM domain; its data as now stored. The lookups run
    outside any transaction, so a slow DNS server holds no lock."""
    setting = data.get(KEY)
    if not setting:
        return data
    checked = check(resolver, region, setting, now)
    if checked is setting:
        return data
    with db.transaction(lock=identity_lock(account, region, identity)) as tx:
        current = load(tx, account, region, identity)
        if current is None:
            return data
        stored = current.data.get(KEY) or {}
        if (stored.get("Domain"), stored.get("Since")) != (
            setting.get("Domain"),
            setting.get("Since"),
        ):
            return current.data  # set again while we looked: this result is not its
        updated = update_data(tx, account, region, identity, {KEY: checked})
    return updated if updated is not None else data


def refresh_all(db: Database, resolver: Resolver, now: float) -> int:
    """The background pass: every MAIL FROM domain still searched for or in use."""
    with db.transaction(readonly=True) as tx:
        rows = tx.fetchall("SELECT account, region, identity, data FROM ses_identities")
    checked = 0
    for account, region, identity, raw in rows:
        data = json.loads(raw)
        setting = data.get(KEY) or {}
        if "Domain" in setting and status(setting, now) != FAILED:
            refresh(db, resolver, account, region, identity, data, now)
            checked += 1
    return checked


# --- the send path ------------------------------------------------------------------------


def _setting_for(
    tx: Transaction, account: str, region: str, identity: str
) -> dict[str, Any] | None:
    row = load(tx, account, region, identity)
    setting = (row.data.get(KEY) if row is not None else None) or {}
    if "Domain" in setting:
        return dict(setting)
    if "@" in identity:
        # Choice: an address identity without a MAIL FROM domain of its own uses its
        # domain's, as mail from any address of a verified domain does.
        domain_row = load(tx, account, region, identity.rpartition("@")[2])
        domain_setting = (domain_row.data.get(KEY) if domain_row is not None else None) or {}
        if "Domain" in domain_setting:
            return dict(domain_setting)
    return None


def envelope_sender(
    tx: Transaction, account: str, region: str, identity: str | None, message_id: str, now: float
) -> tuple[str | None, str | None]:
    """(MAIL FROM address, refusal): the custom domain's address when its MX record was
    found; under amazonses.com (UseDefaultValue) or a refusal (RejectMessage) otherwise;
    (None, None) when the identity has no custom MAIL FROM domain."""
    setting = _setting_for(tx, account, region, identity) if identity else None
    if setting is None:
        return None, None
    if status(setting, now) == SUCCESS:
        return f"{message_id}@{setting['Domain']}", None
    if setting.get("Behavior") == REJECT:
        return None, NOT_VERIFIED_MESSAGE
    return f"{message_id}@{default_domain(region)}", None


# --- operations ---------------------------------------------------------------------------


def _not_found(given: str, v2: bool) -> AwsError:
    if v2:
        return AwsError("NotFoundException", f"Email identity {given} does not exist.")
    # As SES's other owner-only v1 operations answer an unknown identity
    # (ses/identities/policies.py).
    return AwsError("MessageRejected", f"Identity {given} is not verified or does not exist.")


def _set(ctx: RequestContext, given: str, domain: str | None, behavior: str, v2: bool) -> None:
    name, kind = normalize_identity(given)
    setting: dict[str, Any] = {"Behavior": behavior}
    code = "BadRequestException" if v2 else "InvalidParameterValue"
    if domain:
        mail_from = normalize_name(domain)
        identity_domain = name if kind == DOMAIN else name.rpartition("@")[2]
        if not valid_domain(mail_from):
            # Choice: AWS's text for a malformed domain was not found.
            raise AwsError(code, f"Invalid MAIL-FROM domain <{domain}>.", status=400)
        if not mail_from.endswith(f".{identity_domain}"):
            # Real SES text (Terraform output, facts §3).
            raise AwsError(
                code,
                f"Provided MAIL-FROM domain <{mail_from}> is not subdomain of the domain of "
                f"the identity <{identity_domain}>.",
                status=400,
            )
        now = ctx.clock.now().timestamp()
        # Setting the domain (again) starts a new 72-hour search: how SES restarts Failed.
        setting.update(Domain=mail_from, Status=PENDING, Since=now, CheckedAt=0.0)
    with ctx.db.transaction(lock=identity_lock(ctx.account_id, ctx.region, name)) as tx:
        if update_data(tx, ctx.account_id, ctx.region, name, {KEY: setting}) is None:
            raise _not_found(given, v2)


def fresh(ctx: RequestContext, name: str, data: dict[str, Any]) -> dict[str, Any]:
    """The identity's ``data`` with its MAIL FROM domain re-checked while searched for, so
    a client polling for Success sees it as soon as the record is there."""
    now = ctx.clock.now().timestamp()
    setting = data.get(KEY) or {}
    if "Domain" in setting and status(setting, now) in (PENDING, TEMPORARY_FAILURE):
        resolver = resolver_for(ctx.db, ctx.settings.dns_server)
        return refresh(ctx.db, resolver, ctx.account_id, ctx.region, name, data, now)
    return data


def _current(ctx: RequestContext, name: str) -> dict[str, Any] | None:
    with ctx.db.transaction(readonly=True) as tx:
        row = load(tx, ctx.account_id, ctx.region, name)
    return None if row is None else fresh(ctx, name, row.data)


def attributes_v2(data: dict[str, Any], now: float) -> dict[str, Any]:
    """GetEmailIdentity's MailFromAttributes; an identity without a custom domain shows
    only the behaviour (real output quoted in getmoto/moto#9771)."""
    setting = data.get(KEY) or {}
    result: dict[str, Any] = {
        "BehaviorOnMxFailure": V2_BEHAVIOR[setting.get("Behavior", USE_DEFAULT)]
    }
    if "Domain" in setting:
        result["MailFromDomain"] = setting["Domain"]
        result["MailFromDomainStatus"] = V2_STATUS[status(setting, now)]
    return result


def set_identity_mail_from_domain(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    behavior = params.get("BehaviorOnMXFailure") or USE_DEFAULT
    _set(ctx, params["Identity"], params.get("MailFromDomain"), behavior, v2=False)
    return {}


def get_identity_mail_from_domain_attributes(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    now = ctx.clock.now().timestamp()
    attributes: dict[str, Any] = {}
    for given in params["Identities"]:
        data = _current(ctx, normalize_identity(given)[0])
        if data is None:
            continue  # AWS leaves out identities it does not know
        setting = data.get(KEY) or {}
        entry: dict[str, Any] = {"BehaviorOnMXFailure": setting.get("Behavior", USE_DEFAULT)}
        if "Domain" in setting:
            entry["MailFromDomain"] = setting["Domain"]
            entry["MailFromDomainStatus"] = status(setting, now)
        attributes[given] = entry
    return {"MailFromDomainAttributes": attributes}


def put_email_identity_mail_from_attributes(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    behavior = V1_BEHAVIOR[params.get("BehaviorOnMxFailure") or "USE_DEFAULT_VALUE"]
    _set(ctx, params["EmailIdentity"], params.get("MailFromDomain"), behavior, v2=True)
    return {}


V1: dict[str, Handler] = {
    "SetIdentityMailFromDomain": set_identity_mail_from_domain,
    "GetIdentityMailFromDomainAttributes": get_identity_mail_from_domain_attributes,
}
V2: dict[str, Handler] = {
    "PutEmailIdentityMailFromAttributes": put_email_identity_mail_from_attributes,
}
