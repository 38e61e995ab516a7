"""Federated sign-in through a pool domain: the redirect that sends the user to the IdP an
authorization request names (`start`), and what the IdP's answer at /oauth2/idpresponse or
/saml2/idpresponse comes to (`finish_oidc`, `finish_saml`, `finish_idp_initiated`): a
signed-in user to complete the authorization request with, or an error for its redirect URI.

Facts: cognito-managed-login-oauth.md 1.1 (identity_provider, idp_identifier), 1.7, 1.8, 5.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from poolmail.cognito.federation import federated_users, oidc_client, pending, saml_sp
from poolmail.cognito.federation.federated_users import SignedIn, SignInRefused
from poolmail.cognito.federation.identity_providers import Provider, find_provider
from poolmail.cognito.federation.linked_users import (
    SUBJECT,
    federated_username,
    identities,
    linked_user,
)
from poolmail.cognito.federation.provider_details import APPLE, SAML
from poolmail.cognito.oauth import hosted_sessions
from poolmail.cognito.oauth.authorization import (
    INVALID_REQUEST,
    SERVER_ERROR,
    AuthorizationRequest,
    parse_authorization_request,
)
from poolmail.cognito.oauth.hosts import Domain
from poolmail.cognito.pools.user_pools import load_pool
from poolmail.cognito.users.users import find_user
from poolmail.context import RequestContext

IDP_RESPONSE = "/oauth2/idpresponse"
SAML_RESPONSE = "/saml2/idpresponse"
# Not found: the text when the provider went away while the user was at the IdP. Choice.
PROVIDER_GONE = "Identity provider {name} does not exist."
# "The saml2/idpresponse endpoint can accept SAML assertions of up to 100,000 characters in
# length" [doc saml2-idpresponse-endpoint].
MAX_SAML_RESPONSE = 100_000
SAML_PROCESSING = "Error in SAML response processing: "
# Choice: an IdP answer with neither a code nor an error.
NO_CODE = "No authorization code in the identity provider's response"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the IdP's answer comes to, for the authorization request it belongs to."""

    request: AuthorizationRequest
    provider_name: str
    signed_in: SignedIn | None = None
    # error and error_description for the app's redirect URI, when nobody signed in.
    error: str = INVALID_REQUEST
    error_description: str | None = None


def stored_request(request: AuthorizationRequest) -> dict[str, Any]:
    """An authorization request as JSON-able fields (kept while the user is at the IdP)."""
    fields = dataclasses.asdict(request)
    fields["prompt"] = sorted(request.prompt)
    return fields


def restored_request(fields: dict[str, Any]) -> AuthorizationRequest:
    return AuthorizationRequest(
        **{
            **fields,
            "scopes": tuple(fields["scopes"]),
            "prompt": frozenset(fields["prompt"]),
            "params": tuple((str(key), str(value)) for key, value in fields["params"]),
        }
    )


def start(ctx: RequestContext, request: AuthorizationRequest, domain_url: str) -> str:
    """Where the browser goes for an authorization request that names an IdP
    (``request.identity_provider``, resolved from idp_identifier too): the IdP's sign-in
    URL, or the app's redirect URI with the error when the IdP cannot be reached (its
    discovery document, its metadata) or went away.

    ``domain_url``: where the domain's endpoints are for this request (host form or path-
    prefix form); the IdP sends the user back to its /oauth2/idpresponse or
    /saml2/idpresponse."""
    name = request.identity_provider or ""
    with ctx.db.transaction(readonly=True) as tx:
        provider = find_provider(tx, request.pool_id, name)
    if provider is None:
        return _refused(request, PROVIDER_GONE.format(name=name))
    try:
        return _start(ctx, request, provider, domain_url)
    except (oidc_client.IdpFailure, saml_sp.SamlFailure) as failure:
        return _refused(request, str(failure))


def _refused(request: AuthorizationRequest, description: str) -> str:
    url = request.refuse(INVALID_REQUEST, description).redirect_url
    assert url is not None  # a parsed request has a valid redirect URI
    return url


