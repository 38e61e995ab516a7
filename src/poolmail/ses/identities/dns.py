"""Domain verification through DNS: lookups behind one small ``Resolver`` protocol (poolmail's
local zone first, then ``--dns-server HOST:PORT`` or the system's resolver), and the search
for a pending domain's `_amazonses` TXT token or Easy DKIM CNAMEs.
"""

from __future__ import annotations

import functools
import json
import logging
import socket
import threading
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

from poolmail.ses.identities.coverage import effective_status
from poolmail.ses.identities.verification import (
    DOMAIN,
    dkim_status,
    identity_lock,
    is_pending,
    load,
    update_data,
)
from poolmail.store import Database, Transaction

if TYPE_CHECKING:  # dnspython is imported when a lookup first needs it
    import dns.resolver

log = logging.getLogger("poolmail.dns")

RECORD_TYPES = ("TXT", "CNAME", "MX")

# Short, so that a read which re-checks a pending domain never stalls a client for long.
LOOKUP_TIMEOUT = 1.0
# After a timeout the system resolver rests this long (seconds): a machine without network
# must not pay a timeout on every read and every background pass. A server named with
# --dns-server is asked every time: it was chosen on purpose, and may just be starting.
TIMEOUT_BACKOFF = 30.0
DKIM_TARGET_ZONE = "dkim.amazonses.com"
# A pending domain whose check result did not change is written back at most this often,
# so that pending domains do not cost a write on every background pass.
CHECK_WRITE_INTERVAL = 60.0


class Resolver(Protocol):
    def txt(self, name: str) -> list[str]:
        """The TXT strings published at ``name`` (each record's chunks joined); [] if none."""
        ...

    def cname(self, name: str) -> str | None:
        """The target ``name`` is an alias of (normalised), or None."""
        ...

    def mx(self, name: str) -> list[str]:
        """The MX records at ``name``, each as ``"<preference> <host>"`` (normalised)."""
        ...


def normalize_name(name: str) -> str:
    """DNS names compare case-insensitively and without the root's trailing dot."""
    return name.strip().rstrip(".").lower()


def unquote_txt(value: str) -> str:
    # Zone-file notation (`"token"`) and the AWS console's JSON-quoted examples both wrap
    # the value in quotes that are not part of it.
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def normalize_value(kind: str, value: str) -> str:
    if kind == "MX":
        # `10 Feedback-SMTP.us-east-1.amazonses.com.` -> `10 feedback-smtp.us-east-1.amazonses.com`
        preference, _, host = value.strip().partition(" ")
        return f"{preference} {normalize_name(host)}"
    return normalize_name(value) if kind == "CNAME" else unquote_txt(value)


# --- the local zone: table dns_records(name, type, value, created_at) ---------------------


def add_record(tx: Transaction, name: str, kind: str, value: str, now: float) -> bool:
    """Publish a record; False when the same record was already there."""
    changed = tx.execute(
        "INSERT INTO dns_records (name, type, value, created_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT DO NOTHING",
        (normalize_name(name), kind, normalize_value(kind, value), now),
    )
    return changed > 0


def remove_record(tx: Transaction, name: str, kind: str, value: str) -> bool:
    changed = tx.execute(
        "DELETE FROM dns_records WHERE name = ? AND type = ? AND value = ?",
        (normalize_name(name), kind, normalize_value(kind, value)),
    )
    return changed > 0


def list_records(tx: Transaction) -> list[dict[str, str]]:
    rows = tx.fetchall("SELECT name, type, value FROM dns_records ORDER BY name, type, created_at")
    return [{"name": name, "type": kind, "value": value} for name, kind, value in rows]


