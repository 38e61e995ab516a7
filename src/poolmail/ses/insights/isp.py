"""The recipient's ISP, as VDM names it, from the recipient's domain.

Choice: AWS does not publish its ISP table; poolmail knows the large mailbox providers
below by their domains and calls every other domain's ISP `Other`.
"""

from __future__ import annotations

from poolmail.ses.identities.coverage import bare_address

OTHER = "Other"
_ISPS = {
    "Gmail": ("gmail.com", "googlemail.com"),
    "Hotmail": ("outlook.com", "hotmail.com", "live.com", "msn.com", "hotmail.co.uk"),
    "Yahoo": ("yahoo.com", "ymail.com", "rocketmail.com", "yahoo.co.uk", "yahoo.fr"),
    "AOL": ("aol.com", "aim.com"),
    "iCloud": ("icloud.com", "me.com", "mac.com"),
    "Comcast": ("comcast.net",),
    "GMX": ("gmx.com", "gmx.de", "gmx.net"),
    "Orange": ("orange.fr", "wanadoo.fr"),
    "Yandex": ("yandex.ru", "yandex.com"),
    "Mail.ru": ("mail.ru",),
    "Zoho": ("zoho.com", "zohomail.com"),
    "ProtonMail": ("proton.me", "protonmail.com"),
}
_BY_DOMAIN = {domain: name for name, domains in _ISPS.items() for domain in domains}
# Choice: Gmail sends no complaints (no feedback loop; facts §1); the others do.
WITHOUT_FEEDBACK_LOOP = frozenset({"Gmail", OTHER})


def bare(address: str) -> str:
    """``bare_address`` without the email parser for what is bare already (the mailbox's
    envelope recipients): insights read thousands of addresses at a time."""
    if any(mark in address for mark in '<"(,'):
        return bare_address(address)
    return address.strip()


def domain_of(address: str) -> str:
    return bare(address).rpartition("@")[2].lower()


def isp_of(address: str) -> str:
    return _BY_DOMAIN.get(domain_of(address), OTHER)
