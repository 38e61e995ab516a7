"""Managed login's sign-ins where the API's appear: the user's auth events of threat
protection (AdminListUserAuthEvents) with the browser's address, the IP range lists, and
the token endpoint's refresh, which records no event (as REFRESH_TOKEN_AUTH records
none); on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from tests.hosted.helpers import (
    CALLBACK,
    DEFAULT_POOL,
    PASSWORD,
    Site,
    add_user,
    alert_of,
    code_of,
    mailed_code,
    sign_in,
    submit,
)
from tests.support.server import ServerProcess

NewSite = Callable[..., Site]
# The browser's own address: a loopback address other than the server's, so an event that
# names it can only have taken it from the connection.
BROWSER_IP = "127.0.0.2"
PASSWORD_OK = {"ChallengeName": "Password", "ChallengeResponse": "Success"}


def _protected_site(new_site: NewSite, mode: str) -> Site:
    """A Plus pool with threat protection in ``mode``, its pages seen from BROWSER_IP."""
    pool = {
        **DEFAULT_POOL,
        "UserPoolTier": "PLUS",
        "UserPoolAddOns": {"AdvancedSecurityMode": mode},
    }
    site = new_site(pool)
    site.http.close()
    transport = httpx.HTTPTransport(local_address=BROWSER_IP)
    site.http = httpx.Client(timeout=10, transport=transport)
    return site


def _events(site: Site, username: str = "jane") -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = site.server.client("cognito-idp").admin_list_user_auth_events(
        UserPoolId=site.pool_id, Username=username
    )["AuthEvents"]
    return found


def _summary(event: dict[str, Any]) -> tuple[str, str, str]:
    return (
        event["EventType"],
        event["EventResponse"],
        event["EventContextData"]["IpAddress"],
    )


def test_login_page_sign_ins_are_auth_events(live: ServerProcess, new_site: NewSite) -> None:
    site = _protected_site(new_site, "AUDIT")
    add_user(site)
    wrong = sign_in(site, password="Wr0ng-Password!")
    assert alert_of(wrong) == "Incorrect username or password."
    done = sign_in(site)
    code = code_of(done)["code"][0]
    newest, failed = _events(site)
    assert _summary(failed) == ("SignIn", "Fail", BROWSER_IP)
    assert failed["ChallengeResponses"] == [
        {"ChallengeName": "Password", "ChallengeResponse": "Failure"}
    ]
    assert _summary(newest) == ("SignIn", "Pass", BROWSER_IP)
    assert newest["ChallengeResponses"] == [PASSWORD_OK]
    assert newest["EventRisk"]["RiskDecision"] == "NoRisk"

    # The token endpoint's refresh, like REFRESH_TOKEN_AUTH, is no sign-in: no event.
    tokens = site.http.post(
        f"{site.base}/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "client_id": site.client_id,
            "code": code,
            "redirect_uri": CALLBACK,
        },
    )
    assert tokens.status_code == 200, tokens.text
    refreshed = site.http.post(
        f"{site.base}/oauth2/token",
        data={
            "grant_type": "refresh_token",
            "client_id": site.client_id,
            "refresh_token": tokens.json()["refresh_token"],
        },
    )
    assert refreshed.status_code == 200, refreshed.text
    assert len(_events(site)) == 2


def test_password_reset_page_is_a_forgot_password_event(
    live: ServerProcess, new_site: NewSite
) -> None:
    site = _protected_site(new_site, "AUDIT")
    add_user(site)
    before = time.time()
    sent = submit(site, site.get("/forgotPassword"), username="jane")
    assert sent.status_code == 200, sent.text
    code = mailed_code(live, "jane@example.com", before)
    reset = submit(
        site, sent, code=code, password="N3w-Password!", confirm_password="N3w-Password!"
    )
    assert "Your password has been reset." in reset.text
    assert code_of(submit(site, reset, password="N3w-Password!"))["code"]
    signed_in, forgot = _events(site)
    assert _summary(forgot) == ("ForgotPassword", "Pass", BROWSER_IP)
    assert _summary(signed_in) == ("SignIn", "Pass", BROWSER_IP)


def test_blocked_ip_range_applies_to_the_browsers_address(
    live: ServerProcess, new_site: NewSite
) -> None:
    site = _protected_site(new_site, "ENFORCED")
    cognito = live.client("cognito-idp")
    cognito.set_risk_configuration(
        UserPoolId=site.pool_id,
        RiskExceptionConfiguration={"BlockedIPRangeList": [f"{BROWSER_IP}/32"]},
    )
    add_user(site)
    refused = sign_in(site)
    assert refused.status_code == 400
    assert alert_of(refused) == "Request not allowed due to security reasons."
    (blocked,) = _events(site)
    assert _summary(blocked) == ("SignIn", "Fail", BROWSER_IP)
    assert blocked["EventRisk"]["RiskDecision"] == "Block"
    # The same user from another address signs in.
    site.http.close()
    site.http = httpx.Client(timeout=10)
    assert code_of(sign_in(site))["code"]
    newest = _events(site)[0]
    assert _summary(newest) == ("SignIn", "Pass", "127.0.0.1")


def test_sign_up_page_is_a_sign_up_event_and_its_sign_in_one_more(
    live: ServerProcess, new_site: NewSite
) -> None:
    site = _protected_site(new_site, "AUDIT")
    before = time.time()
    confirm = submit(
        site,
        site.get("/signup"),
        username="olga",
        password=PASSWORD,
        **{"attr:email": "olga@example.com"},
    )
    assert confirm.status_code == 200, confirm.text
    code = mailed_code(live, "olga@example.com", before)
    assert code_of(submit(site, confirm, code=code))["code"]
    signed_in, signed_up = _events(site, "olga")
    assert _summary(signed_up) == ("SignUp", "Pass", BROWSER_IP)
    assert _summary(signed_in) == ("SignIn", "Pass", BROWSER_IP)
