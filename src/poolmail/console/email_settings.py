"""A pool's Messaging settings as the AWS console edits them: the choices it offers (SES
identities of mapped regions, configuration sets), the form's values, and the
UpdateUserPool request that changes them while keeping every other setting.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from email.utils import formataddr, parseaddr
from typing import Any

from poolmail.cognito.messaging.ses_regions import allowed_ses_regions
from poolmail.cognito.pools.update_requests import update_request
from poolmail.console.scope import Scope, call
from poolmail.protocol.models import operation_model
from poolmail.server.pipeline import Services

COGNITO_DEFAULT = "COGNITO_DEFAULT"
DEVELOPER = "DEVELOPER"


@dataclass(frozen=True, slots=True)
class IdentityChoice:
    arn: str
    identity: str
    region: str
    verified: bool

    @property
    def is_domain(self) -> bool:
        return "@" not in self.identity


def identity_arn(region: str, account: str, identity: str) -> str:
    return f"arn:aws:ses:{region}:{account}:identity/{identity}"


def identity_choices(services: Services, pool: Scope) -> list[IdentityChoice]:
    """The account's SES identities in every SES region the pool's region may use."""
    found: list[IdentityChoice] = []
    for region in allowed_ses_regions(pool.region):
        listed = call(services, Scope(pool.account, region), "sesv2", "ListEmailIdentities", {})
        for item in listed["EmailIdentities"]:
            name = item["IdentityName"]
            found.append(
                IdentityChoice(
                    identity_arn(region, pool.account, name),
                    name,
                    region,
                    item["VerificationStatus"] == "SUCCESS",
                )
            )
    return found


def configuration_sets(services: Services, pool: Scope) -> list[tuple[str, str]]:
    """(region, name) of the account's configuration sets in the mapped SES regions."""
    found: list[tuple[str, str]] = []
    for region in allowed_ses_regions(pool.region):
        listed = call(services, Scope(pool.account, region), "sesv2", "ListConfigurationSets", {})
        found += [(region, name) for name in listed.get("ConfigurationSets", [])]
    return found


def form_values(config: dict[str, Any]) -> dict[str, str]:
    """The Edit form's fields for a stored EmailConfiguration."""
    name, address = parseaddr(str(config.get("From") or ""))
    return {
        "sending_account": str(config.get("EmailSendingAccount") or COGNITO_DEFAULT),
        "source_arn": str(config.get("SourceArn") or ""),
        "from_name": name,
        "from_address": address,
        "reply_to": str(config.get("ReplyToEmailAddress") or ""),
        "configuration_set": str(config.get("ConfigurationSet") or ""),
    }


def email_configuration(form: dict[str, str]) -> dict[str, Any]:
    """The EmailConfiguration the Edit form stands for.

    FROM is the identity's address, or an address of a domain identity; a sender name
    alone makes `Name <address>`, with `no-reply@domain` for a domain identity.
    """
    sending = DEVELOPER if form.get("sending_account") == DEVELOPER else COGNITO_DEFAULT
    config: dict[str, Any] = {"EmailSendingAccount": sending}
    arn = form.get("source_arn", "").strip()
    if arn:
        config["SourceArn"] = arn
        identity = arn.rpartition("identity/")[2]
        address = form.get("from_address", "").strip()
        name = form.get("from_name", "").strip()
        if not address and name:
            address = identity if "@" in identity else f"no-reply@{identity}"
        if address:
            config["From"] = formataddr((name, address)) if name else address
    reply_to = form.get("reply_to", "").strip()
    if reply_to:
        config["ReplyToEmailAddress"] = reply_to
    configuration_set = form.get("configuration_set", "").strip()
    if configuration_set:
        config["ConfigurationSet"] = configuration_set
    return config


