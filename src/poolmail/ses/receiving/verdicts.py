"""The verdicts SES gives a received message: SPF (pyspf), DKIM (dkimpy) and DMARC
(RFC 7489, below), every DNS lookup through poolmail's resolution (the local zone first, then
`--dns-server` or the system's resolver), and the spam and virus scans.

Verdict words are the receipt notification's: PASS, FAIL, GRAY, PROCESSING_FAILED, and
DISABLED for a scan no rule asked for (seen in real notifications).
"""

from __future__ import annotations

import functools
import ipaddress
import logging
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.utils import getaddresses
from typing import Any

from poolmail.ses.identities.dns import Resolver, normalize_name, split_server

log = logging.getLogger("poolmail.ses.inbound")

PASS = "PASS"
FAIL = "FAIL"
GRAY = "GRAY"
PROCESSING_FAILED = "PROCESSING_FAILED"
DISABLED = "DISABLED"
SCAN_VERDICTS = (PASS, FAIL, GRAY, PROCESSING_FAILED)

# Choice: SES's scanners cannot be reproduced; a scanned message is PASS unless the sender
# asks for another verdict with one of these test headers (the value is a verdict word).
SPAM_TEST_HEADER = "X-Poolmail-Spam-Verdict"
VIRUS_TEST_HEADER = "X-Poolmail-Virus-Verdict"

# pyspf's result -> the receipt's spfVerdict. AWS documents PASS, FAIL, GRAY and
# PROCESSING_FAILED; real notifications show permerror as PROCESSING_FAILED. Choice:
# softfail reads as FAIL, none and neutral (no policy on this sender) as GRAY.
_SPF_VERDICTS = {
    "pass": PASS,
    "fail": FAIL,
    "softfail": FAIL,
    "neutral": GRAY,
    "none": GRAY,
    "temperror": PROCESSING_FAILED,
    "permerror": PROCESSING_FAILED,
}
_DNS_TIMEOUT = 2.0


@dataclass(frozen=True, slots=True)
class Spf:
    result: str  # pyspf's word: pass, fail, softfail, neutral, none, temperror, permerror
    comment: str  # "spfCheck: domain of example.com designates 127.0.0.1 as permitted sender"
    domain: str  # the domain checked: the MAIL FROM's, or the HELO name's for a bounce

    @property
    def verdict(self) -> str:
        return _SPF_VERDICTS.get(self.result, PROCESSING_FAILED)


@dataclass(frozen=True, slots=True)
class Dkim:
    verdict: str
    passed: tuple[str, ...]  # the d= domains of the signatures that verified, in order
    checked: tuple[tuple[str, bool], ...]  # every signature: (d=, verified)


@dataclass(frozen=True, slots=True)
class Dmarc:
    verdict: str
    policy: str | None  # p= (sp= for a subdomain) when the verdict is FAIL
    from_domain: str


@dataclass(frozen=True, slots=True)
class Verdicts:
    spf: Spf
    dkim: Dkim
    dmarc: Dmarc
    spam: str  # the scanners' verdicts when scanned (see scan_verdicts)
    virus: str


def evaluate(
    raw: bytes,
    *,
    ip: str,
    mail_from: str,
    helo: str,
    resolver: Resolver,
    dns_server: str | None,
) -> Verdicts:
    """SPF for the connecting ``ip``, the envelope sender and the HELO name; DKIM of every
    signature; DMARC of the From domain with both; the scan verdicts the message asks for."""
    spf_outcome = check_spf(ip, mail_from, helo, resolver, dns_server)
    dkim_outcome = check_dkim(raw, resolver)
    dmarc_outcome = check_dmarc(raw, spf_outcome, dkim_outcome, resolver)
    spam, virus = scan_verdicts(raw)
    return Verdicts(spf_outcome, dkim_outcome, dmarc_outcome, spam, virus)


def scan_verdicts(raw: bytes) -> tuple[str, str]:
    headers = BytesHeaderParser().parsebytes(raw)
    found = []
    for name in (SPAM_TEST_HEADER, VIRUS_TEST_HEADER):
        asked = str(headers.get(name, "")).strip().upper()
        found.append(asked if asked in SCAN_VERDICTS else PASS)
    return found[0], found[1]


# --- SPF ------------------------------------------------------------------------------------


