"""Federated sign-in through a pool domain, against real IdPs the tests start: an OpenID
provider (`oidc-provider` from npm, js/idp.mjs) and a SAML IdP (pysaml2, saml_idp.py).

Browser-less: httpx follows the redirects from /oauth2/authorize?identity_provider=... to
the IdP and back, and posts the SAML IdP's HTML forms as a browser would. Checked: the
federated user `<Provider>_<id>` with mapped attributes, `identities` and the automatic
group; tokens carrying `identities`; signed requests, encrypted assertions, IdP-initiated
sign-in and single logout with SAML; a linked native user; a disabled one; the sign-up
triggers; the IdP's and the profile's errors forwarded to the app; answers used twice or
forged. One server per store (running the test functions) serves the module.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest

from tests.cognito.federation.saml_idp import SamlIdp
from tests.cognito.helpers import idp
from tests.conftest import BACKENDS
from tests.support.functions import write_functions
from tests.support.npm import pinned_node_modules
from tests.support.programs import require_program
from tests.support.server import ServerProcess, serving

JS_DIR = Path(__file__).parent / "js"
DOMAIN = "fed-tests.auth.us-east-1.amazoncognito.com"
APP = "http://localhost:3000/callback"
SIGNED_OUT = "http://localhost:3000/signed-out"
IDP_CLIENT, IDP_SECRET = "poolmail-client", "poolmail-client-secret"
ALICE = {"email": "alice@example.com", "email_verified": True, "name": "Alice Example"}
EMAIL_CLAIM = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"
NAME_CLAIM = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name"


def domain_url(server: ServerProcess) -> str:
    return f"{server.url}/_domain/{DOMAIN}"


class OidcIdp:
    """js/idp.mjs in Node: stops when the fixture closes its stdin."""

    def __init__(self, redirect_uri: str) -> None:
        self.process = subprocess.Popen(
            ["node", "idp.mjs", IDP_CLIENT, IDP_SECRET, "client_secret_post", redirect_uri],
            cwd=JS_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout is not None
        # oidc-provider prints notices on stdout too: the first JSON line is the script's.
        line = ""
        while not line.startswith("{"):
            line = self.process.stdout.readline()
            assert line, "the OpenID provider did not start"
        self.issuer: str = json.loads(line)["issuer"]

    def next(self, account: str = "alice", *, deny: bool = False, **claims: Any) -> None:
        body = {"account": account, "claims": claims or ALICE, "deny": deny}
        httpx.post(f"{self.issuer}/_test/next", json=body).raise_for_status()

    def stop(self) -> None:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.close()
        self.process.wait(timeout=10)
        self.process.stdout.close()


# Functions the pools of these tests name in LambdaConfig (the embedded runner runs them).
FUNCTIONS = {
    "echo": (
        "python3.12",
        "app.handler",
        {"app.py": "def handler(event, context):\n    return event\n"},
    ),
    "refuse": (
        "python3.12",
        "app.handler",
        {"app.py": "def handler(event, context):\n    raise Exception('No outsiders')\n"},
    ),
}


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """This module's server per store, running the functions above."""
    toml = write_functions(tmp_path_factory.mktemp("functions"), FUNCTIONS)
    options = ["--functions", str(toml)]
    with serving(request.param, options) as running:
        yield running


@pytest.fixture
def live(server: ServerProcess) -> ServerProcess:
    server.reset()
    return server


@pytest.fixture(scope="module")
def oidc_idp(server: ServerProcess) -> Iterator[OidcIdp]:
    pinned_node_modules(JS_DIR)
    running = OidcIdp(f"{domain_url(server)}/oauth2/idpresponse")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def saml_idp() -> Iterator[SamlIdp]:
    require_program("xmlsec1", "/usr/bin/xmlsec1")
    running = SamlIdp().start()
    yield running
    running.stop()


def oidc_details(issuer: str, secret: str = IDP_SECRET) -> dict[str, str]:
    return {
        "client_id": IDP_CLIENT,
        "client_secret": secret,
        "attributes_request_method": "GET",
        "oidc_issuer": issuer,
        "authorize_scopes": "openid email profile",
    }


