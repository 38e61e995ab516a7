"""Authorization requests of a pool domain (/oauth2/authorize and the login pages that
carry the same parameters) and their completion once the user is signed in.

- ``parse_authorization_request`` checks a request as Cognito does [doc AUTH, facts 1.1]
  and answers an ``AuthorizationRequest`` or raises ``AuthorizationError``: sent to the
  client's redirect URI (``redirect_url``) once the client and redirect URI are valid, shown
  on the domain's error page (``page_query``) before that.
- ``complete`` ends a request for a signed-in user: the redirect with a code (or, for the
  implicit grant, the tokens in the fragment) and the managed login session cookie.

The pages (hosted/) address each other with ``AuthorizationRequest.query()``: "302 to
/login with the same URL parameters" [doc AUTH].
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from poolmail.cognito.clients import resource_servers
from poolmail.cognito.clients.clients import ClientRecord, find_client
from poolmail.cognito.federation.identity_providers import COGNITO
from poolmail.cognito.oauth import codes, hosted_sessions, issuance, metadata_clients
from poolmail.cognito.oauth.hosts import Domain
from poolmail.cognito.pools import session_configuration
from poolmail.cognito.pools.user_pools import load_pool
from poolmail.cognito.users.users import StoredUser, find_user
from poolmail.context import RequestContext
from poolmail.protocol.errors import AwsError
from poolmail.store import Transaction

CODE = "code"
TOKEN = "token"
# response_type -> the AllowedOAuthFlows value that permits it.
RESPONSE_FLOWS = {CODE: "code", TOKEN: "implicit"}
# "Amazon Cognito authentication server supports only S256" [doc AUTH].
S256 = "S256"
PROMPTS = frozenset({"none", "login", "select_account", "consent"})
# Managed login's languages (`lang`) [facts 1.1].
LANGUAGES = ("de", "en", "es", "fr", "id", "it", "ja", "ko", "pt-BR", "zh-CN", "zh-TW")
# Scopes that need `openid` beside them [doc AUTH].
OPENID_ONLY = frozenset({"email", "phone", "profile"})

# The error codes of the redirect [doc AUTH] and of the error page [facts 1.1].
INVALID_REQUEST = "invalid_request"
UNAUTHORIZED_CLIENT = "unauthorized_client"
INVALID_SCOPE = "invalid_scope"
LOGIN_REQUIRED = "login_required"
SERVER_ERROR = "server_error"
REDIRECT_MISMATCH = "redirect_mismatch"

# The error page's texts. AWS's page reads "An error was encountered with the requested
# page." whatever the cause [obs]; the first is /login's own text [obs angular-auth-oidc-
# client#2057]. Choice: the others say what is wrong in the same style.
MISSING_CLIENT = "Missing required parameter client_id in request URL"
UNKNOWN_CLIENT = "Invalid client id: {client_id}"
OAUTH_OFF = "The client {client_id} is not allowed to use OAuth flows."
MISSING_REDIRECT = "Missing required parameter redirect_uri in request URL"
# Choice (AWS's text not found): a metadata URL whose document Cognito cannot use is
# refused on the error page as an unknown client is, with the document's fault said.
BAD_METADATA = "Invalid client metadata document for {client_id}: {reason}"
BAD_REDIRECT = "redirect_mismatch"


class AuthorizationError(Exception):
    """A refused authorization request.

    With ``redirect_uri`` the browser goes back to the client (``redirect_url``); without,
    the domain shows its error page, `/error?` ``page_query``.
    """

    def __init__(
        self,
        error: str,
        description: str | None = None,
        *,
        redirect_uri: str | None = None,
        state: str | None = None,
        client_id: str | None = None,
    ) -> None:
        super().__init__(description or error)
        self.error = error
        self.description = description
        self.redirect_uri = redirect_uri
        self.state = state
        self.client_id = client_id

    @property
    def redirect_url(self) -> str | None:
        if self.redirect_uri is None:
            return None
        # The observed order: `?error_description=invalid_scope&state=<state>&error=...`
        # [facts 1.1].
        query: dict[str, str] = {}
        if self.description:
            query["error_description"] = self.description
        if self.state is not None:
            query["state"] = self.state
        query["error"] = self.error
        return with_query(self.redirect_uri, query)

    @property
    def page_query(self) -> dict[str, str]:
        """The error page's parameters: `error=redirect_mismatch&client_id=<id>` [obs]."""
        query = {"error": self.error}
        if self.client_id:
            query["client_id"] = self.client_id
        return query


