"""One visit to a managed-login page: the app client and authorization request it names,
the client's look, and calls into the Cognito code the API flows use.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from poolmail.cognito.clients.clients import ClientRecord, find_client
from poolmail.cognito.oauth.authorization import SERVER_ERROR, AuthorizationRequest
from poolmail.cognito.pools.user_pools import StoredPool, load_pool
from poolmail.context import RequestContext
from poolmail.hosted.call import HostedCall
from poolmail.hosted.pages.branding import Look, look_of
from poolmail.protocol.models import operation_model
from poolmail.protocol.validate import validate_input
from poolmail.server.pipeline import Services

COGNITO_IDP = "cognito-idp"


@dataclass(slots=True)
class Visit:
    """A page request with what every page needs."""

    call: HostedCall
    authorization: AuthorizationRequest
    pool: StoredPool
    client: ClientRecord
    look: Look

    @property
    def request(self) -> Request:
        return self.call.request

    def url(self, path: str) -> str:
        """A page of the domain with the authorization request's parameters."""
        return self.call.page_url(path, self.authorization)

    def context(self, operation: str) -> RequestContext:
        """The context of one Cognito call: the domain's account and region, unsigned."""
        return dataclasses.replace(
            self.call.ctx,
            service=COGNITO_IDP,
            operation=operation,
            request_id=str(uuid.uuid4()),
            signed=False,
        )

    async def run(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """Run a public Cognito operation as its API call would (input checked against the
        model, then the registered function); AwsError with AWS's code and text."""
        services: Services = self.call.request.app.state.services
        handler = services.registry[COGNITO_IDP][operation]
        model = operation_model(COGNITO_IDP, operation)
        if model is not None:
            validate_input(COGNITO_IDP, model.input_shape, params)
        return await run_in_threadpool(handler, self.context(operation), params)


async def open_visit(call: HostedCall, authorization: AuthorizationRequest) -> Visit:
    """The visit of a checked authorization request's client."""

    def load() -> tuple[StoredPool, ClientRecord, Look]:
        with call.ctx.db.transaction(readonly=True) as tx:
            client = find_client(tx, authorization.client_id)
            if client is None:  # deleted since the request was checked
                raise authorization.refuse(SERVER_ERROR)
            pool = load_pool(tx, call.ctx, client.pool_id)
            look = look_of(tx, pool.id, client.id, call.domain.managed_login_version)
        return pool, client, look

    pool, client, look = await run_in_threadpool(load)
    return Visit(call, authorization, pool, client, look)