def federated_pool(
    server: ServerProcess, oidc: OidcIdp, saml: SamlIdp | None = None, **pool: Any
) -> tuple[str, str]:
    """A pool (with ``pool`` settings) with the domain, the OIDC IdP `Corp` (and the SAML
    IdP `Saml`) and an app client that supports them; (pool id, client id)."""
    cognito = idp(server)
    pool_id = cognito.create_user_pool(PoolName="federated", **pool)["UserPool"]["Id"]
    cognito.create_user_pool_domain(UserPoolId=pool_id, Domain="fed-tests")
    cognito.create_identity_provider(
        UserPoolId=pool_id,
        ProviderName="Corp",
        ProviderType="OIDC",
        ProviderDetails=oidc_details(oidc.issuer),
        AttributeMapping={"email": "email", "name": "name", "email_verified": "email_verified"},
    )
    providers = ["COGNITO", "Corp"]
    if saml is not None:
        cognito.create_identity_provider(
            UserPoolId=pool_id,
            ProviderName="Saml",
            ProviderType="SAML",
            ProviderDetails={
                "MetadataFile": saml.metadata,
                "RequestSigningAlgorithm": "rsa-sha256",
            },
            AttributeMapping={"email": EMAIL_CLAIM, "name": NAME_CLAIM},
        )
        certificate = cognito.get_signing_certificate(UserPoolId=pool_id)["Certificate"]
        saml.trust(
            f"urn:amazon:cognito:sp:{pool_id}",
            f"{domain_url(server)}/saml2/idpresponse",
            certificate,
        )
        providers.append("Saml")
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="web",
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthFlows=["code"],
        AllowedOAuthScopes=["openid", "email", "profile"],
        CallbackURLs=[APP],
        LogoutURLs=[SIGNED_OUT],
        SupportedIdentityProviders=providers,
    )["UserPoolClient"]["ClientId"]
    return pool_id, client_id


def authorize(server: ServerProcess, client_id: str, provider: str | None) -> str:
    """/oauth2/authorize for the app; with ``provider`` None, naming no IdP (the managed
    login session, if any, answers at once)."""
    query = {
        **({"identity_provider": provider} if provider else {}),
        "client_id": client_id,
        "redirect_uri": APP,
        "response_type": "code",
        "scope": "openid email profile",
        "state": "app-state",
        "nonce": "app-nonce",
    }
    return str(httpx.URL(f"{domain_url(server)}/oauth2/authorize", params=query))


def follow(browser: httpx.Client, url: str) -> dict[str, str]:
    """Follow redirects (posting a SAML IdP's auto-submitted form) until the app's
    redirect URI; its query."""
    response = browser.get(url)
    for _ in range(20):
        if response.status_code == 200 and "SAMLResponse" in response.text:
            action = html.unescape(re.search(r'action="([^"]+)"', response.text)[1])  # type: ignore[index]
            fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', response.text))
            form = {key: html.unescape(value) for key, value in fields.items()}
            response = browser.post(action, data=form)
            continue
        assert response.status_code in (302, 303), (
            response.url,
            response.status_code,
            response.text[:500],
        )
        location = str(response.url.join(response.headers["location"]))
        if location.startswith(APP):
            return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}
        response = browser.get(location)
    raise AssertionError("too many redirects")


def sign_in(server: ServerProcess, client_id: str, provider: str) -> dict[str, str]:
    with httpx.Client(timeout=30) as browser:
        return follow(browser, authorize(server, client_id, provider))


def tokens(server: ServerProcess, client_id: str, code: str) -> dict[str, Any]:
    response = httpx.post(
        f"{domain_url(server)}/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "client_id": client_id,
            "code": code,
            "redirect_uri": APP,
        },
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def verified(server: ServerProcess, pool_id: str, token: str, client_id: str) -> dict[str, Any]:
    keys = jwt.PyJWKClient(f"{server.url}/{pool_id}/.well-known/jwks.json")
    claims: dict[str, Any] = jwt.decode(
        token, keys.get_signing_key_from_jwt(token), algorithms=["RS256"], audience=client_id
    )
    return claims


