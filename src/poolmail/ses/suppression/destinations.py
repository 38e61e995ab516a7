"""SES v2 Put/Get/Delete/ListSuppressedDestinations: the account's suppression list as
its owner edits and reads it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.protocol.errors import AwsError
from poolmail.ses.account import quota
from poolmail.ses.suppression import store
from poolmail.ses.suppression.settings import check_reasons

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
_LOCK = "ses-suppression:{account}:{region}"

# Choice: SES refuses PutSuppressedDestination until the account has production access
# (facts §1), but its text was not found; this one says why and what to do.
SANDBOX_MESSAGE = (
    "Your account is in the Amazon SES sandbox: adding addresses to the suppression list "
    "requires production access."
)


def _missing(address: str) -> AwsError:
    # AWS's text as a third-party emulator that probed SES quotes it (facts §1).
    return AwsError(
        "NotFoundException", f"Email address {address} does not exist on your suppression list."
    )


def _no_tenants(params: dict[str, Any]) -> None:
    """Choice: tenant-level suppression lists are not built (tenants are another brief);
    a call naming a tenant is refused rather than silently using the account's list."""
    tenant = params.get("TenantName")
    if tenant is not None:
        raise AwsError(
            "BadRequestException",
            f"Tenant-level suppression lists are not supported by poolmail (tenant {tenant}).",
        )


def _address(params: dict[str, Any]) -> str:
    address = str(params["EmailAddress"])
    if not address.strip():
        # Choice: the model leaves EmailAddress unconstrained; an empty one names nothing.
        raise AwsError("BadRequestException", "EmailAddress must not be empty.")
    return address


def put_suppressed_destination(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _no_tenants(params)
    address = _address(params)
    reason = str(params["Reason"])  # the protocol layer checked it against the enum
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction(lock=_LOCK.format(account=ctx.account_id, region=ctx.region)) as tx:
        if not quota.limits(tx, ctx.settings, ctx.account_id, ctx.region).production_access:
            raise AwsError("BadRequestException", SANDBOX_MESSAGE)
        store.put_destination(tx, ctx.account_id, ctx.region, address, reason, now)
    return {}


def get_suppressed_destination(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _no_tenants(params)
    address = _address(params)
    with ctx.db.transaction(readonly=True) as tx:
        found = store.get_destination(tx, ctx.account_id, ctx.region, address)
    if found is None:
        raise _missing(address)
    return {"SuppressedDestination": found}


def delete_suppressed_destination(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _no_tenants(params)
    address = _address(params)
    with ctx.db.transaction(lock=_LOCK.format(account=ctx.account_id, region=ctx.region)) as tx:
        deleted = store.delete_destination(tx, ctx.account_id, ctx.region, address)
    if not deleted:
        raise _missing(address)
    return {}


def _epoch(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.timestamp()
    return float(value)


def _page_size(params: dict[str, Any]) -> int:
    """PageSize as asked. Choice: the model sets no bounds and AWS's were not found;
    poolmail answers 100 by default, refuses less than 1 and returns at most 1000."""
    size = params.get("PageSize")
    if size is None:
        return DEFAULT_PAGE_SIZE
    if size < 1:
        raise AwsError("BadRequestException", "PageSize must be at least 1.")
    return int(min(size, MAX_PAGE_SIZE))


def list_suppressed_destinations(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _no_tenants(params)
    reasons = check_reasons(params.get("Reasons") or [], "reasons")
    start, end = _epoch(params.get("StartDate")), _epoch(params.get("EndDate"))
    limit = _page_size(params)
    with ctx.db.transaction(readonly=True) as tx:
        found, next_token = store.page_destinations(
            tx,
            ctx.account_id,
            ctx.region,
            reasons=reasons or None,
            start=start,
            end=end,
            token=params.get("NextToken"),
            token_error="InvalidNextTokenException",
            limit=limit,
        )
    answer: dict[str, Any] = {
        "SuppressedDestinationSummaries": [
            {key: item[key] for key in ("EmailAddress", "Reason", "LastUpdateTime")}
            for item in found
        ]
    }
    if next_token is not None:
        answer["NextToken"] = next_token
    return answer


V1: dict[str, Handler] = {}
V2: dict[str, Handler] = {
    "PutSuppressedDestination": put_suppressed_destination,
    "GetSuppressedDestination": get_suppressed_destination,
    "DeleteSuppressedDestination": delete_suppressed_destination,
    "ListSuppressedDestinations": list_suppressed_destinations,
}
