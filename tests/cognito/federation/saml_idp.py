"""A SAML 2.0 identity provider for the federation tests: pysaml2's IdP behind a threaded
HTTP server on a free loopback port, with a self-signed certificate made by cryptography.

`GET /sso?SAMLRequest=...` (the HTTP-Redirect binding) checks the AuthnRequest of a trusted
service provider and answers the HTML form a browser posts to the SP's ACS URL, with a
response whose assertion is signed (and encrypted, if asked). The user is the one the test
chose last (`next_user`). `GET /slo?SAMLRequest=...` answers a signed LogoutRequest with the
form that posts a LogoutResponse to the SP's /saml2/logout. `unsolicited` makes the form
fields of an IdP-initiated sign-in.
"""

from __future__ import annotations

import base64
import datetime as dt
import tempfile
import threading
import warnings
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

with warnings.catch_warnings():
    # pysaml2 names a cipher mode cryptography has moved (a deprecation); unused here.
    warnings.filterwarnings("ignore", message=".*cryptography.hazmat.decrepit")
    from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
    from saml2.config import IdPConfig
    from saml2.metadata import entity_descriptor
    from saml2.saml import NAMEID_FORMAT_PERSISTENT, NameID
    from saml2.server import Server

SP_METADATA = """<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"
    xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="{entity_id}">
  <md:SPSSODescriptor AuthnRequestsSigned="{signed}"
      protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    {key}
    <md:SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
        Location="{slo_url}"/>
    <md:AssertionConsumerService index="0" isDefault="true"
        Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{acs_url}"/>
  </md:SPSSODescriptor>
</md:EntityDescriptor>
"""
SP_KEY = """<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data>
      <ds:X509Certificate>{certificate}</ds:X509Certificate>
    </ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"""


def self_signed(directory: Path, name: str) -> tuple[Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=2))
        .sign(key, hashes.SHA256())
    )
    key_file, cert_file = directory / "idp-key.pem", directory / "idp-cert.pem"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return key_file, cert_file