def attributes(server: ServerProcess, pool_id: str, username: str) -> dict[str, Any]:
    user = idp(server).admin_get_user(UserPoolId=pool_id, Username=username)
    found: dict[str, Any] = {a["Name"]: a["Value"] for a in user["UserAttributes"]}
    found["UserStatus"] = user["UserStatus"]
    found["Enabled"] = user["Enabled"]
    return found


def group_names(server: ServerProcess, pool_id: str, username: str) -> list[str]:
    listed = idp(server).admin_list_groups_for_user(UserPoolId=pool_id, Username=username)
    return [group["GroupName"] for group in listed["Groups"]]


def test_oidc_sign_in_creates_and_updates_the_federated_user(
    live: ServerProcess, oidc_idp: OidcIdp
) -> None:
    pool_id, client_id = federated_pool(live, oidc_idp)
    oidc_idp.next("alice")
    answer = sign_in(live, client_id, "Corp")
    assert answer["state"] == "app-state"
    assert set(answer) == {"code", "state"}

    user = attributes(live, pool_id, "Corp_alice")
    assert user["UserStatus"] == "EXTERNAL_PROVIDER"
    assert (user["email"], user["name"], user["email_verified"]) == (
        "alice@example.com",
        "Alice Example",
        "true",
    )
    [identity] = json.loads(user["identities"])
    assert {k: identity[k] for k in ("userId", "providerName", "providerType", "primary")} == {
        "userId": "alice",
        "providerName": "Corp",
        "providerType": "OIDC",
        "primary": True,
    }
    assert group_names(live, pool_id, "Corp_alice") == [f"{pool_id}_Corp"]
    group = idp(live).get_group(UserPoolId=pool_id, GroupName=f"{pool_id}_Corp")["Group"]
    assert group["Description"] == "Autogenerated group for users who sign in using Corp"

    issued = tokens(live, client_id, answer["code"])
    claims = verified(live, pool_id, issued["id_token"], client_id)
    assert claims["cognito:username"] == "Corp_alice"
    assert claims["nonce"] == "app-nonce"
    assert claims["email"] == "alice@example.com"
    assert claims["cognito:groups"] == [f"{pool_id}_Corp"]
    [claimed] = claims["identities"]
    assert claimed["providerName"] == "Corp"
    # Tokens carry "primary" and "dateCreated" as strings, unlike the stored attribute.
    assert claimed["primary"] == "true"
    assert claimed["dateCreated"] == str(identity["dateCreated"])

    # A later sign-in updates the mapped attributes of the same user.
    oidc_idp.next("alice", email="alice@new.example.com", name="Alice Renamed")
    sign_in(live, client_id, "Corp")
    user = attributes(live, pool_id, "Corp_alice")
    assert (user["email"], user["name"]) == ("alice@new.example.com", "Alice Renamed")
    assert len(idp(live).list_users(UserPoolId=pool_id)["Users"]) == 1


def test_saml_sign_in_creates_the_federated_user(
    live: ServerProcess, oidc_idp: OidcIdp, saml_idp: SamlIdp
) -> None:
    pool_id, client_id = federated_pool(live, oidc_idp, saml_idp)
    saml_idp.next_user("M252249", **{EMAIL_CLAIM: "jo@corp.example", NAME_CLAIM: "Jo Corp"})
    answer = sign_in(live, client_id, "Saml")
    assert saml_idp.last_request["signed"] is True  # RequestSigningAlgorithm rsa-sha256

    user = attributes(live, pool_id, "Saml_M252249")
    assert user["UserStatus"] == "EXTERNAL_PROVIDER"
    assert (user["email"], user["name"]) == ("jo@corp.example", "Jo Corp")
    [identity] = json.loads(user["identities"])
    assert identity["providerType"] == "SAML"
    assert identity["issuer"] == f"{saml_idp.url}/metadata"
    assert group_names(live, pool_id, "Saml_M252249") == [f"{pool_id}_Saml"]
    claims = verified(live, pool_id, tokens(live, client_id, answer["code"])["id_token"], client_id)
    assert claims["cognito:username"] == "Saml_M252249"
    assert claims["identities"][0]["userId"] == "M252249"

    # EncryptedResponses: the IdP encrypts the assertion to the ActiveEncryptionCertificate.
    cognito = idp(live)
    given = cognito.describe_identity_provider(UserPoolId=pool_id, ProviderName="Saml")
    details = {"MetadataFile": saml_idp.metadata, "EncryptedResponses": "true"}
    updated = cognito.update_identity_provider(
        UserPoolId=pool_id, ProviderName="Saml", ProviderDetails=details
    )["IdentityProvider"]["ProviderDetails"]
    assert "ActiveEncryptionCertificate" not in given["IdentityProvider"]["ProviderDetails"]
    certificate = updated["ActiveEncryptionCertificate"]
    saml_idp.next_user("M252249", encrypt_to=certificate, **{NAME_CLAIM: "Jo Encrypted"})
    assert "code" in sign_in(live, client_id, "Saml")
    assert attributes(live, pool_id, "Saml_M252249")["name"] == "Jo Encrypted"


