"""poolmail as the client of an OpenID Connect (or social, OIDC-like) IdP: where its
endpoints are, the authorization URL to send the user to, and the code exchange that yields
the user's verified claims.

Endpoints come from the ProviderDetails (the social types' fixed ones, as Describe shows
them) and, for what those lack, from `<oidc_issuer>/.well-known/openid-configuration`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from poolmail.cognito.federation import provider_details
from poolmail.cognito.federation.identity_providers import Provider

# Discovery documents and key sets change rarely; a short cache spares a request per sign-in
# yet picks up an IdP's key rotation within minutes.
CACHE_SECONDS = 300
TIMEOUT = 10.0

_cache: dict[str, tuple[float, dict[str, Any]]] = {}
_cache_lock = threading.Lock()

# AWS's texts for an IdP's failures (facts 1.1, "Federation errors").
TOKEN_TIMEOUT = "Timeout occurred in calling IdP token endpoint"
JWKS_TIMEOUT = "Timeout in calling jwks uri"
TOKEN_ERROR = "{name} Error - {status} error getting token"
# Not found: the texts for an ID token that fails its checks, and for an unreachable IdP.
# Choice: these, naming the check.
BAD_ID_TOKEN = "Invalid id_token: {reason}"
UNREACHABLE = "Connection reset"
ATTRIBUTES_ERROR = "{name} Error - {status} error getting user attributes"
USERINFO_MISMATCH = "The userinfo response names another user than the id_token"


class IdpFailure(Exception):
    """The IdP did not yield a signed-in user; the text is the error_description."""


@dataclass(frozen=True, slots=True)
class Endpoints:
    issuer: str | None
    authorize_url: str
    token_url: str
    attributes_url: str | None
    jwks_uri: str | None


def _get_json(url: str, *, timeout_text: str = UNREACHABLE) -> dict[str, Any]:
    import httpx

    with _cache_lock:
        cached = _cache.get(url)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    try:
        response = httpx.get(url, timeout=TIMEOUT, follow_redirects=True)
    except httpx.TimeoutException:
        raise IdpFailure(timeout_text) from None
    except httpx.HTTPError:
        raise IdpFailure(UNREACHABLE) from None
    if response.status_code != 200:
        raise IdpFailure(UNREACHABLE)
    document: dict[str, Any] = response.json()
    with _cache_lock:
        _cache[url] = (time.monotonic() + CACHE_SECONDS, document)
    return document


# What each step needs: the redirect to the IdP, and the code's redemption with its checks.
TO_AUTHORIZE = ("authorize_url",)
TO_REDEEM = ("token_url", "jwks_uri")


def endpoints(provider: Provider, needed: tuple[str, ...]) -> Endpoints:
    """The provider's endpoints; ``needed`` ones must be known, from the ProviderDetails
    or from the issuer's discovery document (fetched only when the details lack one)."""
    details = provider_details.described(provider.type, provider.settings["ProviderDetails"])
    issuer = details.get("oidc_issuer")
    if provider.type in (provider_details.FACEBOOK, provider_details.AMAZON):
        # OAuth 2.0 only: no ID token to check, the user comes from attributes_url.
        needed = tuple(key for key in needed if key != "jwks_uri")
    # "Amazon Cognito accepts the following elements when it can't discover endpoint URLs
    # from oidc_issuer: attributes_url, authorize_url, jwks_uri, token_url" [model]. Choice:
    # given ones win, discovery fills the rest (an OIDC IdP's userinfo endpoint included).
    missing = any(not details.get(key) for key in needed)
    userinfo = provider.type == provider_details.OIDC and not details.get("attributes_url")
    discovered: dict[str, Any] = {}
    if issuer and (missing or (userinfo and "token_url" in needed)):
        try:
            discovered = _get_json(f"{issuer.rstrip('/')}/.well-known/openid-configuration")
        except IdpFailure:
            if missing:
                raise
    found = {
        "authorize_url": details.get("authorize_url") or discovered.get("authorization_endpoint"),
        "token_url": details.get("token_url") or discovered.get("token_endpoint"),
        "attributes_url": details.get("attributes_url") or discovered.get("userinfo_endpoint"),
        "jwks_uri": details.get("jwks_uri") or discovered.get("jwks_uri"),
    }
    if any(not found[key] for key in needed):
        raise IdpFailure(UNREACHABLE)
    return Endpoints(
        issuer=issuer,
        authorize_url=str(found["authorize_url"] or ""),
        token_url=str(found["token_url"] or ""),
        attributes_url=found["attributes_url"],
        jwks_uri=found["jwks_uri"],
    )


def authorization_url(
    provider: Provider,
    where: Endpoints,
    *,
    state: str,
    nonce: str,
    redirect_uri: str,
    prompt: str | None,
) -> str:
    details = provider.settings["ProviderDetails"]
    query = {
        "response_type": "code",
        "client_id": details["client_id"],
        "redirect_uri": redirect_uri,
        "scope": details.get("authorize_scopes", "openid"),
        "state": state,
    }
    if provider.type != provider_details.FACEBOOK:
        query["nonce"] = nonce
    if provider.type == provider_details.APPLE and "email" in query["scope"].split():
        # Apple answers scoped requests only by POST (form_post), which idpresponse takes.
        query["response_mode"] = "form_post"
    # "login" re-authenticates at the IdP; select_account and consent are "only forwarded
    # to IdPs" (facts 1.1).
    if prompt in ("login", "select_account", "consent"):
        query["prompt"] = prompt
    separator = "&" if "?" in where.authorize_url else "?"
    return f"{where.authorize_url}{separator}{urlencode(query)}"


