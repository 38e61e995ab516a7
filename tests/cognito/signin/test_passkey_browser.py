"""A passkey registered and used from headless Chromium: a page on http://localhost (a
secure context, as WebAuthn needs) calls the server's Cognito API cross-origin with fetch,
as a browser app does, and the browser's WebAuthn API answers through a virtual
authenticator (Chrome DevTools Protocol `WebAuthn.addVirtualAuthenticator`: CTAP2, built
in, resident keys, user verification). Sign in with a password, StartWebAuthnRegistration,
`navigator.credentials.create`, CompleteWebAuthnRegistration; then USER_AUTH with
PREFERRED_CHALLENGE=WEB_AUTHN, `navigator.credentials.get`, RespondToAuthChallenge."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from playwright.sync_api import sync_playwright

from tests.cognito.helpers import FLOWS, PASSWORD, auth_pool, confirmed_user, idp
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.programs import require_program
from tests.support.server import ServerProcess

# The app: two functions the test calls, each one user action. Every Cognito call is the
# JSON 1.1 request a browser SDK makes; WebAuthn's binary fields travel as base64url.
APP = """<!doctype html>
<html><head><meta charset="utf-8"><title>passkey app</title></head><body>
<script>
async function cognito(endpoint, operation, body) {
  const answer = await fetch(endpoint, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-amz-json-1.1",
      "X-Amz-Target": "AWSCognitoIdentityProviderService." + operation,
    },
    body: JSON.stringify(body),
  });
  const data = await answer.json();
  if (!answer.ok) {
    const type = (data.__type || answer.headers.get("x-amzn-errortype") || "").split("#").pop();
    throw new Error(`${operation}: HTTP ${answer.status} ${type}: ${data.message || data.Message}`);
  }
  return data;
}

const toBytes = (text) =>
  Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
const toText = (buffer) =>
  btoa(String.fromCharCode(...new Uint8Array(buffer)))
    .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
const descriptors = (list) => (list || []).map((entry) => ({ ...entry, id: toBytes(entry.id) }));

async function registerPasskey(endpoint, clientId, username, password) {
  const signedIn = await cognito(endpoint, "InitiateAuth", {
    ClientId: clientId,
    AuthFlow: "USER_PASSWORD_AUTH",
    AuthParameters: { USERNAME: username, PASSWORD: password },
  });
  const accessToken = signedIn.AuthenticationResult.AccessToken;
  const started = await cognito(endpoint, "StartWebAuthnRegistration", {
    AccessToken: accessToken,
  });
  const options = started.CredentialCreationOptions;
  const credential = await navigator.credentials.create({
    publicKey: {
      ...options,
      challenge: toBytes(options.challenge),
      user: { ...options.user, id: toBytes(options.user.id) },
      excludeCredentials: descriptors(options.excludeCredentials),
    },
  });
  // RegistrationResponseJSON (WebAuthn Level 3), which CompleteWebAuthnRegistration takes.
  const registration = {
    id: credential.id,
    rawId: toText(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment,
    clientExtensionResults: credential.getClientExtensionResults(),
    response: {
      clientDataJSON: toText(credential.response.clientDataJSON),
      attestationObject: toText(credential.response.attestationObject),
      transports: credential.response.getTransports(),
    },
  };
  const completed = await cognito(endpoint, "CompleteWebAuthnRegistration", {
    AccessToken: accessToken,
    Credential: registration,
  });
  const secure = window.isSecureContext;
  return { secure, accessToken, options, credentialId: credential.id, completed };
}

async function signInWithPasskey(endpoint, clientId, username) {
  const started = await cognito(endpoint, "InitiateAuth", {
    ClientId: clientId,
    AuthFlow: "USER_AUTH",
    AuthParameters: { USERNAME: username, PREFERRED_CHALLENGE: "WEB_AUTHN" },
  });
  const options = JSON.parse(started.ChallengeParameters.CREDENTIAL_REQUEST_OPTIONS);
  const assertion = await navigator.credentials.get({
    publicKey: {
      ...options,
      challenge: toBytes(options.challenge),
      allowCredentials: descriptors(options.allowCredentials),
    },
  });
  // AuthenticationResponseJSON, the WEB_AUTHN challenge's CREDENTIAL.
  const authentication = {
    id: assertion.id,
    rawId: toText(assertion.rawId),
    type: assertion.type,
    authenticatorAttachment: assertion.authenticatorAttachment,
    clientExtensionResults: assertion.getClientExtensionResults(),
    response: {
      clientDataJSON: toText(assertion.response.clientDataJSON),
      authenticatorData: toText(assertion.response.authenticatorData),
      signature: toText(assertion.response.signature),
      userHandle: assertion.response.userHandle && toText(assertion.response.userHandle),
    },
  };
  const done = await cognito(endpoint, "RespondToAuthChallenge", {
    ClientId: clientId,
    ChallengeName: "WEB_AUTHN",
    Session: started.Session,
    ChallengeResponses: { USERNAME: username, CREDENTIAL: JSON.stringify(authentication) },
  });
  return { challenge: started.ChallengeName, options, credentialId: assertion.id, done };
}
</script></body></html>
"""


class _AppHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = APP.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def app_origin() -> Iterator[str]:
    """The page's origin: http://localhost, a secure context without certificates."""
    require_program("chromium", CHROMIUM)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _AppHandler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://localhost:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


# The virtual authenticator: a platform one (as a phone or a laptop with a fingerprint
# reader has), holding discoverable credentials, that verifies the user at once.
AUTHENTICATOR = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
    "automaticPresenceSimulation": True,
}


