"""What an identity's page shows about mail authentication, read through the API
operations: the DKIM records to publish (Easy DKIM's three CNAMEs or a BYODKIM selector's
TXT) with DkimAttributes' state, the custom MAIL FROM domain's MX and SPF records with
its state, and the region's configuration sets with their options and tags."""

from __future__ import annotations

from typing import Any

from poolmail.console.scope import Scope, call
from poolmail.server.pipeline import Services
from poolmail.ses.authentication import dkim_keys, mail_from
from poolmail.ses.identities import dns

SESV2 = "sesv2"
# The section shows a glance, as the contact lists do: ListConfigurationSets pages on.
CONFIGURATION_SETS_SHOWN = 100

Wanted = tuple[str, str, str]


def dkim_records(services: Services, scope: Scope, name: str, dkim: dict[str, Any]) -> list[Wanted]:
    """Easy DKIM: `<token>._domainkey.<domain>` CNAME `<token>.dkim.amazonses.com` per token.
    BYODKIM: the selector's TXT record carrying the public half of the key the owner gave
    (derived from the key SES keeps for signing, so it can be copied or published)."""
    tokens = list(dkim.get("Tokens") or [])
    if dkim.get("SigningAttributesOrigin") != "EXTERNAL":
        return [
            ("CNAME", f"{token}._domainkey.{name}", f"{token}.{dns.DKIM_TARGET_ZONE}")
            for token in tokens
        ]
    if not tokens:
        return []
    selector = tokens[0]
    with services.db.transaction(readonly=True) as tx:
        key = dkim_keys.load(tx, scope.account, scope.region, name.lower())
    if key is None or key.selector != selector:
        return []
    return [("TXT", f"{selector}._domainkey.{name}", dkim_keys.key_record(key.pem))]


def mail_from_records(region: str, attributes: dict[str, Any]) -> list[Wanted]:
    """The MX record SES looks for on the MAIL FROM domain, and the SPF record receivers
    check (SES itself does not)."""
    domain = attributes.get("MailFromDomain")
    if not domain:
        return []
    return [
        ("MX", domain, f"10 {mail_from.mx_target(region)}"),
        ("TXT", domain, mail_from.SPF_VALUE),
    ]


def marked(services: Services, wanted: list[Wanted]) -> list[dict[str, Any]]:
    """Each record, marked when poolmail's local zone has it."""
    with services.db.transaction(readonly=True) as tx:
        published = {
            (record["type"], record["name"], record["value"]) for record in dns.list_records(tx)
        }
    return [
        {
            "type": kind,
            "name": record_name,
            "value": value,
            "published": (kind, dns.normalize_name(record_name), dns.normalize_value(kind, value))
            in published,
        }
        for kind, record_name, value in wanted
    ]


def configuration_sets(services: Services, scope: Scope) -> list[dict[str, Any]]:
    """The region's configuration sets (the first CONFIGURATION_SETS_SHOWN) as
    GetConfigurationSet reports each."""
    listed = call(
        services,
        scope,
        SESV2,
        "ListConfigurationSets",
        {"PageSize": CONFIGURATION_SETS_SHOWN},
    )
    return [
        call(services, scope, SESV2, "GetConfigurationSet", {"ConfigurationSetName": name})
        for name in listed["ConfigurationSets"]
    ]
