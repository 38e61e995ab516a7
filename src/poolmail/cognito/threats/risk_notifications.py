"""The mails threat protection sends a user about a risky sign-in: the BlockEmail, MfaEmail
or NoActionEmail template of `NotifyConfiguration`, through SES as its identity, with the
one-click feedback links (`{one-click-link-valid}`, `{one-click-link-invalid}`).
"""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import quote, urlencode

from poolmail.cognito.messaging.delivery import CognitoEmail, deliver
from poolmail.cognito.pools.user_pools import StoredPool
from poolmail.cognito.threats.risk_events import request_ip
from poolmail.cognito.users.users import StoredUser
from poolmail.context import RequestContext
from poolmail.protocol.errors import AwsError

# Choice: AWS's default templates were not found word for word; these carry the same
# placeholders (cognito-user-pool-settings-adaptive-authentication.html, "Notification
# message templates"): {username}, {ip-address}, {city}, {country}, {login-time},
# {device-name}, {one-click-link-valid}, {one-click-link-invalid}.
_DEFAULTS = {
    "BlockEmail": "Blocked sign-in attempt",
    "MfaEmail": "New sign-in attempt",
    "NoActionEmail": "New sign-in attempt",
}
_DEFAULT_BODY = (
    "<p>We detected a sign-in attempt for {username} from {ip-address} ({city}, {country}) "
    "on {device-name} at {login-time}.</p>"
    '<p>Was this you? <a href="{one-click-link-valid}">Yes</a> · '
    '<a href="{one-click-link-invalid}">No</a></p>'
)


_ACTIONS = {"BlockEmail": "BLOCK", "MfaEmail": "MFA_IF_CONFIGURED", "NoActionEmail": "NO_ACTION"}


class Notification:
    """The notification of one risky sign-in, sent through SES from NotifyConfiguration's
    identity, like the pool's other mail (delivery.deliver)."""

    def __init__(
        self,
        ctx: RequestContext,
        pool: StoredPool,
        user: StoredUser,
        config: dict[str, Any],
        event_id: str,
        token: str,
    ) -> None:
        self.ctx, self.pool, self.user = ctx, pool, user
        self.event_id, self.token = event_id, token
        takeover = config.get("AccountTakeoverRiskConfiguration") or {}
        self.notify: dict[str, Any] = takeover.get("NotifyConfiguration") or {}

    def _to_custom_sender(self, template: str) -> None:
        """The pool's CustomEmailSender sends the notification instead (its event carries
        what the templates' placeholders would)."""
        from poolmail.cognito.triggers import custom_senders

        details = {
            "EVENT_ID": self.event_id,
            "USER_NAME": self.user.username,
            "IP_ADDRESS": request_ip() or "127.0.0.1",
            # Choice: the action as the risk configuration names it, per template.
            "ACCOUNT_TAKE_OVER_ACTION": _ACTIONS[template],
            "ONE_CLICK_LINK_VALID": self._link("Valid"),
            "ONE_CLICK_LINK_INVALID": self._link("Invalid"),
            "LOGIN_TIME": self.ctx.clock.now().strftime("%Y-%m-%d %H:%M:%S UTC"),
            "FEEDBACK_TOKEN": self.token,
        }
        custom_senders.send_takeover_notification(self.ctx, self.pool, self.user.username, details)

    def _link(self, value: str) -> str:
        query = urlencode({"username": self.user.username, "token": self.token, "value": value})
        path = f"/_poolmail/cognito/feedback/{quote(self.pool.id)}/{self.event_id}"
        return f"{self.ctx.base_url}{path}?{query}"

    def _render(self, text: str) -> str:
        values = {
            "{username}": html.escape(self.user.username),
            # What the event logs (risk_events): the request's address; place and device
            # are unknown to a local server.
            "{ip-address}": html.escape(request_ip() or "127.0.0.1"),
            "{city}": "Unknown",
            "{country}": "Unknown",
            "{device-name}": "Other",
            "{login-time}": self.ctx.clock.now().strftime("%Y-%m-%d %H:%M:%S UTC"),
            "{one-click-link-valid}": html.escape(self._link("Valid")),
            "{one-click-link-invalid}": html.escape(self._link("Invalid")),
        }
        for placeholder, value in values.items():
            text = text.replace(placeholder, value)
        return text

    def send(self, template: str) -> None:
        if ((self.pool.settings.get("LambdaConfig") or {}).get("CustomEmailSender") or {}).get(
            "LambdaArn"
        ):
            self._to_custom_sender(template)
            return
        address = self.user.attributes.get("email")
        if not self.notify.get("SourceArn") or not address:
            return
        chosen = self.notify.get(template) or {}
        subject = str(chosen.get("Subject") or _DEFAULTS[template])
        body = (
            chosen.get("HtmlBody")
            or html.escape(str(chosen.get("TextBody") or ""))
            or _DEFAULT_BODY
        )
        email_config = {
            "EmailSendingAccount": "DEVELOPER",
            "SourceArn": self.notify["SourceArn"],
            **({"From": self.notify["From"]} if self.notify.get("From") else {}),
            **(
                {"ReplyToEmailAddress": self.notify["ReplyTo"]}
                if self.notify.get("ReplyTo")
                else {}
            ),
        }
        email = CognitoEmail(
            to=address,
            subject=self._render(subject),
            body=self._render(str(body)),
            kind="cognito-risk-notification",
            pool_id=self.pool.id,
            username=self.user.username,
        )
        try:
            deliver(self.ctx, {"EmailConfiguration": email_config}, email)
        except AwsError:
            # AWS sends these notifications on its own, after the answer: a refused mail
            # does not change the sign-in's outcome.
            return
