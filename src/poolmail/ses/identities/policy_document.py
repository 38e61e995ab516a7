"""SES sending-authorisation policies as documents: the checks PutIdentityPolicy applies,
and IAM's evaluation (explicit Deny wins, else any matching Allow). Pure functions."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

MAX_POLICY_BYTES = 4096
# Both spellings of Cognito's principal work: the Cognito guide uses the first, the SES
# guide the second (AWS_FACTS §8).
COGNITO_SERVICES = frozenset({"email.cognito-idp.amazonaws.com", "cognito-idp.amazonaws.com"})

# Actions an identity policy may name [doc] policy-anatomy.md and
# identity-authorization-policy-examples.md; poolmail evaluates only the sending ones.
SEND_ACTIONS = ("SendEmail", "SendRawEmail", "SendTemplatedEmail", "SendBulkTemplatedEmail")
ACTIONS = frozenset(
    name.lower()
    for name in (
        *SEND_ACTIONS,
        "SendBulkEmail",
        "BatchGetMetricData",
        "ListRecommendations",
        "CreateDeliverabilityTestReport",
        "CreateEmailIdentityPolicy",
        "DeleteEmailIdentity",
        "DeleteEmailIdentityPolicy",
        "GetDomainStatisticsReport",
        "GetEmailIdentity",
        "GetEmailIdentityPolicies",
        "PutEmailIdentityConfigurationSetAttributes",
        "PutEmailIdentityDkimAttributes",
        "PutEmailIdentityDkimSigningAttributes",
        "PutEmailIdentityFeedbackAttributes",
        "PutEmailIdentityMailFromAttributes",
        "TagResource",
        "UntagResource",
        "UpdateEmailIdentityPolicy",
    )
)
SES_KEYS = ("Recipients", "FromAddress", "FromDisplayName", "FeedbackAddress", "ApiVersion")
GLOBAL_KEYS = [
    "SourceAccount",
    "SourceArn",
    "SourceIp",
    "SourceVpc",
    "SourceVpce",
    "SourceOrgID",
    "SourceOrgPaths",
    "CurrentTime",
    "EpochTime",
    "SecureTransport",
    "UserAgent",
    "Referer",
    "RequestedRegion",
    "PrincipalAccount",
    "PrincipalArn",
    "PrincipalOrgID",
    "PrincipalOrgPaths",
    "PrincipalType",
    "PrincipalServiceName",
    "PrincipalServiceNamesList",
    "PrincipalIsAWSService",
    "userid",
    "username",
    "MultiFactorAuthPresent",
    "MultiFactorAuthAge",
    "TokenIssueTime",
    "ViaAWSService",
    "CalledVia",
    "CalledViaFirst",
    "CalledViaLast",
    "ResourceAccount",
    "ResourceOrgID",
    "ResourceOrgPaths",
    "TagKeys",
]
# AWS quirk: the prefix is case-sensitive: SES refused `AWS:SourceAccount` with "Unknown or
# unapplicable condition field 'AWS:SourceAccount'." (awsdocs/amazon-cognito-developer-guide#41).
# The name after it is compared without case, as IAM compares condition keys.
CONDITION_KEYS = frozenset(
    [f"ses:{name.lower()}" for name in SES_KEYS] + [f"aws:{name.lower()}" for name in GLOBAL_KEYS]
)
TAG_KEY_PREFIXES = ("aws:principaltag/", "aws:requesttag/", "aws:resourcetag/")


class PolicyError(ValueError):
    """Why a policy document is refused (the InvalidPolicy message)."""


def _wildcard(pattern: str, value: str, *, fold: bool = False) -> bool:
    expression = re.escape(pattern).replace(r"\*", ".*").replace(r"\?", ".")
    return re.fullmatch(expression, value, re.S | (re.I if fold else 0)) is not None


def _arn_like(value: str, pattern: str) -> bool:
    # IAM matches ARNs part by part (`arn:partition:service:region:account:resource`).
    values, patterns = value.split(":", 5), pattern.split(":", 5)
    return len(values) == len(patterns) and all(map(_wildcard, patterns, values))


def _epoch(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).timestamp()


def _compare(convert: Callable[[str], float], test: Callable[[float, float], bool]) -> Any:
    def compare(value: str, wanted: str) -> bool:
        try:
            return test(convert(value), convert(wanted))
        except ValueError:
            return False

    return compare


def _in_network(value: str, network: str) -> bool:
    try:
        return ipaddress.ip_address(value) in ipaddress.ip_network(network, strict=False)
    except ValueError:
        return False


# Positive operators; a `Not` form negates its positive one (see _OPERATORS below).
_TESTS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": lambda value, wanted: value == wanted,
    "StringEqualsIgnoreCase": lambda value, wanted: value.casefold() == wanted.casefold(),
    "StringLike": lambda value, wanted: _wildcard(wanted, value),
    "ArnEquals": _arn_like,
    "ArnLike": _arn_like,
    "Bool": lambda value, wanted: value.lower() == wanted.lower(),
    "IpAddress": _in_network,
    "BinaryEquals": lambda value, wanted: value == wanted,
}
for _prefix, _convert in (("Numeric", float), ("Date", _epoch)):
    for _suffix, _test in (
        ("Equals", lambda a, b: a == b),
        ("LessThan", lambda a, b: a < b),
        ("LessThanEquals", lambda a, b: a <= b),
        ("GreaterThan", lambda a, b: a > b),
        ("GreaterThanEquals", lambda a, b: a >= b),
    ):
        _TESTS[_prefix + _suffix] = _compare(_convert, _test)
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
    "NumericNotEquals": "NumericEquals",
    "DateNotEquals": "DateEquals",
    "NotIpAddress": "IpAddress",
}
_OPERATORS = {*_TESTS, *_NEGATED, "Null"}


@dataclass(frozen=True, slots=True)
class Condition:
    operator: str  # as written, e.g. ForAllValues:StringLikeIfExists
    key: str
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Statement:
    effect: str
    anyone: bool = False
    accounts: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    conditions: tuple[Condition, ...] = field(default_factory=tuple)


def _strings(value: Any, what: str) -> list[str]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(item, str) and item for item in items):
        raise PolicyError(f"Invalid {what}: {json.dumps(value)}.")
    return list(items)


def _principal(value: Any) -> tuple[bool, list[str], list[str]]:
    if value == "*":
        return True, [], []
    if not isinstance(value, dict) or not value or set(value) - {"AWS", "Service"}:
        raise PolicyError(f"Invalid principal: {json.dumps(value)}.")
    accounts = _strings(value.get("AWS", []), "principal") if "AWS" in value else []
    services = _strings(value.get("Service", []), "principal") if "Service" in value else []
    for account in accounts:
        if account != "*" and not re.fullmatch(r"\d{12}|arn:aws[\w-]*:iam::\d{12}:\S+", account):
            raise PolicyError(f"Invalid principal: {account}.")
    for service in services:
        if not re.fullmatch(r"[a-z0-9.-]+\.amazonaws\.com(\.cn)?", service):
            raise PolicyError(f"Invalid principal: {service}.")
    return "*" in accounts, accounts, services


def _conditions(value: Any) -> list[Condition]:
    if not isinstance(value, dict):
        raise PolicyError(f"Invalid condition: {json.dumps(value)}.")
    found: list[Condition] = []
    for operator, block in value.items():
        set_operator, _, base = operator.rpartition(":")
        if (
            set_operator not in ("", "ForAnyValue", "ForAllValues")
            or base.removesuffix("IfExists") not in _OPERATORS
            or not isinstance(block, dict)
        ):
            raise PolicyError(f"Unknown or unapplicable condition operator '{operator}'.")
        for key, wanted in block.items():
            lowered = key.lower()
            known = key[:4] in ("aws:", "ses:") and (
                lowered in CONDITION_KEYS or lowered.startswith(TAG_KEY_PREFIXES)
            )
            if not known:
                raise PolicyError(f"Unknown or unapplicable condition field '{key}'.")
            items = wanted if isinstance(wanted, list) else [wanted]
            if not items or not all(isinstance(item, str | int | float | bool) for item in items):
                raise PolicyError(f"Invalid condition value for '{key}'.")
            texts = tuple(
                str(item).lower() if isinstance(item, bool) else str(item) for item in items
            )
            found.append(Condition(operator, key, texts))
    return found


def parse(text: str, identity_arn: str) -> list[Statement]:
    """The statements of ``text``, checked as SES checks a policy for ``identity_arn``."""
    if len(text.encode()) > MAX_POLICY_BYTES:
        raise PolicyError("Policy exceeds the maximum size of 4 KB.")
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise PolicyError("Policy is not valid JSON.") from exc
    raw = document.get("Statement") if isinstance(document, dict) else None
    statements = [raw] if isinstance(raw, dict) else raw
    if not isinstance(statements, list) or not statements:
        raise PolicyError("Policy must contain at least one statement.")
    return [_statement(item, identity_arn) for item in statements]


def _statement(item: Any, identity_arn: str) -> Statement:
    if not isinstance(item, dict):
        raise PolicyError("Each statement must be a JSON object.")
    for element in ("NotPrincipal", "NotAction", "NotResource"):
        if element in item:
            raise PolicyError(f"Policy element {element} is not supported.")
    if item.get("Effect") not in ("Allow", "Deny"):
        raise PolicyError(f"Invalid effect: {json.dumps(item.get('Effect'))}.")
    if "Principal" not in item:
        raise PolicyError("Each statement must have at least one principal.")
    anyone, accounts, services = _principal(item["Principal"])
    if "Action" not in item:
        raise PolicyError("Each statement must have at least one action.")
    actions = _strings(item["Action"], "action")
    for action in actions:
        service, _, name = action.partition(":")
        # AWS quirk: the service prefix is case-insensitive: Cognito's guide writes
        # `SES:SendEmail` and SES accepts it.
        if service.lower() != "ses" or not any(
            _wildcard(name, known, fold=True) for known in ACTIONS
        ):
            raise PolicyError(f"Unknown or unapplicable action '{action}'.")
    resources = _strings(item.get("Resource", []), "resource") if "Resource" in item else []
    if len(resources) != 1 or not _same_identity_arn(resources[0], identity_arn):
        raise PolicyError(
            f"Each statement must have exactly one resource, the identity's ARN {identity_arn}."
        )
    conditions = _conditions(item["Condition"]) if "Condition" in item else []
    return Statement(
        item["Effect"], anyone, tuple(accounts), tuple(services), tuple(actions), tuple(conditions)
    )


def _same_identity_arn(given: str, expected: str) -> bool:
    head, _, name = given.partition(":identity/")
    wanted_head, _, wanted_name = expected.partition(":identity/")
    # Domains compare without case; email addresses keep theirs, as SES stores them.
    same_name = name == wanted_name or ("@" not in name and name.lower() == wanted_name.lower())
    return head == wanted_head and same_name


def allows(
    statements: Iterable[Statement],
    *,
    principal_account: str | None,
    principal_service: str | None,
    action: str,
    context: Mapping[str, str | list[str]],
) -> bool:
    """IAM's verdict: an explicit Deny wins; otherwise any matching Allow allows."""
    allowed = False
    for statement in statements:
        if (
            _principal_matches(statement, principal_account, principal_service)
            and any(
                _wildcard(pattern.partition(":")[2], action.partition(":")[2], fold=True)
                for pattern in statement.actions
            )
            and all(condition_holds(condition, context) for condition in statement.conditions)
        ):
            if statement.effect == "Deny":
                return False
            allowed = True
    return allowed


