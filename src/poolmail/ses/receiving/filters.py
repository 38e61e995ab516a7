"""SES v1 receipt IP filters: which connecting addresses the account's inbound mail
accepts or blocks before any rule runs (active.py hands them to the inbound path).

AWS's messages are third-party probes of real SES (floci-io/floci#3163 ~): `Filter already
exists: <n>`, `Too many filters` for the 101st, and deleting a filter that does not exist
succeeds.
"""

from __future__ import annotations

from typing import Any

from poolmail.context import RequestContext
from poolmail.operations import Handler, local_only
from poolmail.protocol.errors import AwsError
from poolmail.ses.receiving.active import ip_filters
from poolmail.ses.receiving.validation import MAX_FILTERS, check_filter


def create_receipt_filter(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    receipt_filter = params["Filter"]
    name, ip = receipt_filter["Name"], receipt_filter["IpFilter"]
    check_filter(name, ip["Cidr"])
    lock = f"ses-receipt-filters:{ctx.account_id}:{ctx.region}"
    with ctx.db.transaction(lock=lock) as tx:
        row = tx.fetchone(
            "SELECT 1 FROM ses_receipt_filters WHERE account = ? AND region = ? AND name = ?",
            (ctx.account_id, ctx.region, name),
        )
        if row is not None:
            raise AwsError(
                "AlreadyExistsException", f"Filter already exists: {name}", fields={"Name": name}
            )
        row = tx.fetchone(
            "SELECT COUNT(*) FROM ses_receipt_filters WHERE account = ? AND region = ?",
            (ctx.account_id, ctx.region),
        )
        if row is not None and int(row[0]) >= MAX_FILTERS:
            raise AwsError("LimitExceededException", "Too many filters")
        tx.execute(
            "INSERT INTO ses_receipt_filters (account, region, name, created_at, policy, cidr) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                ctx.account_id,
                ctx.region,
                name,
                ctx.clock.now().timestamp(),
                ip["Policy"],
                ip["Cidr"],
            ),
        )
    return {}


def delete_receipt_filter(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    # The model lists no error: a filter that does not exist (or could not) is gone already.
    with ctx.db.transaction() as tx:
        tx.execute(
            "DELETE FROM ses_receipt_filters WHERE account = ? AND region = ? AND name = ?",
            (ctx.account_id, ctx.region, params["FilterName"]),
        )
    return {}


@local_only
def list_receipt_filters(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with ctx.db.transaction(readonly=True) as tx:
        return {"Filters": ip_filters(tx, ctx.account_id, ctx.region)}


V1: dict[str, Handler] = {
    "CreateReceiptFilter": create_receipt_filter,
    "DeleteReceiptFilter": delete_receipt_filter,
    "ListReceiptFilters": list_receipt_filters,
}
V2: dict[str, Handler] = {}
