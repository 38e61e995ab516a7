"""A user's console page: MFA methods and preference, devices and passkeys, and the pool
page's feature plan and MFA methods."""

from __future__ import annotations

import httpx

from tests.cognito.helpers import idp
from tests.cognito.mfa.helpers import access_token, add_totp, totp_pool
from tests.cognito.pools.test_log_delivery import refused
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


def test_pool_page_shows_import_progress_and_exported_logs(site: ServerProcess) -> None:
    pool_id = refused(site)
    job = idp(site).create_user_import_job(
        JobName="spring-migration",
        UserPoolId=pool_id,
        CloudWatchLogsRoleArn="arn:aws:iam::123456789012:role/CognitoImport",
    )["UserImportJob"]
    page = httpx.get(f"{site.url}/console/pools/{pool_id}")
    assert page.status_code == 200
    imports = page.text[page.text.index('id="imports"') : page.text.index('id="logs"')]
    assert "spring-migration" in imports and job["JobId"] in imports and "Created" in imports
    logs = page.text[page.text.index('id="logs"') :]
    # The sign-up mail the SES sandbox refused, kept for the pool's notification log.
    assert "userNotification" in logs
    assert "Email address is not verified" in logs