def check_spf(
    ip: str, mail_from: str, helo: str, resolver: Resolver, dns_server: str | None
) -> Spf:

    # RFC 7208 2.4: a bounce (null reverse-path) is checked as postmaster@<HELO name>.
    sender = mail_from or f"postmaster@{helo}"
    domain = sender.rpartition("@")[2].lower()
    query = _spf_query_class()(i=ip, s=sender, h=helo, querytime=10)
    query.poolmail_resolver = resolver
    query.poolmail_dns_server = dns_server
    try:
        result, _code, _explanation = query.check()
    except Exception as error:  # pyspf raises for input it cannot read (a bad IP, ...)
        log.info("SPF check of %s from %s failed: %s", sender, ip, error)
        result = "permerror"
    return Spf(str(result), _spf_comment(str(result), domain, ip), domain)


def _spf_comment(result: str, domain: str, ip: str) -> str:
    # SES's words for pass and permerror are from real Received-SPF headers; the others
    # follow the same pattern.
    if result == "pass":
        return f"spfCheck: domain of {domain} designates {ip} as permitted sender"
    if result in ("fail", "softfail"):
        return f"spfCheck: domain of {domain} does not designate {ip} as permitted sender"
    if result == "none":
        return f"spfCheck: domain of {domain} does not designate permitted sender hosts"
    if result == "neutral":
        return f"spfCheck: {ip} is neither permitted nor denied by domain of {domain}"
    if result == "temperror":
        return "spfCheck: Temporary error in processing SPF Record"
    return "spfCheck: Error in processing SPF Record"


@functools.cache
def _spf_query_class() -> Any:
    """pyspf's query, its DNS answered by poolmail's resolution (imported at first use)."""
    import spf

    class PoolmailQuery(spf.query):  # type: ignore[misc]
        poolmail_resolver: Resolver
        poolmail_dns_server: str | None

        def dns(
            self, name: str, qtype: str, cnames: Any = None, ignore_void: bool = False
        ) -> list[Any]:
            name = normalize_name(str(name))
            result: list[Any]
            if qtype == "TXT":
                result = [(value.encode(),) for value in self.poolmail_resolver.txt(name)]
            elif qtype == "MX":
                result = []
                for value in self.poolmail_resolver.mx(name):
                    preference, _, host = value.partition(" ")
                    result.append((int(preference or 0), host))
            elif qtype in ("A", "AAAA", "PTR"):
                result = _network(name, qtype, self.poolmail_dns_server)
            else:  # the obsolete SPF type: RFC 7208 3.1 says TXT only
                result = []
            if not result and not ignore_void:
                self.void_lookups += 1
                if self.void_lookups > spf.MAX_VOID_LOOKUPS:
                    raise spf.PermError(f"Void lookup limit of {spf.MAX_VOID_LOOKUPS} exceeded")
            return result

    return PoolmailQuery


def _network(name: str, qtype: str, dns_server: str | None) -> list[Any]:
    """Address and PTR lookups, which the local zone does not hold: `--dns-server` or the
    system's resolver, a short timeout, nothing on any failure."""
    import dns.resolver

    try:
        if dns_server is None:
            resolver = dns.resolver.Resolver()
        else:
            host, port = split_server(dns_server)
            resolver = dns.resolver.Resolver(configure=False)
            resolver.nameservers = [host]
            resolver.port = port
        resolver.lifetime = _DNS_TIMEOUT
        answer = resolver.resolve(name, qtype, search=False)
    except Exception as error:  # NXDOMAIN, no answer, timeout, no configuration
        log.debug("DNS lookup of %s %s found nothing: %s", qtype, name, error)
        return []
    if qtype == "PTR":
        return [str(getattr(record, "target", "")).rstrip(".") for record in answer]
    return [str(getattr(record, "address", "")) for record in answer]


# --- DKIM -----------------------------------------------------------------------------------


def _dkim_dns(resolver: Resolver) -> Any:
    def lookup(name: bytes | str, timeout: float = 5) -> bytes | None:
        text = name.decode("ascii", "replace") if isinstance(name, bytes) else name
        values = resolver.txt(normalize_name(text))
        return values[0].encode() if values else None

    return lookup


