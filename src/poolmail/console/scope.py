"""Which account and region a console page shows, and calling an operation as that caller.

The console calls the very functions the AWS APIs dispatch to, after the same input
validation, so a form is refused exactly as the API call it stands for would be.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request

from poolmail.cognito.messaging.ses_regions import SES_REGIONS_FOR_POOL
from poolmail.context import RequestContext
from poolmail.protocol.errors import not_implemented
from poolmail.protocol.models import operation_model
from poolmail.protocol.validate import validate_input
from poolmail.server.pipeline import Services
from poolmail.store import Transaction

ACCOUNT_ID = re.compile(r"[0-9]{12}")
REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]+")


@dataclass(frozen=True, slots=True)
class Scope:
    account: str
    region: str

    def query(self, **extra: str) -> str:
        """`account=...&region=...` (and ``extra``) for links that keep the scope."""
        return urlencode({"account": self.account, "region": self.region, **extra})


def scope_of(request: Request, services: Services, fields: dict[str, str] | None = None) -> Scope:
    """The scope a request names in its query (or form ``fields``); the server's default
    account and region for what it leaves out or gets wrong."""
    given = fields if fields is not None else request.query_params
    account = given.get("account") or ""
    region = given.get("region") or ""
    return Scope(
        account if ACCOUNT_ID.fullmatch(account) else services.settings.account_id,
        region if REGION.fullmatch(region) else services.settings.default_region,
    )


def pool_scope(pool_id: str, scope: Scope) -> Scope:
    """A pool's scope: its region is the prefix of its id (`eu-west-1_AbC...`). An id
    without one keeps ``scope``, where the pool is then simply not found."""
    region = pool_id.split("_", 1)[0]
    return Scope(scope.account, region if REGION.fullmatch(region) else scope.region)


def context(
    services: Services, scope: Scope, service: str, operation: str, base_url: str = ""
) -> RequestContext:
    """A RequestContext as the pipeline builds one for a signed call from ``scope``."""
    return RequestContext(
        service=service,
        operation=operation,
        account_id=scope.account,
        region=scope.region,
        request_id=str(uuid.uuid4()),
        signed=True,
        db=services.db,
        clock=services.clock,
        settings=services.settings,
        base_url=base_url,
    )


def call(
    services: Services,
    scope: Scope,
    service: str,
    operation: str,
    params: dict[str, Any],
    *,
    base_url: str = "",
) -> dict[str, Any]:
    """Run one operation as the AWS API would: validate the input against the model, then
    the registered function. Raises ``AwsError`` with AWS's code and text."""
    handler = services.registry[service].get(operation)
    model = operation_model(service, operation)
    if handler is None or model is None:
        raise not_implemented(service, operation)
    validate_input(service, model.input_shape, params)
    return handler(context(services, scope, service, operation, base_url), params)


def has_operation(services: Services, service: str, operation: str) -> bool:
    return operation in services.registry[service]


def known_scopes(tx: Transaction, services: Services) -> tuple[list[str], list[str]]:
    """Accounts and regions to offer in the scope switcher: every one that holds state,
    the defaults, and every region Cognito's SES table names."""
    rows = tx.fetchall(
        "SELECT account, region FROM user_pools UNION SELECT account, region FROM ses_accounts "
        "UNION SELECT account, region FROM ses_identities "
        "UNION SELECT account, region FROM messages"
    )
    accounts = {services.settings.account_id, *(str(row[0]) for row in rows)}
    regions = {services.settings.default_region, *(str(row[1]) for row in rows)}
    regions.update(SES_REGIONS_FOR_POOL)
    return sorted(accounts), sorted(regions)