def _client_secret(provider: Provider, now: float) -> str | None:
    details = provider.settings["ProviderDetails"]
    if provider.type != provider_details.APPLE:
        return details.get("client_secret") or None
    # Sign in with Apple's client secret is a short-lived ES256 JWT made from the key the
    # provider holds (Apple's "Creating a client secret").
    import jwt

    claims = {
        "iss": details["team_id"],
        "iat": int(now),
        "exp": int(now) + 300,
        "aud": "https://appleid.apple.com",
        "sub": details["client_id"],
    }
    return jwt.encode(
        claims, details["private_key"], algorithm="ES256", headers={"kid": details["key_id"]}
    )


def redeem(
    provider: Provider, where: Endpoints, *, code: str, redirect_uri: str, now: float
) -> dict[str, Any]:
    """The IdP's token response for ``code``."""
    import httpx

    details = provider_details.described(provider.type, provider.settings["ProviderDetails"])
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "client_id": details["client_id"],
    }
    # Choice (no ProviderDetails key names a client authentication method): the secret goes
    # in the body (client_secret_post), which every IdP Cognito federates with accepts.
    secret = _client_secret(provider, now)
    if secret:
        form["client_secret"] = secret
    try:
        if details.get("token_request_method") == "GET":
            response = httpx.get(where.token_url, params=form, timeout=TIMEOUT)
        else:
            response = httpx.post(where.token_url, data=form, timeout=TIMEOUT)
    except httpx.TimeoutException:
        raise IdpFailure(TOKEN_TIMEOUT) from None
    except httpx.HTTPError:
        raise IdpFailure(UNREACHABLE) from None
    if response.status_code != 200:
        raise IdpFailure(TOKEN_ERROR.format(name=provider.name, status=response.status_code))
    try:
        tokens: dict[str, Any] = response.json()
    except ValueError:
        raise IdpFailure(TOKEN_ERROR.format(name=provider.name, status=200)) from None
    return tokens


def verified_id_token(
    provider: Provider, where: Endpoints, id_token: str, *, nonce: str
) -> dict[str, Any]:
    """The ID token's claims, once its signature (by the IdP's JWKS), issuer, audience,
    expiry and nonce have been checked. Expiry is checked against the wall clock, which
    the IdP signs by (not poolmail's clock, which tests may move)."""
    import jwt

    if not where.jwks_uri:
        raise IdpFailure(BAD_ID_TOKEN.format(reason="no jwks_uri"))
    try:
        header = jwt.get_unverified_header(id_token)
    except jwt.PyJWTError:
        raise IdpFailure(BAD_ID_TOKEN.format(reason="malformed")) from None
    keys = _get_json(where.jwks_uri, timeout_text=JWKS_TIMEOUT).get("keys", [])
    matching = [key for key in keys if not header.get("kid") or key.get("kid") == header["kid"]]
    if not matching:
        # A key the cache does not know yet: the IdP may have rotated; read its set again.
        with _cache_lock:
            _cache.pop(where.jwks_uri, None)
        keys = _get_json(where.jwks_uri, timeout_text=JWKS_TIMEOUT).get("keys", [])
        matching = [key for key in keys if key.get("kid") == header.get("kid")]
    if not matching:
        raise IdpFailure(BAD_ID_TOKEN.format(reason="unknown signing key"))
    client_id = provider.settings["ProviderDetails"]["client_id"]
    try:
        key = jwt.PyJWK(matching[0], algorithm=header.get("alg"))
        claims: dict[str, Any] = jwt.decode(
            id_token,
            key=key,
            algorithms=[str(header.get("alg"))],
            audience=client_id,
            issuer=where.issuer or None,
            options={"require": ["exp", "iat", "sub"], "verify_iss": bool(where.issuer)},
            leeway=60,
        )
    except jwt.ExpiredSignatureError:
        raise IdpFailure(BAD_ID_TOKEN.format(reason="expired")) from None
    except jwt.InvalidAudienceError:
        raise IdpFailure(BAD_ID_TOKEN.format(reason="wrong audience")) from None
    except jwt.InvalidIssuerError:
        raise IdpFailure(BAD_ID_TOKEN.format(reason="wrong issuer")) from None
    except jwt.PyJWTError:
        raise IdpFailure(BAD_ID_TOKEN.format(reason="bad signature")) from None
    if claims.get("nonce") != nonce:
        raise IdpFailure(BAD_ID_TOKEN.format(reason="nonce mismatch"))
    return claims


def user_attributes(
    provider: Provider, where: Endpoints, access_token: str, wanted: list[str]
) -> dict[str, Any]:
    """What the IdP's attributes_url (userinfo) says of the user."""
    import httpx

    details = provider_details.described(provider.type, provider.settings["ProviderDetails"])
    url = where.attributes_url
    if not url:
        return {}
    if details.get("attributes_url_add_attributes") == "true":
        # Google's and Facebook's URLs end in `fields=` / `personFields=`: the mapped
        # attribute names complete them.
        url = url + ",".join(wanted)
    headers = {"Authorization": f"Bearer {access_token}"}
    try:
        if details.get("attributes_request_method") == "POST":
            response = httpx.post(url, headers=headers, timeout=TIMEOUT)
        else:
            response = httpx.get(url, headers=headers, timeout=TIMEOUT)
    except httpx.HTTPError:
        raise IdpFailure(UNREACHABLE) from None
    if response.status_code != 200:
        raise IdpFailure(ATTRIBUTES_ERROR.format(name=provider.name, status=response.status_code))
    try:
        found = response.json()
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}