def _start(
    ctx: RequestContext, request: AuthorizationRequest, provider: Provider, domain_url: str
) -> str:
    now = ctx.clock.now().timestamp()
    pool_id = provider.pool_id
    fields = stored_request(request)
    base = domain_url.rstrip("/")
    if provider.type == SAML:
        acs_url = base + SAML_RESPONSE
        held = pending.remember(
            ctx.db, pool_id, provider.name, {"request": fields, "acs_url": acs_url}, now
        )
        url, request_id = saml_sp.authn_request_url(ctx, pool_id, provider, acs_url, held.id)
        _note(ctx, held.id, {"request_id": request_id})
        return url
    # Cognito makes a nonce of its own for the IdP (facts 4: "Cognito also generates one for
    # IdP sign-ins"); the app's nonce stays in the request, for poolmail's ID token.
    nonce = secrets.token_urlsafe(32)
    redirect_uri = base + IDP_RESPONSE
    where = oidc_client.endpoints(provider, oidc_client.TO_AUTHORIZE)
    held = pending.remember(
        ctx.db,
        pool_id,
        provider.name,
        {"request": fields, "nonce": nonce, "redirect_uri": redirect_uri},
        now,
    )
    prompt = next((p for p in ("login", "select_account", "consent") if p in request.prompt), None)
    return oidc_client.authorization_url(
        provider, where, state=held.id, nonce=nonce, redirect_uri=redirect_uri, prompt=prompt
    )


def _note(ctx: RequestContext, pending_id: str, extra: dict[str, Any]) -> None:
    with ctx.db.transaction() as tx:
        row = tx.fetchone("SELECT data FROM cognito_federation_pending WHERE id = ?", (pending_id,))
        if row is not None:
            tx.execute(
                "UPDATE cognito_federation_pending SET data = ? WHERE id = ?",
                (json.dumps({**json.loads(row[0]), **extra}), pending_id),
            )


def pool_of(ctx: RequestContext, pending_id: str) -> str | None:
    """The pool a waiting sign-in belongs to (the callback's domain must be that pool's)."""
    with ctx.db.transaction(readonly=True) as tx:
        row = tx.fetchone(
            "SELECT pool_id FROM cognito_federation_pending WHERE id = ?", (pending_id,)
        )
    return None if row is None else str(row[0])


def _provider(ctx: RequestContext, held: pending.Pending) -> Provider | None:
    with ctx.db.transaction(readonly=True) as tx:
        return find_provider(tx, held.pool_id, held.provider_name)


def finish_oidc(ctx: RequestContext, params: dict[str, str]) -> Outcome | None:
    """What an OIDC IdP's redirect to /oauth2/idpresponse comes to; None when its `state`
    names no waiting sign-in (unknown, used, expired)."""
    now = ctx.clock.now().timestamp()
    held = pending.take(ctx.db, params.get("state") or "", now)
    if held is None or "request" not in held.data:
        return None
    request = restored_request(held.data["request"])
    if params.get("error"):
        # Choice (AWS's exact answer not found): the IdP's error and description reach the
        # app as the IdP gave them, so an app sees `access_denied` when the user declined.
        return Outcome(
            request,
            held.provider_name,
            error=params["error"],
            error_description=params.get("error_description") or params["error"],
        )
    if not params.get("code"):
        return Outcome(request, held.provider_name, error_description=NO_CODE)
    provider = _provider(ctx, held)
    if provider is None:
        return Outcome(
            request,
            held.provider_name,
            error_description=PROVIDER_GONE.format(name=held.provider_name),
        )
    try:
        where = oidc_client.endpoints(provider, oidc_client.TO_REDEEM)
        answer = oidc_client.redeem(
            provider, where, code=params["code"], redirect_uri=held.data["redirect_uri"], now=now
        )
        claims: dict[str, Any] = {}
        if answer.get("id_token"):
            claims.update(
                oidc_client.verified_id_token(
                    provider, where, str(answer["id_token"]), nonce=held.data["nonce"]
                )
            )
        if answer.get("access_token") and where.attributes_url:
            wanted = list((provider.settings.get("AttributeMapping") or {}).values())
            found = oidc_client.user_attributes(
                provider, where, str(answer["access_token"]), wanted
            )
            if "sub" in claims and found.get("sub") not in (None, claims["sub"]):
                # OpenID Connect Core 5.3.2: a userinfo `sub` other than the ID token's
                # must not be used.
                raise oidc_client.IdpFailure(oidc_client.USERINFO_MISMATCH)
            claims.update(found)
        claims.update(apple_user(provider, params))
        signed_in = federated_users.sign_in(
            ctx, held.pool_id, provider, claims, client_id=request.client_id
        )
    except (oidc_client.IdpFailure, SignInRefused) as failure:
        return Outcome(request, held.provider_name, error_description=str(failure))
    return Outcome(request, held.provider_name, signed_in=signed_in)


