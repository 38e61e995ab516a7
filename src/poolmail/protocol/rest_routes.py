"""REST-JSON routing: method and path to operation, from the model's ``requestUri``.

Clients of different ages reach AWS with different routes for a few operations, and AWS
answers them all; ``LEGACY_ROUTES`` lists those moves so the server answers both forms,
whichever botocore it runs on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Literal
from urllib.parse import unquote

from poolmail.protocol.models import service_model

MemberSource = Literal["model", "query", "body"]


@dataclass(frozen=True, slots=True)
class Route:
    operation: str
    method: str
    pattern: re.Pattern[str]
    literal_length: int
    # Where the input members come from: as the loaded model says, or all from the query
    # string / JSON body (a route from another model version, see LEGACY_ROUTES).
    source: MemberSource = "model"


@dataclass(frozen=True, slots=True)
class Match:
    operation: str
    labels: dict[str, str]
    source: MemberSource = "model"


@dataclass(frozen=True, slots=True)
class LegacyRoute:
    operation: str
    method: str
    uri: str
    source: MemberSource
    note: str = field(default="", compare=False)


# botocore 1.44 (2026) moved these SES v2 list operations from GET with query parameters
# to POST with a JSON body. Old and new SDKs both work against AWS.
LEGACY_ROUTES: dict[str, tuple[LegacyRoute, ...]] = {
    "sesv2": (
        LegacyRoute("ListEmailIdentities", "GET", "/v2/email/identities", "query"),
        LegacyRoute("ListEmailIdentities", "POST", "/v2/email/list-identities", "body"),
        LegacyRoute("ListConfigurationSets", "GET", "/v2/email/configuration-sets", "query"),
        LegacyRoute("ListConfigurationSets", "POST", "/v2/email/list-configuration-sets", "body"),
    ),
}

_LABEL = re.compile(r"\{([^}]+?)(\+?)\}")


def _compile(uri: str) -> tuple[re.Pattern[str], int]:
    path = uri.split("?", 1)[0]
    pattern = ""
    literal = 0
    position = 0
    for label in _LABEL.finditer(path):
        text = path[position : label.start()]
        pattern += re.escape(text)
        literal += len(text)
        name, greedy = label.group(1), label.group(2)
        pattern += f"(?P<{name}>.+)" if greedy else f"(?P<{name}>[^/]+)"
        position = label.end()
    pattern += re.escape(path[position:])
    literal += len(path) - position
    return re.compile(pattern + "/?"), literal


@cache
def routes(service: str) -> tuple[Route, ...]:
    model = service_model(service)
    table: list[Route] = []
    seen: set[tuple[str, str]] = set()
    for name in model.operation_names:
        http = model.operation_model(name).http
        pattern, literal = _compile(http["requestUri"])
        table.append(Route(name, http["method"], pattern, literal))
        seen.add((http["method"], http["requestUri"]))
    for legacy in LEGACY_ROUTES.get(service, ()):
        if legacy.operation in model.operation_names and (legacy.method, legacy.uri) not in seen:
            pattern, literal = _compile(legacy.uri)
            table.append(Route(legacy.operation, legacy.method, pattern, literal, legacy.source))
    # The most literal route wins: /v2/email/identities/list beats /v2/email/identities/{Id}.
    table.sort(key=lambda route: -route.literal_length)
    return tuple(table)


@cache
def _literal_routes(service: str) -> dict[tuple[str, str], Match]:
    """The routes without labels by method and exact path (with and without the trailing
    slash the patterns allow). Such a route is the most literal of any that matches its
    path, so a request found here needs no pattern tried: most calls, sends among them."""
    table: dict[tuple[str, str], Match] = {}
    for route in routes(service):
        if route.pattern.groups == 0:
            path = route.pattern.pattern.removesuffix("/?").replace("\\", "")
            found = Match(route.operation, {}, route.source)
            table.setdefault((route.method, path), found)
            table.setdefault((route.method, path + "/"), found)
    return table


def match(service: str, method: str, raw_path: str) -> Match | None:
    """Find the operation for a request; ``raw_path`` is still percent-encoded."""
    literal = _literal_routes(service).get((method, raw_path))
    if literal is not None:
        # A fresh labels dict: callers may add to it.
        return Match(literal.operation, {}, literal.source)
    for route in routes(service):
        if route.method != method:
            continue
        found = route.pattern.fullmatch(raw_path)
        if found:
            labels = {key: unquote(value) for key, value in found.groupdict().items()}
            return Match(route.operation, labels, route.source)
    return None


def path_exists(service: str, raw_path: str) -> bool:
    return any(route.pattern.fullmatch(raw_path) for route in routes(service))
