"""A user pool as an OpenID issuer: `/<poolId>/.well-known/jwks.json` and the OpenID
configuration beside it, as Cognito serves them, plus the admin endpoint that rotates a
pool's signing keys.
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from poolmail.cognito.oauth import hosts
from poolmail.cognito.signin import tokens
from poolmail.hosted.call import PATH_PREFIX
from poolmail.server.admin.admin import admin_error, json_body, services_of
from poolmail.server.background import Job
from poolmail.server.pipeline import Services


def _issuer(request: Request, pool_id: str) -> str:
    # The same `<endpoint>/<poolId>` tokens carry: the URL this request came in on.
    return f"{str(request.base_url).rstrip('/')}/{pool_id}"


def _pool_exists(services: Services, pool_id: str) -> bool:
    # Pool IDs are unique across accounts and regions; the URL names no account.
    with services.db.transaction() as tx:
        return tx.fetchone("SELECT 1 FROM user_pools WHERE id = ?", (pool_id,)) is not None


def _missing(pool_id: str) -> JSONResponse:
    # Cognito's issuer answers an unknown pool with 404 and a JSON message.
    return JSONResponse({"message": f"User pool {pool_id} does not exist."}, status_code=404)


async def jwks(request: Request) -> JSONResponse:
    services = services_of(request)
    pool_id = request.path_params["pool_id"]

    def load() -> dict[str, Any] | None:
        if not _pool_exists(services, pool_id):
            return None
        now = services.clock.now().timestamp()
        return tokens.jwks(tokens.pool_keys(services.db, pool_id, now))

    document = await run_in_threadpool(load)
    return _missing(pool_id) if document is None else JSONResponse(document)


def _domain_host(services: Services, pool_id: str) -> str | None:
    with services.db.transaction(readonly=True) as tx:
        return hosts.pool_domain_host(tx, pool_id)


async def openid_configuration(request: Request) -> JSONResponse:
    """The discovery document: what a verifier needs to find the keys and, once the pool
    has a domain, its managed login endpoints, in the members and order of Cognito's
    document [facts 1.9] (no revocation or end-session endpoint: Cognito lists neither).

    The endpoints are named in the path-prefix form on this request's base URL, which
    needs no name resolution, so clients configured from discovery work unchanged.
    """
    services = services_of(request)
    pool_id = request.path_params["pool_id"]
    if not await run_in_threadpool(_pool_exists, services, pool_id):
        return _missing(pool_id)
    issuer = _issuer(request, pool_id)
    host = await run_in_threadpool(_domain_host, services, pool_id)
    endpoints: dict[str, str] = {}
    if host is not None:
        domain = f"{str(request.base_url).rstrip('/')}{PATH_PREFIX}/{host}"
        endpoints = {
            "authorization_endpoint": f"{domain}/oauth2/authorize",
            "token_endpoint": f"{domain}/oauth2/token",
            "userinfo_endpoint": f"{domain}/oauth2/userInfo",
        }
    return JSONResponse(
        {
            **({"authorization_endpoint": endpoints["authorization_endpoint"]} if host else {}),
            "id_token_signing_alg_values_supported": ["RS256"],
            "issuer": issuer,
            "jwks_uri": f"{issuer}/.well-known/jwks.json",
            "response_types_supported": ["code", "token"],
            "scopes_supported": ["openid", "email", "phone", "profile"],
            "subject_types_supported": ["public"],
            **({"token_endpoint": endpoints["token_endpoint"]} if host else {}),
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            **({"userinfo_endpoint": endpoints["userinfo_endpoint"]} if host else {}),
        }
    )


async def rotate_keys(request: Request) -> JSONResponse:
    """`POST /_poolmail/cognito/pools/{pool_id}/keys/rotate` `{"keep_previous": true}`:
    a new signing pair signs from now on; the previous keys stay in the JWKS (so issued
    tokens still verify) unless `keep_previous` is false."""
    services = services_of(request)
    pool_id = request.path_params["pool_id"]
    body = await json_body(request)
    if body is None:
        return admin_error(400, "InvalidRequest", "the body must be a JSON object")
    keep = body.get("keep_previous", True)
    if not isinstance(keep, bool):
        return admin_error(400, "InvalidRequest", "keep_previous must be true or false")
    if not await run_in_threadpool(_pool_exists, services, pool_id):
        return admin_error(404, "NotFound", f"User pool {pool_id} does not exist.")
    now = services.clock.now().timestamp()
    keys = await run_in_threadpool(
        lambda: tokens.rotate(services.db, pool_id, now, keep_previous=keep)
    )
    listed = [{"kid": k.kid, "token_use": k.token_use, "active": k.active} for k in keys]
    return JSONResponse({"user_pool_id": pool_id, "keys": listed})


ROUTES: list[BaseRoute] = [
    Route("/{pool_id}/.well-known/jwks.json", jwks, methods=["GET"]),
    Route("/{pool_id}/.well-known/openid-configuration", openid_configuration, methods=["GET"]),
    Route("/_poolmail/cognito/pools/{pool_id}/keys/rotate", rotate_keys, methods=["POST"]),
]
JOBS: list[Job] = []
