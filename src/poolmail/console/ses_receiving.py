"""The console's SES email receiving page: the region's receipt rule sets with their rules
in order (recipients, actions), which set is active, and the IP address filters. Read-only:
everything shown comes from the same operations the SES API serves."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from poolmail.console.layout import show
from poolmail.console.scope import Scope, call, scope_of
from poolmail.server.admin.admin import services_of
from poolmail.server.pipeline import Services

SES = "ses"
# What each action type is shown by: its label and the member naming its target.
_ACTIONS = {
    "S3Action": ("S3", "BucketName"),
    "SNSAction": ("SNS", "TopicArn"),
    "LambdaAction": ("Lambda", "FunctionArn"),
    "BounceAction": ("Bounce", "SmtpReplyCode"),
    "AddHeaderAction": ("Add header", "HeaderName"),
    "StopAction": ("Stop", "Scope"),
    "WorkmailAction": ("WorkMail", "OrganizationArn"),
    "ConnectAction": ("Connect", "InstanceARN"),
}


def _action(action: dict[str, Any]) -> dict[str, Any]:
    [(kind, body)] = action.items()
    label, key = _ACTIONS.get(kind, (kind, ""))
    target = str(body.get(key, ""))
    if kind == "BounceAction":
        target = f"{target} {body.get('StatusCode', '')} {body.get('Message', '')}".strip()
    elif kind == "AddHeaderAction":
        target = f"{target}: {body.get('HeaderValue', '')}"
    elif kind == "S3Action" and body.get("ObjectKeyPrefix"):
        target = f"{target}/{body['ObjectKeyPrefix']}"
    return {
        "kind": label,
        "target": target,
        "topic": body.get("TopicArn") if key != "TopicArn" else None,
    }


def rule_sets(services: Services, scope: Scope) -> tuple[list[dict[str, Any]], str | None]:
    """Every rule set of the region with its rules, and the active set's name."""
    active = call(services, scope, SES, "DescribeActiveReceiptRuleSet", {})
    active_name = active.get("Metadata", {}).get("Name")
    listed = call(services, scope, SES, "ListReceiptRuleSets", {})["RuleSets"]
    found = []
    for metadata in listed:
        described = call(
            services, scope, SES, "DescribeReceiptRuleSet", {"RuleSetName": metadata["Name"]}
        )
        rules = [
            {**rule, "actions": [_action(action) for action in rule["Actions"]]}
            for rule in described["Rules"]
        ]
        found.append(
            {
                "name": metadata["Name"],
                "created_at": metadata["CreatedTimestamp"],
                "active": metadata["Name"] == active_name,
                "rules": rules,
            }
        )
    # The active set first: it is the one that decides what happens to mail.
    found.sort(key=lambda rule_set: not rule_set["active"])
    return found, active_name


async def receiving_page(request: Request) -> Response:
    services = services_of(request)
    scope = scope_of(request, services)

    def build() -> dict[str, Any]:
        found, active_name = rule_sets(services, scope)
        filters = call(services, scope, SES, "ListReceiptFilters", {})["Filters"]
        return {"rule_sets": found, "active_name": active_name, "filters": filters}

    return await show(request, scope, "ses_receiving.html", "receiving", build)
