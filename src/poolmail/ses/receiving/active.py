"""What the inbound mail path reads of the receiving configuration: the active rule set's
rules and the IP filters, in the model's shapes (rule_sets.py and filters.py write them)."""

from __future__ import annotations

import json
from typing import Any

from poolmail.store import Transaction


def active_rules(tx: Transaction, account: str, region: str) -> list[dict[str, Any]] | None:
    """The rules of the account's active receipt rule set in ``region``, in order, each in
    the model's `ReceiptRule` shape (Name, Enabled, TlsPolicy, Recipients, Actions,
    ScanEnabled, defaults filled); None when no rule set is active (receiving is off)."""
    row = tx.fetchone(
        "SELECT rules FROM ses_receipt_rule_sets WHERE account = ? AND region = ? AND active = 1",
        (account, region),
    )
    if row is None:
        return None
    rules: list[dict[str, Any]] = json.loads(row[0])
    return rules


def ip_filters(tx: Transaction, account: str, region: str) -> list[dict[str, Any]]:
    """The account's receipt filters in ``region``, each in the model's `ReceiptFilter`
    shape (Name, IpFilter{Policy, Cidr}), by name (ListReceiptFilters's order)."""
    rows = tx.fetchall(
        "SELECT name, policy, cidr FROM ses_receipt_filters WHERE account = ? AND region = ? "
        "ORDER BY name",
        (account, region),
    )
    return [
        {"Name": str(name), "IpFilter": {"Policy": str(policy), "Cidr": str(cidr)}}
        for name, policy, cidr in rows
    ]