def _updatable(request: dict[str, Any]) -> dict[str, Any]:
    # Only what UpdateUserPool takes: the API would never see other members either.
    model = operation_model("cognito-idp", "UpdateUserPool")
    assert model is not None
    members = set(model.input_shape.members)
    return {key: value for key, value in request.items() if key in members}


def keep_everything(pool: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """An UpdateUserPool request that keeps every current setting of the described
    ``pool`` and applies ``changes`` (the merge `poolmail integrate` does)."""
    current = copy.deepcopy(pool)
    config = changes.pop("EmailConfiguration", current.get("EmailConfiguration"))
    request = update_request(current, config or {"EmailSendingAccount": COGNITO_DEFAULT})
    request.update(changes)
    return _updatable(request)


def save_email(services: Services, pool: Scope, pool_id: str, form: dict[str, str]) -> None:
    """DescribeUserPool, merge the new EmailConfiguration, UpdateUserPool: the API's own
    checks decide, and nothing else changes."""
    described = call(services, pool, "cognito-idp", "DescribeUserPool", {"UserPoolId": pool_id})
    request = keep_everything(described["UserPool"], EmailConfiguration=email_configuration(form))
    call(services, pool, "cognito-idp", "UpdateUserPool", request)


def template_values(pool: dict[str, Any]) -> dict[str, str]:
    template = pool.get("VerificationMessageTemplate") or {}
    invite = (pool.get("AdminCreateUserConfig") or {}).get("InviteMessageTemplate") or {}
    return {
        "default_email_option": str(template.get("DefaultEmailOption") or "CONFIRM_WITH_CODE"),
        "email_subject": str(template.get("EmailSubject") or ""),
        "email_message": str(template.get("EmailMessage") or ""),
        "email_subject_by_link": str(template.get("EmailSubjectByLink") or ""),
        "email_message_by_link": str(template.get("EmailMessageByLink") or ""),
        "invite_subject": str(invite.get("EmailSubject") or ""),
        "invite_message": str(invite.get("EmailMessage") or ""),
    }


def _set(target: dict[str, Any], member: str, value: str) -> None:
    if value.strip():
        target[member] = value
    else:
        target.pop(member, None)


def save_templates(services: Services, pool: Scope, pool_id: str, form: dict[str, str]) -> None:
    """The verification and invitation templates, merged like the email settings. An
    emptied field falls back to AWS's default text."""
    described = call(services, pool, "cognito-idp", "DescribeUserPool", {"UserPoolId": pool_id})
    current = described["UserPool"]
    template = dict(current.get("VerificationMessageTemplate") or {})
    option = form.get("default_email_option", "")
    template["DefaultEmailOption"] = (
        "CONFIRM_WITH_LINK" if option == "CONFIRM_WITH_LINK" else "CONFIRM_WITH_CODE"
    )
    for member, field_name in (
        ("EmailSubject", "email_subject"),
        ("EmailMessage", "email_message"),
        ("EmailSubjectByLink", "email_subject_by_link"),
        ("EmailMessageByLink", "email_message_by_link"),
    ):
        _set(template, member, form.get(field_name, ""))
    invite = dict((current.get("AdminCreateUserConfig") or {}).get("InviteMessageTemplate") or {})
    _set(invite, "EmailSubject", form.get("invite_subject", ""))
    _set(invite, "EmailMessage", form.get("invite_message", ""))
    request = keep_everything(current)
    # The template is the current API; its legacy mirrors would contradict a changed
    # template (a code text sent with link-style verification is refused).
    for legacy in ("EmailVerificationMessage", "EmailVerificationSubject"):
        request.pop(legacy, None)
    request["VerificationMessageTemplate"] = template
    # The kept AdminCreateUserConfig (without the deprecated member AWS refuses beside
    # the password policy), with the new invitation.
    kept = request.get("AdminCreateUserConfig") or {}
    request["AdminCreateUserConfig"] = {**kept, "InviteMessageTemplate": invite}
    call(services, pool, "cognito-idp", "UpdateUserPool", request)
