"""Hostile input to a pool domain's endpoints and pages (managed login).

One pool with a domain, a public and a confidential client, a resource server, an OIDC and
a SAML provider and a user. Hypothesis starts each request from valid parameters (a real
code, a real token, the CSRF pair, a registered redirect URI), so requests get past the
first check, then spoils, drops or adds some with hostile values. Whatever comes: never a
5xx, a redirect only to the domain, a registered URL or a provider's sign-in page, and a
refused request changes no state (a single-use row it spends aside).

As in test_hostile_input.py, the app runs in-process on SQLite; the profile is fixed
(derandomized) so the run is the same each time.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from poolmail.config import Settings
from poolmail.server.app import create_app
from poolmail.store import Database, open_database
from tests.reliability.test_hostile_input import HEADERS, SIGNATURE, AsgiClient, snapshot

HOSTED_HOST = "fuzz-login.auth.us-east-1.amazoncognito.com"
HOSTED = f"/_domain/{HOSTED_HOST}"
LOCAL_HOST = "fuzz-login.auth.us-east-1.localhost"
CALLBACK = "https://app.fuzz.test/cb"
SIGNED_OUT = "https://app.fuzz.test/out"
API_SCOPE = "https://api.fuzz.test/read"
IDP_AUTHORIZE = "https://idp.fuzz.test/authorize"
SAML_SSO = "https://saml.fuzz.test/sso"
PASSWORD = "Fuzz-Passw0rd!"
# RFC 7636's example pair.
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
CSRF = "fuzz-csrf-token"
# Stand-ins for values a test fills in per example (a fresh code, a real token).
FRESH_CODE = "<fresh code>"
SAML_METADATA = f"""<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"
    entityID="https://saml.fuzz.test/entity">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
        Location="{SAML_SSO}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"""
# Where a domain may send a browser besides its own pages.
ALLOWED_TARGETS = (CALLBACK, SIGNED_OUT, IDP_AUTHORIZE, SAML_SSO)
HOSTILE_TEXT = [
    "",
    " ",
    "\x00",
    "%00",
    "%ZZ",
    "\u2028",
    "😀" * 3,
    "a" * 5000,
    "-1",
    "9" * 40,
    "null",
    "[]",
    "{}",
    '{"a":',
    "'\"<>",
    "<script>alert(1)</script>",
    "javascript:alert(1)",
    "https://evil.fuzz.test/cb",
    CALLBACK + "/",
    CALLBACK + "?x=1",
    CALLBACK + "#frag",
    "//evil.fuzz.test",
    "../../../etc/passwd",
    "a=b&c=d",
    "Zm9vOmJhcg==",
    "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
]
XML_BOMB = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    "<samlp:Response>&lol3;</samlp:Response>"
)
XXE = (
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol">&x;</samlp:Response>'
)
UNSIGNED_RESPONSE = (
    '<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
    'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_1" Version="2.0" '
    'IssueInstant="2026-01-01T00:00:00Z"><saml:Issuer>https://saml.fuzz.test/entity'
    "</saml:Issuer><saml:Assertion><saml:Subject><saml:NameID>mallory</saml:NameID>"
    "</saml:Subject></saml:Assertion></samlp:Response>"
)
SAML_RESPONSES = [
    base64.b64encode(document.encode()).decode()
    for document in (XML_BOMB, XXE, UNSIGNED_RESPONSE, SAML_METADATA)
]

FUZZ = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@dataclass(frozen=True, slots=True)
class HostedPool:
    pool_id: str
    web: str
    m2m: str
    m2m_secret: str


# ---- the pool, and sign-ins through its pages -----------------------------------------------


@pytest.fixture(scope="module")
def app_and_db() -> Iterator[tuple[AsgiClient, Database]]:
    db = open_database(data_dir=":memory:")
    client = AsgiClient(create_app(Settings(), db))
    yield client, db
    client.close()
    db.close()


