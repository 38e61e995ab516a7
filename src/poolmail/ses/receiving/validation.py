"""The checks a receipt rule, rule set or IP filter must pass before it is stored, in
SES's words; none of them reads the store or the network (targets.py checks what an
action points at).

The model gives these names no pattern, so the protocol layer cannot check them. AWS's
strings here come from third-party probes of real SES (floci-io/floci #3119, #3163, #3176;
moto PR getmoto/moto#8575): a character outside `^[a-zA-Z0-9_.-]+$` is a ValidationError
that does not echo the value, a name over 64 characters or not starting and ending with a
letter or digit is `InvalidParameterValue` `Not a valid <member>: <name>`.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from poolmail.protocol.errors import AwsError

NAME_CHARACTERS = re.compile(r"[a-zA-Z0-9_.-]+")
MAX_NAME = 64
# Quotas (docs.aws.amazon.com/ses/latest/dg/quotas.html).
MAX_RULE_SETS = 40
MAX_RULES = 200
MAX_ACTIONS = 10
MAX_RECIPIENTS = 100
MAX_FILTERS = 100
# AddHeaderAction [model]: "up to 50 characters ... alphanumeric (a-z, A-Z, 0-9) characters
# and dashes"; the value "up to 2048 characters. It can't contain newline (\n) or carriage
# return (\r) characters."
HEADER_NAME = re.compile(r"[A-Za-z0-9-]{1,50}")
MAX_HEADER_VALUE = 2048
# RFC 5321 reply codes and RFC 3463 enhanced status codes, for BounceAction.
SMTP_REPLY_CODE = re.compile(r"[45][0-5][0-9]")
SMTP_STATUS_CODE = re.compile(r"[45]\.[0-9]{1,3}\.[0-9]{1,3}")
ACTION_TYPES = (
    "S3Action",
    "BounceAction",
    "WorkmailAction",
    "LambdaAction",
    "StopAction",
    "AddHeaderAction",
    "SNSAction",
    "ConnectAction",
)


def validation_error(*problems: str) -> AwsError:
    count = len(problems)
    noun = "error" if count == 1 else "errors"
    return AwsError(
        "ValidationError", f"{count} validation {noun} detected: " + "; ".join(problems)
    )


def _pattern_problems(value: str, path: str) -> list[str]:
    problems = []
    if not value:
        problems.append(
            f"Value at '{path}' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1"
        )
    if not NAME_CHARACTERS.fullmatch(value):
        problems.append(
            f"Value at '{path}' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: ^[a-zA-Z0-9_.-]+$"
        )
    return problems


def _well_formed(name: str) -> bool:
    return (
        len(name) <= MAX_NAME
        and name[0].isascii()
        and name[0].isalnum()
        and (name[-1].isascii() and name[-1].isalnum())
    )


def check_names(*named: tuple[str | None, str]) -> None:
    """Check each (value, wire path) given: first every pattern problem together as one
    ValidationError, then the first too long or badly ended name. An absent value (None)
    is left to the caller. The path's last part names the member in the message
    (`ruleSetName`, `ruleName`, `rule.name` -> `ruleName`)."""
    problems = [
        p for value, path in named if value is not None for p in _pattern_problems(value, path)
    ]
    if problems:
        raise validation_error(*problems)
    for value, path in named:
        if value is not None and not _well_formed(value):
            member = "ruleName" if path == "rule.name" else path
            raise AwsError("InvalidParameterValue", f"Not a valid {member}: {value}")


def check_rule_names_list(names: list[str]) -> None:
    """ReorderReceiptRuleSet's RuleNames: one problem for any malformed member, with no
    index, and a length cap of 100 (not 64): floci-io/floci#3176 ~."""
    if any(not name or len(name) > 100 or not NAME_CHARACTERS.fullmatch(name) for name in names):
        raise validation_error(
            "Value at 'ruleNames' failed to satisfy constraint: Member must satisfy constraint: "
            "[Member must have length less than or equal to 100, Member must have length "
            "greater than or equal to 1, Member must satisfy regular expression pattern: "
            "^[a-zA-Z0-9_.-]+$]"
        )


def check_filter(name: str, cidr: str) -> None:
    """A filter's name ([model]: letters, digits, underscores, dashes; starting and ending
    with a letter or digit; at most 64) and its CIDR block."""
    if not name:
        raise AwsError("InvalidParameterValue", "filterName must not be empty")
    if not re.fullmatch(r"[a-zA-Z0-9_-]+", name) or not _well_formed(name):
        raise AwsError("InvalidParameterValue", f"Not a valid filterName: {name}")
    if not valid_cidr(cidr):
        raise AwsError("InvalidParameterValue", f"Invalid CIDR block: {cidr}")


