"""Choice-based sign-in, USER_AUTH (issue 13, point 6): being built."""

from __future__ import annotations

from typing import Any

from poolmail.cognito.clients import ClientRecord
from poolmail.cognito.signin.progress import Passed, Responder
from poolmail.cognito.user_pools import StoredPool
from poolmail.context import RequestContext
from poolmail.protocol.errors import AwsError


def initiate(
    ctx: RequestContext, pool: StoredPool, client: ClientRecord, params: dict[str, Any]
) -> dict[str, Any] | Passed:
    raise AwsError(
        "NotImplemented", "The USER_AUTH flow is not implemented in poolmail yet.", status=501
    )


RESPONDERS: dict[str, Responder] = {}
