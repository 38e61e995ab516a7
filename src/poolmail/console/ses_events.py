"""The console's SES event publishing page: each configuration set of the region with its
event destinations, and the delivery log — every event record published to them, with its
delivery status and attempts, as the outbox keeps it."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from poolmail.console.layout import show
from poolmail.console.scope import Scope, call, scope_of
from poolmail.server.admin.admin import services_of
from poolmail.server.pipeline import Services
from poolmail.ses.events import delivery_log

SESV2 = "sesv2"
# The page shows the newest records; the admin API (`/_poolmail/ses/events`) has the rest.
LOG_SHOWN = 200
_KINDS = {
    "SnsDestination": ("SNS", "TopicArn"),
    "KinesisFirehoseDestination": ("Firehose", "DeliveryStreamArn"),
    "EventBridgeDestination": ("EventBridge", "EventBusArn"),
    "PinpointDestination": ("Pinpoint", "ApplicationArn"),
}


def _where(destination: dict[str, Any]) -> tuple[str, str]:
    """A destination's kind and what it names (an ARN, or CloudWatch's dimensions)."""
    for member, (label, key) in _KINDS.items():
        if member in destination:
            return label, str(destination[member].get(key, ""))
    dimensions = destination.get("CloudWatchDestination", {}).get("DimensionConfigurations", [])
    shown = ", ".join(
        f"{item['DimensionName']} ({item['DimensionValueSource']}, default "
        f"{item['DefaultDimensionValue']})"
        for item in dimensions
    )
    return "CloudWatch", shown


def configuration_sets(services: Services, scope: Scope) -> list[dict[str, Any]]:
    names = call(services, scope, SESV2, "ListConfigurationSets", {})["ConfigurationSets"]
    found = []
    for name in names:
        listed = call(
            services,
            scope,
            SESV2,
            "GetConfigurationSetEventDestinations",
            {"ConfigurationSetName": name},
        )["EventDestinations"]
        destinations = []
        for destination in listed:
            kind, where = _where(destination)
            destinations.append({**destination, "kind": kind, "where": where})
        found.append({"name": name, "destinations": destinations})
    return found


async def events_page(request: Request) -> Response:
    services = services_of(request)
    scope = scope_of(request, services)

    def build() -> dict[str, Any]:
        with services.db.transaction(readonly=True) as tx:
            log = delivery_log.entries(
                tx,
                account=scope.account,
                region=scope.region,
                validations=True,
                limit=LOG_SHOWN,
            )
        for entry in log:
            record = entry["record"]
            entry["shown"] = record if isinstance(record, str) else json.dumps(record, indent=2)
        return {"configuration_sets": configuration_sets(services, scope), "log": log}

    return await show(request, scope, "ses_events.html", "events", build)
