"""Custom MAIL FROM domains: set through both APIs, the MX record found in poolmail's local
zone (Pending -> Success -> TemporaryFailure -> Failed), the envelope sender of sent mail
and BehaviorOnMXFailure."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.ses.helpers import advance, messages, production_access, simple_message, verify
from tests.support.server import ServerProcess

HOURS_72 = 72 * 3600
MX = "10 feedback-smtp.us-east-1.amazonses.com"


def dns_record(server: ServerProcess, method: str, name: str, kind: str, value: str) -> None:
    answer = httpx.request(
        method,
        f"{server.url}/_poolmail/dns/records",
        json={"name": name, "type": kind, "value": value},
    )
    assert answer.status_code in (200, 201), answer.text


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    error = excinfo.value.response["Error"]
    status = excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]
    return error["Code"], error["Message"], status


def v1_attributes(server: ServerProcess, identity: str) -> dict[str, str]:
    got = server.client("ses").get_identity_mail_from_domain_attributes(Identities=[identity])
    return dict(got["MailFromDomainAttributes"][identity])


def send(server: ServerProcess, sender: str = "ann@example.com") -> str:
    answer = server.client("ses").send_email(
        Source=sender, Destination={"ToAddresses": ["bob@example.org"]}, Message=simple_message()
    )
    return str(answer["MessageId"])


def stored(server: ServerProcess, message_id: str) -> dict[str, Any]:
    [message] = [m for m in messages(server) if m["id"] == message_id]
    return message


def test_pending_until_the_mx_record_is_published_then_used_as_envelope(
    live: ServerProcess,
) -> None:
    verify(live, "example.com")
    production_access(live)
    ses = live.client("ses")
    ses.set_identity_mail_from_domain(Identity="example.com", MailFromDomain="Bounce.Example.com")
    assert v1_attributes(live, "example.com") == {
        "MailFromDomain": "bounce.example.com",
        "MailFromDomainStatus": "Pending",
        "BehaviorOnMXFailure": "UseDefaultValue",
    }
    # Not yet in place: UseDefaultValue sends with SES's own MAIL FROM domain.
    first = send(live)
    assert stored(live, first)["details"]["mail_from"] == f"{first}@amazonses.com"

    dns_record(
        live, "POST", "bounce.example.com.", "MX", "10 Feedback-SMTP.us-east-1.amazonses.com."
    )
    dns_record(live, "POST", "bounce.example.com", "TXT", '"v=spf1 include:amazonses.com ~all"')
    assert v1_attributes(live, "example.com")["MailFromDomainStatus"] == "Success"
    got = live.client("sesv2").get_email_identity(EmailIdentity="example.com")
    assert got["MailFromAttributes"] == {
        "MailFromDomain": "bounce.example.com",
        "MailFromDomainStatus": "SUCCESS",
        "BehaviorOnMxFailure": "USE_DEFAULT_VALUE",
    }
    second = send(live)
    assert stored(live, second)["details"]["mail_from"] == f"{second}@bounce.example.com"

    # The record goes away: TemporaryFailure (found by the background checker), then
    # Failed 72 hours later.
    dns_record(live, "DELETE", "bounce.example.com", "MX", MX)
    advance(live, 5)
    ses_attributes = _wait_for(live, "example.com", "TemporaryFailure")
    assert ses_attributes["MailFromDomainStatus"] == "TemporaryFailure"
    advance(live, HOURS_72)
    assert v1_attributes(live, "example.com")["MailFromDomainStatus"] == "Failed"
    # A Failed domain is not checked again, even with the record back ...
    dns_record(live, "POST", "bounce.example.com", "MX", MX)
    assert v1_attributes(live, "example.com")["MailFromDomainStatus"] == "Failed"
    # ... until it is set again, which starts a new search.
    live.client("sesv2").put_email_identity_mail_from_attributes(
        EmailIdentity="example.com",
        MailFromDomain="bounce.example.com",
        BehaviorOnMxFailure="REJECT_MESSAGE",
    )
    assert v1_attributes(live, "example.com") == {
        "MailFromDomain": "bounce.example.com",
        "MailFromDomainStatus": "Success",
        "BehaviorOnMXFailure": "RejectMessage",
    }


def _wait_for(server: ServerProcess, identity: str, status: str) -> dict[str, str]:
    deadline = time.monotonic() + 10
    while True:
        attributes = v1_attributes(server, identity)
        if attributes["MailFromDomainStatus"] == status or time.monotonic() > deadline:
            return attributes
        time.sleep(0.2)


def test_pending_for_72_hours_then_failed(live: ServerProcess) -> None:
    verify(live, "slow.example")
    ses = live.client("ses")
    ses.set_identity_mail_from_domain(Identity="slow.example", MailFromDomain="mail.slow.example")
    advance(live, HOURS_72 - 60)
    assert v1_attributes(live, "slow.example")["MailFromDomainStatus"] == "Pending"
    advance(live, 60)
    assert v1_attributes(live, "slow.example")["MailFromDomainStatus"] == "Failed"


def test_two_mx_records_do_not_count(live: ServerProcess) -> None:
    verify(live, "two.example")
    live.client("ses").set_identity_mail_from_domain(
        Identity="two.example", MailFromDomain="m.two.example"
    )
    # The other record first: the checker must never see SES's record alone.
    dns_record(live, "POST", "m.two.example", "MX", "20 mx.elsewhere.example")
    dns_record(live, "POST", "m.two.example", "MX", MX)
    assert v1_attributes(live, "two.example")["MailFromDomainStatus"] == "Pending"


def test_reject_message_refuses_sends_until_the_record_is_found(live: ServerProcess) -> None:
    verify(live, "strict.example")
    production_access(live)
    live.client("sesv2").put_email_identity_mail_from_attributes(
        EmailIdentity="strict.example",
        MailFromDomain="mf.strict.example",
        BehaviorOnMxFailure="REJECT_MESSAGE",
    )
    with pytest.raises(ClientError) as excinfo:
        send(live, "ann@strict.example")
    assert error_of(excinfo) == (
        "MailFromDomainNotVerifiedException",
        "Mail FROM domain is not verified.",
        400,
    )
    sesv2 = live.client("sesv2")
    with pytest.raises(ClientError) as excinfo:
        sesv2.send_email(
            FromEmailAddress="ann@strict.example",
            Destination={"ToAddresses": ["bob@example.org"]},
            Content={"Simple": simple_message()},
        )
    assert error_of(excinfo) == (
        "MailFromDomainNotVerifiedException",
        "Mail FROM domain is not verified.",
        400,
    )
    dns_record(live, "POST", "mf.strict.example", "MX", MX)
    assert v1_attributes(live, "strict.example")["MailFromDomainStatus"] == "Success"
    message_id = send(live, "ann@strict.example")
    assert stored(live, message_id)["details"]["mail_from"] == f"{message_id}@mf.strict.example"


def test_rules_and_unknown_identities(live: ServerProcess) -> None:
    verify(live, "rules.example")
    verify(live, "ann@rules.example")
    ses, sesv2 = live.client("ses"), live.client("sesv2")
    with pytest.raises(ClientError) as excinfo:
        ses.set_identity_mail_from_domain(Identity="rules.example", MailFromDomain="mail.x.com")
    assert error_of(excinfo) == (
        "InvalidParameterValue",
        "Provided MAIL-FROM domain <mail.x.com> is not subdomain of the domain of the "
        "identity <rules.example>.",
        400,
    )
    with pytest.raises(ClientError) as excinfo:
        sesv2.put_email_identity_mail_from_attributes(
            EmailIdentity="rules.example", MailFromDomain="rules.example"
        )
    assert error_of(excinfo) == (
        "BadRequestException",
        "Provided MAIL-FROM domain <rules.example> is not subdomain of the domain of the "
        "identity <rules.example>.",
        400,
    )
    with pytest.raises(ClientError) as excinfo:
        sesv2.put_email_identity_mail_from_attributes(
            EmailIdentity="nobody.example", MailFromDomain="m.nobody.example"
        )
    assert error_of(excinfo) == (
        "NotFoundException",
        "Email identity nobody.example does not exist.",
        404,
    )
    # Refusals changed nothing; an address identity takes a subdomain of its domain.
    assert v1_attributes(live, "rules.example") == {"BehaviorOnMXFailure": "UseDefaultValue"}
    ses.set_identity_mail_from_domain(
        Identity="ann@rules.example", MailFromDomain="m.rules.example"
    )
    assert v1_attributes(live, "ann@rules.example")["MailFromDomain"] == "m.rules.example"
    # No MailFromDomain turns the custom domain off; unknown identities are left out.
    ses.set_identity_mail_from_domain(Identity="ann@rules.example")
    got = ses.get_identity_mail_from_domain_attributes(
        Identities=["ann@rules.example", "who@else.example"]
    )
    assert got["MailFromDomainAttributes"] == {
        "ann@rules.example": {"BehaviorOnMXFailure": "UseDefaultValue"}
    }
    assert sesv2.get_email_identity(EmailIdentity="ann@rules.example")["MailFromAttributes"] == {
        "BehaviorOnMxFailure": "USE_DEFAULT_VALUE"
    }