def test_saml_response_is_checked_and_used_once(
    live: ServerProcess, oidc_idp: OidcIdp, saml_idp: SamlIdp
) -> None:
    _, client_id = federated_pool(live, oidc_idp, saml_idp)
    saml_idp.next_user("M1", **{EMAIL_CLAIM: "m1@corp.example"})
    with httpx.Client(timeout=30) as browser:
        to_idp = browser.get(authorize(live, client_id, "Saml"))
        assert to_idp.status_code == 302
        form_page = browser.get(to_idp.headers["location"])
        fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form_page.text))
        form = {key: html.unescape(value) for key, value in fields.items()}
        acs = f"{domain_url(live)}/saml2/idpresponse"
        # A response altered after signing: refused, to the app's redirect URI.
        import base64

        xml = base64.b64decode(form["SAMLResponse"]).replace(b"M1<", b"M2<")
        tampered = {**form, "SAMLResponse": base64.b64encode(xml).decode()}
        refused = browser.post(acs, data=tampered)
        assert refused.status_code == 302
        query = parse_qs(urlsplit(refused.headers["location"]).query)
        assert query == {
            "error_description": ["Invalid samlResponse or relayState from identity provider"],
            "state": ["app-state"],
            "error": ["invalid_request"],
        }
        # The RelayState served once: the genuine response now finds no waiting sign-in.
        again = browser.post(acs, data=form)
        assert again.status_code == 400
        assert "Invalid relayState from identity provider" in again.text
        assert browser.get(acs).status_code == 405


def test_a_linked_native_user_signs_in_through_the_idp(
    live: ServerProcess, oidc_idp: OidcIdp
) -> None:
    pool_id, client_id = federated_pool(live, oidc_idp)
    cognito = idp(live)
    cognito.admin_create_user(UserPoolId=pool_id, Username="jo", MessageAction="SUPPRESS")
    cognito.admin_link_provider_for_user(
        UserPoolId=pool_id,
        DestinationUser={"ProviderName": "Cognito", "ProviderAttributeValue": "jo"},
        SourceUser={
            "ProviderName": "Corp",
            "ProviderAttributeName": "Cognito_Subject",
            "ProviderAttributeValue": "alice",
        },
    )
    oidc_idp.next("alice")
    answer = sign_in(live, client_id, "Corp")
    claims = verified(live, pool_id, tokens(live, client_id, answer["code"])["id_token"], client_id)
    assert claims["cognito:username"] == "jo"
    assert [entry["userId"] for entry in claims["identities"]] == ["alice"]
    usernames = [user["Username"] for user in cognito.list_users(UserPoolId=pool_id)["Users"]]
    assert usernames == ["jo"]  # no Corp_alice


def test_a_disabled_federated_user_is_refused(live: ServerProcess, oidc_idp: OidcIdp) -> None:
    pool_id, client_id = federated_pool(live, oidc_idp)
    oidc_idp.next("alice")
    sign_in(live, client_id, "Corp")
    idp(live).admin_disable_provider_for_user(
        UserPoolId=pool_id,
        User={
            "ProviderName": "Corp",
            "ProviderAttributeName": "Cognito_Subject",
            "ProviderAttributeValue": "alice",
        },
    )
    assert sign_in(live, client_id, "Corp") == {
        "error_description": "User is disabled.",
        "state": "app-state",
        "error": "invalid_request",
    }