def with_query(url: str, query: Mapping[str, str]) -> str:
    """``url`` with parameters added to its query string."""
    separator = "&" if urlsplit(url).query else "?"
    return f"{url}{separator}{urlencode(query)}"


@dataclass(frozen=True, slots=True)
class AuthorizationRequest:
    """A checked authorization request of a pool domain.

    ``scopes`` are those granted: the requested ones (all the client's when none are
    requested) that are still active. ``identity_provider`` is the IdP to send the user
    to (resolved from ``idp_identifier`` too), None for Cognito's own login page.
    ``params`` is the query as received, for the pages' URLs.
    """

    domain: str
    pool_id: str
    client_id: str
    redirect_uri: str
    response_type: str
    scopes: tuple[str, ...]
    state: str | None = None
    nonce: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    identity_provider: str | None = None
    idp_identifier: str | None = None
    prompt: frozenset[str] = frozenset()
    lang: str | None = None
    login_hint: str | None = None
    resource: str | None = None
    params: tuple[tuple[str, str], ...] = ()
    # The client ID metadata document URL the client named itself with (then
    # ``client_id`` is the app client its CIMD policy maps it to).
    metadata_url: str | None = None

    def query(self) -> str:
        """The URL-encoded query of the request as received."""
        return urlencode(self.params)

    def refuse(self, error: str, description: str | None = None) -> AuthorizationError:
        """An error for this request, sent back to its redirect URI."""
        return AuthorizationError(
            error,
            description,
            redirect_uri=self.redirect_uri,
            state=self.state,
            client_id=self.client_id,
        )


