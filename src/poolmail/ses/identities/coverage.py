"""Which verified identity covers an address: the rule SES applies to every From, Source,
Return-Path and, in the sandbox, every recipient.

An address is covered by itself (email addresses are case-sensitive), by itself without a
``+label``, and by its domain or any parent domain (domains are case-insensitive). A
domain counts as verified when its TXT record or its DKIM records were found.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
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


@dataclass(slots=True)
class IdentityRow:
    identity: str
    kind: str
    created_at: float
    data: dict[str, Any]


# The identity rows one send has read (see ``rows_remembered``), None outside a send.
_REMEMBERED: ContextVar[dict[tuple[str, str, str], IdentityRow | None] | None] = ContextVar(
    "poolmail_ses_identity_rows", default=None
)


@contextmanager
def rows_remembered() -> Iterator[None]:
    """Within the block, an identity row is read from the store once: a send asks for its
    sender's identities from six places (coverage, the default configuration set, MAIL
    FROM, DKIM, notifications), each a query of its own otherwise. The block must be one
    transaction; ``forget_rows`` runs whenever an identity row is written."""
    token = _REMEMBERED.set({})
    try:
        yield
    finally:
        _REMEMBERED.reset(token)


def forget_rows() -> None:
    remembered = _REMEMBERED.get()
    if remembered is not None:
        remembered.clear()


def identity_rows(
    tx: Transaction, account: str, region: str, names: Iterable[str]
) -> dict[str, IdentityRow]:
    """The rows of those of ``names`` that are identities of the account in the region."""
    wanted = sorted(set(names))
    remembered = _REMEMBERED.get()
    found: dict[str, IdentityRow] = {}
    missing = wanted
    if remembered is not None:
        missing = [name for name in wanted if (account, region, name) not in remembered]
        for name in wanted:
            row = remembered.get((account, region, name))
            if row is not None:
                found[name] = row
    if missing:
        marks = ", ".join("?" for _ in missing)
        fetched = {
            str(row[0]): IdentityRow(str(row[0]), str(row[1]), float(row[2]), json.loads(row[3]))
            for row in tx.fetchall(
                "SELECT identity, kind, created_at, data FROM ses_identities "
                f"WHERE account = ? AND region = ? AND identity IN ({marks})",
                (account, region, *missing),
            )
        }
        found.update(fetched)
        if remembered is not None:
            for name in missing:
                remembered[(account, region, name)] = fetched.get(name)
    return found


def verified_identities(
    tx: Transaction, account: str, region: str, names: Iterable[str], now: float
) -> set[str]:
    """Those of ``names`` that are verified identities of the account in the region."""
    return {
        name
        for name, row in identity_rows(tx, account, region, names).items()
        if effective_status(row.kind, row.data, now) == "Success"
    }


def covering_identity(
    tx: Transaction, account: str, region: str, address: str, now: float
) -> str | None:
    """The most specific verified identity covering ``address``, or None."""
    options = candidates(address)
    verified = verified_identities(tx, account, region, options, now)
    return next((option for option in options if option in verified), None)
