"""CustomMessage: a function rewrites the mail or text a pool is about to send.

The function sees placeholders (`{####}` for the code, `{username}` for invitations, the
link placeholder for link-style verification) and answers with its own subject and
messages; Cognito puts the real values in. Facts: ../shared/facts/cognito-lambda-triggers.md
section 3 (CustomMessage).
"""

from __future__ import annotations

import dataclasses
import html
import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from poolmail.cognito.messaging.delivery import CognitoEmail, by_default_sender
from poolmail.cognito.pools.user_pools import StoredPool
from poolmail.cognito.triggers import invoke
from poolmail.cognito.triggers.events import user_attributes, with_metadata
from poolmail.context import RequestContext
from poolmail.protocol.errors import AwsError

if TYPE_CHECKING:
    from poolmail.cognito.users.users import StoredUser

SIGN_UP = "CustomMessage_SignUp"
ADMIN_CREATE_USER = "CustomMessage_AdminCreateUser"
RESEND_CODE = "CustomMessage_ResendCode"
FORGOT_PASSWORD = "CustomMessage_ForgotPassword"
UPDATE_USER_ATTRIBUTE = "CustomMessage_UpdateUserAttribute"
VERIFY_USER_ATTRIBUTE = "CustomMessage_VerifyUserAttribute"
AUTHENTICATION = "CustomMessage_Authentication"

CODE = "{####}"
USERNAME = "{username}"
# The link placeholder real events carry (`linkParameter`); any `{##text##}` of the answer
# becomes the link, titled text, as in the pool's own link template.
LINK = "{##Click Here##}"
_LINK = re.compile(r"\{##(.*?)##\}", re.DOTALL)

# Choice: AWS documents the error (a 400 InvalidLambdaResponseException) but not its text.
EMAIL_NEEDS_DEVELOPER = (
    "Invalid lambda function output : emailMessage can be used only when the user pool's "
    "EmailSendingAccount is DEVELOPER"
)
_FIELDS = ("smsMessage", "emailMessage", "emailSubject")


@dataclass(frozen=True, slots=True)
class Answer:
    """A function's fields, and the id of the invocation that gave them."""

    fields: dict[str, str | None]
    invocation_id: str


@dataclass(frozen=True, slots=True)
class Text:
    """An SMS as sent: its text, and the invocation that shaped it (None when no function
    ran)."""

    text: str
    shaped_by: str | None = None


def configured(pool: StoredPool) -> bool:
    return invoke.configured(pool, "CustomMessage") is not None


def _ask(
    ctx: RequestContext,
    pool: StoredPool,
    source: str,
    user: StoredUser,
    *,
    client_id: str | None,
    metadata: dict[str, str] | None,
) -> Answer:
    request = with_metadata(
        {
            "userAttributes": user_attributes(pool, user),
            "codeParameter": CODE,
            "linkParameter": LINK,
            # "{username}" only for invitations; null otherwise (CM sample, real events).
            "usernameParameter": USERNAME if source == ADMIN_CREATE_USER else None,
        },
        metadata,
    )
    response: dict[str, Any] = {name: None for name in _FIELDS}
    event = invoke.envelope(
        ctx, pool, source, user.username, request, response, client_id=client_id
    )
    invocation_id = str(uuid.uuid4())
    answer = invoke.call(ctx, pool, "CustomMessage", event, invocation_id=invocation_id)
    fields: dict[str, str | None] = {}
    for name in _FIELDS:
        value = answer.get(name)
        if value is not None and not isinstance(value, str):
            raise AwsError("InvalidLambdaResponseException", invoke.UNRECOGNIZABLE)
        fields[name] = value or None
    return Answer(fields, invocation_id)


def _complete(message: str, source: str, *, link: bool) -> bool:
    """Whether a function's message holds what it must: AdminCreateUser's "must contain
    both usernameParameter and codeParameter", the link of link-style verification, the
    code everywhere else."""
    if link:
        return _LINK.search(message) is not None
    if source == ADMIN_CREATE_USER and USERNAME not in message:
        return False
    return CODE in message


def email(
    ctx: RequestContext,
    pool: StoredPool,
    source: str,
    user: StoredUser,
    mail: CognitoEmail,
    *,
    client_id: str | None = None,
    metadata: dict[str, str] | None = None,
    invited_as: str | None = None,
) -> CognitoEmail:
    """``mail`` as the pool's CustomMessage function (if any) rewrites it.

    A body without its placeholder falls back to the pool's template while the subject is
    still applied, as users report of AWS (facts section 3). ``invited_as``: the name
    `{username}` stands for in an invitation."""
    # A custom email sender replaces the whole delivery, CustomMessage included (CS: the
    # sender is invoked "instead of the default behavior").
    if not configured(pool) or invoke.configured(pool, "CustomEmailSender"):
        return mail
    answer = _ask(ctx, pool, source, user, client_id=client_id, metadata=metadata)
    fields = answer.fields
    message = fields["emailMessage"]
    if message is not None and by_default_sender(pool.settings):
        # CM: "If the user pool isn't set to DEVELOPER and an emailMessage is returned,
        # Amazon Cognito generates a 400 error code ... InvalidLambdaResponseException".
        raise AwsError("InvalidLambdaResponseException", EMAIL_NEEDS_DEVELOPER)
    subject = fields["emailSubject"] or mail.subject
    body = mail.body
    if message is not None and _complete(message, source, link=mail.link is not None):
        body = _fill(message, mail.code or "", invited_as, mail.link, markup=True)
    # Linked even when the function's body fell back to the template: it shaped the mail.
    return dataclasses.replace(mail, subject=subject, body=body, shaped_by=answer.invocation_id)


def text(
    ctx: RequestContext,
    pool: StoredPool,
    source: str,
    user: StoredUser,
    template_text: str,
    code: str,
    *,
    client_id: str | None = None,
    metadata: dict[str, str] | None = None,
    invited_as: str | None = None,
) -> Text:
    """An SMS as the pool's CustomMessage function (if any) rewrites it; the pool's text
    when the function's lacks its placeholder (Choice: as for mail)."""
    if not configured(pool) or invoke.configured(pool, "CustomSMSSender"):
        return Text(template_text)
    answer = _ask(ctx, pool, source, user, client_id=client_id, metadata=metadata)
    message = answer.fields["smsMessage"]
    if message is None or not _complete(message, source, link=False):
        return Text(template_text, answer.invocation_id)
    return Text(_fill(message, code, invited_as, None, markup=False), answer.invocation_id)


def _fill(
    message: str, code: str, invited_as: str | None, link: str | None, *, markup: bool
) -> str:
    escape = html.escape if markup else str
    filled = message.replace(CODE, escape(code))
    if invited_as is not None:
        filled = filled.replace(USERNAME, escape(invited_as))
    if link is not None:
        href = html.escape(link, quote=True)
        filled = _LINK.sub(lambda found: f'<a href="{href}">{found.group(1)}</a>', filled)
    return filled