def _first(params: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    pairs = params.items() if isinstance(params, Mapping) else params
    found: dict[str, str] = {}
    for key, value in pairs:
        found.setdefault(key, value)
    return found


def _pairs(params: Mapping[str, str] | Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    pairs = params.items() if isinstance(params, Mapping) else params
    return tuple((str(key), str(value)) for key, value in pairs)


def _metadata_client(
    ctx: RequestContext, domain: Domain, query: dict[str, str]
) -> ClientRecord | None:
    """The client an https `client_id` names through a CIMD policy; None for other ids
    (and for a URL no policy matches, refused below as any unknown client)."""
    client_id = query.get("client_id", "")
    if not metadata_clients.is_metadata_url(client_id):
        return None
    try:
        return metadata_clients.resolve(ctx, domain.pool_id, client_id)
    except metadata_clients.DocumentRefused as refused:
        raise AuthorizationError(
            INVALID_REQUEST,
            BAD_METADATA.format(client_id=client_id, reason=refused),
            client_id=client_id,
        ) from None


def _client(
    tx: Transaction, domain: Domain, query: dict[str, str], resolved: ClientRecord | None
) -> ClientRecord:
    client_id = query.get("client_id", "")
    if not client_id:
        raise AuthorizationError(INVALID_REQUEST, MISSING_CLIENT)
    client = resolved or find_client(tx, client_id)
    # Choice (AWS's answer not found): an unknown client, or one of another pool, gets
    # the error page with invalid_request; one without OAuth, unauthorized_client.
    if client is None or client.pool_id != domain.pool_id:
        raise AuthorizationError(
            INVALID_REQUEST, UNKNOWN_CLIENT.format(client_id=client_id), client_id=client_id
        )
    if not client.settings.get("AllowedOAuthFlowsUserPoolClient"):
        raise AuthorizationError(
            UNAUTHORIZED_CLIENT, OAUTH_OFF.format(client_id=client_id), client_id=client_id
        )
    return client


def _redirect_uri(client: ClientRecord, query: dict[str, str]) -> str:
    given = query.get("redirect_uri")
    if given is None:
        # "DefaultRedirectURI ... replaces redirect_uri" [model]; Choice: it stands in
        # for an omitted one.
        default = client.settings.get("DefaultRedirectURI")
        if default:
            return str(default)
        raise AuthorizationError(REDIRECT_MISMATCH, MISSING_REDIRECT, client_id=client.id)
    # An exact match: a trailing slash matters [obs SO q.50264679].
    if given not in (client.settings.get("CallbackURLs") or []):
        raise AuthorizationError(REDIRECT_MISMATCH, BAD_REDIRECT, client_id=client.id)
    return given


def _scopes(
    tx: Transaction, client: ClientRecord, requested: str | None, refuse: AuthorizationError
) -> tuple[str, ...]:
    allowed = list(client.settings.get("AllowedOAuthScopes") or [])
    wanted = allowed if not requested else list(dict.fromkeys(requested.split()))
    # Real Cognito answers `error=invalid_request&error_description=invalid_scope` for a
    # scope the client may not have [obs, facts 1.1]; so does poolmail.
    if any(scope not in allowed for scope in wanted):
        raise refuse
    if "openid" not in wanted and OPENID_ONLY.intersection(wanted):
        raise refuse
    # A custom scope whose resource server dropped it is ignored [doc RS].
    return tuple(resource_servers.active_scopes(tx, client.pool_id, wanted))


def _provider(
    tx: Transaction, client: ClientRecord, query: dict[str, str], request: AuthorizationRequest
) -> str | None:
    supported = list(client.settings.get("SupportedIdentityProviders") or [])
    if not supported:
        # "client must support COGNITO or at least one IdP" [doc AUTH]. Choice: refused
        # as a response type the client may not use.
        raise request.refuse(UNAUTHORIZED_CLIENT)
    identifier = query.get("idp_identifier")
    name = query.get("identity_provider")
    if name is None and identifier:
        row = tx.fetchone(
            "SELECT provider_name FROM cognito_idp_identifiers "
            "WHERE pool_id = ? AND identifier = ?",
            (client.pool_id, identifier),
        )
        if row is None:
            # Choice (AWS's text not found): the identifier named.
            raise request.refuse(
                INVALID_REQUEST, f"No identity provider with identifier {identifier}"
            )
        name = str(row[0])
    if name is None:
        return None
    if name not in supported:
        # Choice (AWS's text not found): the provider named, as the IdP errors are.
        raise request.refuse(INVALID_REQUEST, f"{name} is not a supported identity provider")
    return None if name == COGNITO else name


def parse_authorization_request(
    ctx: RequestContext,
    domain: Domain,
    params: Mapping[str, str] | Iterable[tuple[str, str]],
) -> AuthorizationRequest:
    """Check the parameters of /oauth2/authorize (and of /login, /signup, ... which carry
    the same) for a pool domain, in Cognito's order: client, redirect URI (both refused on
    the error page), then the rest (refused to the redirect URI)."""
    query = _first(params)
    resolved = _metadata_client(ctx, domain, query)
    with ctx.db.transaction(readonly=True) as tx:
        client = _client(tx, domain, query, resolved)
        redirect_uri = _redirect_uri(client, query)
        state = query.get("state")
        request = AuthorizationRequest(
            domain=domain.host,
            pool_id=domain.pool_id,
            client_id=client.id,
            redirect_uri=redirect_uri,
            response_type=query.get("response_type", ""),
            scopes=(),
            state=state,
            nonce=query.get("nonce") or None,
            code_challenge=query.get("code_challenge") or None,
            code_challenge_method=query.get("code_challenge_method") or None,
            idp_identifier=query.get("idp_identifier") or None,
            lang=query.get("lang") if query.get("lang") in LANGUAGES else None,
            login_hint=query.get("login_hint") or None,
            resource=query.get("resource") or None,
            params=_pairs(params),
            metadata_url=metadata_clients.metadata_url(client),
        )
        flow = RESPONSE_FLOWS.get(request.response_type)
        if flow is None:
            raise request.refuse(INVALID_REQUEST)
        if flow not in (client.settings.get("AllowedOAuthFlows") or []):
            raise request.refuse(UNAUTHORIZED_CLIENT)
        method = request.code_challenge_method
        # Only S256; a challenge needs its method and a method its challenge [doc AUTH].
        if (method is not None and method != S256) or (
            (method is None) != (request.code_challenge is None)
        ):
            raise request.refuse(INVALID_REQUEST)
        prompt = frozenset((query.get("prompt") or "").split())
        if not prompt <= PROMPTS or ("none" in prompt and len(prompt) > 1):
            raise request.refuse(INVALID_REQUEST)
        if request.resource is not None and not _resource_ok(request.resource):
            raise request.refuse(INVALID_REQUEST)
        scopes = _scopes(
            tx, client, query.get("scope"), request.refuse(INVALID_REQUEST, INVALID_SCOPE)
        )
        request = dataclasses.replace(request, scopes=scopes, prompt=prompt)
        provider = _provider(tx, client, query, request)
    return dataclasses.replace(request, identity_provider=provider)


def _resource_ok(resource: str) -> bool:
    # "https://, http://localhost or a custom scheme" [doc TOKEN]; no fragment.
    parts = urlsplit(resource)
    if not parts.scheme or parts.fragment:
        return False
    if parts.scheme == "http":
        return parts.hostname == "localhost"
    if parts.scheme == "https":
        return bool(parts.netloc)
    return True


@dataclass(frozen=True, slots=True)
class Completion:
    """Where the browser goes next, and the managed login session cookie to set (its
    value and lifetime in seconds; None when the session in use goes on)."""

    redirect_url: str
    session_cookie: str | None = None
    session_max_age: int = 0


def complete(
    ctx: RequestContext,
    request: AuthorizationRequest,
    username: str,
    *,
    auth_time: int | None = None,
    start_session: bool = True,
    session_data: dict[str, Any] | None = None,
) -> Completion:
    """End ``request`` for the signed-in user ``username`` (already authenticated by the
    caller: a page's password and MFA, a federated callback): a code for
    ``response_type=code``, the tokens in the fragment for ``token``.

    ``ctx`` is any context of this server (its account and region are the pool's here).
    ``auth_time``: when the user authenticated (now by default). With ``start_session``, a
    new managed login session begins (its cookie is in the Completion), lasting the
    client's SSO session validity; ``session_data`` is kept with it (e.g. the IdP).
    """
    now = ctx.clock.now().timestamp()
    signed_at = int(now) if auth_time is None else auth_time
    with ctx.db.transaction(readonly=True) as tx:
        client = find_client(tx, request.client_id)
        pool_row = tx.fetchone(
            "SELECT account, region FROM user_pools WHERE id = ?", (request.pool_id,)
        )
    if client is None or pool_row is None:
        raise request.refuse(SERVER_ERROR)
    scoped = dataclasses.replace(ctx, account_id=str(pool_row[0]), region=str(pool_row[1]))
    with scoped.db.transaction() as tx:
        pool = load_pool(tx, scoped, request.pool_id)
        user = find_user(tx, pool, username)
        if user is None:
            raise request.refuse(SERVER_ERROR)
        cookie = None
        seconds = session_configuration.sso_reuse_minutes(pool.settings, client) * 60
        if start_session:
            cookie = hosted_sessions.start(
                tx, pool.id, user.sub, user.username, signed_at, now, seconds, session_data
            )
        code = None
        if request.response_type == CODE:
            data = _code_data(request, user, signed_at)
            code = codes.issue(tx, pool.id, client.id, user.sub, now, data)
    if code is not None:
        query = {"code": code} if request.state is None else {"code": code, "state": request.state}
        return Completion(with_query(request.redirect_uri, query), cookie, seconds)
    grant = issuance.Grant(request.scopes, request.nonce, request.resource)
    try:
        result = issuance.implicit(scoped, pool, client, user, signed_at, grant)
    except AwsError as error:
        # A PreTokenGeneration failure: "Trigger errors surface to the app in callback
        # query params" [doc TRIG], as invalid_request with the function's message.
        raise request.refuse(INVALID_REQUEST, error.message) from None
    fragment: dict[str, str] = {}
    if "IdToken" in result:
        fragment["id_token"] = result["IdToken"]
    fragment["access_token"] = result["AccessToken"]
    # The doc's example spells `bearer` here (and `Bearer` at the token endpoint).
    fragment["token_type"] = "bearer"
    fragment["expires_in"] = str(result["ExpiresIn"])
    if request.state is not None:
        fragment["state"] = request.state
    return Completion(f"{request.redirect_uri}#{urlencode(fragment)}", cookie, seconds)


def _code_data(request: AuthorizationRequest, user: StoredUser, auth_time: int) -> dict[str, Any]:
    return {
        "username": user.username,
        "auth_time": auth_time,
        "redirect_uri": request.redirect_uri,
        "redirect_uri_given": any(key == "redirect_uri" for key, _ in request.params),
        "scopes": list(request.scopes),
        "nonce": request.nonce,
        "code_challenge": request.code_challenge,
        "code_challenge_method": request.code_challenge_method,
        "resource": request.resource,
        "client_metadata_url": request.metadata_url,
    }