class LocalZone:
    """Records published through poolmail's admin endpoint, for verification offline."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def _values(self, name: str, kind: str) -> list[str]:
        with self._db.transaction() as tx:
            rows = tx.fetchall(
                "SELECT value FROM dns_records WHERE name = ? AND type = ? ORDER BY created_at",
                (normalize_name(name), kind),
            )
        return [row[0] for row in rows]

    def txt(self, name: str) -> list[str]:
        return self._values(name, "TXT")

    def cname(self, name: str) -> str | None:
        values = self._values(name, "CNAME")
        return values[0] if values else None

    def mx(self, name: str) -> list[str]:
        return self._values(name, "MX")


# --- the real resolver -------------------------------------------------------------------


def split_server(server: str) -> tuple[str, int]:
    """`127.0.0.1:5353` -> ("127.0.0.1", 5353); `[::1]:53`; a bare host means port 53."""
    host, sep, port = server.rpartition(":")
    if not sep or not port.isdigit() or (host.count(":") and not host.endswith("]")):
        return server.strip("[]"), 53
    return host.strip("[]"), int(port)


class NetworkResolver:
    """dnspython against ``server`` (``host:port``, port 53 when omitted) or the system's
    resolver. Every failure (NXDOMAIN, no answer, refusal, timeout, no configuration)
    reads as "no record"; verification then simply stays pending."""

    def __init__(self, server: str | None) -> None:
        self._server = server
        self._lock = threading.Lock()
        self._resting_until = 0.0
        self._resolver: dns.resolver.Resolver | None = None

    def _build(self) -> dns.resolver.Resolver:
        import dns.resolver

        if self._server is None:
            resolver = dns.resolver.Resolver()
        else:
            host, port = split_server(self._server)
            resolver = dns.resolver.Resolver(configure=False)
            resolver.nameservers = [str(socket.getaddrinfo(host, port)[0][4][0])]
            resolver.port = port
        resolver.timeout = LOOKUP_TIMEOUT
        resolver.lifetime = LOOKUP_TIMEOUT
        return resolver

    def _answer(self, name: str, kind: str) -> Sequence[object]:
        import dns.exception

        with self._lock:
            if time.monotonic() < self._resting_until:
                return []
        try:
            if self._resolver is None:
                self._resolver = self._build()
            return list(self._resolver.resolve(name, kind, search=False))
        except dns.exception.Timeout:
            if self._server is None:
                with self._lock:
                    self._resting_until = time.monotonic() + TIMEOUT_BACKOFF
            log.info("DNS lookup of %s %s timed out", kind, name)
            return []
        except Exception as exc:  # NXDOMAIN, NoAnswer, NoNameservers, bad configuration, ...
            log.debug("DNS lookup of %s %s found nothing: %s", kind, name, exc)
            return []

    def txt(self, name: str) -> list[str]:
        values = []
        for record in self._answer(name, "TXT"):
            chunks: tuple[bytes, ...] = getattr(record, "strings", ())
            values.append(b"".join(chunks).decode("utf-8", "replace"))
        return values

    def cname(self, name: str) -> str | None:
        for record in self._answer(name, "CNAME"):
            return normalize_name(str(getattr(record, "target", "")))
        return None

    def mx(self, name: str) -> list[str]:
        values = []
        for record in self._answer(name, "MX"):
            host = normalize_name(str(getattr(record, "exchange", "")))
            values.append(f"{getattr(record, 'preference', '')} {host}")
        return values


class ChainResolver:
    """The local zone first; the network only when the local zone has nothing."""

    def __init__(self, *resolvers: Resolver) -> None:
        self._resolvers = resolvers

    def txt(self, name: str) -> list[str]:
        for resolver in self._resolvers:
            values = resolver.txt(name)
            if values:
                return values
        return []

    def cname(self, name: str) -> str | None:
        for resolver in self._resolvers:
            target = resolver.cname(name)
            if target is not None:
                return target
        return None

    def mx(self, name: str) -> list[str]:
        for resolver in self._resolvers:
            values = resolver.mx(name)
            if values:
                return values
        return []


@functools.lru_cache(maxsize=8)
def network_resolver(server: str | None) -> NetworkResolver:
    # One per server for the life of the process, so its timeout back-off is shared by
    # requests and the background job alike.
    return NetworkResolver(server)


def resolver_for(db: Database, dns_server: str | None) -> Resolver:
    return ChainResolver(LocalZone(db), network_resolver(dns_server))


# --- the search for a pending domain's records ---------------------------------------


def _key_tag(record: str) -> str:
    """The `p=` value of a DKIM key record, whitespace removed (long keys are often split)."""
    for part in record.split(";"):
        name, _, value = part.strip().partition("=")
        if name.strip() == "p":
            return "".join(value.split())
    return ""


def _dkim_published(resolver: Resolver, domain: str, data: dict[str, Any]) -> bool:
    if data.get("DkimOrigin") == "EXTERNAL":
        # Bring-your-own DKIM: the public key is a TXT record under the chosen selector.
        selector = data.get("DkimSelector", "")
        values = resolver.txt(f"{selector}._domainkey.{domain}")
        key = data.get("DkimPublicKey")
        if key:
            # The record must carry the public half of the key SES signs with.
            return any(_key_tag(value) == key for value in values)
        return any("p=" in value for value in values)
    tokens = data.get("DkimTokens") or []
    return bool(tokens) and all(
        resolver.cname(f"{token}._domainkey.{domain}") == f"{token}.{DKIM_TARGET_ZONE}"
        for token in tokens
    )


def check_domain(
    resolver: Resolver, domain: str, data: dict[str, Any], now: float
) -> dict[str, Any]:
    """Look up a pending domain's records; return the changes to store (possibly none)."""
    check_txt = effective_status(DOMAIN, data, now) == "Pending"
    check_dkim = dkim_status(data, now) == "Pending"
    if not (check_txt or check_dkim):
        return {}
    found: dict[str, Any] = {}
    error: str | None = None
    if check_txt:
        values = [unquote_txt(value) for value in resolver.txt(f"_amazonses.{domain}")]
        if data.get("VerificationToken") in values:
            found.update(VerificationStatus="Success", VerifiedAt=now)
        else:
            error = "INVALID_VALUE" if values else "HOST_NOT_FOUND"
    if check_dkim:
        if _dkim_published(resolver, domain, data):
            # AWS quirk: "The domain's verification status also changes to 'Success' when it
            # is DKIM verified." (SES API reference, VerifyDomainIdentity)
            found.update(DkimVerificationStatus="Success", DkimVerifiedAt=now)
            if check_txt and "VerificationStatus" not in found:
                found.update(VerificationStatus="Success", VerifiedAt=now)
            error = None
        elif error is None:
            error = "TYPE_NOT_FOUND"
    if found:
        # A None error type removes the key: nothing is left to report.
        found.update(LastCheckedAt=now, VerificationErrorType=error)
        return found
    stale = now - float(data.get("LastCheckedAt", 0.0)) >= CHECK_WRITE_INTERVAL
    if data.get("VerificationErrorType") != error or stale:
        return {"LastCheckedAt": now, "VerificationErrorType": error}
    return {}