def apple_user(provider: Provider, params: dict[str, str]) -> dict[str, str]:
    """Sign in with Apple posts the user's name only once, in the form's `user` field
    (`{"name": {"firstName", "lastName"}, "email"}`), never in its ID token: the claims
    Cognito offers for mapping, `firstName`, `lastName` and `name`, come from there."""
    if provider.type != APPLE or not params.get("user"):
        return {}
    try:
        user = json.loads(params["user"])
    except ValueError:
        return {}
    name = user.get("name") if isinstance(user, dict) else None
    if not isinstance(name, dict):
        return {}
    parts = {key: str(name[key]) for key in ("firstName", "lastName") if name.get(key)}
    full = " ".join(parts[key] for key in ("firstName", "lastName") if key in parts)
    return {**parts, **({"name": full} if full else {})}


def finish_saml(ctx: RequestContext, form: dict[str, str]) -> Outcome | None:
    """What a SAML IdP's post to /saml2/idpresponse comes to; None when its RelayState
    names no waiting sign-in."""
    now = ctx.clock.now().timestamp()
    held = pending.take(ctx.db, form.get("RelayState") or "", now)
    if held is None or "request" not in held.data:
        return None
    request = restored_request(held.data["request"])
    provider = _provider(ctx, held)
    if provider is None:
        return Outcome(
            request,
            held.provider_name,
            error_description=PROVIDER_GONE.format(name=held.provider_name),
        )
    return _saml_sign_in(
        ctx, request, provider, held.data["acs_url"], form, held.data.get("request_id")
    )


def finish_idp_initiated(
    ctx: RequestContext, domain: Domain, acs_url: str, form: dict[str, str]
) -> Outcome | None:
    """An unsolicited SAML response (IdP-initiated sign-in): its RelayState holds "the
    request parameters that you would otherwise pass to the oauth2/authorize endpoint"
    [doc saml2-idpresponse-endpoint], naming a SAML IdP whose IDPInit is "true". None
    when it does not. Raises AuthorizationError for parameters /oauth2/authorize refuses."""
    params = parse_qsl(form.get("RelayState") or "", keep_blank_values=True)
    if not any(key in ("identity_provider", "idp_identifier") for key, _ in params):
        return None
    request = parse_authorization_request(ctx, domain, params)
    with ctx.db.transaction(readonly=True) as tx:
        provider = find_provider(tx, request.pool_id, request.identity_provider or "")
    if provider is None or provider.type != SAML:
        return None
    if provider.settings["ProviderDetails"].get("IDPInit") != "true":
        # "Amazon Cognito can't verify that it has solicited the SAML response" unless the
        # IdP allows IdP-initiated sign-in [doc SAML session initiation].
        return None
    return _saml_sign_in(ctx, request, provider, acs_url, form, None)


def _saml_sign_in(
    ctx: RequestContext,
    request: AuthorizationRequest,
    provider: Provider,
    acs_url: str,
    form: dict[str, str],
    request_id: str | None,
) -> Outcome:
    try:
        if len(form.get("SAMLResponse") or "") > MAX_SAML_RESPONSE:
            raise saml_sp.SamlFailure(saml_sp.INVALID_RESPONSE)
        assertion = saml_sp.verified_assertion(
            ctx, provider.pool_id, provider, acs_url, form.get("SAMLResponse") or "", request_id
        )
        claims: dict[str, Any] = dict(assertion.attributes)
        signed_in = federated_users.sign_in(
            ctx,
            provider.pool_id,
            provider,
            claims,
            client_id=request.client_id,
            name_id=assertion.name_id,
        )
    except saml_sp.SamlFailure as failure:
        return Outcome(request, provider.name, error_description=str(failure))
    except SignInRefused as refusal:
        # [obs "server_error: Error in SAML response processing: Invalid user attributes:
        # ..."]: what the user's profile refuses comes as a server error, so prefixed.
        return Outcome(
            request,
            provider.name,
            error=SERVER_ERROR,
            error_description=f"{SAML_PROCESSING}{refusal}",
        )
    return Outcome(request, provider.name, signed_in=signed_in)


