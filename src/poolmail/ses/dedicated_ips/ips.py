"""SES v2 dedicated IPs: the account's addresses, the pool each is in, their warm-up, and
the address a send goes out from.

AWS leases dedicated IPs through a support case or provisions them for managed pools; no
API call creates one. poolmail's operator does it (``lease``, behind
``POST /_poolmail/ses/dedicated-ips``), with addresses from the documentation ranges
198.51.100.0/24 and 203.0.113.0/24 (RFC 5737), which no real mail server uses.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from collections.abc import Sequence
from typing import Any

from poolmail.context import RequestContext
from poolmail.operations import Handler, local_only
from poolmail.paging import keyset_page
from poolmail.protocol.errors import AwsError
from poolmail.ses.dedicated_ips.pools import (
    DEFAULT_POOL,
    bad,
    load_pool,
    missing_pool,
    page_size,
    pool_lock,
)
from poolmail.store import Transaction

ADDRESS_RANGES = (ipaddress.ip_network("198.51.100.0/24"), ipaddress.ip_network("203.0.113.0/24"))


def missing_ip(ip: str) -> AwsError:
    # ~ floci-io/floci reports SES answering this for an IP the account does not hold.
    return AwsError("NotFoundException", f"Could not find dedicated IP <{ip}> under this account.")


def _shape(ip: str, pool: str, data: dict[str, Any], mode: str) -> dict[str, Any]:
    """A DedicatedIp. AWS quirk: IPs of managed pools report WarmupStatus NOT_APPLICABLE and
    WarmupPercentage -1, "where Amazon SES automatically handles the warm-up" [model]."""
    if mode == "MANAGED":
        return {
            "Ip": ip,
            "WarmupStatus": "NOT_APPLICABLE",
            "WarmupPercentage": -1,
            "PoolName": pool,
        }
    percentage = int(data.get("WarmupPercentage", 0))
    status = "DONE" if percentage >= 100 else "IN_PROGRESS"
    return {"Ip": ip, "WarmupStatus": status, "WarmupPercentage": percentage, "PoolName": pool}


def _modes(tx: Transaction, account: str, region: str) -> dict[str, str]:
    rows = tx.fetchall(
        "SELECT name, data FROM ses_dedicated_ip_pools WHERE account = ? AND region = ?",
        (account, region),
    )
    return {str(name): json.loads(data)["ScalingMode"] for name, data in rows}


def _load_ip(tx: Transaction, account: str, region: str, ip: str) -> tuple[str, dict[str, Any]]:
    row = tx.fetchone(
        "SELECT pool, data FROM ses_dedicated_ips WHERE account = ? AND region = ? AND ip = ?",
        (account, region, ip),
    )
    if row is None:
        raise missing_ip(ip)
    return str(row[0]), json.loads(row[1])


@local_only
def get_dedicated_ip(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    ip = params["Ip"]
    with ctx.db.transaction(readonly=True) as tx:
        pool, data = _load_ip(tx, ctx.account_id, ctx.region, ip)
        mode = (load_pool(tx, ctx.account_id, ctx.region, pool) or {}).get("ScalingMode")
    return {"DedicatedIp": _shape(ip, pool, data, mode or "STANDARD")}


@local_only
def get_dedicated_ips(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    limit = page_size(params)
    pool = params.get("PoolName")
    select = (
        "SELECT ip, created_at, pool, data FROM ses_dedicated_ips WHERE account = ? AND region = ?"
    )
    args: list[Any] = [ctx.account_id, ctx.region]
    with ctx.db.transaction(readonly=True) as tx:
        if pool:
            if load_pool(tx, ctx.account_id, ctx.region, pool) is None:
                raise missing_pool(pool)
            select += " AND pool = ?"
            args.append(pool)
        rows, token = keyset_page(
            tx,
            select,
            args,
            key="ip",
            token=params.get("NextToken"),
            token_error="BadRequestException",
            limit=limit,
        )
        modes = _modes(tx, ctx.account_id, ctx.region)
    answer: dict[str, Any] = {
        "DedicatedIps": [
            _shape(str(ip), str(name), json.loads(data), modes.get(str(name), "STANDARD"))
            for ip, _, name, data in rows
        ]
    }
    if token:
        answer["NextToken"] = token
    return answer


def put_dedicated_ip_in_pool(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    ip, destination = params["Ip"], params["DestinationPoolName"]
    if not destination:
        # ~ floci-io/floci: AWS checks the blank name first, then the IP, then the pool.
        raise bad("Pool name can't be blank.")
    with ctx.db.transaction(lock=pool_lock(ctx.account_id, ctx.region)) as tx:
        current, _ = _load_ip(tx, ctx.account_id, ctx.region, ip)
        target = load_pool(tx, ctx.account_id, ctx.region, destination)
        if target is None:
            raise missing_pool(destination)
        source = load_pool(tx, ctx.account_id, ctx.region, current) or {}
        # Choice: a managed pool's IPs are Amazon SES's to place ("the reputation and
        # number of IPs are automatically managed by Amazon SES" [model]), so none moves
        # into or out of one. AWS's text was not found.
        for name, pool in ((current, source), (destination, target)):
            if pool.get("ScalingMode") == "MANAGED" and current != destination:
                raise bad(f"The pool <{name}> is managed by Amazon SES: its IPs can't be moved.")
        tx.execute(
            "UPDATE ses_dedicated_ips SET pool = ? WHERE account = ? AND region = ? AND ip = ?",
            (destination, ctx.account_id, ctx.region, ip),
        )
    return {}


def put_dedicated_ip_warmup_attributes(
    ctx: RequestContext, params: dict[str, Any]
) -> dict[str, Any]:
    ip, percentage = params["Ip"], params["WarmupPercentage"]
    if not 0 <= percentage <= 100:
        # ~ floci-io/floci reports this text, checked before the IP is looked up.
        raise bad("Warmup Percentage must be between 0 and 100.")
    with ctx.db.transaction(lock=pool_lock(ctx.account_id, ctx.region)) as tx:
        pool, data = _load_ip(tx, ctx.account_id, ctx.region, ip)
        if (load_pool(tx, ctx.account_id, ctx.region, pool) or {}).get("ScalingMode") == "MANAGED":
            # Choice: as above, a managed IP's warm-up is Amazon SES's; AWS's text not found.
            raise bad(f"The IP <{ip}> is in managed pool <{pool}>: its warm-up can't be set.")
        data["WarmupPercentage"] = int(percentage)
        tx.execute(
            "UPDATE ses_dedicated_ips SET data = ? WHERE account = ? AND region = ? AND ip = ?",
            (json.dumps(data), ctx.account_id, ctx.region, ip),
        )
    return {}


# --- the operator's part ---------------------------------------------------------------


class LeaseError(Exception):
    """A lease poolmail's operator asked for that can't be given; the text says why."""


def lease(
    tx: Transaction,
    account: str,
    region: str,
    *,
    count: int,
    pool: str,
    warmup_percentage: int,
    now: float,
) -> list[str]:
    """Give the account ``count`` new dedicated IPs in ``pool`` (AWS Support's part when
    it grants dedicated IPs). Run it under ``pool_lock(account, region)``."""
    if load_pool(tx, account, region, pool) is None:
        raise LeaseError(f"the account has no dedicated IP pool {pool} in {region}")
    taken = {str(row[0]) for row in tx.fetchall("SELECT ip FROM ses_dedicated_ips", ())}
    free = (
        str(address)
        for network in ADDRESS_RANGES
        for address in network.hosts()
        if str(address) not in taken
    )
    leased = [address for _, address in zip(range(count), free, strict=False)]
    if len(leased) < count:
        raise LeaseError("poolmail's dedicated IP ranges have no more free addresses")
    data = json.dumps({"WarmupPercentage": warmup_percentage})
    for address in leased:
        tx.execute(
            "INSERT INTO ses_dedicated_ips (account, region, ip, pool, created_at, data) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (account, region, address, pool, now, data),
        )
    return leased


# --- the send path -----------------------------------------------------------------------


def sending_ip(
    tx: Transaction,
    account: str,
    region: str,
    configuration_set: str | None,
    message_id: str,
    rows: Sequence[tuple[Any, ...]] | None = None,
) -> dict[str, str]:
    """``{"outgoing_ip": address}`` for a send that goes out from one of the account's
    dedicated IPs, else ``{}`` (SES's shared IPs).

    The configuration set's pool (DeliveryOptions.SendingPoolName) sends; without one, the
    default pool does: SES sends "from the IPs in ses-default-dedicated-pool" mail whose
    configuration set names no pool, or that has no set. One indexed query for an account
    without dedicated IPs. Choice: among a pool's IPs, the message id picks one, so a
    message always reports the same address; warm-up does not divert mail to shared IPs.
    ``rows`` are the account's (ip, pool) rows when the caller read them already.
    """
    if rows is None:
        rows = tx.fetchall(
            "SELECT ip, pool FROM ses_dedicated_ips WHERE account = ? AND region = ?",
            (account, region),
        )
    if not rows:
        return {}
    pool = DEFAULT_POOL
    if configuration_set is not None:
        row = tx.fetchone(
            "SELECT data FROM ses_configuration_sets WHERE account = ? AND region = ? AND name = ?",
            (account, region, configuration_set),
        )
        delivery = (json.loads(row[0]) if row is not None else {}).get("DeliveryOptions") or {}
        pool = str(delivery.get("SendingPoolName") or DEFAULT_POOL)
    addresses = sorted(str(ip) for ip, name in rows if name == pool)
    if not addresses:
        return {}
    pick = int.from_bytes(hashlib.sha256(message_id.encode()).digest()[:4], "big")
    return {"outgoing_ip": addresses[pick % len(addresses)]}


V1: dict[str, Handler] = {}
V2: dict[str, Handler] = {
    "GetDedicatedIp": get_dedicated_ip,
    "GetDedicatedIps": get_dedicated_ips,
    "PutDedicatedIpInPool": put_dedicated_ip_in_pool,
    "PutDedicatedIpWarmupAttributes": put_dedicated_ip_warmup_attributes,
}
