"""GetSigningCertificate: a real X.509 certificate per pool, valid ten years, the same on
every call until its yearly renewal, which leaves the older one in place."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from botocore.exceptions import ClientError
from cryptography import x509

from tests.cognito.helpers import error_of, idp, make_pool
from tests.ses.helpers import advance
from tests.support.server import ServerProcess


def certificate(server: ServerProcess, pool_id: str) -> x509.Certificate:
    text = idp(server).get_signing_certificate(UserPoolId=pool_id)["Certificate"]
    return x509.load_der_x509_certificate(base64.b64decode(text, validate=True))


def test_each_pool_has_its_certificate_valid_ten_years(live: ServerProcess) -> None:
    pool_id = make_pool(live)
    first = certificate(live, pool_id)
    assert certificate(live, pool_id) == first
    lifetime = first.not_valid_after_utc - first.not_valid_before_utc
    assert lifetime == dt.timedelta(days=3650)
    assert abs(first.not_valid_before_utc - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)
    # Self-signed: the certificate's own key verifies its signature.
    first.verify_directly_issued_by(first)
    assert pool_id in first.subject.rfc4514_string()
    assert certificate(live, make_pool(live)) != first


def test_the_certificate_is_renewed_yearly(live: ServerProcess) -> None:
    pool_id = make_pool(live)
    first = certificate(live, pool_id)
    advance(live, 364 * 86400)
    assert certificate(live, pool_id) == first
    advance(live, 2 * 86400)
    renewed = certificate(live, pool_id)
    assert renewed != first
    assert renewed.not_valid_before_utc > first.not_valid_before_utc


def test_an_unknown_pool(live: ServerProcess) -> None:
    with pytest.raises(ClientError) as excinfo:
        idp(live).get_signing_certificate(UserPoolId="us-east-1_nothere1")
    assert error_of(excinfo) == (
        "ResourceNotFoundException",
        "User pool us-east-1_nothere1 does not exist.",
    )
