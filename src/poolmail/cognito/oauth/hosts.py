"""Which pool domain a request addresses: the host names managed login answers on.

A domain is reached by its AWS host name (`<prefix>.auth.<region>.amazoncognito.com`), by
its custom domain, or locally by `<prefix>.auth.<region>.localhost`, which browsers
resolve to the loopback address without a hosts entry.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from poolmail.store import Transaction

# `<prefix>.auth.<region>.amazoncognito.com` and its local twin under `.localhost`.
_PREFIX_HOST = re.compile(
    r"(?P<prefix>[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?)\.auth\.(?P<region>[a-z0-9\-]+)"
    r"\.(?:amazoncognito\.com|localhost)"
)


@dataclass(frozen=True, slots=True)
class Domain:
    """A pool domain as managed login serves it."""

    # The row's key: the AWS host name of a prefix domain, or the custom domain.
    host: str
    pool_id: str
    account: str
    region: str
    managed_login_version: int


def host_name(header: str) -> str:
    """A Host header's name, lower-cased, without its port."""
    name = header.strip().lower()
    if name.startswith("["):  # an IPv6 literal: `[::1]:4747`
        return name.split("]", 1)[0] + "]"
    return name.rsplit(":", 1)[0] if ":" in name else name


def is_prefix_host(name: str) -> bool:
    """Whether a host name has the form of a prefix domain (AWS's or the local one)."""
    return _PREFIX_HOST.fullmatch(name) is not None


def canonical(name: str) -> str:
    """The stored key of a host name: `.localhost` prefix hosts stand for AWS's."""
    match = _PREFIX_HOST.fullmatch(name)
    if match is None:
        return name
    return f"{match['prefix']}.auth.{match['region']}.amazoncognito.com"


def find_domain(tx: Transaction, name: str) -> Domain | None:
    """The domain a host name (or the path prefix's segment) names; None if none does."""
    host = canonical(host_name(name))
    row = tx.fetchone(
        "SELECT domain, pool_id, account, region, data FROM user_pool_domains WHERE domain = ?",
        (host,),
    )
    if row is None:
        return None
    data = json.loads(row[4])
    return Domain(
        str(row[0]), str(row[1]), str(row[2]), str(row[3]), int(data["ManagedLoginVersion"])
    )


def custom_hosts(tx: Transaction) -> frozenset[str]:
    """Every custom domain's host name (a prefix domain has the fixed form above)."""
    rows = tx.fetchall("SELECT domain FROM user_pool_domains")
    return frozenset(str(host) for (host,) in rows if not is_prefix_host(str(host)))


def pool_domain_host(tx: Transaction, pool_id: str) -> str | None:
    """The host name a pool's endpoints are named by in its discovery document: the prefix
    domain when it has one (it always resolves here), else its custom domain."""
    rows = tx.fetchall("SELECT domain FROM user_pool_domains WHERE pool_id = ?", (pool_id,))
    hosts = sorted(str(host) for (host,) in rows)
    prefix = [host for host in hosts if is_prefix_host(host)]
    chosen = prefix or hosts
    return chosen[0] if chosen else None