def sign_out(
    ctx: RequestContext, pool_id: str, session_value: str, target: str, domain_url: str
) -> str:
    """Where /logout sends the browser before ``target``: a session that began at a SAML
    IdP whose IDPSignout is "true" signs out there first (a LogoutRequest to its single
    logout URL, answered at /saml2/logout); any other goes straight to ``target``. Call
    it before the session ends."""
    now = ctx.clock.now().timestamp()
    with ctx.db.transaction(readonly=True) as tx:
        session = hosted_sessions.find(tx, pool_id, session_value, now)
        name = None if session is None else session.data.get("identity_provider")
        provider = find_provider(tx, pool_id, str(name)) if name else None
        if session is None or provider is None or provider.type != SAML:
            return target
        if provider.settings["ProviderDetails"].get("IDPSignout") != "true":
            return target
        user = find_user(tx, load_pool(tx, ctx, pool_id), session.username)
    entries = [] if user is None else identities(user)
    name_id = next((str(e["userId"]) for e in entries if e.get("providerName") == name), None)
    if name_id is None:
        return target
    acs_url = domain_url.rstrip("/") + SAML_RESPONSE
    held = pending.remember(
        ctx.db, pool_id, provider.name, {"logout_target": target, "acs_url": acs_url}, now
    )
    try:
        made = saml_sp.logout_request_url(ctx, pool_id, provider, acs_url, name_id, held.id)
    except saml_sp.SamlFailure:
        made = None
    if made is None:
        return target  # Choice: an IdP without a usable logout service is skipped
    _note(ctx, held.id, {"request_id": made[1]})
    return made[0]


def finish_sign_out(ctx: RequestContext, form: dict[str, str]) -> str | None:
    """The `target` of /logout once the SAML IdP's LogoutResponse posted to /saml2/logout
    checks out; None when it does not, or names no waiting sign-out."""
    now = ctx.clock.now().timestamp()
    held = pending.take(ctx.db, form.get("RelayState") or "", now)
    if held is None or "logout_target" not in held.data:
        return None
    provider = _provider(ctx, held)
    if provider is None or not saml_sp.logout_succeeded(
        ctx,
        held.pool_id,
        provider,
        held.data["acs_url"],
        form.get("SAMLResponse") or "",
        str(held.data.get("request_id")),
    ):
        return None
    return str(held.data["logout_target"])


def idp_sign_out(
    ctx: RequestContext, pool_id: str, acs_url: str, form: dict[str, str]
) -> str | None:
    """A SAML IdP's own LogoutRequest posted to /saml2/logout: the user's managed login
    sessions end, and the browser goes back to the IdP with the LogoutResponse. Only IdPs
    with IDPSignout "true" are heard; None when no such IdP of the pool sent it."""
    with ctx.db.transaction(readonly=True) as tx:
        rows = tx.fetchall(
            "SELECT name FROM cognito_identity_providers WHERE pool_id = ? AND type = ?",
            (pool_id, SAML),
        )
        providers = [find_provider(tx, pool_id, str(row[0])) for row in rows]
    for provider in providers:
        if provider is None or provider.settings["ProviderDetails"].get("IDPSignout") != "true":
            continue
        try:
            answered = saml_sp.answered_logout_request(
                ctx,
                pool_id,
                provider,
                acs_url,
                form.get("SAMLRequest") or "",
                form.get("RelayState") or "",
            )
        except saml_sp.SamlFailure:
            continue
        if answered is None:
            continue
        _end_sessions(ctx, pool_id, provider, answered.name_id)
        return answered.response_url
    return None


def _end_sessions(ctx: RequestContext, pool_id: str, provider: Provider, name_id: str) -> None:
    """End the managed login sessions of the user the IdP's identity leads to."""
    with ctx.db.transaction() as tx:
        pool = load_pool(tx, ctx, pool_id)
        user = linked_user(tx, pool, provider.name, {SUBJECT: name_id})
        if user is None:
            user = find_user(tx, pool, federated_username(provider.name, name_id))
        if user is not None:
            hosted_sessions.end_for_user(tx, pool_id, user.sub)
