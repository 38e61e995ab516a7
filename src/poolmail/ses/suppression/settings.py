"""Which reasons suppress: the account's (PutAccountSuppressionAttributes) and a
configuration set's override (PutConfigurationSetSuppressionOptions), and what a send
under a set takes from them."""

from __future__ import annotations

import json
from typing import Any

from poolmail.context import RequestContext
from poolmail.operations import Handler
from poolmail.protocol.errors import AwsError
from poolmail.ses.account import quota
from poolmail.ses.suppression.store import REASONS
from poolmail.store import Transaction

# AWS quirk: accounts created after 2019-11-25 suppress both reasons by default
# (docs.aws.amazon.com/ses/latest/dg/sending-email-suppression-list.html).
DEFAULT_REASONS = list(REASONS)


def check_reasons(reasons: list[str], field: str) -> list[str]:
    """The reasons, each once, in the order given.

    The protocol layer already refuses a value outside the model's enum with SES's
    validation text; this guard keeps a direct caller (the console, jobs) to the same.
    """
    for position, reason in enumerate(reasons, start=1):
        if reason not in REASONS:
            raise AwsError(
                "BadRequestException",
                f"1 validation error detected: Value '{reason}' at '{field}.{position}.member' "
                "failed to satisfy constraint: Member must satisfy enum value set: "
                f"[{', '.join(REASONS)}]",
            )
    return list(dict.fromkeys(reasons))


def account_reasons(tx: Transaction, account: str, region: str) -> list[str]:
    """The account's suppressed reasons in ``region`` (both, until it sets others)."""
    row = tx.fetchone(
        "SELECT data FROM ses_accounts WHERE account = ? AND region = ?", (account, region)
    )
    data = json.loads(row[0]) if row is not None else {}
    return list(data.get("SuppressedReasons", DEFAULT_REASONS))


def _set_options(tx: Transaction, account: str, region: str, name: str) -> dict[str, Any] | None:
    row = tx.fetchone(
        "SELECT data FROM ses_configuration_sets WHERE account = ? AND region = ? AND name = ?",
        (account, region, name),
    )
    return json.loads(row[0]) if row is not None else None


def reasons_for(
    tx: Transaction, account: str, region: str, configuration_set: str | None
) -> set[str]:
    """The reasons that suppress, and add addresses, for a send under ``configuration_set``.

    AWS quirk: a set with SuppressionOptions "only uses its own suppression settings and
    ignores any account-level suppression settings"; with no reasons, "all suppression is
    cancelled" for it (docs: sending-email-suppression-list-config-level).
    """
    if configuration_set is not None:
        data = _set_options(tx, account, region, configuration_set) or {}
        options = data.get("SuppressionOptions")
        if options is not None and options.get("SuppressedReasons") is not None:
            return set(options["SuppressedReasons"])
    return set(account_reasons(tx, account, region))


def put_account_suppression_attributes(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    # Choice: the model leaves SuppressedReasons optional; absent, it disables the list
    # as an empty one does ("an empty SuppressedReasons disables the list", facts §1).
    reasons = check_reasons(params.get("SuppressedReasons") or [], "suppressedReasons")
    validation = params.get("ValidationAttributes")
    with ctx.db.transaction(lock=quota.lock_name(ctx.account_id, ctx.region)) as tx:
        data = quota.load_account(tx, ctx.settings, ctx.account_id, ctx.region)
        data["SuppressedReasons"] = reasons
        if validation is not None:
            data["SuppressionValidationAttributes"] = validation
        quota.save_account(tx, ctx.account_id, ctx.region, data)
    return {}


def put_configuration_set_suppression_options(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    name = params["ConfigurationSetName"]
    given = params.get("SuppressedReasons")
    options: dict[str, Any] = {}
    if given is not None:
        options["SuppressedReasons"] = check_reasons(given, "suppressedReasons")
    for member in ("SuppressionScope", "ValidationOptions"):
        if params.get(member) is not None:
            options[member] = params[member]
    lock = f"ses-configuration-set:{ctx.account_id}:{ctx.region}:{name}"
    with ctx.db.transaction(lock=lock) as tx:
        data = _set_options(tx, ctx.account_id, ctx.region, name)
        if data is None:
            # The same answer as configuration_sets.py gives for an unknown set.
            raise AwsError("NotFoundException", f"Configuration set <{name}> does not exist.")
        # Choice: a call without SuppressedReasons (nor other members) removes the
        # override, so the set follows the account again; an empty list cancels all
        # suppression for the set.
        if options:
            data["SuppressionOptions"] = options
        else:
            data.pop("SuppressionOptions", None)
        tx.execute(
            "UPDATE ses_configuration_sets SET data = ? "
            "WHERE account = ? AND region = ? AND name = ?",
            (json.dumps(data), ctx.account_id, ctx.region, name),
        )
    return {}


V1: dict[str, Handler] = {}
V2: dict[str, Handler] = {
    "PutAccountSuppressionAttributes": put_account_suppression_attributes,
    "PutConfigurationSetSuppressionOptions": put_configuration_set_suppression_options,
}
