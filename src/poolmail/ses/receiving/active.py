"""What the inbound mail path reads of the receiving configuration. Placeholder until
built (rule sets and filters fill it in)."""

from __future__ import annotations

from typing import Any

from poolmail.store import Transaction


def active_rules(tx: Transaction, account: str, region: str) -> list[dict[str, Any]] | None:
    """The rules of the account's active receipt rule set in ``region``, in order, each in
    the model's `ReceiptRule` shape (Name, Enabled, TlsPolicy, Recipients, Actions,
    ScanEnabled); None when no rule set is active (receiving is off)."""
    return None


def ip_filters(tx: Transaction, account: str, region: str) -> list[dict[str, Any]]:
    """The account's receipt filters in ``region``, each in the model's `ReceiptFilter`
    shape (Name, IpFilter{Policy, Cidr})."""
    return []
