"""SES pages: identities per region (create, verify, delete; a domain's DNS records and
publishing them into poolmail's local zone) and the account page (sandbox, quotas, the
production-access request and, for the operator, its review)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from poolmail.console import chart, contact_lists, ses_authentication
from poolmail.console.forms import read_form
from poolmail.console.layout import same_origin_only, see_other, show
from poolmail.console.scope import Scope, call, scope_of
from poolmail.protocol.errors import AwsError
from poolmail.server.admin.admin import services_of
from poolmail.server.pipeline import Services
from poolmail.ses.account import account as ses_account
from poolmail.ses.account import quota
from poolmail.ses.identities import dns

SESV2 = "sesv2"


def identity_path(name: str) -> str:
    return f"/console/ses/identities/{quote(name, safe='@')}"


def identity_url(name: str, scope: Scope, **extra: str) -> str:
    return f"{identity_path(name)}?{scope.query(**extra)}"


def _base_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


async def identities_page(request: Request) -> Response:
    services = services_of(request)
    scope = scope_of(request, services)

    def build() -> dict[str, Any]:
        listed = call(services, scope, SESV2, "ListEmailIdentities", {})
        return {
            "identities": listed["EmailIdentities"],
            "error": None,
            "given": "",
            "contact_lists": contact_lists.overview(services, scope),
            "configuration_sets": ses_authentication.configuration_sets(services, scope),
        }

    return await show(request, scope, "identities.html", "identities", build)


@same_origin_only
async def create_identity(request: Request) -> Response:
    services = services_of(request)
    form = await read_form(request)
    scope = scope_of(request, services, form)
    name = form.get("identity", "").strip()
    try:
        await run_in_threadpool(
            call,
            services,
            scope,
            SESV2,
            "CreateEmailIdentity",
            {"EmailIdentity": name},
            base_url=_base_url(request),
        )
    except AwsError as error:
        refused = error

        def build() -> dict[str, Any]:
            listed = call(services, scope, SESV2, "ListEmailIdentities", {})
            return {"identities": listed["EmailIdentities"], "error": refused, "given": name}

        return await show(request, scope, "identities.html", "identities", build, status=400)
    return see_other(identity_url(name, scope, done="identity-created"))


def dns_records(
    services: Services, scope: Scope, name: str, identity: dict[str, Any]
) -> list[dict[str, Any]]:
    """The records a domain identity waits for (its TXT and its DKIM records), each marked
    if the local zone has it."""
    attributes = call(
        services, scope, "ses", "GetIdentityVerificationAttributes", {"Identities": [name]}
    )["VerificationAttributes"].get(name, {})
    wanted: list[tuple[str, str, str]] = []
    if attributes.get("VerificationToken"):
        wanted.append(("TXT", f"_amazonses.{name}", attributes["VerificationToken"]))
    wanted.extend(
        ses_authentication.dkim_records(services, scope, name, identity["DkimAttributes"])
    )
    return ses_authentication.marked(services, wanted)


def mail_from_records(
    services: Services, scope: Scope, identity: dict[str, Any]
) -> list[dict[str, Any]]:
    wanted = ses_authentication.mail_from_records(scope.region, identity["MailFromAttributes"])
    return ses_authentication.marked(services, wanted)


async def identity_page(request: Request) -> Response:
    services = services_of(request)
    scope = scope_of(request, services)
    name = request.path_params["identity"]

    def build() -> dict[str, Any]:
        identity = call(services, scope, SESV2, "GetEmailIdentity", {"EmailIdentity": name})
        is_domain = identity["IdentityType"] == "DOMAIN"
        return {
            "name": name,
            "identity": identity,
            "records": dns_records(services, scope, name, identity) if is_domain else [],
            "mail_from_records": mail_from_records(services, scope, identity),
            "base": identity_path(name),
            "mail_url": "/console/mail?"
            + Scope(scope.account, scope.region).query(recipient=name, kind="ses-verification"),
        }

    return await show(request, scope, "identity.html", "identities", build)


def _identity_action(request: Request, form: dict[str, str]) -> tuple[Services, Scope, str]:
    services = services_of(request)
    return services, scope_of(request, services, form), request.path_params["identity"]


@same_origin_only
async def publish_records(request: Request) -> Response:
    """Put a domain's TXT and DKIM records, and its MAIL FROM domain's MX and SPF records,
    into the local zone; the next read of the identity finds them and verifies it."""
    services, scope, name = _identity_action(request, await read_form(request))

    def run() -> None:
        identity = call(services, scope, SESV2, "GetEmailIdentity", {"EmailIdentity": name})
        records = dns_records(services, scope, name, identity)
        records += mail_from_records(services, scope, identity)
        now = services.clock.now().timestamp()
        with services.db.transaction() as tx:
            for record in records:
                dns.add_record(tx, record["name"], record["type"], record["value"], now)
        # Read it once, as a polling client would: a pending domain is re-checked on read.
        call(services, scope, SESV2, "GetEmailIdentity", {"EmailIdentity": name})

    return await _act(request, scope, name, run, "records-published")


@same_origin_only
async def resend_verification(request: Request) -> Response:
    services, scope, name = _identity_action(request, await read_form(request))
    base_url = _base_url(request)

    def run() -> None:
        params = {"EmailAddress": name}
        call(services, scope, "ses", "VerifyEmailIdentity", params, base_url=base_url)

    return await _act(request, scope, name, run, "verification-sent")


@same_origin_only
async def delete_identity(request: Request) -> Response:
    services, scope, name = _identity_action(request, await read_form(request))

    def run() -> None:
        call(services, scope, SESV2, "DeleteEmailIdentity", {"EmailIdentity": name})

    try:
        await run_in_threadpool(run)
    except AwsError as error:
        return await _refused(request, scope, error)
    return see_other(f"/console/ses/identities?{scope.query(done='identity-deleted')}")


async def _act(request: Request, scope: Scope, name: str, run: Any, done: str) -> Response:
    try:
        await run_in_threadpool(run)
    except AwsError as error:
        return await _refused(request, scope, error)
    return see_other(identity_url(name, scope, done=done))


async def _refused(request: Request, scope: Scope, error: AwsError) -> Response:
    def build() -> dict[str, Any]:
        raise error

    return await show(request, scope, "error.html", "identities", build)


# --- the account ---------------------------------------------------------------------


async def account_page(request: Request) -> Response:
    services = services_of(request)
    scope = scope_of(request, services)

    def build() -> dict[str, Any]:
        return _account_values(services, scope, None, {})

    return await show(request, scope, "account.html", "account", build)


def _account_values(
    services: Services, scope: Scope, error: AwsError | None, form: dict[str, str]
) -> dict[str, Any]:
    account = call(services, scope, SESV2, "GetAccount", {})
    sent_quota = account["SendQuota"]
    now = services.clock.now().timestamp()
    with services.db.transaction() as tx:
        counts = chart.hourly_sends(tx, scope.account, scope.region, now)
    review = (account.get("Details") or {}).get("ReviewDetails")
    return {
        "account": account,
        "used": int(sent_quota["SentLast24Hours"]),
        "left": max(0, int(sent_quota["Max24HourSend"] - sent_quota["SentLast24Hours"])),
        "bars": chart.bars(counts),
        "chart": {"width": chart.WIDTH, "height": chart.HEIGHT, "total": sum(counts)},
        "review": review,
        "error": error,
        "form": form,
        "query": scope.query(),
    }


@same_origin_only
async def request_production_access(request: Request) -> Response:
    services = services_of(request)
    form = await read_form(request)
    scope = scope_of(request, services, form)
    params: dict[str, Any] = {
        "MailType": form.get("mail_type", ""),
        "WebsiteURL": form.get("website_url", "").strip(),
        "ContactLanguage": form.get("contact_language") or "EN",
        "ProductionAccessEnabled": True,
    }
    if form.get("use_case", "").strip():
        params["UseCaseDescription"] = form["use_case"].strip()
    try:
        await run_in_threadpool(call, services, scope, SESV2, "PutAccountDetails", params)
    except AwsError as error:
        refused = error

        def build() -> dict[str, Any]:
            return _account_values(services, scope, refused, form)

        return await show(request, scope, "account.html", "account", build, status=400)
    return see_other(f"/console/ses/account?{scope.query(done='access-requested')}")


@same_origin_only
async def decide_review(request: Request) -> Response:
    """The operator's part (AWS Support's, on AWS): grant or deny the pending review."""
    services = services_of(request)
    form = await read_form(request)
    scope = scope_of(request, services, form)
    decision: ses_account.Decision = "GRANTED" if form.get("decision") == "GRANTED" else "DENIED"

    def run() -> None:
        now = services.clock.now().timestamp()
        with services.db.transaction(lock=quota.lock_name(scope.account, scope.region)) as tx:
            decided = ses_account.decide_review(
                tx, services.settings, scope.account, scope.region, decision, now
            )
        if decided is None:
            raise AwsError(
                "NoPendingReview",
                f"Account {scope.account} has no production-access review pending in "
                f"{scope.region}.",
            )

    try:
        await run_in_threadpool(run)
    except AwsError as error:
        return await _refused(request, scope, error)
    return see_other(f"/console/ses/account?{scope.query(done='review-decided')}")


@same_origin_only
async def switch_sending(request: Request) -> Response:
    services = services_of(request)
    form = await read_form(request)
    scope = scope_of(request, services, form)
    params = {"SendingEnabled": form.get("enabled") == "true"}
    try:
        await run_in_threadpool(call, services, scope, SESV2, "PutAccountSendingAttributes", params)
    except AwsError as error:
        return await _refused(request, scope, error)
    return see_other(f"/console/ses/account?{scope.query(done='sending-changed')}")
