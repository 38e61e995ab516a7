"""The server's lazy tables: operations (operations.LazyOperations, from
poolmail/handler_index.py) and admin routes (server/lazy_routes.py) serve exactly what
importing everything serves."""

from __future__ import annotations

import sys
from importlib import import_module
from types import ModuleType
from typing import Any

import pytest
from starlette.routing import Match

from poolmail.cognito.imports import runner as import_runner
from poolmail.context import RequestContext
from poolmail.handler_index import INDEX
from poolmail.operations import LazyOperations, build_registry, handler_index, lazy_registry
from poolmail.server.admin import ses_objects_api
from poolmail.server.app import admin_routes, background_jobs
from poolmail.server.lazy_routes import LazyRoutes, under
from poolmail.server.web import import_routes
from poolmail.ses.jobs import runner as ses_jobs_runner

SERVICES = ["cognito-idp", "ses", "sesv2"]


def test_the_handler_index_matches_the_modules_tables() -> None:
    # On failure: python -m poolmail.handler_index
    assert handler_index() == INDEX


@pytest.mark.parametrize("service", SERVICES)
def test_the_lazy_registry_serves_what_importing_everything_serves(service: str) -> None:
    everything = build_registry()[service]
    lazy = lazy_registry()[service]
    assert set(lazy) == set(everything)
    assert all(lazy[name] is handler for name, handler in everything.items())


def test_an_operation_missing_from_the_index_is_still_served() -> None:
    everything = build_registry()["cognito-idp"]
    stale = LazyOperations("cognito-idp", {"ListUserPools": "poolmail.cognito.users.users"})
    assert stale["ListUserPools"] is everything["ListUserPools"]
    assert stale["SignUp"] is everything["SignUp"]
    assert set(stale) == set(everything)


def test_an_index_naming_a_module_gone_still_serves() -> None:
    table = LazyOperations("ses", {"SendEmail": "poolmail.ses.no_such_module"})
    assert table["SendEmail"] is build_registry()["ses"]["SendEmail"]


def test_an_operation_no_module_serves_is_missing() -> None:
    table = LazyOperations("ses", {})
    assert table.get("NoSuchOperation") is None


def test_an_index_name_that_is_no_operation_fails_loudly() -> None:
    table = LazyOperations("ses", {"SendEmails": "poolmail.ses.sending.sending"})
    with pytest.raises(RuntimeError, match="ses has no operation SendEmails"):
        table.get("SendEmail")


def test_a_handler_named_otherwise_fails_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    def send_mail(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {}

    module = ModuleType("poolmail_test_handlers")
    module.V1 = {"SendEmail": send_mail}  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    table = LazyOperations("ses", {"SendEmail": module.__name__})
    with pytest.raises(RuntimeError, match=r"ses\.SendEmail is served by send_mail"):
        table.get("SendEmail")


def _lazy_routes() -> list[LazyRoutes]:
    return [route for route in admin_routes() if isinstance(route, LazyRoutes)]


def test_every_lazy_route_module_lives_under_its_prefixes_and_has_no_jobs() -> None:
    lazy = _lazy_routes()
    assert lazy
    for group in lazy:
        assert group.routes  # imports the module; raises for a route outside the prefixes
        assert getattr(import_module(group.module), "JOBS", []) == []
    assert {job.name for job in background_jobs()} >= {"cognito-user-import", "ses-jobs"}


def test_a_lazy_module_is_imported_only_by_a_request_under_its_prefixes() -> None:
    group = LazyRoutes("poolmail.server.admin.sms_api", ("/_poolmail/sms",))
    scope = {"type": "http", "path": "/_poolmail/smsx", "method": "GET"}
    assert group.matches(scope)[0] is Match.NONE
    assert group._routes is None
    match, child = group.matches({**scope, "path": "/_poolmail/sms/latest"})
    assert match is Match.FULL
    assert child["endpoint"].__name__ == "latest_sms"
    match, _ = group.matches({**scope, "path": "/_poolmail/sms/latest", "method": "PUT"})
    assert match is Match.PARTIAL


def test_a_route_outside_the_prefixes_fails_loudly() -> None:
    group = LazyRoutes("poolmail.server.admin.sms_api", ("/_poolmail/text",))
    with pytest.raises(RuntimeError, match="outside"):
        group.matches({"type": "http", "path": "/_poolmail/text", "method": "GET"})


def test_under_takes_whole_segments() -> None:
    assert under("/console", ("/console",))
    assert under("/console/mail/1", ("/console",))
    assert not under("/consoles", ("/console",))
    assert under("/", ("/",))
    assert not under("/x", ("/",))


def test_the_jobs_poll_as_their_runners_say() -> None:
    assert import_routes.POLL_SECONDS == import_runner.POLL_SECONDS
    assert ses_objects_api.POLL_SECONDS == ses_jobs_runner.POLL_SECONDS


def test_the_registry_serves_each_service_from_the_index() -> None:
    registry = lazy_registry()
    assert set(registry) == set(SERVICES)
    for service in SERVICES:
        assert set(INDEX[service]) >= set(registry[service])
