"""The identity page's mail authentication over HTTP, on both stores: DKIM records and
states (Easy DKIM and BYODKIM), the custom MAIL FROM domain's records and states, the
default configuration set, tags (escaped), and the configuration sets on the identities
page."""

from __future__ import annotations

import base64
import html
import re

import httpx
import pytest
from botocore.exceptions import ClientError
from playwright.sync_api import Page, expect

from tests.console.conftest import screenshot
from tests.console.helpers import form_post, page_problems, production_access, verify
from tests.support.server import ServerProcess

MX = "10 feedback-smtp.us-east-1.amazonses.com"
SPF = "v=spf1 include:amazonses.com ~all"


def page(server: ServerProcess, name: str) -> str:
    answer = httpx.get(f"{server.url}/console/ses/identities/{name}")
    assert answer.status_code == 200, answer.text
    return answer.text


def text_of(page_html: str, element_id: str) -> str:
    """The text inside the element with this id, tags removed, spaces collapsed."""
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</(dd|table|dl)>', page_html, re.S)
    assert found, f"no #{element_id}"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


def rows(page_html: str, table_id: str) -> list[list[str]]:
    found = re.search(rf'<table id="{table_id}">.*?<tbody>(.*?)</tbody>', page_html, re.S)
    if found is None:
        return []
    return [
        [
            " ".join(html.unescape(re.sub(r"<[^>]+>", " ", cell)).replace("Copy", "").split())
            for cell in re.findall(r"<td>(.*?)</td>", row, re.S)
        ]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", found.group(1), re.S)
    ]


def dns_record(server: ServerProcess, name: str, kind: str, value: str) -> None:
    answer = httpx.post(
        f"{server.url}/_poolmail/dns/records", json={"name": name, "type": kind, "value": value}
    )
    assert answer.status_code in (200, 201), answer.text


