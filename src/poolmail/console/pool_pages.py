"""User pool pages: the list per account and region, a pool with its users and app
clients, and the Messaging page that edits email settings and templates."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from poolmail.aws_services import outbox
from poolmail.cognito.messaging.ses_regions import allowed_ses_regions
from poolmail.console import email_settings
from poolmail.console.forms import read_form
from poolmail.console.invocation_links import recent_for_pool
from poolmail.console.layout import Handler, same_origin_only, see_other, show
from poolmail.console.scope import Scope, call, has_operation, pool_scope, scope_of
from poolmail.protocol.errors import AwsError
from poolmail.server.admin.admin import services_of
from poolmail.server.pipeline import Services

COGNITO = "cognito-idp"
PAGE_SIZE = 60


def _pool_scope(request: Request, fields: dict[str, str] | None = None) -> tuple[str, Scope]:
    services = services_of(request)
    pool_id = request.path_params["pool_id"]
    return pool_id, pool_scope(pool_id, scope_of(request, services, fields))


def pool_url(pool_id: str, scope: Scope, page: str = "", **extra: str) -> str:
    suffix = f"/{page}" if page else ""
    return f"/console/pools/{quote(pool_id)}{suffix}?{scope.query(**extra)}"


async def pools_page(request: Request) -> Response:
    services = services_of(request)
    scope = scope_of(request, services)

    def build() -> dict[str, Any]:
        listed = call(services, scope, COGNITO, "ListUserPools", {"MaxResults": PAGE_SIZE})
        return {"pools": listed["UserPools"], "more": "NextToken" in listed}

    return await show(request, scope, "pools.html", "pools", build)


def _users(services: Services, scope: Scope, pool_id: str) -> list[dict[str, Any]]:
    listed = call(services, scope, COGNITO, "ListUsers", {"UserPoolId": pool_id, "Limit": 60})
    users: list[dict[str, Any]] = listed["Users"]
    # Groups arrive with Cognito sign-in (issue 5); until then the column stays empty.
    with_groups = has_operation(services, COGNITO, "AdminListGroupsForUser")
    for user in users:
        user["groups"] = []
        if with_groups:
            answer = call(
                services,
                scope,
                COGNITO,
                "AdminListGroupsForUser",
                {"UserPoolId": pool_id, "Username": user["Username"]},
            )
            user["groups"] = [group["GroupName"] for group in answer.get("Groups", [])]
    return users


def _clients(services: Services, scope: Scope, pool_id: str) -> list[dict[str, Any]]:
    listed = call(
        services, scope, COGNITO, "ListUserPoolClients", {"UserPoolId": pool_id, "MaxResults": 60}
    )
    return [
        call(
            services,
            scope,
            COGNITO,
            "DescribeUserPoolClient",
            {"UserPoolId": pool_id, "ClientId": item["ClientId"]},
        )["UserPoolClient"]
        for item in listed["UserPoolClients"]
    ]


def _logs(services: Services, pool_id: str) -> list[dict[str, Any]]:
    """The pool's newest exported log records (userNotification, userAuthEvents) with how
    their delivery went: the ones an app's troubleshooting starts from."""
    with services.db.transaction(readonly=True) as tx:
        return outbox.listing(tx, source_prefix="cognito-idp:", owner=pool_id, limit=20)


def _invocations(services: Services, pool_id: str) -> list[dict[str, Any]]:
    with services.db.transaction(readonly=True) as tx:
        return recent_for_pool(tx, pool_id)


def _mfa_factors(services: Services, scope: Scope, pool_id: str) -> list[str]:
    """The MFA methods the pool offers, named as the AWS console names them."""
    config = call(services, scope, COGNITO, "GetUserPoolMfaConfig", {"UserPoolId": pool_id})
    factors = []
    if config.get("SmsMfaConfiguration"):
        factors.append("SMS")
    if (config.get("SoftwareTokenMfaConfiguration") or {}).get("Enabled"):
        factors.append("Authenticator apps")
    if config.get("EmailMfaConfiguration"):
        factors.append("Email")
    return factors


async def pool_page(request: Request) -> Response:
    services = services_of(request)
    pool_id, scope = _pool_scope(request)

    def build() -> dict[str, Any]:
        described = call(services, scope, COGNITO, "DescribeUserPool", {"UserPoolId": pool_id})
        return {
            "pool": described["UserPool"],
            "users": _users(services, scope, pool_id),
            "clients": _clients(services, scope, pool_id),
            "groups_known": has_operation(services, COGNITO, "AdminListGroupsForUser"),
            "email_url": pool_url(pool_id, scope, "email"),
            "app_integration_url": pool_url(pool_id, scope, "app-integration"),
            "mfa_factors": _mfa_factors(services, scope, pool_id),
            "imports": call(
                services,
                scope,
                COGNITO,
                "ListUserImportJobs",
                {"UserPoolId": pool_id, "MaxResults": 20},
            )["UserImportJobs"],
            "logs": _logs(services, pool_id),
            "invocations": _invocations(services, pool_id),
        }

    return await show(request, scope, "pool.html", "pools", build)


def _messaging(
    services: Services,
    scope: Scope,
    pool_id: str,
    form: dict[str, str] | None,
    which: str,
) -> dict[str, Any]:
    """The Messaging page's values: the stored settings, or the submitted ``form`` of the
    section named ``which`` after a refused save."""
    described = call(services, scope, COGNITO, "DescribeUserPool", {"UserPoolId": pool_id})
    pool = described["UserPool"]
    email = email_settings.form_values(pool.get("EmailConfiguration") or {})
    templates = email_settings.template_values(pool)
    if form is not None and which == "email":
        email.update({key: form.get(key, "") for key in email})
    if form is not None and which == "templates":
        templates.update({key: form.get(key, "") for key in templates})
    return {
        "pool": pool,
        "email": email,
        "templates": templates,
        "identities": email_settings.identity_choices(services, scope),
        "configuration_sets": email_settings.configuration_sets(services, scope),
        "ses_regions": allowed_ses_regions(scope.region),
        "pool_url": pool_url(pool_id, scope),
        "email_action": pool_url(pool_id, scope, "email"),
        "templates_action": pool_url(pool_id, scope, "templates"),
        "identities_url": f"/console/ses/identities?{scope.query()}",
    }


async def email_page(request: Request) -> Response:
    services = services_of(request)
    pool_id, scope = _pool_scope(request)

    def build() -> dict[str, Any]:
        return {**_messaging(services, scope, pool_id, None, ""), "error": None, "failed": ""}

    return await show(request, scope, "pool_email.html", "pools", build)


def _saver(which: str) -> Handler:
    save = email_settings.save_email if which == "email" else email_settings.save_templates

    @same_origin_only
    async def save_section(request: Request) -> Response:
        services = services_of(request)
        form = await read_form(request)
        pool_id, scope = _pool_scope(request, form)
        try:
            await run_in_threadpool(save, services, scope, pool_id, form)
        except AwsError as error:
            refused = error

            def build() -> dict[str, Any]:
                values = _messaging(services, scope, pool_id, form, which)
                return {**values, "error": refused, "failed": which}

            return await show(request, scope, "pool_email.html", "pools", build, status=400)
        return see_other(pool_url(pool_id, scope, done=f"{which}-saved"))

    save_section.__name__ = f"save_{which}"
    return save_section


save_email = _saver("email")
save_templates = _saver("templates")