def use_the_app(origin: str, endpoint: str, client_id: str) -> dict[str, Any]:
    """Register alice's passkey in the app, then sign in with it; what the page and the
    authenticator saw at each step."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context()
            context.set_default_timeout(15_000)
            page = context.new_page()
            page.goto(origin)
            devtools = context.new_cdp_session(page)
            devtools.send("WebAuthn.enable")
            added = devtools.send("WebAuthn.addVirtualAuthenticator", {"options": AUTHENTICATOR})
            held = {"authenticatorId": added["authenticatorId"]}
            registered = page.evaluate(
                "([endpoint, clientId, username, password]) =>"
                " registerPasskey(endpoint, clientId, username, password)",
                [endpoint, client_id, "alice", PASSWORD],
            )
            after_registration = devtools.send("WebAuthn.getCredentials", held)["credentials"]
            signed_in = page.evaluate(
                "([endpoint, clientId, username]) =>"
                " signInWithPasskey(endpoint, clientId, username)",
                [endpoint, client_id, "alice"],
            )
            after_sign_in = devtools.send("WebAuthn.getCredentials", held)["credentials"]
        finally:
            browser.close()
    return {
        "registered": registered,
        "heldAfterRegistration": after_registration,
        "signedIn": signed_in,
        "heldAfterSignIn": after_sign_in,
    }


def in_own_thread(origin: str, endpoint: str, client_id: str) -> dict[str, Any]:
    """Drive the browser from a thread of its own: Playwright's sync API runs one per
    thread, and the console's browser tests may hold this one's for the session."""
    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(use_the_app, origin, endpoint, client_id).result()


def passkey_pool(server: ServerProcess) -> tuple[str, str]:
    """A pool whose users may sign in with a passkey of relying party `localhost` (the page's
    host), a client with USER_AUTH besides the password flows, and alice."""
    pool_id, client_id = auth_pool(
        server, Policies={"SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD", "WEB_AUTHN"]}}
    )
    cognito = idp(server)
    cognito.update_user_pool_client(
        UserPoolId=pool_id, ClientId=client_id, ExplicitAuthFlows=[*FLOWS, "ALLOW_USER_AUTH"]
    )
    cognito.set_user_pool_mfa_config(
        UserPoolId=pool_id,
        MfaConfiguration="OFF",
        WebAuthnConfiguration={"RelyingPartyId": "localhost", "UserVerification": "required"},
    )
    confirmed_user(server, pool_id, "alice")
    return pool_id, client_id


def test_passkey_registered_and_used_from_headless_chromium(
    live: ServerProcess, app_origin: str
) -> None:
    _, client_id = passkey_pool(live)
    report = in_own_thread(app_origin, live.url, client_id)

    registered = report["registered"]
    assert registered["secure"] is True
    options = registered["options"]
    assert options["rp"] == {"id": "localhost", "name": "localhost"}
    assert options["user"]["name"] == "alice"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert registered["completed"] == {}
    # The authenticator holds a discoverable passkey for localhost ...
    [held] = report["heldAfterRegistration"]
    assert held["rpId"] == "localhost"
    assert held["isResidentCredential"] is True

    signed_in = report["signedIn"]
    assert signed_in["challenge"] == "WEB_AUTHN"
    request = signed_in["options"]
    assert request["rpId"] == "localhost"
    assert request["userVerification"] == "required"
    assert [entry["id"] for entry in request["allowCredentials"]] == [registered["credentialId"]]
    assert signed_in["credentialId"] == registered["credentialId"]
    tokens = signed_in["done"]["AuthenticationResult"]
    assert tokens["TokenType"] == "Bearer"
    cognito = idp(live)
    assert cognito.get_user(AccessToken=tokens["AccessToken"])["Username"] == "alice"
    # The assertion was counted: the authenticator's signature counter moved on.
    [used] = report["heldAfterSignIn"]
    assert used["signCount"] > held["signCount"]
    # The user pool lists the passkey it verified.
    [credential] = cognito.list_web_authn_credentials(AccessToken=tokens["AccessToken"])[
        "Credentials"
    ]
    assert credential["CredentialId"] == registered["credentialId"]
    assert credential["RelyingPartyId"] == "localhost"
    assert credential["AuthenticatorAttachment"] == "platform"
    assert credential["AuthenticatorTransports"] == ["internal"]
