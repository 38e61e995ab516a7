"""Managed login's pages over HTTP, without JavaScript: sign-in with its errors, MFA and
new-password steps, sign-up with the mailed code, and the password reset, each ending in
the redirect with an authorization code; on SQLite and PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pyotp

from tests.hosted.helpers import (
    CALLBACK,
    DEFAULT_POOL,
    PASSWORD,
    Site,
    add_user,
    alert_of,
    code_of,
    forms_of,
    mailed_code,
    sign_in,
    submit,
)
from tests.support.server import ServerProcess

NewSite = Callable[..., Site]


def test_login_page_is_accessible_and_carries_its_csrf_token(
    live: ServerProcess, new_site: NewSite
) -> None:
    site = new_site()
    page = site.get("/login")
    assert page.status_code == 200
    assert '<html lang="en">' in page.text
    assert "<h1>Sign in</h1>" in page.text
    assert '<label class="label-customizable" for="signInFormUsername">Username</label>' in (
        page.text
    )
    token = site.http.cookies["XSRF-TOKEN"]
    form = forms_of(page)[0]
    assert form["fields"]["_csrf"] == token
    # The form posts back to /login with the authorization request's parameters.
    assert form["action"].startswith(f"{site.base}/login?client_id={site.client_id}&")
    assert "Forgot your password?" in page.text and "Sign up" in page.text
    assert "<script" not in page.text


def test_wrong_password_and_unknown_user_show_cognitos_texts(
    live: ServerProcess, new_site: NewSite
) -> None:
    site = new_site()
    add_user(site)
    wrong = sign_in(site, password="Wr0ng-Password!")
    assert wrong.status_code == 400
    assert alert_of(wrong) == "Incorrect username or password."
    # The user name stays filled in; the password does not.
    assert forms_of(wrong)[0]["fields"]["username"] == "jane"
    # A client created through the API shows existence errors (PreventUserExistenceErrors
    # LEGACY); one that hides them answers as for a wrong password.
    assert alert_of(sign_in(site, username="nobody")) == "User does not exist."
    cognito = live.client("cognito-idp")
    cognito.update_user_pool_client(
        UserPoolId=site.pool_id,
        ClientId=site.client_id,
        **{k: v for k, v in client_settings(site).items() if k != "PreventUserExistenceErrors"},
        PreventUserExistenceErrors="ENABLED",
    )
    assert alert_of(sign_in(site, username="nobody")) == "Incorrect username or password."
    empty = submit(site, site.get("/login"), username="", password="")
    assert empty.status_code == 400
    assert alert_of(empty) == "Please fill in all the required fields."


def test_a_form_without_its_csrf_token_is_refused(live: ServerProcess, new_site: NewSite) -> None:
    site = new_site()
    add_user(site)
    page = site.get("/login")
    refused = submit(
        site,
        page,
        _csrf="forged-token-forged-token-forged-token",
        username="jane",
        password=PASSWORD,
    )
    assert refused.status_code == 403
    assert "location" not in refused.headers
    site.http.cookies.clear()
    cookieless = submit(site, page, username="jane", password=PASSWORD)
    assert cookieless.status_code == 403


def test_sign_in_redirects_with_a_code_and_the_state(
    live: ServerProcess, new_site: NewSite
) -> None:
    site = new_site()
    add_user(site)
    done = sign_in(site)
    query = code_of(done)
    assert query["state"] == ["st-42"]
    assert len(query["code"][0]) >= 16
    # The managed login session cookie, on the domain's path.
    assert "cognito=" in done.headers["set-cookie"]
    # The code is good at the token endpoint, once.
    token = site.http.post(
        f"{site.base}/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "client_id": site.client_id,
            "code": query["code"][0],
            "redirect_uri": CALLBACK,
        },
    )
    assert token.status_code == 200, token.text
    assert set(token.json()) >= {"access_token", "id_token", "refresh_token"}


def test_login_page_errors_without_a_valid_request(live: ServerProcess, new_site: NewSite) -> None:
    site = new_site()
    missing = site.http.get(f"{site.base}/login")
    # No client: the domain's error page, not a form.
    assert missing.status_code == 302
    assert "/error?" in missing.headers["location"]
    elsewhere = site.get("/login", redirect_uri="https://evil.example.com/")
    assert elsewhere.status_code == 302
    assert "error=redirect_mismatch" in elsewhere.headers["location"]


def test_sign_up_mails_a_code_and_confirmation_signs_in(
    live: ServerProcess, new_site: NewSite
) -> None:
    site = new_site()
    page = site.get("/signup")
    assert page.status_code == 200
    assert 'for="attr-email">Email</label>' in page.text
    assert "At least 8 characters" in page.text
    weak = submit(site, page, username="olga", password="short", **{"attr:email": "o@example.com"})
    assert weak.status_code == 400
    assert alert_of(weak) == "Password did not conform with policy: Password not long enough"
    before = time.time()
    confirm = submit(
        site, weak, username="olga", password=PASSWORD, **{"attr:email": "olga@example.com"}
    )
    assert confirm.status_code == 200, confirm.text
    assert "We have sent a code by email to o***@e***" in confirm.text
    code = mailed_code(live, "olga@example.com", before)
    wrong = submit(site, confirm, code=f"{(int(code) + 1) % 10**6:06d}")
    assert wrong.status_code == 400
    assert alert_of(wrong) == "Invalid verification code provided, please try again."
    done = submit(site, wrong, code=code)
    assert code_of(done)["state"] == ["st-42"]
    user = live.client("cognito-idp").admin_get_user(UserPoolId=site.pool_id, Username="olga")
    assert user["UserStatus"] == "CONFIRMED"


def test_resend_code_mails_a_new_code(live: ServerProcess, new_site: NewSite) -> None:
    site = new_site()
    page = submit(
        site,
        site.get("/signup"),
        username="ivan",
        password=PASSWORD,
        **{"attr:email": "ivan@example.com"},
    )
    first = mailed_code(live, "ivan@example.com", time.time() - 5)
    before = time.time()
    resent = submit(site, page, 1)
    assert resent.status_code == 200
    assert "A new code is on its way." in resent.text
    second = mailed_code(live, "ivan@example.com", before)
    # The first code is replaced by the new one.
    if second != first:
        stale = submit(site, resent, code=first)
        assert stale.status_code == 400
    done = submit(site, resent, code=second)
    assert code_of(done)["code"]


def test_sign_up_is_not_offered_where_only_admins_create_users(
    live: ServerProcess, new_site: NewSite
) -> None:
    pool = {"AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True}}
    site = new_site(pool)
    assert "Sign up" not in site.get("/login").text
    refused = site.get("/signup")
    assert refused.status_code == 400
    assert alert_of(refused) == "SignUp is not permitted for this user pool"


def test_forgot_password_mails_a_code_and_the_new_password_signs_in(
    live: ServerProcess, new_site: NewSite
) -> None:
    site = new_site()
    add_user(site)
    forgot = site.get("/forgotPassword")
    before = time.time()
    sent = submit(site, forgot, username="jane")
    assert sent.status_code == 200, sent.text
    assert "We have sent a password reset code by email to j***@e***" in sent.text
    code = mailed_code(live, "jane@example.com", before)
    differ = submit(site, sent, code=code, password="N3w-Password!", confirm_password="other")
    assert alert_of(differ) == "Passwords do not match"
    reset = submit(
        site, differ, code=code, password="N3w-Password!", confirm_password="N3w-Password!"
    )
    assert reset.status_code == 200
    assert "Your password has been reset." in reset.text
    assert code_of(submit(site, reset, password="N3w-Password!"))["code"]


def test_invited_user_chooses_a_new_password(live: ServerProcess, new_site: NewSite) -> None:
    site = new_site()
    cognito = live.client("cognito-idp")
    cognito.admin_create_user(
        UserPoolId=site.pool_id,
        Username="kim",
        TemporaryPassword="Temp-0rary!",
        UserAttributes=[{"Name": "email", "Value": "kim@example.com"}],
        MessageAction="SUPPRESS",
    )
    page = sign_in(site, "kim", "Temp-0rary!")
    assert page.status_code == 200
    assert "<h1>Change Password</h1>" in page.text
    differ = submit(site, page, new_password=PASSWORD, confirm_password="x")
    assert alert_of(differ) == "Passwords do not match"
    weak = submit(site, differ, new_password="weak", confirm_password="weak")
    assert alert_of(weak) == "Password does not conform to policy: Password not long enough"
    done = submit(site, weak, new_password=PASSWORD, confirm_password=PASSWORD)
    assert code_of(done)["code"]
    user = cognito.admin_get_user(UserPoolId=site.pool_id, Username="kim")
    assert user["UserStatus"] == "CONFIRMED"


def client_settings(site: Site) -> dict[str, Any]:
    """The client's settings as UpdateUserPoolClient takes them back."""
    described = site.server.client("cognito-idp").describe_user_pool_client(
        UserPoolId=site.pool_id, ClientId=site.client_id
    )["UserPoolClient"]
    dropped = ("UserPoolId", "ClientId", "ClientSecret", "CreationDate", "LastModifiedDate")
    return {k: v for k, v in described.items() if k not in dropped}


