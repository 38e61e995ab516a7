"""Passkeys on the managed login pages: "Sign in with passkey" on /login (choice-based
sign-in) and /passkeys/add. Over HTTP as a browser without JavaScript (both stores): the
password form stays, the passkey button answers with AWS-shaped refusals; in headless
Chromium with a virtual authenticator (SQLite): a passkey added after a password sign-in,
then used to sign in, and the code exchanged for tokens."""

from __future__ import annotations

import html
import json
import re
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt
import pytest
from playwright.sync_api import Page, expect

from tests.hosted.helpers import (
    DEFAULT_POOL,
    PASSWORD,
    Site,
    add_user,
    alert_of,
    code_of,
    forms_of,
    sign_in,
    submit,
)

PASSKEY_POOL: dict[str, Any] = {
    **DEFAULT_POOL,
    "Policies": {"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "WEB_AUTHN"]}},
}
FLOWS = ["ALLOW_USER_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
NO_PASSKEY = "No passkey is available for this user. Sign in with your password."
# The virtual authenticator of tests/cognito/signin/test_passkey_browser.py: a platform one that
# holds discoverable credentials and verifies the user at once.
AUTHENTICATOR = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
    "automaticPresenceSimulation": True,
}


def passkey_site(new_site: Any, **client: Any) -> Site:
    """A site whose pool accepts passkeys of relying party `localhost`."""
    site: Site = new_site(PASSKEY_POOL, version=2, ExplicitAuthFlows=FLOWS, **client)
    site.server.client("cognito-idp").set_user_pool_mfa_config(
        UserPoolId=site.pool_id,
        MfaConfiguration="OFF",
        WebAuthnConfiguration={"RelyingPartyId": "localhost", "UserVerification": "required"},
    )
    add_user(site)
    return site


def test_without_javascript_the_login_page_keeps_the_password_form(new_site: Any) -> None:
    site = passkey_site(new_site)
    page = site.get("/login")
    assert page.status_code == 200
    # No script on the login page: its policy allows none.
    assert "<script" not in page.text
    assert "script-src" not in page.headers["content-security-policy"]
    fields = forms_of(page)[0]["fields"]
    assert {"username", "password", "_csrf"} <= set(fields)
    assert 'name="passkey"' in page.text and "Sign in with passkey" in page.text

    # The passkey button without a name, for a user with no passkey, and for no user
    # (the client does not hide existence: InitiateAuth's own error).
    for username, error in (
        ("", "Please fill in all the required fields."),
        ("jane", NO_PASSKEY),
        ("nobody", "User does not exist."),
    ):
        refused = submit(site, page, username=username, passkey="1")
        assert refused.status_code == 400
        assert alert_of(refused) == error
    # A credential posted without the sign-in's session.
    refused = submit(site, page, username="jane", credential='{"id": "x"}')
    assert refused.status_code == 400
    assert alert_of(refused) == "Invalid session for the user."

    # The password form still signs in; then /passkeys/add offers a passkey (its script
    # allowed on that page only), and a post without a credential changes nothing.
    assert "code" in code_of(sign_in(site))
    adding = site.get("/passkeys/add")
    assert adding.status_code == 200
    assert "script-src 'self'" in adding.headers["content-security-policy"]
    found = re.search(r'data-options="([^"]*)"', adding.text)
    assert found is not None and "/passkeys.js" in adding.text
    options = json.loads(html.unescape(found.group(1)))
    assert options["rp"] == {"id": "localhost", "name": "localhost"}
    assert options["user"]["name"] == "jane"
    empty = submit(site, adding, credential="")
    assert empty.status_code == 400
    assert alert_of(empty) == "The passkey was not used. Try again, or sign in with your password."

    # /passkeys/add needs the managed login session: without it, the login page.
    site.http.cookies.clear()
    added = site.get("/passkeys/add")
    assert added.status_code == 302
    assert urlsplit(added.headers["location"]).path.endswith("/login")

    script = site.http.get(f"{site.base}/passkeys.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert "navigator.credentials.get" in script.text


def test_no_passkey_without_choice_based_sign_in_or_managed_login(new_site: Any) -> None:
    without_user_auth: Site = new_site(PASSKEY_POOL, version=2)
    classic: Site = new_site(PASSKEY_POOL, version=1, ExplicitAuthFlows=FLOWS)
    for site in (without_user_auth, classic):
        page = site.get("/login")
        assert page.status_code == 200
        assert "Sign in with passkey" not in page.text
        # A posted passkey button is refused the same way.
        refused = submit(site, page, username="jane", passkey="1")
        assert refused.status_code == 400
        assert alert_of(refused) == NO_PASSKEY
    # The classic hosted UI has no /passkeys/add [facts 1.2].
    assert classic.get("/passkeys/add").status_code == 404


def _exchange(site: Site, callback: str, url: str) -> dict[str, Any]:
    code = parse_qs(urlsplit(url).query)["code"][0]
    answer = httpx.post(
        f"{site.base}/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "client_id": site.client_id,
            "code": code,
            "redirect_uri": callback,
        },
    )
    assert answer.status_code == 200, answer.text
    tokens: dict[str, Any] = answer.json()
    return tokens


@pytest.mark.parametrize("server", ["sqlite"], indirect=True)
def test_passkey_added_then_used_to_sign_in_in_chromium(
    tab: Page, new_site: Any, app_callback: str
) -> None:
    site = passkey_site(new_site, CallbackURLs=[app_callback])
    # http://localhost is a secure context for WebAuthn, and the pool's relying party.
    base = site.base.replace("://127.0.0.1:", "://localhost:")
    query = urlencode(
        {
            "client_id": site.client_id,
            "response_type": "code",
            "redirect_uri": app_callback,
            "scope": "openid email",
        }
    )
    devtools = tab.context.new_cdp_session(tab)
    devtools.send("WebAuthn.enable")
    added = devtools.send("WebAuthn.addVirtualAuthenticator", {"options": AUTHENTICATOR})
    held = {"authenticatorId": added["authenticatorId"]}

    tab.goto(f"{base}/login?{query}")
    tab.get_by_label("Username").fill("jane")
    tab.get_by_label("Password").fill(PASSWORD)
    tab.get_by_role("button", name="Sign in", exact=True).click()
    tab.wait_for_url(app_callback + "?**")

    tab.goto(f"{base}/passkeys/add?{query}")
    expect(tab.get_by_role("heading", name="Add a passkey")).to_be_visible()
    tab.get_by_role("button", name="Add passkey").click()
    tab.wait_for_url(app_callback + "?**")
    credentials = devtools.send("WebAuthn.getCredentials", held)["credentials"]
    assert [entry["rpId"] for entry in credentials] == ["localhost"]

    # A new browser session: the login page again, this time with the passkey.
    tab.context.clear_cookies()
    tab.goto(f"{base}/login?{query}")
    tab.get_by_label("Username").fill("jane")
    tab.get_by_role("button", name="Sign in with passkey").click()
    expect(tab.get_by_role("heading", name="Sign in with passkey")).to_be_visible()
    tab.get_by_role("button", name="Sign in with passkey").click()
    tab.wait_for_url(app_callback + "?**")
    tokens = _exchange(site, app_callback, tab.url)
    claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
    assert claims["cognito:username"] == "jane"
    after = devtools.send("WebAuthn.getCredentials", held)["credentials"]
    assert after[0]["signCount"] > credentials[0]["signCount"]
