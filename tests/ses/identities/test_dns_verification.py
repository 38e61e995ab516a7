"""Domain verification by DNS: the `_amazonses` TXT token or the three Easy DKIM CNAMEs,
found in poolmail's local zone or on a real DNS server (dnsmasq)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import BACKENDS
from tests.ses.helpers import advance
from tests.support.dns import Dnsmasq, free_dns_port
from tests.support.server import ServerProcess, serving

HOURS_72 = 72 * 3600


def publish(server: ServerProcess, name: str, kind: str, value: str) -> httpx.Response:
    answer = httpx.post(
        f"{server.url}/_poolmail/dns/records", json={"name": name, "type": kind, "value": value}
    )
    assert answer.status_code in (200, 201), answer.text
    return answer


def eventually(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Poll ``check`` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.2)


def v1_status(server: ServerProcess, domain: str) -> str:
    attributes = server.client("ses").get_identity_verification_attributes(Identities=[domain])
    return str(attributes["VerificationAttributes"][domain]["VerificationStatus"])


def test_local_zone_txt_record_verifies_the_domain(live: ServerProcess) -> None:
    token = live.client("ses").verify_domain_identity(Domain="Local.Example")["VerificationToken"]
    assert v1_status(live, "local.example") == "Pending"
    # Zone-file style: upper case, a trailing dot, the value quoted.
    publish(live, "_amazonses.LOCAL.example.", "TXT", f'"{token}"')
    assert eventually(lambda: v1_status(live, "local.example") == "Success")
    got = live.client("sesv2").get_email_identity(EmailIdentity="local.example")
    assert (got["VerificationStatus"], got["VerifiedForSendingStatus"]) == ("SUCCESS", True)
    assert "LastSuccessTimestamp" in got["VerificationInfo"]
    assert "ErrorType" not in got["VerificationInfo"]


def test_local_zone_dkim_cnames_verify_the_domain(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    tokens = sesv2.create_email_identity(EmailIdentity="dkim.example")["DkimAttributes"]["Tokens"]
    for token in tokens[:2]:
        publish(live, f"{token}._domainkey.dkim.example", "CNAME", f"{token}.dkim.amazonses.com")
    # Two of three is not enough.
    got = sesv2.get_email_identity(EmailIdentity="dkim.example")
    assert got["DkimAttributes"]["Status"] == "PENDING"
    assert got["VerificationInfo"]["ErrorType"] in ("HOST_NOT_FOUND", "TYPE_NOT_FOUND")
    publish(
        live,
        f"{tokens[2].upper()}._domainkey.DKIM.example.",
        "CNAME",
        f"{tokens[2]}.dkim.amazonses.com.",
    )

    def verified() -> bool:
        attributes = live.client("ses").get_identity_dkim_attributes(Identities=["dkim.example"])
        return bool(
            attributes["DkimAttributes"]["dkim.example"]["DkimVerificationStatus"] == "Success"
        )

    assert eventually(verified)
    assert v1_status(live, "dkim.example") == "Success"
    got = sesv2.get_email_identity(EmailIdentity="dkim.example")
    assert got["DkimAttributes"]["Status"] == "SUCCESS"
    assert got["VerificationStatus"] == "SUCCESS"


def test_a_wrong_txt_value_leaves_the_domain_pending(live: ServerProcess) -> None:
    live.client("ses").verify_domain_identity(Domain="wrong.example")
    publish(live, "_amazonses.wrong.example", "TXT", "not-the-token")
    assert v1_status(live, "wrong.example") == "Pending"
    info = live.client("sesv2").get_email_identity(EmailIdentity="wrong.example")[
        "VerificationInfo"
    ]
    assert info["ErrorType"] == "INVALID_VALUE"
    assert "LastCheckedTimestamp" in info


def test_the_background_job_verifies_without_reads(live: ServerProcess) -> None:
    token = live.client("ses").verify_domain_identity(Domain="job.example")["VerificationToken"]
    publish(live, "_amazonses.job.example", "TXT", token)
    # Two background passes (every 2 s), no API read in between; then jump past the 72 h
    # window: only a domain the job already verified can show Success now.
    time.sleep(4.5)
    advance(live, HOURS_72 + 1)
    assert v1_status(live, "job.example") == "Success"


def test_a_domain_fails_after_72_hours_and_can_start_again(live: ServerProcess) -> None:
    ses = live.client("ses")
    token = ses.verify_domain_identity(Domain="slow.example")["VerificationToken"]
    ses.verify_domain_dkim(Domain="slow.example")
    advance(live, HOURS_72 + 1)
    assert v1_status(live, "slow.example") == "Failed"
    dkim = ses.get_identity_dkim_attributes(Identities=["slow.example"])["DkimAttributes"]
    assert dkim["slow.example"]["DkimVerificationStatus"] == "Failed"
    got = live.client("sesv2").get_email_identity(EmailIdentity="slow.example")
    assert (got["VerificationStatus"], got["DkimAttributes"]["Status"]) == ("FAILED", "FAILED")

    # Records published too late change nothing until verification starts again.
    publish(live, "_amazonses.slow.example", "TXT", token)
    assert v1_status(live, "slow.example") == "Failed"
    assert ses.verify_domain_identity(Domain="slow.example")["VerificationToken"] == token
    assert eventually(lambda: v1_status(live, "slow.example") == "Success")


def test_local_zone_records_endpoint(live: ServerProcess) -> None:
    url = f"{live.url}/_poolmail/dns/records"
    record = {"name": "_amazonses.Zone.Example.", "type": "txt", "value": '"abc"'}
    created = httpx.post(url, json=record)
    assert created.status_code == 201
    assert created.json() == {"name": "_amazonses.zone.example", "type": "TXT", "value": "abc"}
    assert httpx.post(url, json=record).status_code == 200
    publish(live, "x._domainkey.zone.example", "CNAME", "X.dkim.amazonses.com.")
    assert httpx.get(url).json()["records"] == [
        {"name": "_amazonses.zone.example", "type": "TXT", "value": "abc"},
        {"name": "x._domainkey.zone.example", "type": "CNAME", "value": "x.dkim.amazonses.com"},
    ]
    assert httpx.request("DELETE", url, json=record).status_code == 200
    assert httpx.request("DELETE", url, json=record).status_code == 404
    assert httpx.post(url, json={**record, "type": "A"}).status_code == 400
    assert httpx.post(url, json={**record, "type": "MX"}).status_code == 400
    assert httpx.post(url, json={"name": "", "type": "TXT", "value": "v"}).status_code == 400
    assert len(httpx.get(url).json()["records"]) == 1


# --- a real DNS server -----------------------------------------------------------------------


@pytest.fixture(params=BACKENDS)
def dns_server(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[ServerProcess, int]]:
    """A poolmail asking a DNS server on a port where dnsmasq will start later."""
    port = free_dns_port()
    option = ["--dns-server", f"127.0.0.1:{port}"]
    with serving(request.param, option, data_dir=str(tmp_path)) as running:
        yield running, port


def test_txt_record_on_a_real_dns_server(dns_server: tuple[ServerProcess, int]) -> None:
    server, port = dns_server
    ses = server.client("ses")
    token = ses.verify_domain_identity(Domain="example.org")["VerificationToken"]
    with Dnsmasq(port, txt=[("_amazonses.example.org", token)]):
        assert eventually(lambda: v1_status(server, "example.org") == "Success")
    assert httpx.get(f"{server.url}/_poolmail/dns/records").json()["records"] == []


def test_dkim_cnames_on_a_real_dns_server(dns_server: tuple[ServerProcess, int]) -> None:
    server, port = dns_server
    sesv2 = server.client("sesv2")
    tokens = sesv2.create_email_identity(EmailIdentity="dkim.example.org")["DkimAttributes"][
        "Tokens"
    ]
    cnames = [
        (f"{token}._domainkey.dkim.example.org", f"{token}.dkim.amazonses.com") for token in tokens
    ]
    with Dnsmasq(port, cname=cnames):

        def verified() -> bool:
            got = sesv2.get_email_identity(EmailIdentity="dkim.example.org")
            return bool(got["DkimAttributes"]["Status"] == "SUCCESS")

        assert eventually(verified)
    assert v1_status(server, "dkim.example.org") == "Success"
