"""What a user pool's mail says: its templates or AWS's default texts, rendered.

Placeholders as Cognito documents them (cognito-user-pool-settings-message-templates.md):
`{####}` the code or temporary password, `{username}` (invitations only), and
`{##text##}` the confirmation link of link-style verification.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from poolmail.cognito.messaging.delivery import CognitoEmail
from poolmail.cognito.pools import domains
from poolmail.protocol.errors import AwsError
from poolmail.store import Transaction

CODE = "{####}"
USERNAME = "{username}"
_LINK = re.compile(r"\{##(.*?)##\}", re.DOTALL)

# AWS's defaults, as describe-user-pool.rst shows them for console-made pools (note the
# trailing spaces); API-made pools send the same texts when nothing is set (AWS_FACTS §5).
DEFAULT_CODE_MESSAGE = "Your verification code is {####}. "
DEFAULT_CODE_SUBJECT = "Your verification code"
# Not found in AWS's docs: the link text Cognito mails when EmailMessageByLink is unset.
# This is the console's default, copied widely in Terraform and CDK code.
DEFAULT_LINK_MESSAGE = (
    "Please click the link below to verify your email address. {##Verify Email##} "
)
DEFAULT_LINK_SUBJECT = "Your verification link"
DEFAULT_INVITE_MESSAGE = "Your username is {username} and temporary password is {####}. "
DEFAULT_INVITE_SUBJECT = "Your temporary password"

# AWS quirk: "use pool" is AWS's typo, seen in anomalyco/guide#133.
NO_DOMAIN = (
    "Cannot perform specific action because there does not exist a valid use pool domain "
    "associated with the user pool"
)

LINK_PATH = "/confirmUser"


@dataclass(slots=True)
class Message:
    subject: str
    body: str


def _template(settings: dict[str, Any]) -> dict[str, Any]:
    template: dict[str, Any] = settings.get("VerificationMessageTemplate") or {}
    return template


def uses_link(settings: dict[str, Any]) -> bool:
    return _template(settings).get("DefaultEmailOption") == "CONFIRM_WITH_LINK"


def _fill_code(text: str, code: str) -> str:
    # The body is HTML: a temporary password may hold `<` or `&`, so it goes in escaped
    # (the text part of the mail is unescaped again by the delivery).
    return text.replace(CODE, html.escape(code))


def verification_code_message(settings: dict[str, Any], code: str) -> Message:
    """The code-style verification mail: sign-up, resend, forgot password, new email.

    VerificationMessageTemplate wins; the legacy EmailVerificationMessage/Subject mirrors
    come next, then AWS's default text.
    """
    template = _template(settings)
    body = (
        template.get("EmailMessage")
        or settings.get("EmailVerificationMessage")
        or DEFAULT_CODE_MESSAGE
    )
    subject = (
        template.get("EmailSubject")
        or settings.get("EmailVerificationSubject")
        or DEFAULT_CODE_SUBJECT
    )
    return Message(str(subject), _fill_code(str(body), code))


def code_email(
    settings: dict[str, Any], to: str, kind: str, pool_id: str, username: str, code: str
) -> CognitoEmail:
    """A code-style verification mail to ``to``, ready for ``delivery.deliver``."""
    message = verification_code_message(settings, code)
    return CognitoEmail(to, message.subject, message.body, kind, pool_id, username, code=code)


def verification_link_message(settings: dict[str, Any], link: str) -> Message:
    """The link-style sign-up mail: every `{##text##}` becomes a link titled text."""
    template = _template(settings)
    body = str(template.get("EmailMessageByLink") or DEFAULT_LINK_MESSAGE)
    subject = str(template.get("EmailSubjectByLink") or DEFAULT_LINK_SUBJECT)
    href = html.escape(link, quote=True)
    rendered = _LINK.sub(lambda found: f'<a href="{href}">{found.group(1)}</a>', body)
    return Message(subject, rendered)


def invitation_message(settings: dict[str, Any], username: str, password: str) -> Message | None:
    """AdminCreateUser's invitation, or None when it would not be delivered.

    AWS: "If your template doesn't have this placeholder, Amazon Cognito doesn't deliver
    the invitation message" (AdminCreateUser, about `{####}`).
    """
    invite = (settings.get("AdminCreateUserConfig") or {}).get("InviteMessageTemplate") or {}
    body = str(invite.get("EmailMessage") or DEFAULT_INVITE_MESSAGE)
    subject = str(invite.get("EmailSubject") or DEFAULT_INVITE_SUBJECT)
    if CODE not in body:
        return None
    body = body.replace(USERNAME, html.escape(username))
    return Message(subject, _fill_code(body, password))


def confirmation_link(base_url: str, client_id: str, username: str, code: str) -> str:
    """The link a link-style sign-up mail carries, in AWS's shape
    (`https://<domain>/confirmUser?client_id=...&user_name=...&confirmation_code=...`),
    served by poolmail itself at its own address."""
    query = urlencode({"client_id": client_id, "user_name": username, "confirmation_code": code})
    return f"{base_url}{LINK_PATH}?{query}"


def require_domain(tx: Transaction, pool_id: str) -> None:
    """Link-style verification needs a pool domain to link to, as AWS insists."""
    if domains.pool_domain(tx, pool_id) is None:
        raise AwsError("InvalidParameterException", NO_DOMAIN)
