"""SES identities in the forms people have at hand: an ARN, a domain, an address."""

from __future__ import annotations

import json
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any

COGNITO_PRINCIPALS = ("email.cognito-idp.amazonaws.com", "cognito-idp.amazonaws.com")


@dataclass(frozen=True, slots=True)
class IdentityRef:
    identity: str
    region: str | None = None
    account: str | None = None

    @property
    def is_address(self) -> bool:
        return "@" in self.identity

    def arn(self, region: str, account: str) -> str:
        return f"arn:aws:ses:{region}:{account}:identity/{self.identity}"


class IdentityFormError(ValueError):
    pass


def parse_identity(text: str) -> IdentityRef:
    """`arn:aws:ses:REGION:ACCOUNT:identity/NAME`, `example.com` or `me@example.com`."""
    text = text.strip()
    if text.startswith("arn:"):
        parts = text.split(":", 5)
        if len(parts) != 6 or parts[2] != "ses" or not parts[5].startswith("identity/"):
            raise IdentityFormError(f"{text} is not an SES identity ARN")
        name = parts[5].removeprefix("identity/")
        return IdentityRef(_normal(name), parts[3] or None, parts[4] or None)
    if not text or " " in text:
        raise IdentityFormError(f"{text!r} is neither an address, a domain nor an identity ARN")
    return IdentityRef(_normal(text))


def _normal(name: str) -> str:
    # Domains are case-insensitive in SES; email addresses keep their case.
    return name if "@" in name else name.lower().rstrip(".")


def bare_address(value: str) -> str:
    return parseaddr(value)[1] or value.strip()


def domain_of(address: str) -> str:
    return bare_address(address).rpartition("@")[2].lower()


def covers(identity: str, sender: str) -> bool:
    """Whether the identity Cognito checks covers the From address: an address identity
    only itself, a domain identity its addresses and its subdomains'."""
    address = bare_address(sender)
    if "@" in identity:
        return address == identity
    domain = domain_of(address)
    return domain == identity or domain.endswith("." + identity)


def cognito_policy(identity_arn: str, account: str, pool_arn: str) -> str:
    """The sending-authorisation policy the Cognito guide prescribes for COGNITO_DEFAULT
    with a SourceArn, with its confused-deputy conditions."""
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowCognitoToSendFromThisIdentity",
                "Effect": "Allow",
                "Principal": {"Service": ["email.cognito-idp.amazonaws.com"]},
                "Action": ["ses:SendEmail", "ses:SendRawEmail"],
                "Resource": identity_arn,
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account},
                    "ArnLike": {"aws:SourceArn": pool_arn},
                },
            }
        ],
    }
    return json.dumps(document, separators=(",", ":"))


def allows_cognito(policies: dict[str, str]) -> bool:
    """Whether any identity policy lets Cognito send (an Allow for its service principal
    and a send action). A summary check: SES itself evaluates the conditions."""
    for text in policies.values():
        try:
            document = json.loads(text)
        except ValueError:
            continue
        statements = document.get("Statement", [])
        for statement in statements if isinstance(statements, list) else [statements]:
            if _allows(statement):
                return True
    return False


def _as_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(item) for item in value]
    return [str(value)] if value is not None else []


def _allows(statement: Any) -> bool:
    if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
        return False
    principal = statement.get("Principal", {})
    services = _as_list(principal.get("Service")) if isinstance(principal, dict) else []
    if not any(service in COGNITO_PRINCIPALS for service in services):
        return False
    actions = [action.lower() for action in _as_list(statement.get("Action"))]
    return any(action in ("ses:sendemail", "ses:send*", "ses:*", "*") for action in actions)
