"""What a send reads of the account's optional features, in one statement: its dedicated
IPs, the recipients' delivery delays and their suppression-list entries, and the region's
`amazonses.com` DKIM key that signs every message. Most accounts have none of the
features, and one statement costs a send less than four (bench/notes.md)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from poolmail.ses.authentication.dkim_keys import AMAZONSES_DOMAIN
from poolmail.ses.identities.coverage import bare_address
from poolmail.ses.sending import delivery_delays
from poolmail.ses.suppression import store
from poolmail.store import Transaction

_IPS, _DELAYS, _SUPPRESSED, _AMAZONSES_KEY = 0, 1, 2, 3
# The account of the amazonses.com key's row: none, it is poolmail's (dkim_keys.py).
_NO_ACCOUNT = ""


@dataclass(slots=True)
class Lookups:
    """The rows each feature's own query would have read, in its columns."""

    ips: list[tuple[Any, ...]] = field(default_factory=list)  # (ip, pool)
    delays: list[tuple[Any, ...]] = field(default_factory=list)  # (recipient key, data)
    suppressed: list[tuple[Any, ...]] = field(default_factory=list)  # (address, reason)
    # The region's amazonses.com key as `dkim_keys.amazonses_key` finds it, (selector,
    # PEM); None before its first message, which makes it.
    amazonses_key: tuple[str, bytes] | None = None


def read(tx: Transaction, account: str, region: str, recipients: Sequence[str]) -> Lookups:
    """The rows for a send by ``account`` in ``region`` to ``recipients``: read once the
    send passed its checks, and before anything of the send that could change them."""
    delay_keys = sorted({delivery_delays.key(address) for address in recipients})
    listed_keys = sorted({store.normalize(bare_address(address)) for address in recipients})
    parts = [
        f"SELECT {_IPS}, ip, pool FROM ses_dedicated_ips WHERE account = ? AND region = ?",
        f"SELECT {_AMAZONSES_KEY}, selector, private_key FROM ses_dkim_keys "
        "WHERE account = ? AND region = ? AND identity = ?",
    ]
    params: list[Any] = [account, region, _NO_ACCOUNT, region, AMAZONSES_DOMAIN]
    if delay_keys:
        parts.append(
            f"SELECT {_DELAYS}, recipient, data FROM ses_delivery_delays "
            f"WHERE recipient IN ({_marks(delay_keys)})"
        )
        params += delay_keys
    if listed_keys:
        parts.append(
            f"SELECT {_SUPPRESSED}, address, reason FROM ses_suppressed_destinations "
            f"WHERE account = ? AND region = ? AND address IN ({_marks(listed_keys)})"
        )
        params += [account, region, *listed_keys]
    found = Lookups()
    for kind, key, value in tx.fetchall(" UNION ALL ".join(parts), params):
        row = (key, value)
        if kind == _IPS:
            found.ips.append(row)
        elif kind == _DELAYS:
            found.delays.append(row)
        elif kind == _SUPPRESSED:
            found.suppressed.append(row)
        else:
            found.amazonses_key = (str(key), str(value).encode("ascii"))
    return found


def _marks(values: Sequence[str]) -> str:
    return ", ".join("?" for _ in values)
