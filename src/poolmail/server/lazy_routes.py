"""A module's routes, imported at the first request under the paths they live in.

The console's pages, the mailbox API and most admin endpoints pull in much of poolmail
(the console alone some twenty modules); a server that only answers AWS calls never needs
them, and importing them was a fair share of every start-up.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from starlette.datastructures import URLPath
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

# The scope key carrying the route of the module that matched, for ``handle``.
_MATCHED = "poolmail.lazy_route"


def under(path: str, prefixes: tuple[str, ...]) -> bool:
    """Whether ``path`` is one of ``prefixes`` or below one of them (by whole segments)."""
    return any(path == prefix or path.startswith(prefix + "/") for prefix in prefixes)


class LazyRoutes(BaseRoute):
    """The ``ROUTES`` of ``module``, tried in their order wherever the route table names
    this object, imported at the first request whose path is under one of ``prefixes``.

    Every route of the module must live under them: the import checks it, so a route
    added elsewhere fails the first request loudly rather than never matching
    (tests/test_registry.py loads every module).
    """

    def __init__(self, module: str, prefixes: tuple[str, ...]) -> None:
        self.module = module
        self.prefixes = prefixes
        self._routes: list[BaseRoute] | None = None

    @property
    def routes(self) -> list[BaseRoute]:
        if self._routes is None:
            routes: list[BaseRoute] = list(import_module(self.module).ROUTES)
            for route in routes:
                path = getattr(route, "path", "")
                if not under(path.split("{", 1)[0].rstrip("/") or "/", self.prefixes):
                    raise RuntimeError(f"{self.module} routes {path} outside {self.prefixes}")
            self._routes = routes
        return self._routes

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or not under(scope["path"], self.prefixes):
            return Match.NONE, {}
        partial: Scope | None = None
        for route in self.routes:
            match, child = route.matches(scope)
            if match is Match.FULL:
                return match, {**child, _MATCHED: route}
            if match is Match.PARTIAL and partial is None:
                partial = {**child, _MATCHED: route}
        if partial is not None:
            return Match.PARTIAL, partial
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        route: BaseRoute = scope[_MATCHED]
        await route.handle(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        for route in self.routes:
            try:
                return route.url_path_for(name, **path_params)
            except NoMatchFound:
                continue
        raise NoMatchFound(name, path_params)
