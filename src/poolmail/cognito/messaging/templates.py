"""Verification-message templates at configuration time: the legacy mirror fields and the
rules CreateUserPool/UpdateUserPool apply beyond the model's patterns (AWS_FACTS §5).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from poolmail.protocol.errors import AwsError

CODE = "CONFIRM_WITH_CODE"
LINK = "CONFIRM_WITH_LINK"

INVALID = "The message is invalid."
EMPTY = "The message is empty."

# `{##Verify Email##}`: the link placeholder with its (non-empty) link text.
_LINK_WITH_TEXT = re.compile(r"\{##(.+?)##\}", re.DOTALL)
_CODE_PLACEHOLDER = "{####}"

# Legacy top-level member -> its VerificationMessageTemplate member. AWS fills each from
# the other: describe-user-pool.rst shows console pools with both populated (AWS_FACTS §4).
LEGACY_MIRRORS: dict[str, str] = {
    "EmailVerificationMessage": "EmailMessage",
    "EmailVerificationSubject": "EmailSubject",
    "SmsVerificationMessage": "SmsMessage",
}


def _has_link_text(message: str) -> bool:
    return any(text.strip() for text in _LINK_WITH_TEXT.findall(message))


def _missing(message: str | None) -> bool:
    return message is None


def _present(message: str | None) -> bool:
    return message is not None


def _code_instead_of_link(message: str | None) -> bool:
    return message is not None and not _has_link_text(message) and _CODE_PLACEHOLDER in message


def _no_link_text(message: str | None) -> bool:
    return message is not None and not _has_link_text(message)


def _no_code(message: str | None) -> bool:
    return message is not None and _CODE_PLACEHOLDER not in message


@dataclass(frozen=True, slots=True)
class Rule:
    option: str | None  # the DefaultEmailOption the rule applies to; None: either
    member: str  # a VerificationMessageTemplate member, or a legacy top-level one
    broken: Callable[[str | None], bool]
    message: str
    source: str


# The first rule that a template breaks decides the error. The model's patterns run first
# (protocol layer): they already refuse a by-link message with no `{##...##}` at all and a
# code message with no `{####}`, with the generic "1 validation error detected" text. But
# `{####}` matches the by-link pattern (`\{##` + nothing + `##\}`), so these rules see it.
RULES: tuple[Rule, ...] = (
    # The legacy code message sent with link-style verification: CDK's fix for this error
    # was to stop sending it (aws-cdk#6811, #6705, fixed by #6938).
    Rule(LINK, "EmailVerificationMessage", _present, INVALID, "[obs] aws-cdk#6811, #6938"),
    Rule(LINK, "EmailMessageByLink", _missing, INVALID, "choice: link style with no link text"),
    Rule(LINK, "EmailMessageByLink", _code_instead_of_link, EMPTY, "[obs] tf-provider-aws#3770"),
    Rule(None, "EmailMessageByLink", _no_link_text, INVALID, "[obs] aws-cli#8280"),
    Rule(CODE, "EmailMessage", _no_code, INVALID, "[model] pattern, caught earlier"),
)


def check_template(template: dict[str, Any], params: dict[str, Any]) -> None:
    """Raise InvalidParameterException as AWS does for a template it will not use.

    ``template`` is the pool's template after the request; ``params`` the request, whose
    legacy top-level members some rules read.
    """
    option = template.get("DefaultEmailOption", CODE)
    for rule in RULES:
        if rule.option not in (None, option):
            continue
        value = template.get(rule.member, params.get(rule.member))
        if rule.broken(value):
            raise AwsError("InvalidParameterException", rule.message)
    # AWS quirk: the model says a template may carry EmailMessage only with DEVELOPER,
    # but AWS does not enforce it: CDK's default pools (COGNITO_DEFAULT) send custom
    # verification templates through Cognito's own email (aws-cdk#7597). Nor is
    # "supplying both EmailMessage and EmailMessageByLink returns an error" [model]
    # enforced: console-made pools describe with both (describe-user-pool.rst).
    # `{username}` is accepted too: CDK's long-standing default body uses it.


def mirrored(
    params: dict[str, Any], template: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The template and legacy fields a request stands for, each filled from the other.

    The template's own member wins when a request gives both: it is the current API and
    the legacy members are documented as "no longer used".
    """
    merged = dict(template)
    legacy: dict[str, str] = {}
    link_style = merged.get("DefaultEmailOption") == LINK
    for old, new in LEGACY_MIRRORS.items():
        if new in merged:
            # A link-style pool does not show its code-style email text as the legacy
            # member: sending that member back with LINK is refused (rule above).
            if not (link_style and old.startswith("Email")):
                legacy[old] = merged[new]
        elif params.get(old) is not None:
            merged[new] = params[old]
            legacy[old] = params[old]
    return merged, legacy
