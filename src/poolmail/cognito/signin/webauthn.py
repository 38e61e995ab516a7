"""WebAuthn mechanics of passkeys: the pool's relying party, the origins it accepts, the
options a browser gets, and the checks of what it sends back, through the `webauthn`
library, with each failure named as Cognito's errors name it.

Relying party ID: `WebAuthnConfiguration.RelyingPartyId`, else the pool's custom domain,
else its prefix domain [doc DG authentication-flow-methods, "Passkey sign-in"; model
WebAuthnConfigurationMissingException: "doesn't have a configured relying party id or a
user pool domain"].
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from poolmail.cognito.pools.domains import pool_domain
from poolmail.cognito.pools.user_pools import StoredPool
from poolmail.protocol.errors import AwsError
from poolmail.store import Transaction

# ES256 and RS256 as COSE identifiers, in this order [cli-ex
# start-web-authn-registration.rst; doc DG].
ALGORITHMS = (-7, -257)
# The ceremony timeouts AWS sends: 60 s to register [cli-ex], 180 s to sign in (the
# CREDENTIAL_REQUEST_OPTIONS of aws-amplify/amplify-js's test data, in Cognito's shape).
REGISTRATION_TIMEOUT_MS = 60000
SIGN_IN_TIMEOUT_MS = 180000
# Choice, not found: how long a StartWebAuthnRegistration challenge stays good. Five
# minutes covers a user slow at the browser prompt while keeping challenges short-lived.
REGISTRATION_LIFETIME = 300
# "up to 20 passkeys per user" (amazon-cognito-user-pools-authentication-flow-methods.html).
MAX_PASSKEYS = 20

# Not found: AWS's texts for these errors; each says what failed.
CONFIGURATION_MISSING = (
    "The user pool has no WebAuthn relying party ID: set WebAuthnConfiguration "
    "RelyingPartyId with SetUserPoolMfaConfig or add a user pool domain."
)
ORIGIN_NOT_ALLOWED = "The passkey origin {origin} is not allowed for relying party {rp_id}."
RP_MISMATCH = "The passkey credential is for a different relying party than {rp_id}."
CHALLENGE_NOT_FOUND = "The WebAuthn registration challenge was not found or has expired."
NOT_SUPPORTED = "The passkey credential is not supported: {reason}"
MALFORMED = "The passkey credential is malformed: {reason}"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def from_b64url(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, binascii.Error) as exc:
        raise AwsError("InvalidParameterException", MALFORMED.format(reason=exc)) from None


def new_challenge() -> str:
    # 16 random bytes, the size of the challenges in AWS's examples.
    return b64url(secrets.token_bytes(16))


def relying_party_id(tx: Transaction, pool: StoredPool) -> str:
    """The pool's relying party ID, or WebAuthnConfigurationMissingException."""
    configured = (pool.settings.get("WebAuthnConfiguration") or {}).get("RelyingPartyId")
    rp_id = configured or pool_domain(tx, pool.id)
    if not rp_id:
        raise AwsError("WebAuthnConfigurationMissingException", CONFIGURATION_MISSING)
    return str(rp_id)


def user_verification(pool: StoredPool) -> str:
    # `preferred` unless the pool says `required` [model UserVerificationType; doc DG].
    config = pool.settings.get("WebAuthnConfiguration") or {}
    return str(config.get("UserVerification") or "preferred")


def origin_allowed(origin: str, rp_id: str) -> bool:
    """Whether a ceremony at ``origin`` may serve ``rp_id``: the origin's host is the RP ID
    or one of its subdomains (the WebAuthn rule browsers enforce, "registrable domain
    suffix"), over https, or over http on `localhost` and `*.localhost`, which browsers
    treat as secure contexts. AWS documents only that the origin must "align with the user
    pool relying party id" [model WebAuthnOriginNotAllowedException]; Amplify's backend
    sets RelyingPartyId `localhost` for local sandboxes (aws-amplify/amplify-backend
    auth-construct), so a local browser on http://localhost:PORT works here as there."""
    try:
        parts = urlsplit(origin)
        host = parts.hostname or ""
    except ValueError:
        return False
    if not host or not (host == rp_id or host.endswith("." + rp_id)):
        return False
    if parts.scheme == "https":
        return True
    return parts.scheme == "http" and (host == "localhost" or host.endswith(".localhost"))


