"""SES identities, one state behind both APIs: v1 Verify*/List*/Get*/Delete* and v2
Create/Get/List/DeleteEmailIdentity over the `ses_identities` table.

How an identity becomes verified (mailed link, DNS records) lives in ``verification``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.paging import decode_token, encode_token
from poolmail.protocol.errors import AwsError
from poolmail.ses.account.tags import check_tags
from poolmail.ses.authentication import dkim as dkim_settings
from poolmail.ses.authentication import mail_from
from poolmail.ses.identities.coverage import IdentityRow, effective_status
from poolmail.ses.identities.dns import DKIM_TARGET_ZONE, refresh_domain, resolver_for
from poolmail.ses.identities.verification import (
    DOMAIN,
    EMAIL_ADDRESS,
    check_name,
    dkim_signing_state,
    dkim_status,
    identity_lock,
    insert_row,
    is_pending,
    load,
    new_domain_token,
    normalize_identity,
    pending_state,
    restart_if_failed,
    send_verification_mail,
    start_dkim,
    start_email_verification,
    update_data,
    verify_now,
)
from poolmail.store import Transaction

__all__ = ["DOMAIN", "EMAIL_ADDRESS", "V1", "V2", "V2_STATUS", "V2_TYPES"]

# v1 speaks `EmailAddress`/`Domain` and `Pending`/`Success`; v2 the upper-case forms.
V2_TYPES = {EMAIL_ADDRESS: "EMAIL_ADDRESS", DOMAIN: "DOMAIN"}
V2_STATUS = {
    "Pending": "PENDING",
    "Success": "SUCCESS",
    "Failed": "FAILED",
    "TemporaryFailure": "TEMPORARY_FAILURE",
    "NotStarted": "NOT_STARTED",
}


def _now(ctx: RequestContext) -> float:
    return ctx.clock.now().timestamp()


def auto_verifies(ctx: RequestContext) -> bool:
    """Whether new identities are verified at once (`--ses-identity-verification auto`, a
    documented deviation for suites coming from moto or LocalStack)."""
    return ctx.settings.ses_identity_verification == "auto"


# --- v1: starting verification -------------------------------------------------------------


def _verify_email(ctx: RequestContext, address: str) -> None:
    check_name(address, EMAIL_ADDRESS, "InvalidParameterValue")
    now = _now(ctx)
    with ctx.db.transaction(lock=identity_lock(ctx.account_id, ctx.region, address)) as tx:
        start_email_verification(
            tx, ctx.account_id, ctx.region, address, ctx.base_url, now, auto=auto_verifies(ctx)
        )


def verify_email_identity(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _verify_email(ctx, params["EmailAddress"])
    return {}


def verify_email_address(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    # The legacy operation: the same effect as VerifyEmailIdentity.
    _verify_email(ctx, params["EmailAddress"])
    return {}


def _domain_row(
    ctx: RequestContext, given: str, changes: Callable[[dict[str, Any], float], dict[str, Any]]
) -> dict[str, Any]:
    """Add the domain if new, else apply ``changes(data, now)``; return its data."""
    domain = given.lower()
    check_name(domain, DOMAIN, "InvalidParameterValue")
    now = _now(ctx)
    with ctx.db.transaction(lock=identity_lock(ctx.account_id, ctx.region, domain)) as tx:
        row = load(tx, ctx.account_id, ctx.region, domain)
        if row is None:
            data = {**pending_state(now), "VerificationToken": new_domain_token()}
            data.update(changes(data, now))
            insert_row(tx, ctx.account_id, ctx.region, domain, DOMAIN, data, now)
        else:
            update = changes(row.data, now)
            if "VerificationToken" not in row.data:
                update["VerificationToken"] = new_domain_token()
            update.update(restart_if_failed(row.data, DOMAIN, now))
            data = row.data
            if update:
                data = update_data(tx, ctx.account_id, ctx.region, domain, update) or row.data
        if auto_verifies(ctx):
            verify_now(tx, ctx.account_id, ctx.region, domain, now)
        return data


def verify_domain_identity(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    # The token stays the same on every call for the domain, as its TXT record must.
    data = _domain_row(ctx, params["Domain"], lambda data, now: {})
    return {"VerificationToken": data["VerificationToken"]}


def verify_domain_dkim(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    data = _domain_row(ctx, params["Domain"], start_dkim)
    return {"DkimTokens": list(data["DkimTokens"])}


# --- reading, with pending domains re-checked on the way ---------------------------------


def _fresh(ctx: RequestContext, row: IdentityRow, now: float) -> IdentityRow:
    """The row with a pending domain's DNS records looked up again (cheap on a local zone),
    so a client polling for verification sees it as soon as the records are there."""
    if not is_pending(row.kind, row.data, now):
        return row
    resolver = resolver_for(ctx.db, ctx.settings.dns_server)
    data = refresh_domain(ctx.db, resolver, ctx.account_id, ctx.region, row.identity, row.data, now)
    return IdentityRow(row.identity, row.kind, row.created_at, data)


def _rows(ctx: RequestContext, names: Iterable[str]) -> dict[str, IdentityRow]:
    """The known identities among ``names`` (as given), each re-checked if pending."""
    wanted = {name: normalize_identity(name)[0] for name in names}
    if not wanted:
        return {}
    stored = sorted(set(wanted.values()))
    marks = ", ".join("?" for _ in stored)
    with ctx.db.transaction(readonly=True) as tx:
        rows = tx.fetchall(
            "SELECT identity, kind, created_at, data FROM ses_identities "
            f"WHERE account = ? AND region = ? AND identity IN ({marks})",
            (ctx.account_id, ctx.region, *stored),
        )
    now = _now(ctx)
    found = {
        row[0]: _fresh(ctx, IdentityRow(row[0], row[1], float(row[2]), json.loads(row[3])), now)
        for row in rows
    }
    # AWS leaves out identities never submitted; the others are keyed as the caller wrote
    # them (a domain asked for as `Example.COM` answers under that key).
    return {name: found[key] for name, key in wanted.items() if key in found}


def get_identity_verification_attributes(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    now = _now(ctx)
    attributes: dict[str, Any] = {}
    for name, row in _rows(ctx, params["Identities"]).items():
        entry = {"VerificationStatus": effective_status(row.kind, row.data, now)}
        if row.kind == DOMAIN and "VerificationToken" in row.data:
            entry["VerificationToken"] = row.data["VerificationToken"]
        attributes[name] = entry
    return {"VerificationAttributes": attributes}


def get_identity_dkim_attributes(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    now = _now(ctx)
    attributes: dict[str, Any] = {}
    for name, row in _rows(ctx, params["Identities"]).items():
        entry: dict[str, Any] = {
            "DkimEnabled": bool(row.data.get("DkimEnabled", False)),
            "DkimVerificationStatus": dkim_status(row.data, now),
        }
        if row.data.get("DkimTokens"):
            entry["DkimTokens"] = list(row.data["DkimTokens"])
        attributes[name] = entry
    return {"DkimAttributes": attributes}


def _page(
    ctx: RequestContext,
    *,
    kind: str | None,
    limit: int,
    token: str | None,
    token_error: str,
    select: Callable[[IdentityRow], IdentityRow | None] | None = None,
) -> tuple[list[IdentityRow], str | None]:
    """One page in (created_at, identity) order. ``select`` maps each row read to the row
    to list, or None to leave it out; rows are read batch after batch, so a filtered page
    costs about the same at any depth."""
    position = decode_token(token, token_error, 2) if token is not None else None
    kept: list[IdentityRow] = []
    while len(kept) <= limit:
        sql = (
            "SELECT identity, kind, created_at, data FROM ses_identities "
            "WHERE account = ? AND region = ?"
        )
        args: list[Any] = [ctx.account_id, ctx.region]
        if kind is not None:
            sql += " AND kind = ?"
            args.append(kind)
        if position is not None:
            sql += " AND (created_at > ? OR (created_at = ? AND identity > ?))"
            args += [position[0], position[0], position[1]]
        batch = limit + 1 - len(kept)
        with ctx.db.transaction() as tx:
            rows = tx.fetchall(sql + " ORDER BY created_at, identity LIMIT ?", [*args, batch])
        for identity, row_kind, created_at, data in rows:
            position = [float(created_at), identity]
            row: IdentityRow | None = IdentityRow(
                identity, row_kind, float(created_at), json.loads(data)
            )
            if select is not None and row is not None:
                row = select(row)
            if row is not None:
                kept.append(row)
        if len(rows) < batch:
            break
    next_token = None
    if len(kept) > limit:
        last = kept[limit - 1]
        next_token = encode_token([last.created_at, last.identity])
    return kept[:limit], next_token


def list_identities(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    # AWS quirk: "Possible values are 1-1000 inclusive" [model]; absent lists that many.
    limit = params.get("MaxItems")
    if limit is not None and not 1 <= limit <= 1000:
        raise AwsError("InvalidParameterValue", "MaxItems must be between 1 and 1000.")
    rows, token = _page(
        ctx,
        kind=params.get("IdentityType"),
        limit=limit or 1000,
        token=params.get("NextToken"),
        token_error="InvalidParameterValue",
    )
    result: dict[str, Any] = {"Identities": [row.identity for row in rows]}
    if token:
        result["NextToken"] = token
    return result


def list_verified_email_addresses(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    now = _now(ctx)
    with ctx.db.transaction(readonly=True) as tx:
        rows = tx.fetchall(
            "SELECT identity, data FROM ses_identities "
            "WHERE account = ? AND region = ? AND kind = ? ORDER BY created_at, identity",
            (ctx.account_id, ctx.region, EMAIL_ADDRESS),
        )
    verified = [
        identity
        for identity, data in rows
        if effective_status(EMAIL_ADDRESS, json.loads(data), now) == "Success"
    ]
    return {"VerifiedEmailAddresses": verified}


# --- deleting ------------------------------------------------------------------------------


def _delete(ctx: RequestContext, given: str) -> bool:
    name, _ = normalize_identity(given)
    with ctx.db.transaction(lock=identity_lock(ctx.account_id, ctx.region, name)) as tx:
        deleted = tx.execute(
            "DELETE FROM ses_identities WHERE account = ? AND region = ? AND identity = ?",
            (ctx.account_id, ctx.region, name),
        )
        dkim_settings.forget_key(tx, ctx.account_id, ctx.region, name)
        # Its outstanding links die with it: opening one later finds nothing to verify.
        tx.execute(
            "DELETE FROM ses_verification_links WHERE account = ? AND region = ? AND identity = ?",
            (ctx.account_id, ctx.region, name),
        )
    return deleted > 0


def delete_identity(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    # v1 deletes are idempotent: an unknown identity is no error.
    _delete(ctx, params["Identity"])
    return {}


def delete_verified_email_address(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _delete(ctx, params["EmailAddress"])
    return {}


def delete_email_identity(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    if not _delete(ctx, params["EmailIdentity"]):
        raise _not_found(params["EmailIdentity"])
    return {}


def _not_found(name: str) -> AwsError:
    # poolmail's wording, parallel to AWS's `Email identity <name> already exist.`; AWS's
    # own text for the 404 was not found.
    return AwsError("NotFoundException", f"Email identity {name} does not exist.")


# --- v2 ------------------------------------------------------------------------------------


def _dkim_v2(row: IdentityRow, now: float) -> dict[str, Any]:
    data = row.data
    origin = data.get("DkimOrigin")
    if origin is None:
        # An address, or a domain verified without DKIM: what AWS shows for an address
        # (real output quoted in getmoto/moto#9771).
        return {
            "SigningEnabled": bool(data.get("DkimEnabled", False)),
            "Status": "NOT_STARTED",
            "SigningAttributesOrigin": "AWS_SES",
            "NextSigningKeyLength": "RSA_1024_BIT",
        }
    attributes: dict[str, Any] = {
        "SigningEnabled": bool(data.get("DkimEnabled", True)),
        "Status": V2_STATUS[dkim_status(data, now)],
        "SigningAttributesOrigin": origin,
        "NextSigningKeyLength": data.get(
            "DkimNextKeyLength", data.get("DkimKeyLength", "RSA_2048_BIT")
        ),
    }
    if origin == "EXTERNAL":
        # The selector stands in for the tokens [model DkimAttributes.Tokens].
        attributes["Tokens"] = [data.get("DkimSelector", "")]
    else:
        attributes["Tokens"] = list(data.get("DkimTokens") or [])
        attributes["SigningHostedZone"] = DKIM_TARGET_ZONE
        attributes["CurrentSigningKeyLength"] = data.get("DkimKeyLength", "RSA_2048_BIT")
        attributes["LastKeyGenerationTimestamp"] = float(data.get("DkimKeyGeneratedAt", now))
    return attributes


def _verification_info(row: IdentityRow) -> dict[str, Any]:
    info: dict[str, Any] = {}
    if row.kind != DOMAIN:
        return info
    if "LastCheckedAt" in row.data:
        info["LastCheckedTimestamp"] = float(row.data["LastCheckedAt"])
    success = row.data.get("VerifiedAt") or row.data.get("DkimVerifiedAt")
    if success is not None:
        info["LastSuccessTimestamp"] = float(success)
    if row.data.get("VerificationErrorType"):
        info["ErrorType"] = row.data["VerificationErrorType"]
    return info


def _configuration_set_exists(tx: Transaction, ctx: RequestContext, name: str) -> bool:
    found = tx.fetchone(
        "SELECT 1 FROM ses_configuration_sets WHERE account = ? AND region = ? AND name = ?",
        (ctx.account_id, ctx.region, name),
    )
    return found is not None


def create_email_identity(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    given = params["EmailIdentity"]
    name, kind = normalize_identity(given)
    check_name(name, kind, "BadRequestException")
    now = _now(ctx)
    data = pending_state(now)
    # A brought key is checked before anything is stored.
    external = dkim_settings.external_key(params.get("DkimSigningAttributes") or {})
    if kind == DOMAIN:
        data["VerificationToken"] = new_domain_token()
        data.update(dkim_signing_state(params.get("DkimSigningAttributes") or {}, now))
        data.update(external[2] if external else {})
    if params.get("Tags"):
        data["Tags"] = check_tags(params["Tags"])
    config_set = params.get("ConfigurationSetName")
    if config_set:
        data["ConfigurationSetName"] = config_set
    with ctx.db.transaction(lock=identity_lock(ctx.account_id, ctx.region, name)) as tx:
        if config_set and not _configuration_set_exists(tx, ctx, config_set):
            raise AwsError("NotFoundException", f"Configuration set <{config_set}> does not exist.")
        if not insert_row(tx, ctx.account_id, ctx.region, name, kind, data, now):
            # AWS quirk: "already exist." (sic), real SES text quoted in anomalyco/sst#4556.
            raise AwsError("AlreadyExistsException", f"Email identity {given} already exist.")
        if kind == DOMAIN:
            dkim_settings.keep_external_key(tx, ctx.account_id, ctx.region, name, external, now)
        if auto_verifies(ctx):
            verify_now(tx, ctx.account_id, ctx.region, name, now)
        elif kind == EMAIL_ADDRESS:
            send_verification_mail(
                tx,
                account=ctx.account_id,
                region=ctx.region,
                address=name,
                base_url=ctx.base_url,
                now=now,
            )
    result: dict[str, Any] = {
        "IdentityType": V2_TYPES[kind],
        "VerifiedForSendingStatus": auto_verifies(ctx),
    }
    if kind == DOMAIN:
        dkim = _dkim_v2(IdentityRow(name, kind, now, data), now)
        # AWS quirk: the create answer says NOT_STARTED; reads say PENDING until the
        # records are found (AWS CLI example for sesv2 create-email-identity).
        dkim["Status"] = "NOT_STARTED"
        result["DkimAttributes"] = dkim
    return result


def get_email_identity(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    given = params["EmailIdentity"]
    now = _now(ctx)
    with ctx.db.transaction(readonly=True) as tx:
        stored = load(tx, ctx.account_id, ctx.region, normalize_identity(given)[0])
    if stored is None:
        raise _not_found(given)
    row = _fresh(ctx, stored, now)
    status = effective_status(row.kind, row.data, now)
    result: dict[str, Any] = {
        "IdentityType": V2_TYPES[row.kind],
        "FeedbackForwardingStatus": bool(row.data.get("FeedbackForwardingStatus", True)),
        "VerifiedForSendingStatus": status == "Success",
        "DkimAttributes": _dkim_v2(row, now),
        "MailFromAttributes": mail_from.attributes_v2(
            mail_from.fresh(ctx, row.identity, row.data), now
        ),
        "Policies": dict(row.data.get("Policies") or {}),
        "Tags": list(row.data.get("Tags") or []),
        "VerificationStatus": V2_STATUS[status],
        "VerificationInfo": _verification_info(row),
    }
    if row.data.get("ConfigurationSetName"):
        result["ConfigurationSetName"] = row.data["ConfigurationSetName"]
    return result


_V2_KINDS = {"EMAIL_ADDRESS": EMAIL_ADDRESS, "DOMAIN": DOMAIN, "MANAGED_DOMAIN": "ManagedDomain"}


def _filter_value(filters: dict[str, str], key: str, allowed: Iterable[str]) -> str | None:
    value = filters.get(key)
    if value is not None and value not in allowed:
        # poolmail's wording: AWS's answer to a bad filter value was not found.
        raise AwsError("BadRequestException", f"Invalid value {value} for filter {key}.")
    return value


def list_email_identities(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    filters: dict[str, str] = params.get("Filter") or {}
    v2_kind = _filter_value(filters, "IDENTITY_TYPE", _V2_KINDS)
    wanted_status = _filter_value(filters, "VERIFICATION_STATUS", V2_STATUS.values())
    contains = (filters.get("IDENTITY_NAME_CONTAINS") or "").lower()
    now = _now(ctx)

    def select(row: IdentityRow) -> IdentityRow | None:
        if contains not in row.identity.lower():
            return None
        row = _fresh(ctx, row, now)
        status = V2_STATUS[effective_status(row.kind, row.data, now)]
        return row if wanted_status in (None, status) else None

    size = params.get("PageSize")
    if size is not None and not 0 <= size <= 1000:
        # AWS quirk: "has to be at least 0, and can be no more than 1000" [model].
        raise AwsError("BadRequestException", "PageSize must be between 0 and 1000.")
    rows, token = _page(
        ctx,
        kind=_V2_KINDS[v2_kind] if v2_kind else None,
        limit=size or 1000,
        token=params.get("NextToken"),
        token_error="BadRequestException",
        select=select,
    )
    identities = []
    for row in rows:
        status = effective_status(row.kind, row.data, now)
        identities.append(
            {
                "IdentityType": V2_TYPES[row.kind],
                "IdentityName": row.identity,
                "SendingEnabled": status == "Success",
                "VerificationStatus": V2_STATUS[status],
            }
        )
    result: dict[str, Any] = {"EmailIdentities": identities}
    if token:
        result["NextToken"] = token
    return result


V1: dict[str, Handler] = {
    "VerifyEmailIdentity": verify_email_identity,
    "VerifyEmailAddress": verify_email_address,
    "VerifyDomainIdentity": verify_domain_identity,
    "VerifyDomainDkim": verify_domain_dkim,
    "ListIdentities": list_identities,
    "ListVerifiedEmailAddresses": list_verified_email_addresses,
    "GetIdentityVerificationAttributes": get_identity_verification_attributes,
    "GetIdentityDkimAttributes": get_identity_dkim_attributes,
    "DeleteIdentity": delete_identity,
    "DeleteVerifiedEmailAddress": delete_verified_email_address,
}
V2: dict[str, Handler] = {
    "CreateEmailIdentity": create_email_identity,
    "GetEmailIdentity": get_email_identity,
    "ListEmailIdentities": list_email_identities,
    "DeleteEmailIdentity": delete_email_identity,
}
