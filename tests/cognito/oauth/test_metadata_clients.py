"""Client ID metadata document (CIMD) clients at managed login, black-box: an https URL as
client_id, matching a CIMD policy, is fetched from a local HTTPS server (a certificate made
here, trusted by poolmail through SSL_CERT_FILE), cached (ListClientMetadataURLs), and
signs in with the code flow and PKCE as the policy's app client; a URL no policy matches, a
document that is not acceptable and an invalidated URL whose document went away are refused.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.cognito.oauth.helpers import (
    CALLBACK,
    App,
    callback_query,
    log_in,
    make_app,
    pkce,
    verified,
)
from tests.conftest import BACKENDS
from tests.support.server import ServerProcess, serving


class Documents:
    """A local HTTPS server of metadata documents: path -> (status, body); it counts the
    requests each path received."""

    def __init__(self, directory: Path) -> None:
        self.served: dict[str, tuple[int, bytes]] = {}
        self.hits: dict[str, int] = {}
        self.cert_file = directory / "cert.pem"
        key_file = directory / "key.pem"
        _self_signed(self.cert_file, key_file)
        documents = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                documents.hits[self.path] = documents.hits.get(self.path, 0) + 1
                status, body = documents.served.get(self.path, (404, b"{}"))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        # Closing waits for no handler thread (a connection poolmail keeps open).
        self.httpd.daemon_threads = True
        self.httpd.block_on_close = False
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_file, key_file)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.base = f"https://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def serve(self, path: str, document: Any, status: int = 200) -> str:
        self.served[path] = (status, json.dumps(document).encode())
        return self.base + path

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _self_signed(cert_file: Path, key_file: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Documents]:
    running = Documents(tmp_path_factory.mktemp("cimd"))
    yield running
    running.close()


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, documents: Documents, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """A server trusting the documents' certificate, on SQLite and on PostgreSQL."""
    env = {"SSL_CERT_FILE": str(documents.cert_file)}
    data_dir = str(tmp_path_factory.mktemp("cimd-data"))
    with serving(request.param, [], env=env, data_dir=data_dir) as running:
        yield running


@pytest.fixture
def app(server: ServerProcess, documents: Documents) -> Iterator[App]:
    """An app whose web client a CIMD policy maps the URLs under /POOL_ID/ to."""
    made = make_app(server)
    server.client("cognito-idp").create_cimd_policy(
        UserPoolId=made.pool_id,
        ClientId=made.web_id,
        PolicyName="partners",
        URLPatterns=[f"{documents.base}/{made.pool_id}/*"],
    )
    yield made
    made.browser.close()


def cached_urls(app: App) -> list[Any]:
    idp = app.server.client("cognito-idp")
    (policy,) = idp.list_cimd_policies(UserPoolId=app.pool_id)["CIMDPolicies"]
    listed = idp.list_client_metadata_urls(
        UserPoolId=app.pool_id, CIMDPolicyId=policy["CIMDPolicyId"]
    )["ClientMetadataURLs"]
    urls: list[Any] = listed
    return urls


def metadata(url: str, **extra: Any) -> dict[str, Any]:
    return {
        "client_id": url,
        "client_name": "Partner",
        "redirect_uris": [CALLBACK],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
        **extra,
    }


def serve(documents: Documents, app: App, name: str, **extra: Any) -> str:
    path = f"/{app.pool_id}/{name}.json"
    url = documents.base + path
    return documents.serve(path, metadata(url, **extra))


def authorize(app: App, client_id: str, **extra: str) -> httpx.Response:
    query = {
        "client_id": client_id,
        "response_type": "code",
        "redirect_uri": CALLBACK,
        "state": "st-9",
        **extra,
    }
    return app.browser.get(f"{app.base}/oauth2/authorize", params=query)