def creation_options(
    rp_id: str, sub: str, username: str, challenge: str, exclude: list[str], verification: str
) -> dict[str, Any]:
    """StartWebAuthnRegistration's CredentialCreationOptions, in AWS's shape and order
    [cli-ex start-web-authn-registration.rst]: the user handle is the user's sub, the
    display name the username; a discoverable credential (resident key) is required."""
    return {
        "authenticatorSelection": {
            "requireResidentKey": True,
            "residentKey": "required",
            "userVerification": verification,
        },
        "challenge": challenge,
        "excludeCredentials": [{"id": entry, "type": "public-key"} for entry in exclude],
        "pubKeyCredParams": [{"alg": alg, "type": "public-key"} for alg in ALGORITHMS],
        "rp": {"id": rp_id, "name": rp_id},
        "timeout": REGISTRATION_TIMEOUT_MS,
        "user": {"displayName": username, "id": b64url(sub.encode()), "name": username},
    }


def request_options(rp_id: str, challenge: str, allow: list[str], verification: str) -> str:
    """The WEB_AUTHN challenge's CREDENTIAL_REQUEST_OPTIONS: a JSON string, in the shape of
    Cognito's as Amplify's tests carry it (hints, attestation, attestationFormats,
    challenge, timeout, rpId, allowCredentials, userVerification)."""
    return json.dumps(
        {
            "hints": [],
            "attestation": "none",
            "attestationFormats": [],
            "challenge": challenge,
            "timeout": SIGN_IN_TIMEOUT_MS,
            "rpId": rp_id,
            "allowCredentials": [{"id": entry, "type": "public-key"} for entry in allow],
            "userVerification": verification,
        },
        separators=(",", ":"),
    )


# ---- what the browser sends back ---------------------------------------------------------


def _client_data(credential: dict[str, Any]) -> dict[str, Any]:
    response = credential.get("response")
    if not isinstance(response, dict) or not isinstance(response.get("clientDataJSON"), str):
        raise AwsError("InvalidParameterException", MALFORMED.format(reason="no clientDataJSON"))
    try:
        data = json.loads(from_b64url(response["clientDataJSON"]))
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise AwsError("InvalidParameterException", MALFORMED.format(reason="clientDataJSON"))
    return data


def _check_origin(client_data: dict[str, Any], rp_id: str) -> None:
    origin = str(client_data.get("origin", ""))
    if not origin_allowed(origin, rp_id):
        raise AwsError(
            "WebAuthnOriginNotAllowedException",
            ORIGIN_NOT_ALLOWED.format(origin=origin, rp_id=rp_id),
        )


@dataclass(slots=True)
class Registered:
    """A verified new passkey."""

    credential_id: str
    public_key: str  # COSE key, base64url
    sign_count: int
    aaguid: str
    transports: list[str]
    attachment: str | None
    user_verified: bool
    backed_up: bool


