"""A user's console page: MFA methods and preference, devices and passkeys, and the pool
page's feature plan and MFA methods."""

from __future__ import annotations

import httpx

from tests.cognito.mfa.helpers import access_token, add_totp, totp_pool
from tests.cognito.test_signup import idp
from tests.support.server import ServerProcess


def test_user_page_shows_mfa_settings(site: ServerProcess) -> None:
    site.reset()
    pool_id, client_id = totp_pool(site)
    pool_page = httpx.get(f"{site.url}/console/pools/{pool_id}")
    assert pool_page.status_code == 200
    assert "ESSENTIALS" in pool_page.text
    assert "OPTIONAL (Authenticator apps)" in pool_page.text
    assert f"/console/pools/{pool_id}/users/alice" in pool_page.text

    page = httpx.get(f"{site.url}/console/pools/{pool_id}/users/alice")
    assert page.status_code == 200
    assert "No devices." in page.text and "No passkeys." in page.text
    add_totp(site, access_token(site, client_id))
    idp(site).admin_set_user_mfa_preference(
        UserPoolId=pool_id,
        Username="alice",
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": True},
    )
    page = httpx.get(f"{site.url}/console/pools/{pool_id}/users/alice")
    mfa = page.text[page.text.index('id="mfa"') : page.text.index('id="devices"')]
    assert "SOFTWARE_TOKEN_MFA" in mfa
    missing = httpx.get(f"{site.url}/console/pools/{pool_id}/users/nobody")
    assert missing.status_code == 404