def test_easy_dkim_records_states_and_tags(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    # Tags cannot carry markup (SES refuses it, and nothing is created) ...
    with pytest.raises(ClientError) as refused:
        sesv2.create_email_identity(
            EmailIdentity="example.org", Tags=[{"Key": "team", "Value": "<b>mail</b>"}]
        )
    assert refused.value.response["Error"]["Code"] == "BadRequestException"
    assert httpx.get(f"{live.url}/console/ses/identities/example.org").status_code == 404
    # ... but what they may carry is shown as given.
    tokens = sesv2.create_email_identity(
        EmailIdentity="example.org",
        Tags=[{"Key": "team", "Value": "Ünïcode mail+ops=a/b @x:y"}, {"Key": "env", "Value": ""}],
    )["DkimAttributes"]["Tokens"]
    before = page(live, "example.org")
    assert text_of(before, "dkim-status") == "PENDING"
    assert text_of(before, "dkim-signing") == "enabled"
    assert text_of(before, "dkim-origin") == "Easy DKIM (AWS_SES)"
    assert text_of(before, "dkim-current-key") == "RSA_2048_BIT"
    assert text_of(before, "dkim-next-key") == "RSA_2048_BIT"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d .+", text_of(before, "dkim-last-generation"))
    records = rows(before, "records")
    assert records[0][:1] == ["TXT"]
    assert records[1:] == [
        ["CNAME", f"{token}._domainkey.example.org", f"{token}.dkim.amazonses.com", "—"]
        for token in tokens
    ]
    assert rows(before, "tags") == [["team", "Ünïcode mail+ops=a/b @x:y"], ["env", ""]]
    assert text_of(before, "mail-from-domain") == "none: SES's own domain"
    assert text_of(before, "mail-from-behavior") == "USE_DEFAULT_VALUE"
    assert 'id="mail-from-records"' not in before
    assert page_problems(live, before) == []

    for token in tokens:
        dns_record(live, f"{token}._domainkey.example.org", "CNAME", f"{token}.dkim.amazonses.com")
    sesv2.put_email_identity_dkim_attributes(EmailIdentity="example.org", SigningEnabled=False)
    after = page(live, "example.org")
    assert text_of(after, "dkim-status") == "SUCCESS"
    assert text_of(after, "dkim-signing") == "disabled"
    assert [row[3] for row in rows(after, "records")[1:]] == ["published"] * 3
    assert page_problems(live, after) == []


def external_key() -> tuple[str, str]:
    """(DomainSigningPrivateKey as AWS wants it, the `p=` of its DNS record)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    body = "".join(line for line in pem.splitlines() if not line.startswith("-----"))
    public = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return body, base64.b64encode(public).decode()


def test_byodkim_selector_record_pending_then_published(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    sesv2.create_email_identity(EmailIdentity="own.example")
    private, public = external_key()
    sesv2.put_email_identity_dkim_signing_attributes(
        EmailIdentity="own.example",
        SigningAttributesOrigin="EXTERNAL",
        SigningAttributes={"DomainSigningSelector": "sel2026", "DomainSigningPrivateKey": private},
    )
    pending = page(live, "own.example")
    assert text_of(pending, "dkim-status") == "PENDING"
    assert text_of(pending, "dkim-origin") == "your own key, BYODKIM (EXTERNAL)"
    assert text_of(pending, "dkim-selector") == "sel2026"
    # Easy DKIM's key facts belong to AWS's keys only.
    assert 'id="dkim-current-key"' not in pending
    assert rows(pending, "records")[1:] == [
        ["TXT", "sel2026._domainkey.own.example", f"v=DKIM1; k=rsa; p={public}", "—"]
    ]
    assert page_problems(live, pending) == []

    # The console's publish button puts the selector's record into the local zone.
    published = form_post(live, "/console/ses/identities/own.example/publish", {})
    assert published.status_code == 303
    done = page(live, "own.example")
    assert text_of(done, "dkim-status") == "SUCCESS"
    assert rows(done, "records")[1][3] == "published"
    assert sesv2.get_email_identity(EmailIdentity="own.example")["DkimAttributes"]["Status"] == (
        "SUCCESS"
    )


def test_mail_from_pending_then_success_and_configuration_sets(live: ServerProcess) -> None:
    verify(live, "example.com")
    production_access(live)
    sesv2 = live.client("sesv2")
    sesv2.put_email_identity_mail_from_attributes(
        EmailIdentity="example.com",
        MailFromDomain="bounce.example.com",
        BehaviorOnMxFailure="REJECT_MESSAGE",
    )
    sesv2.create_configuration_set(
        ConfigurationSetName="marketing",
        Tags=[{"Key": "cost-center", "Value": "42"}],
        DeliveryOptions={"TlsPolicy": "REQUIRE"},
    )
    sesv2.put_configuration_set_sending_options(
        ConfigurationSetName="marketing", SendingEnabled=False
    )
    sesv2.put_configuration_set_reputation_options(
        ConfigurationSetName="marketing", ReputationMetricsEnabled=True
    )
    sesv2.create_configuration_set(ConfigurationSetName="plain")
    sesv2.put_email_identity_configuration_set_attributes(
        EmailIdentity="example.com", ConfigurationSetName="marketing"
    )

    pending = page(live, "example.com")
    assert text_of(pending, "mail-from-domain") == "bounce.example.com"
    assert text_of(pending, "mail-from-status") == "PENDING"
    assert text_of(pending, "mail-from-behavior") == "REJECT_MESSAGE"
    assert text_of(pending, "default-configuration-set") == "marketing"
    assert rows(pending, "mail-from-records") == [
        ["MX", "bounce.example.com", MX, "—"],
        ["TXT", "bounce.example.com", SPF, "—"],
    ]
    assert page_problems(live, pending) == []

    dns_record(live, "bounce.example.com", "MX", MX)
    dns_record(live, "bounce.example.com", "TXT", f'"{SPF}"')
    found = page(live, "example.com")
    assert text_of(found, "mail-from-status") == "SUCCESS"
    assert [row[3] for row in rows(found, "mail-from-records")] == ["published", "published"]

    listing = httpx.get(f"{live.url}/console/ses/identities")
    assert listing.status_code == 200
    assert rows(listing.text, "configuration-set-options") == [
        ["marketing", "paused", "REQUIRE", "enabled", "—", "account's", "cost-center=42"],
        ["plain", "enabled", "OPTIONAL", "—", "—", "account's", "—"],
    ]
    assert page_problems(live, listing.text) == []


def test_the_identity_page_in_a_browser(page: Page, site: ServerProcess) -> None:
    sesv2 = site.client("sesv2")
    sesv2.create_email_identity(
        EmailIdentity="example.net", Tags=[{"Key": "team", "Value": "mail"}]
    )
    sesv2.put_email_identity_mail_from_attributes(
        EmailIdentity="example.net", MailFromDomain="bounce.example.net"
    )
    page.goto("/console/ses/identities/example.net")
    expect(page.locator("#mail-from-status")).to_contain_text("PENDING")
    page.get_by_role("button", name="Publish to poolmail's local DNS zone").click()
    expect(page.locator("#dkim-status")).to_contain_text("SUCCESS")
    expect(page.locator("#mail-from-status")).to_contain_text("SUCCESS")
    page.locator("#dkim").scroll_into_view_if_needed()
    screenshot(page, "ses-identity-authentication")