def verify_registration(
    credential: dict[str, Any], challenge: str, rp_id: str, verification: str
) -> Registered:
    """Check a RegistrationResponseJSON against the challenge StartWebAuthnRegistration gave.

    The checks whose failures Cognito names come first, each with its error; the library's
    full verification follows with the values now known to match."""
    # The webauthn library loads cryptography: imported at first use, so servers that
    # never see a passkey start without it (tests/test_cli.py).
    from webauthn import verify_registration_response
    from webauthn.helpers import decode_credential_public_key, parse_attestation_object
    from webauthn.helpers.cose import COSEAlgorithmIdentifier
    from webauthn.helpers.exceptions import (
        InvalidCBORData,
        InvalidRegistrationResponse,
        WebAuthnException,
    )

    if credential.get("type") != "public-key" or credential.get("id") != credential.get("rawId"):
        reason = "type must be public-key, id and rawId the same"
        raise AwsError("InvalidParameterException", MALFORMED.format(reason=reason))
    client_data = _client_data(credential)
    if client_data.get("type") != "webauthn.create":
        raise AwsError("InvalidParameterException", MALFORMED.format(reason="not a registration"))
    if client_data.get("challenge") != challenge:
        raise AwsError("WebAuthnChallengeNotFoundException", CHALLENGE_NOT_FOUND)
    _check_origin(client_data, rp_id)
    try:
        attestation = parse_attestation_object(
            from_b64url(str(credential["response"].get("attestationObject", "")))
        )
    except (InvalidCBORData, WebAuthnException, ValueError, KeyError, TypeError):
        raise AwsError(
            "InvalidParameterException", MALFORMED.format(reason="attestationObject")
        ) from None
    auth_data = attestation.auth_data
    if auth_data.rp_id_hash != hashlib.sha256(rp_id.encode()).digest():
        raise AwsError("WebAuthnRelyingPartyMismatchException", RP_MISMATCH.format(rp_id=rp_id))
    attested = auth_data.attested_credential_data
    if attested is None:
        raise AwsError("InvalidParameterException", MALFORMED.format(reason="no credential data"))
    try:
        algorithm = decode_credential_public_key(attested.credential_public_key).alg
    except (WebAuthnException, ValueError, KeyError, TypeError):
        algorithm = None
    if algorithm not in ALGORITHMS:
        reason = f"public key algorithm {algorithm} (ES256 and RS256 are)"
        raise AwsError(
            "WebAuthnCredentialNotSupportedException", NOT_SUPPORTED.format(reason=reason)
        )
    if verification == "required" and not auth_data.flags.uv:
        reason = "the user pool requires user verification"
        raise AwsError(
            "WebAuthnCredentialNotSupportedException", NOT_SUPPORTED.format(reason=reason)
        )
    origin = str(client_data["origin"])
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=from_b64url(challenge),
            expected_rp_id=rp_id,
            expected_origin=origin,
            require_user_verification=verification == "required",
            supported_pub_key_algs=[COSEAlgorithmIdentifier(alg) for alg in ALGORITHMS],
        )
    except (InvalidRegistrationResponse, WebAuthnException) as exc:
        raise AwsError(
            "WebAuthnCredentialNotSupportedException", NOT_SUPPORTED.format(reason=exc)
        ) from None
    response = credential["response"]
    transports = response.get("transports")
    attachment = credential.get("authenticatorAttachment")
    return Registered(
        credential_id=b64url(verified.credential_id),
        public_key=b64url(verified.credential_public_key),
        sign_count=verified.sign_count,
        aaguid=verified.aaguid,
        transports=[str(entry) for entry in transports] if isinstance(transports, list) else [],
        attachment=str(attachment) if isinstance(attachment, str) else None,
        user_verified=verified.user_verified,
        backed_up=verified.credential_backed_up,
    )


class AssertionRefused(Exception):
    """A sign-in's passkey assertion failed: why, for the error the challenge answers."""


def credential_id_of(credential: dict[str, Any]) -> str:
    value = credential.get("id") or credential.get("rawId")
    if not isinstance(value, str) or not value:
        raise AssertionRefused("the credential has no id")
    return value


def verify_assertion(
    credential: dict[str, Any],
    challenge: str,
    rp_id: str,
    public_key: str,
    sign_count: int,
    verification: str,
) -> tuple[int, bool]:
    """Check an AuthenticationResponseJSON for the WEB_AUTHN challenge; the authenticator's
    new sign count and whether it verified the user. AssertionRefused on any failure
    (RespondToAuthChallenge models no WebAuthn errors, so the caller answers
    NotAuthorizedException)."""
    from webauthn import verify_authentication_response
    from webauthn.helpers.exceptions import InvalidAuthenticationResponse, WebAuthnException

    try:
        client_data = _client_data(credential)
    except AwsError as exc:
        raise AssertionRefused(exc.message) from None
    origin = str(client_data.get("origin", ""))
    if not origin_allowed(origin, rp_id):
        raise AssertionRefused(ORIGIN_NOT_ALLOWED.format(origin=origin, rp_id=rp_id))
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=from_b64url(challenge),
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=from_b64url(public_key),
            credential_current_sign_count=sign_count,
            require_user_verification=verification == "required",
        )
    except (InvalidAuthenticationResponse, WebAuthnException, AwsError, ValueError) as exc:
        raise AssertionRefused(str(exc)) from None
    return verified.new_sign_count, verified.user_verified