def wrong_code(secret: str) -> str:
    """A six-digit code that is none of the three the server accepts now."""
    totp = pyotp.TOTP(secret)
    now = time.time()
    valid = {totp.at(now + step) for step in (-30, 0, 30)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in valid)


def test_totp_set_up_and_then_asked_at_sign_in(live: ServerProcess, new_site: NewSite) -> None:
    site = new_site()
    live.client("cognito-idp").set_user_pool_mfa_config(
        UserPoolId=site.pool_id,
        MfaConfiguration="ON",
        SoftwareTokenMfaConfiguration={"Enabled": True},
    )
    add_user(site)
    choose = sign_in(site)
    assert choose.status_code == 200, choose.text
    assert "Set up multi-factor authentication" in choose.text
    shown = submit(site, choose, setup="SOFTWARE_TOKEN_MFA")
    secret = forms_of(shown)[0]["fields"]["secret"]
    assert f'id="totp-secret">{secret}</p>' in shown.text
    assert "otpauth://totp/shop:jane?secret=" in shown.text
    wrong = submit(site, shown, code=wrong_code(secret))
    assert alert_of(wrong) == "Code mismatch and fail enable Software Token MFA"
    done = submit(site, wrong, code=pyotp.TOTP(secret).now())
    assert code_of(done)["code"]
    # The next sign-in asks for the app's code.
    site.http.cookies.clear()
    asked = sign_in(site)
    assert "Enter the code from your authenticator app." in asked.text
    bad = submit(site, asked, code=wrong_code(secret))
    assert bad.status_code == 400
    assert alert_of(bad) == "Invalid code or auth state for the user."
    assert code_of(submit(site, bad, code=pyotp.TOTP(secret).now()))["code"]


