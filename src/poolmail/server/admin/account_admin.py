"""poolmail's SES account endpoints: AWS Support's part (decide a production-access
review), the sandbox switch for tests, and the list of accounts the console shows.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from poolmail.server.admin.admin import admin_error, json_body, services_of
from poolmail.server.background import Job
from poolmail.server.pipeline import Services
from poolmail.ses.account import account as ses_account
from poolmail.ses.account import quota
from poolmail.store import Transaction

ACCOUNT_ID = re.compile(r"[0-9]{12}")
REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]+")
DECISIONS = ("GRANTED", "DENIED")
PRUNE_INTERVAL_SECONDS = 600.0


def _scope(body: dict[str, object], services: Services) -> tuple[str, str] | JSONResponse:
    """The account and region a request names: the server's default account, and the
    default region (us-east-1), unless given."""
    account = body.get("account", services.settings.account_id)
    region = body.get("region", services.settings.default_region)
    if not isinstance(account, str) or not ACCOUNT_ID.fullmatch(account):
        return admin_error(400, "InvalidRequest", "account must be a 12-digit AWS account id")
    if not isinstance(region, str) or not REGION.fullmatch(region):
        return admin_error(400, "InvalidRequest", "region must be an AWS region such as us-east-1")
    return account, region


async def review(request: Request) -> JSONResponse:
    """Decide the pending production-access review:
    `{"account": "...", "region": "...", "decision": "GRANTED" | "DENIED"}`."""
    services = services_of(request)
    body = await json_body(request)
    if body is None:
        return admin_error(400, "InvalidRequest", "the body must be a JSON object")
    scope = _scope(body, services)
    if isinstance(scope, JSONResponse):
        return scope
    account, region = scope
    if body.get("decision") not in DECISIONS:
        return admin_error(400, "InvalidRequest", "decision must be GRANTED or DENIED")
    decision: ses_account.Decision = "GRANTED" if body["decision"] == "GRANTED" else "DENIED"

    def run() -> dict[str, Any] | None:
        now = services.clock.now().timestamp()
        with services.db.transaction(lock=quota.lock_name(account, region)) as tx:
            return ses_account.decide_review(tx, services.settings, account, region, decision, now)

    decided = await run_in_threadpool(run)
    if decided is None:
        return admin_error(
            409,
            "NoPendingReview",
            f"account {account} has no production-access review pending in {region}",
        )
    return JSONResponse(
        {
            "account": account,
            "region": region,
            "status": decided["Status"],
            "case_id": decided["CaseId"],
        }
    )


async def sandbox(request: Request) -> JSONResponse:
    """Set the sandbox directly: `{"account", "region", "production_access": true|false}`."""
    services = services_of(request)
    body = await json_body(request)
    if body is None:
        return admin_error(400, "InvalidRequest", "the body must be a JSON object")
    scope = _scope(body, services)
    if isinstance(scope, JSONResponse):
        return scope
    account, region = scope
    production = body.get("production_access")
    if not isinstance(production, bool):
        return admin_error(400, "InvalidRequest", "production_access must be true or false")

    def run() -> dict[str, Any]:
        with services.db.transaction(lock=quota.lock_name(account, region)) as tx:
            ses_account.set_production_access(tx, services.settings, account, region, production)
            return _describe(tx, services, account, region)

    return JSONResponse(await run_in_threadpool(run))


async def accounts(request: Request) -> JSONResponse:
    """Every account and region SES has seen: sandbox, quotas, use, review."""
    services = services_of(request)

    def run() -> list[dict[str, Any]]:
        with services.db.transaction() as tx:
            rows = tx.fetchall("SELECT account, region FROM ses_accounts ORDER BY account, region")
            return [_describe(tx, services, account, region) for account, region in rows]

    return JSONResponse({"accounts": await run_in_threadpool(run)})


def _describe(tx: Transaction, services: Services, account: str, region: str) -> dict[str, Any]:
    data = quota.load_account(tx, services.settings, account, region)
    limits = quota.limits_of(data, services.settings)
    now = services.clock.now().timestamp()
    review_details = ses_account.review_of(data)
    return {
        "account": account,
        "region": region,
        "sandbox": not limits.production_access,
        "production_access": limits.production_access,
        "sending_enabled": limits.sending_enabled,
        "max_24_hour_send": limits.max_24_hour_send,
        "max_send_rate": limits.max_send_rate,
        "sent_last_24_hours": quota.sent_last_24_hours(tx, account, region, now),
        "review": (
            {"status": review_details["Status"], "case_id": review_details["CaseId"]}
            if review_details
            else None
        ),
    }


def _prune(services: Services) -> None:
    # Senders prune their own account's log as they go; this catches accounts that
    # stopped sending, so the table holds one day of sends at most.
    with services.db.transaction() as tx:
        quota.prune(tx, services.clock.now().timestamp())


ROUTES: list[BaseRoute] = [
    Route("/_poolmail/ses/account/review", review, methods=["POST"]),
    Route("/_poolmail/ses/account/sandbox", sandbox, methods=["POST"]),
    Route("/_poolmail/ses/accounts", accounts, methods=["GET"]),
]
JOBS: list[Job] = [Job("prune-ses-sends", lambda _: PRUNE_INTERVAL_SECONDS, _prune)]
