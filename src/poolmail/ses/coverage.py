"""Which verified identity covers an address: the rule SES applies to every From, Source,
Return-Path and, in the sandbox, every recipient.

An address is covered by itself (email addresses are case-sensitive), by itself without a
``+label``, and by its domain or any parent domain (domains are case-insensitive). A
domain counts as verified when its TXT record or its DKIM records were found.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from email.utils import getaddresses
from typing import Any

from poolmail.store import Transaction

SIMULATOR_DOMAIN = "simulator.amazonses.com"

EMAIL_VERIFICATION_WINDOW = 24 * 3600.0
DOMAIN_VERIFICATION_WINDOW = 72 * 3600.0


@functools.lru_cache(maxsize=4096)
def bare_address(address: str) -> str:
    """`Name <a@b.c>` -> `a@b.c`; a bare address stays as it is.

    Cached: every send asks this of the same few addresses several times, and the email
    package's parser costs tens of microseconds a call."""
    parsed = getaddresses([address])
    return parsed[0][1] if parsed and parsed[0][1] else address.strip()


def domain_of(address: str) -> str:
    return bare_address(address).rpartition("@")[2].lower()


def is_simulator(address: str) -> bool:
    return domain_of(address) == SIMULATOR_DOMAIN


def candidates(address: str) -> list[str]:
    """The identities that would cover ``address``, most specific first."""
    email = bare_address(address)
    local, _, domain = email.rpartition("@")
    found = [email]
    if "+" in local:
        found.append(f"{local.split('+', 1)[0]}@{domain}")
    labels = domain.lower().split(".")
    found += [".".join(labels[index:]) for index in range(len(labels) - 1)]
    return found


def effective_status(kind: str, data: dict[str, Any], now: float) -> str:
    """The v1 verification status as of ``now``: a pending identity fails after its
    window (24 hours for an address's link, 72 hours for a domain's DNS search)."""
    status = str(data.get("VerificationStatus", "Pending"))
    if kind == "Domain" and data.get("DkimVerificationStatus") == "Success":
        return "Success"
    if status == "Pending":
        window = DOMAIN_VERIFICATION_WINDOW if kind == "Domain" else EMAIL_VERIFICATION_WINDOW
        started = float(data.get("VerificationStartedAt", now))
        if now - started > window:
            return "Failed"
    return status


def verified_identities(
    tx: Transaction, account: str, region: str, names: Iterable[str], now: float
) -> set[str]:
    """Those of ``names`` that are verified identities of the account in the region."""
    wanted = sorted(set(names))
    if not wanted:
        return set()
    marks = ", ".join("?" for _ in wanted)
    rows = tx.fetchall(
        f"SELECT identity, kind, data FROM ses_identities "
        f"WHERE account = ? AND region = ? AND identity IN ({marks})",
        (account, region, *wanted),
    )
    return {
        identity
        for identity, kind, data in rows
        if effective_status(kind, json.loads(data), now) == "Success"
    }


def covering_identity(
    tx: Transaction, account: str, region: str, address: str, now: float
) -> str | None:
    """The most specific verified identity covering ``address``, or None."""
    options = candidates(address)
    verified = verified_identities(tx, account, region, options, now)
    return next((option for option in options if option in verified), None)