def test_classic_branding_css_and_logo_are_applied(live: ServerProcess, new_site: NewSite) -> None:
    site = new_site()
    cognito = live.client("cognito-idp")
    css = ".submitButton-customizable { background-color: #ff9900; }"
    cognito.set_ui_customization(
        UserPoolId=site.pool_id, ClientId=site.client_id, CSS=css, ImageFile=b"\x89PNG\r\n\x1a\n"
    )
    page = site.get("/login")
    assert f"<style>{css}</style>" in page.text
    assert 'class="logo-customizable" src="data:image/png;base64,' in page.text
    assert 'class="submitButton-customizable"' in page.text


def test_identity_providers_get_a_button_each(live: ServerProcess, new_site: NewSite) -> None:
    site = new_site()
    cognito = live.client("cognito-idp")
    cognito.create_identity_provider(
        UserPoolId=site.pool_id,
        ProviderName="Corp",
        ProviderType="OIDC",
        ProviderDetails={
            "client_id": "corp-client",
            "client_secret": "corp-secret",
            "attributes_request_method": "GET",
            "oidc_issuer": "https://idp.example.com",
            "authorize_scopes": "openid email",
        },
    )
    cognito.update_user_pool_client(
        UserPoolId=site.pool_id,
        ClientId=site.client_id,
        **{**client_settings(site), "SupportedIdentityProviders": ["COGNITO", "Corp"]},
    )
    page = site.get("/login")
    button = (
        f'<a class="idpButton-customizable" href="{site.base}/oauth2/authorize?'
        f"client_id={site.client_id}&amp;response_type=code&amp;"
    )
    assert button in page.text
    assert "identity_provider=Corp" in page.text
    # A client of the IdP only shows no password form.
    cognito.update_user_pool_client(
        UserPoolId=site.pool_id,
        ClientId=site.client_id,
        **{**client_settings(site), "SupportedIdentityProviders": ["Corp"]},
    )
    only = site.get("/login")
    assert "identity_provider=Corp" in only.text
    assert 'name="password"' not in only.text


def test_managed_login_style_colours_apply_on_version_2_domains(
    live: ServerProcess, new_site: NewSite
) -> None:
    site = new_site({**DEFAULT_POOL, "UserPoolTier": "ESSENTIALS"}, version=2)
    # No style yet: Cognito's default colours (Choice: the pages still work).
    assert "--button: #0972d3ff;" in site.get("/login").text
    live.client("cognito-idp").create_managed_login_branding(
        UserPoolId=site.pool_id,
        ClientId=site.client_id,
        Settings={
            "components": {
                "primaryButton": {"lightMode": {"defaults": {"backgroundColor": "ff9900ff"}}},
                "pageBackground": {"lightMode": {"color": "fafafaff"}},
            }
        },
        Assets=[
            {
                "Category": "FORM_LOGO",
                "ColorMode": "LIGHT",
                "Extension": "PNG",
                "Bytes": b"\x89PNG\r\n\x1a\n",
            }
        ],
    )
    page = site.get("/login")
    assert "--button: #ff9900ff;" in page.text
    assert "--page-background: #fafafaff;" in page.text
    assert 'class="logo-customizable" src="data:image/png;base64,iVBORw0KGgo="' in page.text


def test_confirmation_link_on_the_domain(live: ServerProcess, new_site: NewSite) -> None:
    site = new_site()
    before = time.time()
    submit(
        site,
        site.get("/signup"),
        username="lena",
        password=PASSWORD,
        **{"attr:email": "lena@example.com"},
    )
    code = mailed_code(live, "lena@example.com", before)
    link = site.http.get(
        f"{site.base}/confirmUser",
        params={"client_id": site.client_id, "user_name": "lena", "confirmation_code": code},
    )
    assert link.status_code == 200
    assert "Your registration has been confirmed!" in link.text
    again = site.http.get(
        f"{site.base}/confirmUser",
        params={"client_id": site.client_id, "user_name": "lena", "confirmation_code": code},
    )
    assert again.status_code == 400
    assert "User cannot be confirmed. Current status is CONFIRMED" in again.text


SMS_ROLE = {"SnsCallerArn": "arn:aws:iam::123456789012:role/cognito-sms", "ExternalId": "x1"}


def test_choosing_between_factors_and_the_sms_code(live: ServerProcess, new_site: NewSite) -> None:
    site = new_site(
        {**DEFAULT_POOL, "SmsConfiguration": SMS_ROLE},
        ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )
    cognito = live.client("cognito-idp")
    cognito.set_user_pool_mfa_config(
        UserPoolId=site.pool_id,
        MfaConfiguration="OPTIONAL",
        SmsMfaConfiguration={
            "SmsAuthenticationMessage": "Code {####}",
            "SmsConfiguration": SMS_ROLE,
        },
        SoftwareTokenMfaConfiguration={"Enabled": True},
    )
    add_user(site)
    cognito.admin_update_user_attributes(
        UserPoolId=site.pool_id,
        Username="jane",
        UserAttributes=[{"Name": "phone_number", "Value": "+15555550123"}],
    )
    # The user turns on an authenticator app (through the API) and SMS, preferring neither.
    token = cognito.admin_initiate_auth(
        UserPoolId=site.pool_id,
        ClientId=site.client_id,
        AuthFlow="ADMIN_USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "jane", "PASSWORD": PASSWORD},
    )["AuthenticationResult"]["AccessToken"]
    secret = cognito.associate_software_token(AccessToken=token)["SecretCode"]
    cognito.verify_software_token(AccessToken=token, UserCode=pyotp.TOTP(secret).now())
    cognito.admin_set_user_mfa_preference(
        UserPoolId=site.pool_id,
        Username="jane",
        SMSMfaSettings={"Enabled": True, "PreferredMfa": False},
        SoftwareTokenMfaSettings={"Enabled": True, "PreferredMfa": False},
    )
    choose = sign_in(site)
    assert "Choose how to receive your sign-in code" in choose.text
    assert "SMS message" in choose.text and "Authenticator app" in choose.text
    asked = submit(site, choose, answer="SMS_MFA")
    assert "by SMS to +*******0123" in asked.text
    sms = httpx.get(f"{live.url}/_poolmail/sms/latest", params={"destination": "+15555550123"})
    done = submit(site, asked, code=sms.json()["code"])
    assert code_of(done)["code"]


def test_email_as_user_name(live: ServerProcess, new_site: NewSite) -> None:
    site = new_site({**DEFAULT_POOL, "UsernameAttributes": ["email"]})
    page = site.get("/signup", login_hint="")
    assert 'for="username">Email</label>' in page.text
    # The user name is the address: not asked twice.
    assert 'name="attr:email"' not in page.text
    before = time.time()
    confirm = submit(site, page, username="mia@example.com", password=PASSWORD)
    code = mailed_code(live, "mia@example.com", before)
    assert code_of(submit(site, confirm, code=code))["code"]
    site.http.cookies.clear()
    login = site.get("/login", login_hint="mia@example.com")
    assert 'value="mia@example.com"' in login.text
    assert code_of(submit(site, login, password=PASSWORD))["code"]


PAGE_PATHS = (
    "/login",
    "/mfa",
    "/signup",
    "/confirmUser",
    "/confirm",
    "/resendcode",
    "/forgotPassword",
    "/confirmForgotPassword",
)


def test_odd_input_never_breaks_a_page(live: ServerProcess, new_site: NewSite) -> None:
    """Forms with missing, forged, oversized or strange fields get a page, never a 5xx, and
    change nothing."""
    site = new_site()
    add_user(site)
    token = forms_of(site.get("/login"))[0]["fields"]["_csrf"]
    odd_forms: list[dict[str, str]] = [
        {},
        {"_csrf": token},
        {"_csrf": token, "username": "\x00\ud7ff", "password": "p" * 5000},
        {"_csrf": token, "challenge": "PASSWORD_VERIFIER", "session": "x", "username": "jane"},
        {
            "_csrf": token,
            "challenge": "MFA_SETUP",
            "session": "s" * 300,
            "setup": "totp",
            "secret": "A" * 32,
            "code": "123456",
        },
        {
            "_csrf": token,
            "username": "jane",
            "code": "abc",
            "password": "x",
            "confirm_password": "x",
            "session": "nope",
            "attr:email": "not-an-address",
        },
    ]
    for path in PAGE_PATHS:
        for form in odd_forms:
            answer = site.http.post(f"{site.base}{path}", params=site.query(), data=form)
            assert answer.status_code < 500, (path, form, answer.text)
        # Not a form at all, and a query with a client of no pool.
        assert (
            site.http.post(
                f"{site.base}{path}",
                params=site.query(),
                content=b"\xff" * 70_000,
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            ).status_code
            == 403
        )
        assert site.get(path, client_id="nosuchclient").status_code == 302
        assert site.get(path, login_hint="a\x00b", state="\x00").status_code < 500
    users = live.client("cognito-idp").list_users(UserPoolId=site.pool_id)["Users"]
    assert [(user["Username"], user["UserStatus"]) for user in users] == [("jane", "CONFIRMED")]


def test_new_password_page_asks_for_missing_required_attributes(
    live: ServerProcess, new_site: NewSite
) -> None:
    schema = [
        {"Name": "email", "AttributeDataType": "String", "Required": True},
        {"Name": "name", "AttributeDataType": "String", "Required": True},
    ]
    site = new_site({**DEFAULT_POOL, "Schema": schema})
    cognito = live.client("cognito-idp")
    cognito.admin_create_user(
        UserPoolId=site.pool_id,
        Username="kim",
        TemporaryPassword="Temp-0rary!",
        UserAttributes=[{"Name": "email", "Value": "kim@example.com"}],
        MessageAction="SUPPRESS",
    )
    page = sign_in(site, "kim", "Temp-0rary!")
    assert '<label class="label-customizable" for="attr-name">Name</label>' in page.text
    done = submit(
        site, page, new_password=PASSWORD, confirm_password=PASSWORD, **{"attr:name": "Kim Lee"}
    )
    assert code_of(done)["code"]
    user = cognito.admin_get_user(UserPoolId=site.pool_id, Username="kim")
    assert {"Name": "name", "Value": "Kim Lee"} in user["UserAttributes"]


def test_head_answers_as_get_without_a_body(live: ServerProcess, new_site: NewSite) -> None:
    site = new_site()
    query = site.query()
    for path in ("/login", "/signup", "/forgotPassword", "/confirmForgotPassword"):
        got = site.http.get(f"{site.base}{path}", params=query)
        head = site.http.head(f"{site.base}{path}", params=query)
        assert (head.status_code, head.content) == (200, b""), path
        assert head.headers["content-type"] == got.headers["content-type"], path
        assert int(head.headers["content-length"]) > 0, path
    authorize = site.http.head(f"{site.base}/oauth2/authorize", params=query)
    assert authorize.status_code == 302
    assert authorize.headers["location"].startswith(f"{site.base}/login?")
    user_info = site.http.head(f"{site.base}/oauth2/userInfo")
    assert (user_info.status_code, user_info.content) == (400, b"")
    assert 'error="invalid_request"' in user_info.headers["www-authenticate"]
    # POST-only paths still refuse HEAD; the Allow header names HEAD beside GET.
    token = site.http.head(f"{site.base}/oauth2/token")
    assert (token.status_code, token.headers["allow"]) == (405, "POST")
    put = site.http.put(f"{site.base}/login", params=query)
    assert (put.status_code, put.headers["allow"]) == (405, "GET, HEAD, POST")