def api(client: AsgiClient, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    answer = client.post(
        "/",
        content=json.dumps(params),
        headers={
            **HEADERS["json"],
            "X-Amz-Target": f"AWSCognitoIdentityProviderService.{operation}",
            "Authorization": SIGNATURE["cognito-idp"],
        },
    )
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


@pytest.fixture(scope="module")
def hosted(app_and_db: tuple[AsgiClient, Database]) -> HostedPool:
    client, _ = app_and_db
    pool_id = api(
        client, "CreateUserPool", {"PoolName": "hosted-fuzz", "AutoVerifiedAttributes": ["email"]}
    )["UserPool"]["Id"]
    api(client, "CreateUserPoolDomain", {"UserPoolId": pool_id, "Domain": "fuzz-login"})
    api(
        client,
        "CreateResourceServer",
        {
            "UserPoolId": pool_id,
            "Identifier": "https://api.fuzz.test",
            "Name": "api",
            "Scopes": [{"ScopeName": "read", "ScopeDescription": "read"}],
        },
    )
    # The IdP's endpoints on port 9 (discard) of loopback: refused at once, offline.
    oidc = {
        "client_id": "corp-client",
        "client_secret": "corp-secret",
        "attributes_request_method": "GET",
        "oidc_issuer": "http://127.0.0.1:9",
        "authorize_scopes": "openid email",
        "authorize_url": IDP_AUTHORIZE,
        "token_url": "http://127.0.0.1:9/token",
        "attributes_url": "http://127.0.0.1:9/userinfo",
        "jwks_uri": "http://127.0.0.1:9/jwks",
    }
    for name, kind, details in (
        ("Corp", "OIDC", oidc),
        ("Okta", "SAML", {"MetadataFile": SAML_METADATA}),
    ):
        api(
            client,
            "CreateIdentityProvider",
            {
                "UserPoolId": pool_id,
                "ProviderName": name,
                "ProviderType": kind,
                "ProviderDetails": details,
                "AttributeMapping": {"email": "email"},
                "IdpIdentifiers": [f"{name.lower()}.fuzz.test"],
            },
        )
    web = api(
        client,
        "CreateUserPoolClient",
        {
            "UserPoolId": pool_id,
            "ClientName": "web",
            "AllowedOAuthFlowsUserPoolClient": True,
            "AllowedOAuthFlows": ["code", "implicit"],
            "AllowedOAuthScopes": ["openid", "email", "profile", API_SCOPE],
            "CallbackURLs": [CALLBACK],
            "LogoutURLs": [SIGNED_OUT],
            "SupportedIdentityProviders": ["COGNITO", "Corp", "Okta"],
        },
    )["UserPoolClient"]
    m2m = api(
        client,
        "CreateUserPoolClient",
        {
            "UserPoolId": pool_id,
            "ClientName": "m2m",
            "GenerateSecret": True,
            "AllowedOAuthFlowsUserPoolClient": True,
            "AllowedOAuthFlows": ["client_credentials"],
            "AllowedOAuthScopes": [API_SCOPE],
        },
    )["UserPoolClient"]
    api(
        client,
        "AdminCreateUser",
        {
            "UserPoolId": pool_id,
            "Username": "alice",
            "MessageAction": "SUPPRESS",
            "UserAttributes": [
                {"Name": "email", "Value": "alice@fuzz.test"},
                {"Name": "email_verified", "Value": "true"},
            ],
        },
    )
    api(
        client,
        "AdminSetUserPassword",
        {"UserPoolId": pool_id, "Username": "alice", "Password": PASSWORD, "Permanent": True},
    )
    return HostedPool(pool_id, web["ClientId"], m2m["ClientId"], m2m["ClientSecret"])


def login_query(pool: HostedPool) -> dict[str, str]:
    return {
        "client_id": pool.web,
        "redirect_uri": CALLBACK,
        "response_type": "code",
        "scope": "openid email",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
    }


def sign_in(client: AsgiClient, pool: HostedPool) -> tuple[str, str]:
    """Alice signs in on the login page: (the code for the app, the session cookie)."""
    client.client.cookies.clear()
    answer = client.request(
        "POST",
        HOSTED + "/login",
        params=login_query(pool),
        content=urlencode({"username": "alice", "password": PASSWORD, "_csrf": CSRF}),
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"XSRF-TOKEN={CSRF}",
        },
    )
    assert answer.status_code == 302, answer.text
    location = answer.headers["location"]
    assert location.startswith(CALLBACK + "?"), location
    session = answer.cookies.get("cognito") or ""
    client.client.cookies.clear()
    return parse_qs(urlsplit(location).query)["code"][0], session