def test_idp_errors_reach_the_app_and_forged_callbacks_do_not(
    live: ServerProcess, oidc_idp: OidcIdp
) -> None:
    pool_id, client_id = federated_pool(live, oidc_idp)
    oidc_idp.next("alice", deny=True)
    assert sign_in(live, client_id, "Corp") == {
        "error_description": "End-User aborted interaction",
        "state": "app-state",
        "error": "access_denied",
    }
    # poolmail's secret at the IdP is wrong: the token endpoint refuses the code.
    idp(live).update_identity_provider(
        UserPoolId=pool_id, ProviderName="Corp", ProviderDetails=oidc_details(oidc_idp.issuer, "x")
    )
    oidc_idp.next("alice")
    assert sign_in(live, client_id, "Corp") == {
        "error_description": "Corp Error - 401 error getting token",
        "state": "app-state",
        "error": "invalid_request",
    }
    assert idp(live).list_users(UserPoolId=pool_id)["Users"] == []
    # A callback whose state names no waiting sign-in: the error page.
    response = httpx.get(
        f"{domain_url(live)}/oauth2/idpresponse", params={"state": "forged", "code": "x"}
    )
    assert response.status_code == 400
    assert "Invalid State" in response.text


def test_idp_initiated_saml_sign_in_needs_idp_init(
    live: ServerProcess, oidc_idp: OidcIdp, saml_idp: SamlIdp
) -> None:
    pool_id, client_id = federated_pool(live, oidc_idp, saml_idp)
    saml_idp.next_user("M7", **{EMAIL_CLAIM: "m7@corp.example"})
    acs = f"{domain_url(live)}/saml2/idpresponse"
    relay = str(
        httpx.QueryParams(
            identity_provider="Saml", client_id=client_id, redirect_uri=APP, response_type="code"
        )
    )
    entity = f"urn:amazon:cognito:sp:{pool_id}"
    refused = httpx.post(acs, data=saml_idp.unsolicited(entity, acs, relay))
    assert refused.status_code == 400
    assert "Invalid relayState from identity provider" in refused.text

    details = idp(live).describe_identity_provider(UserPoolId=pool_id, ProviderName="Saml")
    given = details["IdentityProvider"]["ProviderDetails"]
    idp(live).update_identity_provider(
        UserPoolId=pool_id,
        ProviderName="Saml",
        ProviderDetails={"MetadataFile": given["MetadataFile"], "IDPInit": "true"},
    )
    accepted = httpx.post(acs, data=saml_idp.unsolicited(entity, acs, relay))
    assert accepted.status_code == 302
    query = parse_qs(urlsplit(accepted.headers["location"]).query)
    assert list(query) == ["code"]
    assert attributes(live, pool_id, "Saml_M7")["email"] == "m7@corp.example"


def test_a_required_attribute_the_idp_does_not_send(
    live: ServerProcess, oidc_idp: OidcIdp, saml_idp: SamlIdp
) -> None:
    email = {"Name": "email", "AttributeDataType": "String", "Required": True}
    pool_id, client_id = federated_pool(live, oidc_idp, saml_idp, Schema=[email])
    oidc_idp.next("bob", name="Bob Only")
    assert sign_in(live, client_id, "Corp") == {
        "error_description": "Invalid user attributes: email: The attribute is required",
        "state": "app-state",
        "error": "invalid_request",
    }
    saml_idp.next_user("M9", **{NAME_CLAIM: "No Mail"})
    assert sign_in(live, client_id, "Saml") == {
        "error_description": (
            "Error in SAML response processing: "
            "Invalid user attributes: email: The attribute is required"
        ),
        "state": "app-state",
        "error": "server_error",
    }
    assert idp(live).list_users(UserPoolId=pool_id)["Users"] == []


def invocations(server: ServerProcess, pool_id: str) -> list[dict[str, Any]]:
    answer = httpx.get(f"{server.url}/_poolmail/functions/invocations", params={"owner": pool_id})
    answer.raise_for_status()
    return list(reversed(answer.json()["invocations"]))


def arn(name: str) -> str:
    return f"arn:aws:lambda:us-east-1:123456789012:function:{name}"


