"""GetSigningCertificate: the X.509 certificate (and its private key) with which a pool
signs SAML 2.0 requests to its identity providers.

"Issued certificates are valid for 10 years from the date of issue. Amazon Cognito issues
and assigns a new signing certificate annually. This renewal process returns a new value
in the response to GetSigningCertificate, but doesn't invalidate the original
certificate." [model GetSigningCertificate] A pool's certificates are issued at its first
request, kept in the pool's ``data`` (``saml_signing_certificates``, newest last, each with
its key), and renewed at the first request a year or more after the latest was issued.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from poolmail.cognito.pools.user_pools import load_pool, save_pool
from poolmail.context import RequestContext
from poolmail.operations import Handler

CERTIFICATES = "saml_signing_certificates"
_VALIDITY = dt.timedelta(days=3650)
_RENEWAL = dt.timedelta(days=365)


def _issue(pool_id: str, region: str, now: dt.datetime) -> dict[str, Any]:
    """A new RSA-2048 key and its self-signed certificate, valid ten years from ``now``.

    Not found: the subject AWS's certificates name; Choice: the pool's issuer host and ID,
    what its SAML requests are sent on behalf of."""
    # cryptography is a fair share of start-up (tests/test_cli.py LAZY_IMPORTS): imported
    # only when a certificate is made.
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, f"cognito-idp.{region}.amazonaws.com"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, pool_id),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + _VALIDITY)
        .sign(key, hashes.SHA256())
    )
    der = certificate.public_bytes(serialization.Encoding.DER)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    return {
        # Base64 DER without PEM armour, as a SAML metadata document's X509Certificate
        # holds it. Not found: whether AWS adds the BEGIN/END lines; Choice: none.
        "certificate": base64.b64encode(der).decode("ascii"),
        "private_key": pem,
        "issued": now.timestamp(),
    }


def current(ctx: RequestContext, pool_id: str) -> dict[str, Any]:
    """The pool's latest signing certificate and key, issued or renewed as AWS would."""
    now = ctx.clock.now()
    with ctx.db.transaction(readonly=True) as tx:
        issued: list[dict[str, Any]] = load_pool(tx, ctx, pool_id).settings.get(CERTIFICATES, [])
    if issued and now.timestamp() - float(issued[-1]["issued"]) < _RENEWAL.total_seconds():
        return issued[-1]
    # Made outside the lock (an RSA key takes tens of milliseconds); the lock then keeps the
    # first of two concurrent issues, so every caller sees one certificate.
    fresh = _issue(pool_id, ctx.region, now)
    with ctx.db.transaction(lock=f"saml-signing:{pool_id}") as tx:
        pool = load_pool(tx, ctx, pool_id)
        stored: list[dict[str, Any]] = pool.settings.get(CERTIFICATES, [])
        if stored and now.timestamp() - float(stored[-1]["issued"]) < _RENEWAL.total_seconds():
            return stored[-1]
        # Renewal keeps the older certificates: they stay valid [model].
        pool.settings[CERTIFICATES] = [*stored, fresh]
        save_pool(tx, pool)
    return fresh


def get_signing_certificate(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    return {"Certificate": current(ctx, params["UserPoolId"])["certificate"]}


OPERATIONS: dict[str, Handler] = {
    "GetSigningCertificate": get_signing_certificate,
}