# What a check's result depends on; if any of it changed meanwhile, the result is stale.
_CHECKED = ("VerificationToken", "VerificationStartedAt", "DkimTokens", "DkimStartedAt")


def refresh_domain(
    db: Database,
    resolver: Resolver,
    account: str,
    region: str,
    domain: str,
    data: dict[str, Any],
    now: float,
) -> dict[str, Any]:
    """Re-check one domain whose ``data`` was just read; return its data as now stored.

    The lookups run outside any transaction: a slow DNS server must not hold the database.
    """
    changes = check_domain(resolver, domain, data, now)
    if not changes:
        return data
    with db.transaction(lock=identity_lock(account, region, domain)) as tx:
        current = load(tx, account, region, domain)
        if current is None or any(current.data.get(key) != data.get(key) for key in _CHECKED):
            # Deleted, re-created or restarted while we looked: this result is not its.
            return data if current is None else current.data
        updated = update_data(tx, account, region, domain, changes)
    return updated if updated is not None else data


def refresh_pending_domains(db: Database, resolver: Resolver, now: float) -> int:
    """The background pass over every account and region; return how many were checked."""
    with db.transaction() as tx:
        rows = tx.fetchall(
            "SELECT account, region, identity, data FROM ses_identities WHERE kind = ?",
            (DOMAIN,),
        )
    checked = 0
    for account, region, domain, raw in rows:
        data = json.loads(raw)
        if is_pending(DOMAIN, data, now):
            refresh_domain(db, resolver, account, region, domain, data, now)
            checked += 1
    return checked
