"""A user pool's stored settings: AWS's defaults, and what UpdateUserPool does with each
member a request leaves out (the omission table), each entry with its source.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from poolmail.cognito.messaging import templates
from poolmail.cognito.pools.schema import pool_schema

DEFAULT_PASSWORD_POLICY: dict[str, Any] = {
    "MinimumLength": 8,
    "RequireUppercase": True,
    "RequireLowercase": True,
    "RequireNumbers": True,
    "RequireSymbols": True,
    "TemporaryPasswordValidityDays": 7,
}

# What DescribeUserPool shows for a member nobody set: real outputs of recently created
# pools (AWS_FACTS §4). A member missing here is absent from DescribeUserPool until set
# (AutoVerifiedAttributes, AccountRecoverySetting, SmsConfiguration, ...).
DEFAULTS: dict[str, Callable[[], Any]] = {
    "Policies": lambda: {
        "PasswordPolicy": dict(DEFAULT_PASSWORD_POLICY),
        "SignInPolicy": {"AllowedFirstAuthFactors": ["PASSWORD"]},
    },
    "DeletionProtection": lambda: "INACTIVE",
    "LambdaConfig": dict,
    "VerificationMessageTemplate": lambda: {"DefaultEmailOption": templates.CODE},
    "UserAttributeUpdateSettings": lambda: {"AttributesRequireVerificationBeforeUpdate": []},
    "MfaConfiguration": lambda: "OFF",
    "EmailConfiguration": lambda: {"EmailSendingAccount": "COGNITO_DEFAULT"},
    "UserPoolTags": dict,
    "AdminCreateUserConfig": lambda: {
        "AllowAdminCreateUserOnly": False,
        "UnusedAccountValidityDays": 7,
    },
    # "Defaults to ESSENTIALS" [model]: pools created since November 2024.
    "UserPoolTier": lambda: "ESSENTIALS",
}

# Set at creation only; UpdateUserPool cannot name them, so they always stay [model].
CREATE_ONLY = ("AliasAttributes", "UsernameAttributes", "UsernameConfiguration")

DOC = "[model] UpdateUserPool: an omitted attribute is set to its default value"


@dataclass(frozen=True, slots=True)
class Omission:
    member: str
    when_omitted: Literal["reset", "keep"]
    source: str


# Every member UpdateUserPool accepts besides UserPoolId. "reset" restores DEFAULTS (or
# removes the member when it has no default); "keep" leaves the pool's value as it is.
OMISSIONS: tuple[Omission, ...] = (
    Omission("Policies", "keep", "[obs] measured 2026: go-to-k/cdkd #1965, #1982, #2675"),
    Omission("DeletionProtection", "reset", DOC),
    Omission("LambdaConfig", "reset", DOC + "; cognito-user-pool-updating.md example"),
    Omission("AutoVerifiedAttributes", "reset", "[obs] measured 2026: resets to none (cdkd)"),
    Omission("SmsVerificationMessage", "reset", DOC),
    Omission("EmailVerificationMessage", "reset", DOC),
    Omission("EmailVerificationSubject", "reset", DOC),
    Omission("VerificationMessageTemplate", "reset", DOC),
    Omission("SmsAuthenticationMessage", "reset", DOC),
    Omission("UserAttributeUpdateSettings", "reset", DOC),
    Omission("MfaConfiguration", "keep", "[obs] measured 2026: go-to-k/cdkd #1965, #1982, #2675"),
    Omission("DeviceConfiguration", "reset", DOC),
    Omission("EmailConfiguration", "reset", DOC),
    Omission("SmsConfiguration", "reset", DOC),
    # Choice: tags are also managed by TagResource/UntagResource, and an update that
    # silently untagged a pool would break tag-based access control; kept.
    Omission("UserPoolTags", "keep", "choice: tags have their own operations"),
    Omission("AdminCreateUserConfig", "reset", DOC),
    Omission("UserPoolAddOns", "reset", DOC),
    # "If you omit this parameter, Amazon Cognito keeps the existing configuration." [model]
    Omission("DcrConfiguration", "keep", "[model] DcrConfiguration documentation"),
    Omission("AccountRecoverySetting", "reset", DOC),
    Omission("PoolName", "keep", "[model] optional: 'The updated name of your user pool'"),
    Omission(
        "UserPoolTier",
        "keep",
        "[model] older UpdateUserPool doc: 'With the exception of UserPoolTier'",
    ),
    # "must match the existing configuration and cannot be modified" [model]: fixed keys.
    Omission("KeyConfiguration", "keep", "[model] cannot be modified"),
    Omission("IssuerConfiguration", "keep", "[model] cannot be modified"),
    Omission("AcrConfiguration", "reset", DOC),
)

OMISSION_RULES: dict[str, Omission] = {entry.member: entry for entry in OMISSIONS}


def _password_policy(given: dict[str, Any] | None) -> dict[str, Any]:
    if given is None:
        return dict(DEFAULT_PASSWORD_POLICY)
    # A policy given in part leaves the unnamed requirements off, as AWS does.
    policy: dict[str, Any] = {
        "MinimumLength": 8,
        "RequireUppercase": False,
        "RequireLowercase": False,
        "RequireNumbers": False,
        "RequireSymbols": False,
        "TemporaryPasswordValidityDays": 7,
    }
    policy.update(given)
    return policy


def _with_defaults(member: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    # The given structure over the member's default: unnamed sub-members keep AWS's values.
    return lambda given: {**DEFAULTS[member](), **given}


# How a given value is stored, for members AWS completes with defaults of their own.
NORMALIZE: dict[str, Callable[[Any], Any]] = {
    "Policies": lambda given: {
        "PasswordPolicy": _password_policy(given.get("PasswordPolicy")),
        "SignInPolicy": given.get("SignInPolicy") or {"AllowedFirstAuthFactors": ["PASSWORD"]},
    },
    "VerificationMessageTemplate": _with_defaults("VerificationMessageTemplate"),
    "UserAttributeUpdateSettings": _with_defaults("UserAttributeUpdateSettings"),
    "EmailConfiguration": _with_defaults("EmailConfiguration"),
    "AdminCreateUserConfig": _with_defaults("AdminCreateUserConfig"),
}


def _stored(member: str, value: Any) -> Any:
    normalize = NORMALIZE.get(member)
    return normalize(value) if normalize is not None else copy.deepcopy(value)


def _apply_messages(settings: dict[str, Any], params: dict[str, Any]) -> None:
    # The legacy members and the template describe the same texts; both show what the
    # request set (templates.mirrored), then AWS's template rules apply.
    for member in templates.LEGACY_MIRRORS:
        settings.pop(member, None)
    template, legacy = templates.mirrored(params, settings["VerificationMessageTemplate"])
    settings["VerificationMessageTemplate"] = template
    settings.update(legacy)
    templates.check_template(template, params)


def settings_for_create(params: dict[str, Any]) -> dict[str, Any]:
    """The stored settings of a new pool: the request, with AWS's defaults filled in."""
    settings: dict[str, Any] = {member: default() for member, default in DEFAULTS.items()}
    for member in (*OMISSION_RULES, *CREATE_ONLY):
        if member != "PoolName" and params.get(member) is not None:
            settings[member] = _stored(member, params[member])
    settings["SchemaAttributes"] = pool_schema(params.get("Schema"))
    _apply_messages(settings, params)
    return settings


def settings_for_update(existing: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """The settings after UpdateUserPool: given members replace, omitted ones follow
    OMISSIONS; create-only settings (schema, username attributes) stay."""
    settings = copy.deepcopy(existing)
    for entry in OMISSIONS:
        if entry.member == "PoolName":
            continue  # the name is a column of its own, not a setting
        if params.get(entry.member) is not None:
            settings[entry.member] = _stored(entry.member, params[entry.member])
        elif entry.when_omitted == "reset":
            default = DEFAULTS.get(entry.member)
            if default is None:
                settings.pop(entry.member, None)
            else:
                settings[entry.member] = default()
    _apply_messages(settings, params)
    return settings