@dataclass
class SamlIdp:
    """Start with `start()`; `metadata` is what CreateIdentityProvider takes as MetadataFile."""

    url: str = ""
    metadata: str = ""
    user: dict[str, Any] = field(default_factory=dict)
    # What the last AuthnRequest looked like (signed or not), for the tests to check.
    last_request: dict[str, Any] = field(default_factory=dict)
    last_logout: dict[str, Any] = field(default_factory=dict)
    _slo_url: str = ""
    _directory: tempfile.TemporaryDirectory[str] | None = None
    _server: ThreadingHTTPServer | None = None
    _sps: list[str] = field(default_factory=list)
    _idp: Server | None = None

    def start(self) -> SamlIdp:
        self._directory = tempfile.TemporaryDirectory(prefix="poolmail-saml-idp-")
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._keys = self_signed(Path(self._directory.name), "poolmail test IdP")
        self._build()
        self.metadata = str(entity_descriptor(self._config()))
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._directory is not None:
            self._directory.cleanup()

    def trust(self, entity_id: str, acs_url: str, certificate: str | None = None) -> None:
        """Accept AuthnRequests of this SP (its requests signed with ``certificate``)."""
        key = SP_KEY.format(certificate=certificate) if certificate else ""
        signed = "true" if certificate else "false"
        slo_url = acs_url.replace("/saml2/idpresponse", "/saml2/logout")
        self._sps = [
            SP_METADATA.format(
                entity_id=entity_id, acs_url=acs_url, slo_url=slo_url, key=key, signed=signed
            )
        ]
        self._slo_url = slo_url
        self._build()

    def next_user(self, name_id: str, *, encrypt_to: str | None = None, **attributes: str) -> None:
        """The next sign-in's user; with ``encrypt_to`` (a base64 DER certificate) the
        assertion is encrypted to it."""
        self.user = {"name_id": name_id, "attributes": attributes, "encrypt_to": encrypt_to}

    def _encryption(self) -> dict[str, Any]:
        certificate = self.user.get("encrypt_to")
        if not certificate:
            return {}
        lines = [certificate[i : i + 64] for i in range(0, len(certificate), 64)]
        pem = "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"
        return {"encrypt_assertion": True, "encrypt_cert_assertion": pem}

    def _config(self) -> IdPConfig:
        key_file, cert_file = self._keys
        config = IdPConfig()
        config.load(
            {
                "entityid": f"{self.url}/metadata",
                "key_file": str(key_file),
                "cert_file": str(cert_file),
                "metadata": {"inline": self._sps},
                "service": {
                    "idp": {
                        "endpoints": {
                            "single_sign_on_service": [(f"{self.url}/sso", BINDING_HTTP_REDIRECT)],
                            "single_logout_service": [(f"{self.url}/slo", BINDING_HTTP_REDIRECT)],
                        },
                        "policy": {"default": {"lifetime": {"minutes": 5}}},
                        "name_id_format": [NAMEID_FORMAT_PERSISTENT],
                    }
                },
            }
        )
        return config

    def _build(self) -> None:
        self._idp = Server(config=self._config())

    def unsolicited(self, entity_id: str, acs_url: str, relay_state: str) -> dict[str, str]:
        """The form fields an IdP-initiated sign-in posts to the SP's ACS URL."""
        assert self._idp is not None
        response = self._idp.create_authn_response(
            identity={name: [value] for name, value in self.user["attributes"].items()},
            userid=self.user["name_id"],
            name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=self.user["name_id"]),
            authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"},
            in_response_to=None,
            destination=acs_url,
            sp_entity_id=entity_id,
            sign_assertion=True,
            sign_response=False,
        )
        encoded = base64.b64encode(str(response).encode()).decode()
        return {"SAMLResponse": encoded, "RelayState": relay_state}

    def sign_out(self, query: dict[str, str]) -> str:
        """The auto-posting form of a LogoutResponse to a redirect-binding LogoutRequest
        (whose signature is checked against the SP's certificate)."""
        assert self._idp is not None
        parsed = self._idp.parse_logout_request(
            query["SAMLRequest"],
            BINDING_HTTP_REDIRECT,
            relay_state=query.get("RelayState"),
            sigalg=query.get("SigAlg"),
            signature=query.get("Signature"),
        )
        self.last_logout = {"name_id": parsed.message.name_id.text, "signed": "Signature" in query}
        response = self._idp.create_logout_response(parsed.message, [BINDING_HTTP_POST])
        http = self._idp.apply_binding(
            BINDING_HTTP_POST,
            str(response),
            self._slo_url,
            query.get("RelayState", ""),
            response=True,
        )
        return str(http["data"])

    def logout_request(self, entity_id: str, name_id: str, *, sign: bool = True) -> dict[str, str]:
        """The form fields of a LogoutRequest the IdP itself posts to the SP's /saml2/logout."""
        assert self._idp is not None
        _, request = self._idp.create_logout_request(
            self._slo_url, entity_id, name_id=NameID(text=name_id), sign=sign
        )
        encoded = base64.b64encode(str(request).encode()).decode()
        return {"SAMLRequest": encoded, "RelayState": "idp-state"}

    def answer(self, query: dict[str, str]) -> str:
        """The auto-posting HTML form for a redirect-binding AuthnRequest."""
        assert self._idp is not None
        parsed = self._idp.parse_authn_request(query["SAMLRequest"], BINDING_HTTP_REDIRECT)
        request = parsed.message
        self.last_request = {"id": request.id, "signed": "Signature" in query}
        args = self._idp.response_args(request, [BINDING_HTTP_POST])
        response = self._idp.create_authn_response(
            identity={name: [value] for name, value in self.user["attributes"].items()},
            userid=self.user["name_id"],
            name_id=NameID(format=NAMEID_FORMAT_PERSISTENT, text=self.user["name_id"]),
            authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"},
            sign_assertion=True,
            sign_response=False,
            **self._encryption(),
            **args,
        )
        http = self._idp.apply_binding(
            BINDING_HTTP_POST,
            str(response),
            args["destination"],
            query.get("RelayState", ""),
            response=True,
        )
        return str(http["data"])


def _handler(idp: SamlIdp) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {key: values[0] for key, values in parse_qs(parts.query).items()}
            answer = idp.sign_out if parts.path == "/slo" else idp.answer
            try:
                body, status = answer(query).encode(), 200
            except Exception as error:  # the test reads the IdP's refusal
                body, status = f"refused: {error!r}".encode(), 400
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler
