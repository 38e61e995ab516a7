"""SigV4 checking for `--verify-signatures`: recompute the signature a client sent, with
the secret configured for its access key, over exactly the headers it signed.

botocore's own signer computes the canonical request, so poolmail and the SDKs agree on
every detail of it; only the choice of headers is the client's.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, HTTPHeaders

from poolmail.protocol.errors import AwsError

if TYPE_CHECKING:
    from botocore.credentials import Credentials

ALLOWED_SKEW = dt.timedelta(minutes=5)
_AUTHORIZATION = re.compile(
    r"AWS4-HMAC-SHA256\s+Credential=(?P<credential>[^,\s]+)\s*,\s*"
    r"SignedHeaders=(?P<signed>[^,\s]+)\s*,\s*Signature=(?P<signature>[0-9a-f]+)"
)
INVALID_TOKEN = "The security token included in the request is invalid."
MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check "
    "your AWS Secret Access Key and signing method. Consult the service documentation for "
    "details."
)

# The codes each protocol answers with (JSON services vs the query protocol).
_CODES = {
    "json": {
        "unknown-key": ("UnrecognizedClientException", 400),
        "mismatch": ("InvalidSignatureException", 400),
        "missing": ("MissingAuthenticationTokenException", 400),
    },
    "query": {
        "unknown-key": ("InvalidClientTokenId", 403),
        "mismatch": ("SignatureDoesNotMatch", 403),
        "missing": ("MissingAuthenticationToken", 403),
    },
    "rest-json": {
        "unknown-key": ("UnrecognizedClientException", 403),
        "mismatch": ("InvalidSignatureException", 403),
        "missing": ("MissingAuthenticationTokenException", 403),
    },
}


def _error(protocol: str, kind: str, message: str) -> AwsError:
    code, status = _CODES[protocol][kind]
    return AwsError(code, message, status=status)


class _SignedHeadersOnly(SigV4Auth):  # type: ignore[misc]
    """botocore's SigV4 with the header list the client chose."""

    def __init__(self, credentials: Credentials, service: str, region: str, signed: list[str]):
        super().__init__(credentials, service, region)
        self._signed = signed

    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
        headers = HTTPHeaders()
        for name in self._signed:
            value = request.headers.get(name)
            if value is not None:
                headers[name] = value
        return headers


@dataclass(frozen=True, slots=True)
class SignedRequest:
    method: str
    url: str  # scheme://host/raw-path?query, as the client addressed it
    headers: Mapping[str, str]
    body: bytes


def verify(
    request: SignedRequest,
    credentials: Mapping[str, str],
    protocol: str,
    now: dt.datetime,
) -> None:
    """Raise the protocol's AWS error unless the request is signed with a known key."""
    found = _AUTHORIZATION.search(request.headers.get("authorization", ""))
    if found is None:
        raise _error(protocol, "missing", "Missing Authentication Token")
    scope = found.group("credential").split("/")
    if len(scope) != 5 or scope[4] != "aws4_request":
        raise _error(protocol, "mismatch", MISMATCH)
    access_key, _, region, service, _ = scope
    secret = credentials.get(access_key)
    if secret is None:
        raise _error(protocol, "unknown-key", INVALID_TOKEN)
    amz_date = request.headers.get("x-amz-date", "")
    try:
        signed_at = dt.datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    except ValueError:
        raise _error(protocol, "mismatch", MISMATCH) from None
    if abs(now - signed_at) > ALLOWED_SKEW:
        earliest = (now - ALLOWED_SKEW).strftime("%Y%m%dT%H%M%SZ")
        raise _error(
            protocol,
            "mismatch",
            f"Signature expired: {amz_date} is now earlier than {earliest} "
            f"({now.strftime('%Y%m%dT%H%M%SZ')} - 5 min.)",
        )
    # Imported at the first signed request checked: botocore.credentials brings botocore's
    # endpoint, configuration and parser modules, which only this needs.
    from botocore.credentials import Credentials

    signed = found.group("signed").split(";")
    aws_request = AWSRequest(
        method=request.method, url=request.url, headers=dict(request.headers), data=request.body
    )
    aws_request.context["timestamp"] = amz_date
    signer = _SignedHeadersOnly(Credentials(access_key, secret), service, region, signed)
    canonical = signer.canonical_request(aws_request)
    expected = signer.signature(signer.string_to_sign(aws_request, canonical), aws_request)
    if not hmac.compare_digest(expected, found.group("signature")):
        raise _error(protocol, "mismatch", MISMATCH)