def tokens(client: AsgiClient, pool: HostedPool) -> dict[str, Any]:
    code, _ = sign_in(client, pool)
    answer = client.request(
        "POST",
        HOSTED + "/oauth2/token",
        content=urlencode(
            {
                "grant_type": "authorization_code",
                "client_id": pool.web,
                "code": code,
                "redirect_uri": CALLBACK,
                "code_verifier": VERIFIER,
            }
        ),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 200, answer.text
    issued: dict[str, Any] = answer.json()
    return issued


# ---- what hypothesis sends -------------------------------------------------------------------


def hostile() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(HOSTILE_TEXT),
        st.text(max_size=40),
        st.text(alphabet="abc=&%+/:#?.;,\\\"'<> ", max_size=20),
    )


def fields(
    required: dict[str, list[str]], optional: dict[str, list[str]] | None = None
) -> st.SearchStrategy[dict[str, str]]:
    """Query or form fields: the required ones valid and the optional ones valid or absent,
    then up to three spoiled with hostile values, up to two dropped, and a stray one."""
    optional = optional or {}
    names = sorted({*required, *optional})
    valid = st.fixed_dictionaries(
        {name: st.sampled_from(good) for name, good in required.items()},
        optional={name: st.sampled_from(good) for name, good in optional.items()},
    )
    spoiled = st.dictionaries(st.sampled_from(names), hostile(), max_size=3)
    dropped = st.sets(st.sampled_from(names), max_size=2)
    stray = st.dictionaries(st.text(min_size=1, max_size=8), hostile(), max_size=1)

    def combine(parts: tuple[dict[str, str], dict[str, str], set[str], dict[str, str]]) -> Any:
        good, bad, gone, extra = parts
        combined = {**extra, **good, **bad}
        for name in gone:
            combined.pop(name, None)
        return combined

    return st.tuples(valid, spoiled, dropped, stray).map(combine)


def header_value(value: str) -> bytes:
    # What can reach a server at all: HTTP has no CR, LF or NUL in a header value.
    return value.replace("\r", "").replace("\n", "").replace("\x00", "").encode()


def basic(user: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()


def authorizations(pool: HostedPool, *valid: str) -> st.SearchStrategy[str | None]:
    """Authorization headers: the ``valid`` ones, none, and malformed or wrong ones."""
    return st.one_of(
        st.sampled_from(valid) if valid else st.none(),
        st.none(),
        st.builds(basic, st.sampled_from([pool.m2m, pool.web, ""]), hostile()),
        st.builds(basic, hostile(), st.just(pool.m2m_secret)),
        st.sampled_from(["Basic", "Basic !!!", "Basic Zm9v", "Bearer", "Digest x", "Bearer ."]),
        st.builds(lambda token: f"Bearer {token}", hostile()),
    )


def content_types() -> st.SearchStrategy[str]:
    return st.sampled_from(
        [
            "application/x-www-form-urlencoded",
            "application/x-www-form-urlencoded",
            "application/x-www-form-urlencoded; charset=ISO-8859-1",
            "application/json",
            "multipart/form-data; boundary=x",
            "text/plain",
            "",
        ]
    )


# ---- sending one request and judging its answer ---------------------------------------------


def redirect_allowed(location: str, base: str) -> bool:
    target = location.split("#", 1)[0].split("?", 1)[0]
    if location.startswith("/") and not location.startswith("//"):
        return True  # a path of this server
    return target.startswith(base + "/") or target == base or target in ALLOWED_TARGETS


def refused(answer: httpx.Response) -> bool:
    return answer.status_code >= 400 or "error=" in answer.headers.get("location", "")


def hosted_request(
    client: AsgiClient,
    db: Database,
    method: str,
    path: str,
    *,
    by_host: bool,
    query: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    spends: str | None = None,
) -> httpx.Response:
    """Send one request to the domain (by path prefix or by Host header) and judge the
    answer. ``spends``: a table of single-use rows (codes, pending sign-ins) that a refused
    request may use up, though never add to."""
    sent = {name: header_value(value) for name, value in (headers or {}).items()}
    if by_host:
        url, base = path, f"http://{LOCAL_HOST}"
        sent["Host"] = LOCAL_HOST.encode()
    else:
        url, base = HOSTED + path, f"http://poolmail.test{HOSTED}"
    content = body
    if form is not None:
        content = urlencode(form).encode()
        sent.setdefault("Content-Type", b"application/x-www-form-urlencoded")
    client.client.cookies.clear()  # each request carries the cookies it is given, no more
    before = snapshot(db)
    answer = client.request(method, url, params=query, content=content, headers=sent)
    described = (method, path, query, form, body, headers)
    assert answer.status_code < 500, (*described, answer.text[:2000])
    location = answer.headers.get("location")
    if location is not None:
        assert redirect_allowed(location, base), (*described, location)
    if refused(answer):
        after = snapshot(db)
        if spends is not None:
            assert len(after.pop(spends)) <= len(before.pop(spends)), described
        assert after == before, (*described, answer.status_code, answer.text[:500])
    return answer


# ---- the endpoints -----------------------------------------------------------------------


def test_authorize(app_and_db: tuple[AsgiClient, Database], hosted: HostedPool) -> None:
    client, db = app_and_db
    _, session = sign_in(client, hosted)
    required = {
        "response_type": ["code", "token"],
        "client_id": [hosted.web],
        "redirect_uri": [CALLBACK],
    }
    optional = {
        "state": ["xyz", "a b"],
        "scope": ["openid", "openid email", API_SCOPE, "phone", "openid profile"],
        "code_challenge": [CHALLENGE],
        "code_challenge_method": ["S256", "plain"],
        "nonce": ["n-0S6_WzA2Mj"],
        "identity_provider": ["COGNITO", "Corp", "Okta", "Google"],
        "idp_identifier": ["corp.fuzz.test", "okta.fuzz.test"],
        "prompt": ["none", "login", "consent", "select_account"],
        "lang": ["en", "de", "zz"],
        "login_hint": ["alice"],
        "resource": ["https://api.fuzz.test"],
    }

    @FUZZ
    @given(
        query=fields(required, optional),
        by_host=st.booleans(),
        cookie=st.one_of(st.none(), st.just(session), hostile()),
    )
    def check(query: dict[str, str], by_host: bool, cookie: str | None) -> None:
        headers = {} if cookie is None else {"Cookie": f"cognito={cookie}"}
        hosted_request(
            client,
            db,
            "GET",
            "/oauth2/authorize",
            by_host=by_host,
            query=query,
            headers=headers,
            spends="cognito_hosted_sessions",
        )

    check()


def test_token_for_a_code(app_and_db: tuple[AsgiClient, Database], hosted: HostedPool) -> None:
    client, db = app_and_db
    required = {
        "grant_type": ["authorization_code"],
        "client_id": [hosted.web],
        "code": [FRESH_CODE],
        "redirect_uri": [CALLBACK],
        "code_verifier": [VERIFIER],
    }
    optional = {"client_secret": [hosted.m2m_secret], "scope": ["openid"]}

    @FUZZ
    @given(
        form=fields(required, optional),
        authorization=authorizations(hosted),
        content_type=content_types(),
        by_host=st.booleans(),
    )
    def check(
        form: dict[str, str], authorization: str | None, content_type: str, by_host: bool
    ) -> None:
        if form.get("code") == FRESH_CODE:
            form["code"], _ = sign_in(client, hosted)
        headers = {"Content-Type": content_type}
        if authorization is not None:
            headers["Authorization"] = authorization
        answer = hosted_request(
            client,
            db,
            "POST",
            "/oauth2/token",
            by_host=by_host,
            form=form,
            headers=headers,
            spends="cognito_oauth_codes",
        )
        if answer.status_code >= 400:
            assert "error" in answer.json(), answer.text

    check()


def test_token_other_grants(app_and_db: tuple[AsgiClient, Database], hosted: HostedPool) -> None:
    client, db = app_and_db
    refresh_token = tokens(client, hosted)["refresh_token"]
    required = {"grant_type": ["client_credentials", "refresh_token"]}
    optional = {
        "client_id": [hosted.web, hosted.m2m],
        "client_secret": [hosted.m2m_secret],
        "refresh_token": [refresh_token],
        "scope": [API_SCOPE, "openid", f"{API_SCOPE} openid"],
        "aws_client_metadata": ['{"a":"b"}', "%7B", "[]"],
    }

    @FUZZ
    @given(
        form=fields(required, optional),
        raw=st.one_of(st.none(), st.none(), st.binary(max_size=200)),
        authorization=authorizations(hosted, basic(hosted.m2m, hosted.m2m_secret)),
        content_type=content_types(),
        method=st.sampled_from(["POST", "POST", "POST", "GET", "PUT"]),
        by_host=st.booleans(),
    )
    def check(
        form: dict[str, str],
        raw: bytes | None,
        authorization: str | None,
        content_type: str,
        method: str,
        by_host: bool,
    ) -> None:
        headers = {"Content-Type": content_type}
        if authorization is not None:
            headers["Authorization"] = authorization
        answer = hosted_request(
            client,
            db,
            method,
            "/oauth2/token",
            by_host=by_host,
            form=form if raw is None else None,
            body=raw,
            headers=headers,
        )
        if answer.status_code in (400, 401):
            assert "error" in answer.json(), answer.text

    check()


def test_user_info(app_and_db: tuple[AsgiClient, Database], hosted: HostedPool) -> None:
    client, db = app_and_db
    issued = tokens(client, hosted)
    bearers = (f"Bearer {issued['access_token']}", f"Bearer {issued['id_token']}")

    @FUZZ
    @given(
        method=st.sampled_from(["GET", "POST", "DELETE"]),
        authorization=authorizations(hosted, *bearers),
        body=st.one_of(st.none(), st.binary(max_size=100)),
        by_host=st.booleans(),
    )
    def check(method: str, authorization: str | None, body: bytes | None, by_host: bool) -> None:
        headers = {} if authorization is None else {"Authorization": authorization}
        hosted_request(
            client, db, method, "/oauth2/userInfo", by_host=by_host, body=body, headers=headers
        )

    check()


def test_revoke(app_and_db: tuple[AsgiClient, Database], hosted: HostedPool) -> None:
    client, db = app_and_db
    issued = tokens(client, hosted)
    required = {"token": [issued["refresh_token"], issued["access_token"]]}
    optional = {"client_id": [hosted.web, hosted.m2m]}

    @FUZZ
    @given(
        form=fields(required, optional),
        authorization=authorizations(hosted, basic(hosted.m2m, hosted.m2m_secret)),
        content_type=content_types(),
        method=st.sampled_from(["POST", "POST", "GET"]),
        by_host=st.booleans(),
    )
    def check(
        form: dict[str, str],
        authorization: str | None,
        content_type: str,
        method: str,
        by_host: bool,
    ) -> None:
        headers = {"Content-Type": content_type}
        if authorization is not None:
            headers["Authorization"] = authorization
        answer = hosted_request(
            client, db, method, "/oauth2/revoke", by_host=by_host, form=form, headers=headers
        )
        if answer.status_code in (400, 401):
            assert "error" in answer.json(), answer.text

    check()


def test_logout(app_and_db: tuple[AsgiClient, Database], hosted: HostedPool) -> None:
    client, db = app_and_db
    _, session = sign_in(client, hosted)
    required = {"client_id": [hosted.web]}
    optional = {
        "logout_uri": [SIGNED_OUT],
        "redirect_uri": [CALLBACK],
        "response_type": ["code", "token"],
        "state": ["xyz"],
        "scope": ["openid"],
    }

    @FUZZ
    @given(
        query=fields(required, optional),
        cookie=st.one_of(st.none(), st.just(session), hostile()),
        by_host=st.booleans(),
    )
    def check(query: dict[str, str], cookie: str | None, by_host: bool) -> None:
        headers = {} if cookie is None else {"Cookie": f"cognito={cookie}"}
        hosted_request(client, db, "GET", "/logout", by_host=by_host, query=query, headers=headers)

    check()


PAGE_FIELDS = {
    "/login": {"username": ["alice", "bob"], "password": [PASSWORD, "wrong"]},
    "/signup": {
        "username": ["bob", "alice"],
        "password": [PASSWORD, "short"],
        "email": ["bob@fuzz.test"],
    },
    "/confirm": {"username": ["bob", "alice"], "code": ["123456"]},
    "/resendcode": {"username": ["bob", "alice"]},
    "/forgotPassword": {"username": ["alice", "bob"]},
    "/confirmForgotPassword": {
        "username": ["alice"],
        "code": ["123456"],
        "password": [PASSWORD],
        "confirm_password": [PASSWORD],
    },
    "/mfa": {
        "username": ["alice"],
        "session": ["AYABeE"],
        "challenge": ["SMS_MFA", "SOFTWARE_TOKEN_MFA", "NEW_PASSWORD_REQUIRED"],
        "code": ["123456"],
        "answer": ["123456"],
        "new_password": [PASSWORD],
        "confirm_password": [PASSWORD],
        "setup": ["totp", "email"],
        "secret": ["JBSWY3DPEHPK3PXP"],
    },
}


@pytest.mark.parametrize("path", sorted(PAGE_FIELDS))
def test_page_forms(app_and_db: tuple[AsgiClient, Database], hosted: HostedPool, path: str) -> None:
    client, db = app_and_db
    query = {
        "client_id": [hosted.web],
        "redirect_uri": [CALLBACK],
        "response_type": ["code"],
    }

    @settings(FUZZ, max_examples=12)
    @given(
        method=st.sampled_from(["POST", "POST", "GET"]),
        query=fields(query, {"scope": ["openid"], "state": ["xyz"]}),
        form=fields({"_csrf": [CSRF], **PAGE_FIELDS[path]}),
        cookie=st.one_of(st.just(CSRF), st.just(CSRF), hostile()),
        by_host=st.booleans(),
    )
    def check(
        method: str,
        query: dict[str, str],
        form: dict[str, str],
        cookie: str,
        by_host: bool,
    ) -> None:
        hosted_request(
            client,
            db,
            method,
            path,
            by_host=by_host,
            query=query,
            form=form if method == "POST" else None,
            headers={"Cookie": f"XSRF-TOKEN={cookie}"},
        )

    check()


def test_confirm_user_links(app_and_db: tuple[AsgiClient, Database], hosted: HostedPool) -> None:
    client, db = app_and_db
    required = {
        "client_id": [hosted.web],
        "user_name": ["alice", "bob"],
        "confirmation_code": ["123456"],
    }

    @settings(FUZZ, max_examples=20)
    @given(query=fields(required), by_host=st.booleans())
    def check(query: dict[str, str], by_host: bool) -> None:
        hosted_request(client, db, "GET", "/confirmUser", by_host=by_host, query=query)

    check()


def pending_state(client: AsgiClient, pool: HostedPool, provider: str) -> str:
    """The state (OIDC) or RelayState (SAML) of a sign-in just sent to ``provider``."""
    client.client.cookies.clear()
    answer = client.request(
        "GET",
        HOSTED + "/oauth2/authorize",
        params={
            "client_id": pool.web,
            "redirect_uri": CALLBACK,
            "response_type": "code",
            "identity_provider": provider,
        },
    )
    assert answer.status_code == 302, answer.text
    sent = parse_qs(urlsplit(answer.headers["location"]).query)
    return sent["RelayState" if provider == "Okta" else "state"][0]


@pytest.mark.parametrize("protocol", ["oidc", "saml"])
def test_identity_provider_answers(
    app_and_db: tuple[AsgiClient, Database], hosted: HostedPool, protocol: str
) -> None:
    client, db = app_and_db
    saml = protocol == "saml"
    state_name = "RelayState" if saml else "state"
    if saml:
        valid = {"SAMLResponse": SAML_RESPONSES, state_name: [FRESH_CODE]}
        path, methods = "/saml2/idpresponse", ["POST", "POST", "GET"]
    else:
        valid = {"code": ["idp-code"], state_name: [FRESH_CODE]}
        path, methods = "/oauth2/idpresponse", ["GET", "POST"]

    @settings(FUZZ, max_examples=20)
    @given(
        method=st.sampled_from(methods),
        form=fields(valid, {"error": ["access_denied"], "error_description": ["no"]}),
        by_host=st.booleans(),
    )
    def check(method: str, form: dict[str, str], by_host: bool) -> None:
        if form.get(state_name) == FRESH_CODE:
            form[state_name] = pending_state(client, hosted, "Okta" if saml else "Corp")
        hosted_request(
            client,
            db,
            method,
            path,
            by_host=by_host,
            query=form if method == "GET" else None,
            form=form if method == "POST" else None,
            spends="cognito_federation_pending",
        )

    check()