def valid_cidr(cidr: str) -> bool:
    """A single IPv4 or IPv6 address or a block of them with a prefix length; host bits
    may be set ([model]'s own example is `10.0.0.1/24`). Zone ids, brackets, dotted
    netmasks and IPv4-mapped IPv6 spellings are refused, as SES refuses them
    (floci-io/floci#3163 ~)."""
    address, slash, prefix = cidr.partition("/")
    if slash and not re.fullmatch(r"[0-9]{1,3}", prefix):
        return False
    if not re.fullmatch(r"[0-9.]+|[0-9A-Fa-f:]+", address):
        return False
    try:
        network = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False
    return network.version == 4 or "." not in address


def check_rule(rule: dict[str, Any]) -> None:
    """What a rule must satisfy on its own: its name, the number of recipients and
    actions, each action holding exactly one type, StopAction last, AddHeaderAction's
    header and BounceAction's codes and message."""
    check_names((rule["Name"], "rule.name"))
    recipients = rule.get("Recipients") or []
    if len(recipients) > MAX_RECIPIENTS:
        raise AwsError("LimitExceededException", "Too many recipients")
    for recipient in recipients:
        if not recipient or any(c.isspace() for c in recipient):
            raise AwsError("InvalidParameterValue", f"Invalid recipient: {recipient}")
    actions = rule.get("Actions") or []
    if len(actions) > MAX_ACTIONS:
        raise AwsError("LimitExceededException", "Too many actions")
    for index, action in enumerate(actions):
        kinds = [kind for kind in ACTION_TYPES if action.get(kind) is not None]
        if len(kinds) != 1:
            # Choice: the model makes ReceiptAction a structure, yet each action is one of
            # its members; none or several is refused rather than guessed at.
            raise AwsError(
                "InvalidParameterValue", "Each action must specify exactly one action type"
            )
        if kinds[0] == "StopAction" and index != len(actions) - 1:
            raise AwsError(
                "InvalidParameterValue",
                "Stop action, if any, must be placed at the end of the actions list",
            )
        _check_action(kinds[0], action[kinds[0]])


def _check_action(kind: str, body: dict[str, Any]) -> None:
    if kind == "AddHeaderAction":
        name, value = body["HeaderName"], body["HeaderValue"]
        if not HEADER_NAME.fullmatch(name):
            raise AwsError("InvalidParameterValue", f"Invalid header name: {name}")
        if len(value) > MAX_HEADER_VALUE or "\r" in value or "\n" in value:
            raise AwsError("InvalidParameterValue", f"Invalid header value: {value}")
    elif kind == "BounceAction":
        if not SMTP_REPLY_CODE.fullmatch(body["SmtpReplyCode"]):
            raise AwsError(
                "InvalidParameterValue", f"Invalid SMTP reply code: {body['SmtpReplyCode']}"
            )
        status = body.get("StatusCode")
        if status is not None and not SMTP_STATUS_CODE.fullmatch(status):
            raise AwsError("InvalidParameterValue", f"Invalid SMTP status code: {status}")
        if not body["Message"]:
            raise AwsError(
                "InvalidParameterValue", f"Invalid SMTP response message: {body['Message']}"
            )
    elif kind == "S3Action" and not body["BucketName"]:
        raise AwsError("InvalidParameterValue", "Bucket name must not be empty")
    elif kind == "LambdaAction" and not body["FunctionArn"]:
        raise AwsError("InvalidParameterValue", "Lambda function ARN must not be empty")


def with_defaults(rule: dict[str, Any]) -> dict[str, Any]:
    """The rule as stored and described: [model] defaults filled (Enabled false, TlsPolicy
    Optional, ScanEnabled false), Recipients and Actions as lists, and SNSAction's Encoding
    UTF-8 (SES fills it in: floci-io/floci#3119 ~)."""
    actions = []
    for action in rule.get("Actions") or []:
        kind = next(kind for kind in ACTION_TYPES if action.get(kind) is not None)
        body = {key: value for key, value in action[kind].items() if value is not None}
        if kind == "SNSAction":
            body.setdefault("Encoding", "UTF-8")
        actions.append({kind: body})
    return {
        "Name": rule["Name"],
        "Enabled": bool(rule.get("Enabled", False)),
        "TlsPolicy": rule.get("TlsPolicy") or "Optional",
        "Recipients": list(rule.get("Recipients") or []),
        "Actions": actions,
        "ScanEnabled": bool(rule.get("ScanEnabled", False)),
    }