def error_page(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert "/error?" in location, location
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def test_a_metadata_url_client_signs_in_with_the_code_flow_and_pkce(
    app: App, documents: Documents, server: ServerProcess
) -> None:
    url = serve(documents, app, "partner", scope="openid email")
    verifier, challenge = pkce()
    done = log_in(app, authorize(app, url, code_challenge=challenge, code_challenge_method="S256"))
    code = callback_query(done)["code"]
    # The document was fetched once, and is cached for the policy's duration.
    assert documents.hits[urlsplit(url).path] == 1
    listed: list[Any] = cached_urls(app)
    assert [entry["URL"] for entry in listed] == [url]
    cached = listed[0]
    assert (cached["ExpirationDate"] - cached["CachedDate"]).total_seconds() == 86400

    # A public client: no secret; the code is redeemed with the URL and the verifier.
    def redeem(client_id: str, code_verifier: str) -> httpx.Response:
        return app.token(
            grant_type="authorization_code",
            code=code,
            redirect_uri=CALLBACK,
            client_id=client_id,
            code_verifier=code_verifier,
        )

    wrong = redeem(url, "x" * 43)
    assert (wrong.status_code, wrong.json()) == (400, {"error": "invalid_grant"})
    as_app_client = redeem(app.web_id, verifier)
    assert (as_app_client.status_code, as_app_client.json()) == (400, {"error": "invalid_grant"})
    answer = redeem(url, verifier)
    assert answer.status_code == 200, answer.text
    tokens = answer.json()
    claims = verified(app, tokens["access_token"])
    # The document's scope narrows the app client's.
    assert claims["scope"].split() == ["openid", "email"]
    assert claims["client_id"] == app.web_id
    assert verified(app, tokens["id_token"], audience=app.web_id)["cognito:username"] == "jane"
    # The document lists refresh_token: the refresh grant works for the URL client.
    refreshed = app.token(
        client_id=url, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    assert refreshed.status_code == 200, refreshed.text
    assert documents.hits[urlsplit(url).path] == 1  # the token endpoint used the cache


def test_urls_no_policy_matches_and_unusable_documents_are_refused(
    app: App, documents: Documents
) -> None:
    stranger = documents.serve("/elsewhere/client.json", {})
    assert error_page(authorize(app, stranger)) == {
        "error": "invalid_request",
        "client_id": stranger,
    }
    # The document's client_id must be its URL, its redirect_uris must list the callback,
    # and it must be a public client.
    other = serve(documents, app, "copied")
    documents.serve(f"/{app.pool_id}/copied.json", metadata(stranger))
    assert error_page(authorize(app, other))["error"] == "invalid_request"
    elsewhere = serve(documents, app, "elsewhere", redirect_uris=["https://evil.example/cb"])
    assert error_page(authorize(app, elsewhere))["error"] == "redirect_mismatch"
    secret = serve(documents, app, "secret", token_endpoint_auth_method="client_secret_basic")
    assert error_page(authorize(app, secret))["error"] == "invalid_request"
    missing = f"{documents.base}/{app.pool_id}/missing.json"
    assert error_page(authorize(app, missing))["error"] == "invalid_request"
    # A grant the document does not list is refused to the redirect URI.
    implicit = serve(documents, app, "implicit", response_types=["token"])
    refused = authorize(app, implicit)
    assert callback_query(refused)["error"] == "unauthorized_client"
    # Nothing refused was cached.
    assert [entry["URL"] for entry in cached_urls(app)] == [elsewhere, implicit]


def test_an_invalidated_url_is_fetched_again_and_refused_once_its_document_is_gone(
    app: App, documents: Documents, server: ServerProcess
) -> None:
    url = serve(documents, app, "leaving")
    path = urlsplit(url).path
    assert authorize(app, url).status_code == 302
    assert "/login?" in authorize(app, url).headers["location"]
    assert documents.hits[path] == 1
    idp = server.client("cognito-idp")
    (policy,) = idp.list_cimd_policies(UserPoolId=app.pool_id)["CIMDPolicies"]
    state = {"UserPoolId": app.pool_id, "CIMDPolicyId": policy["CIMDPolicyId"], "URL": url}
    # REFRESH retrieves the document again.
    idp.update_client_metadata_url_state(**state, Action="REFRESH")
    assert documents.hits[path] == 2
    documents.served[path] = (404, b"{}")
    with pytest.raises(idp.exceptions.InvalidParameterException) as refused:
        idp.update_client_metadata_url_state(**state, Action="REFRESH")
    assert refused.value.response["Error"]["Message"] == (
        "The client metadata document URL answered HTTP 404."
    )
    # Still cached: the client goes on signing in until the cache is invalidated.
    assert "/login?" in authorize(app, url).headers["location"]
    idp.update_client_metadata_url_state(**state, Action="INVALIDATE")
    assert error_page(authorize(app, url))["error"] == "invalid_request"
    assert documents.hits[path] == 4