def check_dkim(raw: bytes, resolver: Resolver) -> Dkim:
    """Every DKIM-Signature checked: PASS when one verifies, FAIL when there are
    signatures and none verifies, GRAY when the message is not signed."""
    import dkim

    try:
        signer = dkim.DKIM(raw)
    except Exception:  # a message dkimpy cannot parse has no usable signature
        return Dkim(PROCESSING_FAILED, (), ())
    count = sum(1 for name, _ in signer.headers if name.lower() == b"dkim-signature")
    checked: list[tuple[str, bool]] = []
    for index in range(count):
        signer = dkim.DKIM(raw)
        try:
            verified = bool(signer.verify(idx=index, dnsfunc=_dkim_dns(resolver)))
        except Exception as error:  # badly formed signature or key: this signature fails
            log.info("DKIM signature %d does not verify: %s", index, error)
            verified = False
        domain = signer.domain.decode("ascii", "replace") if signer.domain else ""
        checked.append((domain.lower(), verified))
    passed = tuple(domain for domain, verified in checked if verified)
    verdict = PASS if passed else FAIL if checked else GRAY
    return Dkim(verdict, passed, tuple(checked))


# --- DMARC ---------------------------------------------------------------------------------
# Choice: RFC 7489 evaluated here, with the Public Suffix List of `publicsuffixlist` for
# organisational domains. authheaders was tried first; it applies `sp=` to the From domain's
# own record and finds no organisational domain under a TLD the list does not know
# (`.example`, `.test`, what local tests use).


@functools.cache
def _suffixes() -> Any:
    from publicsuffixlist import PublicSuffixList

    return PublicSuffixList()


def organisational_domain(domain: str) -> str:
    """RFC 7489 3.2: the public suffix plus one label (a TLD the list does not know counts
    as a public suffix, the list's `*` rule)."""
    found = _suffixes().privatesuffix(domain)
    return str(found) if found else domain


def from_domain(raw: bytes) -> str:
    headers = BytesHeaderParser().parsebytes(raw)
    found = getaddresses([str(value) for value in headers.get_all("From", [])])
    address = next((address for _, address in found if "@" in address), "")
    return address.rpartition("@")[2].lower()


def _record(resolver: Resolver, domain: str) -> dict[str, str] | None:
    """The tags of the one DMARC record at `_dmarc.<domain>`; None when there is none or
    several (RFC 7489 6.6.3: several records are treated as none)."""
    found = [v for v in resolver.txt(f"_dmarc.{domain}") if v.strip().startswith("v=DMARC1")]
    if len(found) != 1:
        return None
    tags: dict[str, str] = {}
    for part in found[0].split(";"):
        name, _, value = part.partition("=")
        if name.strip():
            tags[name.strip().lower()] = value.strip()
    return tags


def _aligned(domain: str, other: str, mode: str) -> bool:
    other = other.lower()
    if mode == "s":
        return domain == other
    return organisational_domain(domain) == organisational_domain(other)


def check_dmarc(raw: bytes, spf_outcome: Spf, dkim_outcome: Dkim, resolver: Resolver) -> Dmarc:
    """RFC 7489: the From domain's record, else its organisational domain's; PASS when an
    SPF pass or a verified DKIM signature is aligned with the From domain (relaxed unless
    `aspf=s`/`adkim=s`), FAIL with the policy met otherwise, GRAY with no record."""
    domain = from_domain(raw)
    if not domain:
        return Dmarc(GRAY, None, domain)
    record = _record(resolver, domain)
    policy_tag = "p"
    if record is None:
        organisation = organisational_domain(domain)
        if organisation != domain:
            record = _record(resolver, organisation)
            policy_tag = "sp"
    if record is None:
        return Dmarc(GRAY, None, domain)
    policy = record.get(policy_tag) or record.get("p", "")
    if policy.lower() not in ("none", "quarantine", "reject"):
        # 6.6.3: a record without a valid p= is discarded (a bad sp= falls back to p=).
        policy = record.get("p", "")
        if policy.lower() not in ("none", "quarantine", "reject"):
            return Dmarc(GRAY, None, domain)
    spf_aligned = spf_outcome.result == "pass" and _aligned(
        domain, spf_outcome.domain, record.get("aspf", "r").lower()
    )
    dkim_aligned = any(
        _aligned(domain, signer, record.get("adkim", "r").lower()) for signer in dkim_outcome.passed
    )
    if spf_aligned or dkim_aligned:
        return Dmarc(PASS, None, domain)
    return Dmarc(FAIL, policy.lower(), domain)


def peer_in(ip: str, cidr: str) -> bool:
    """Whether ``ip`` is in ``cidr`` (a bare address is its own /32 or /128)."""
    try:
        return ipaddress.ip_address(ip) in ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False
