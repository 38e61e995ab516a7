"""What a user pool texts, and the sending: the pool's SMS templates or AWS's default
texts, rendered, then captured in the SMS outbox as SNS would have delivered them.

Which events send an SMS (user-pool-sms-settings.html): sign-up and resent confirmation
codes, forgot password and AdminResetUserPassword, AdminCreateUser invitations, attribute
verification, and MFA / one-time-password sign-in (signin/otp.py sends those).
"""

from __future__ import annotations

from typing import Any

from poolmail.cognito.messaging import sms_config
from poolmail.cognito.pools import log_delivery
from poolmail.context import RequestContext
from poolmail.protocol.errors import AwsError
from poolmail.sms import outbox

CODE = "{####}"
USERNAME = "{username}"

# AWS's defaults, as describe-user-pool.rst shows them for console-made pools (note the
# trailing spaces; AWS_FACTS §5): the verification SmsMessage and the invitation
# SMSMessage.
DEFAULT_VERIFICATION = "Your verification code is {####}. "
DEFAULT_INVITATION = "Your username is {username} and temporary password is {####}. "


def verification_text(settings: dict[str, Any], code: str) -> str:
    """Sign-up, resent code, forgot password and attribute verification: the template's
    SmsMessage, then the legacy SmsVerificationMessage mirror, then AWS's default. A text
    carries no markup: the code goes in as it is."""
    template: dict[str, Any] = settings.get("VerificationMessageTemplate") or {}
    text = (
        template.get("SmsMessage") or settings.get("SmsVerificationMessage") or DEFAULT_VERIFICATION
    )
    return str(text).replace(CODE, code)


def invitation_text(settings: dict[str, Any], username: str, password: str) -> str | None:
    """AdminCreateUser's invitation by SMS, or None when it would not be delivered: "If
    your template doesn't have this placeholder, Amazon Cognito doesn't deliver the
    invitation message" [model AdminCreateUser, about `{####}`]."""
    invite = (settings.get("AdminCreateUserConfig") or {}).get("InviteMessageTemplate") or {}
    text = str(invite.get("SMSMessage") or DEFAULT_INVITATION)
    if CODE not in text:
        return None
    return text.replace(USERNAME, username).replace(CODE, password)


def send_text(
    ctx: RequestContext,
    settings: dict[str, Any],
    sms: outbox.Sms,
) -> str:
    """Capture ``sms`` as sent through the pool's SmsConfiguration; its id. A pool without
    one answers AWS's InvalidParameterException (sms_config.sender). ``ctx`` carries the
    pool's account and region. A pool's CustomSMSSender function sends it instead."""
    if (settings.get("LambdaConfig") or {}).get("CustomSMSSender"):
        from poolmail.cognito.triggers import custom_senders

        if custom_senders.replaces(settings, custom_senders.SMS):
            # Choice: the pool's SmsConfiguration is not needed for the function's texts.
            return custom_senders.send(
                ctx,
                custom_senders.SMS,
                sms.kind,
                sms.pool_id,
                sms.username,
                sms.code,
                client_id=sms.client_id,
                metadata=sms.client_metadata,
            )
    try:
        sms.sns_region, sms.caller_arn = sms_config.sender(settings, ctx.region)
    except AwsError as error:
        log_delivery.notification_failed(ctx, settings, sms.pool_id, error.message)
        raise
    return outbox.send(ctx, sms)


def text_code(
    ctx: RequestContext,
    settings: dict[str, Any],
    number: str,
    kind: str,
    pool_id: str,
    username: str,
    code: str,
) -> str:
    """A verification-template text carrying ``code`` to ``number``; its id."""
    sms = outbox.Sms(number, verification_text(settings, code), kind, pool_id, username, code)
    return send_text(ctx, settings, sms)