def test_first_federated_sign_in_runs_the_sign_up_triggers(
    live: ServerProcess, oidc_idp: OidcIdp
) -> None:
    config = {"PreSignUp": arn("echo"), "PostConfirmation": arn("echo")}
    pool_id, client_id = federated_pool(live, oidc_idp, LambdaConfig=config)
    oidc_idp.next("alice")
    assert "code" in sign_in(live, client_id, "Corp")
    sign_in(live, client_id, "Corp")  # a later sign-in signs nobody up
    ran = [(i["source"], i["request"]["userName"]) for i in invocations(live, pool_id)]
    assert ran == [
        ("PreSignUp_ExternalProvider", "Corp_alice"),
        ("PostConfirmation_ConfirmSignUp", "Corp_alice"),
    ]
    event = invocations(live, pool_id)[0]["request"]
    assert event["callerContext"]["clientId"] == client_id
    assert event["request"]["userAttributes"]["email"] == "alice@example.com"


def test_a_failing_pre_sign_up_refuses_the_federated_user(
    live: ServerProcess, oidc_idp: OidcIdp
) -> None:
    pool_id, client_id = federated_pool(live, oidc_idp, LambdaConfig={"PreSignUp": arn("refuse")})
    oidc_idp.next("alice")
    assert sign_in(live, client_id, "Corp") == {
        "error_description": "PreSignUp failed with error No outsiders.",
        "state": "app-state",
        "error": "invalid_request",
    }
    assert idp(live).list_users(UserPoolId=pool_id)["Users"] == []


def test_idp_signout_signs_out_at_the_saml_idp_first(
    live: ServerProcess, oidc_idp: OidcIdp, saml_idp: SamlIdp
) -> None:
    pool_id, client_id = federated_pool(live, oidc_idp, saml_idp)
    details = {"MetadataFile": saml_idp.metadata, "IDPSignout": "true"}
    idp(live).update_identity_provider(
        UserPoolId=pool_id, ProviderName="Saml", ProviderDetails=details
    )
    saml_idp.next_user("M3", **{EMAIL_CLAIM: "m3@corp.example"})
    logout = httpx.URL(
        f"{domain_url(live)}/logout", params={"client_id": client_id, "logout_uri": SIGNED_OUT}
    )
    with httpx.Client(timeout=30) as browser:
        assert "code" in follow(browser, authorize(live, client_id, "Saml"))
        to_idp = browser.get(logout)
        assert to_idp.status_code == 302
        assert to_idp.headers["location"].startswith(f"{saml_idp.url}/slo?SAMLRequest=")
        form_page = browser.get(to_idp.headers["location"])
        assert saml_idp.last_logout == {"name_id": "M3", "signed": True}
        action = html.unescape(re.findall(r'action="([^"]+)"', form_page.text)[0])
        fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form_page.text))
        form = {key: html.unescape(value) for key, value in fields.items()}
        assert action == f"{domain_url(live)}/saml2/logout"
        done = browser.post(action, data=form)
        assert (done.status_code, done.headers["location"]) == (302, SIGNED_OUT)
        # The answer serves once.
        assert browser.post(action, data=form).status_code == 400
        # Signed out: authorize no longer answers with a code (the login page instead).
        again = browser.get(authorize(live, client_id, None))
        assert "/login?" in again.headers["location"]

        # The IdP signs the user out on its own: the session ends, the answer goes back.
        assert "code" in follow(browser, authorize(live, client_id, "Saml"))
        skipped = browser.get(authorize(live, client_id, None))
        assert skipped.headers["location"].startswith(APP)  # the session lives
        entity = f"urn:amazon:cognito:sp:{pool_id}"
        unsigned = saml_idp.logout_request(entity, "M3", sign=False)
        assert browser.post(action, data=unsigned).status_code == 400
        answered = browser.post(action, data=saml_idp.logout_request(entity, "M3"))
        assert answered.status_code == 302
        back = answered.headers["location"]
        assert back.startswith(f"{saml_idp.url}/slo?SAMLResponse=")
        assert "RelayState=idp-state" in back
        again = browser.get(authorize(live, client_id, None))
        assert "/login?" in again.headers["location"]