def _principal_matches(statement: Statement, account: str | None, service: str | None) -> bool:
    if statement.anyone:
        return True
    if account is not None and (
        account in statement.accounts or f"arn:aws:iam::{account}:root" in statement.accounts
    ):
        return True
    if service is None:
        return False
    services = COGNITO_SERVICES if service in COGNITO_SERVICES else {service}
    return any(named in services for named in statement.services)


def condition_holds(condition: Condition, context: Mapping[str, str | list[str]]) -> bool:
    set_operator, _, operator = condition.operator.rpartition(":")
    if_exists = operator.endswith("IfExists")
    operator = operator.removesuffix("IfExists")
    found = next(
        (value for key, value in context.items() if key.lower() == condition.key.lower()), None
    )
    values = None if found is None else [found] if isinstance(found, str) else list(found)
    if operator == "Null":
        return (not values) == (condition.values[0].lower() == "true")
    if values is None:
        # AWS quirk: a key absent from the request fails a condition but passes a negated
        # one, an ...IfExists one and ForAllValues (IAM User Guide,
        # reference_policies_condition-single-vs-multi-valued-context-keys).
        return if_exists or operator in _NEGATED or set_operator == "ForAllValues"
    negated = operator in _NEGATED
    test = _TESTS[_NEGATED.get(operator, operator)]

    def matches(value: str) -> bool:
        hit = any(test(value, wanted) for wanted in condition.values)
        return not hit if negated else hit

    if set_operator == "ForAllValues":
        return all(map(matches, values))
    return any(map(matches, values))
