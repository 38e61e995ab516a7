"""The mailbox as the console reads it: kind groups, pool and user filters, a message's
headers and the code, temporary password or link it carries, and the newest Cognito code
of a user (the `/_poolmail/codes` answer)."""

from __future__ import annotations

from dataclasses import dataclass
from email import policy
from email.parser import BytesParser
from typing import Any

from poolmail.mail import queries
from poolmail.mail.queries import MessageFilter
from poolmail.store import Transaction

# The kinds the mailbox filter offers, each the stored kinds it stands for.
KIND_GROUPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "sign-up": ("Sign-up", ("cognito-sign-up", "cognito-resend-code")),
    "invitation": ("Invitation", ("cognito-invitation",)),
    "forgot-password": (
        "Forgot password",
        ("cognito-forgot-password", "cognito-admin-reset-password"),
    ),
    "attribute-verification": ("Attribute verification", ("cognito-attribute-verification",)),
    "ses-verification": ("SES verification", ("ses-verification",)),
    "ses-send": ("Direct SES send", ("ses-send", "ses-simulator-auto-reply")),
    "ses-feedback": (
        "Bounces and complaints",
        ("ses-feedback", "ses-bounce", "ses-receipt-bounce"),
    ),
    "ses-inbound": ("Received mail", ("ses-inbound",)),
}
KIND_LABELS = {
    "cognito-sign-up": "Sign-up",
    "cognito-resend-code": "Sign-up (resent code)",
    "cognito-invitation": "Invitation",
    "cognito-forgot-password": "Forgot password",
    "cognito-admin-reset-password": "Password reset by admin",
    "cognito-attribute-verification": "Attribute verification",
    "ses-verification": "SES verification",
    "ses-send": "SES send",
    "ses-simulator-auto-reply": "Simulator auto-reply",
    "ses-inbound": "Received mail",
    "ses-receipt-bounce": "Receipt rule bounce",
    "ses-feedback": "Forwarded bounce or complaint",
    "ses-bounce": "SendBounce",
}
STATUSES = ("delivered", "bounced", "rejected")
SHOWN = 200
# Pool and user filters read each message's details, so they look at this many recent
# messages at most; a local mailbox rarely holds more.
SCANNED = 5000


@dataclass(frozen=True, slots=True)
class MailFilter:
    q: str = ""  # the search: words that must all occur in the subject, addresses or bodies
    recipient: str = ""
    sender: str = ""
    pool: str = ""
    user: str = ""
    kind: str = ""
    status: str = ""

    @classmethod
    def of(cls, given: Any) -> MailFilter:
        values = {name: (given.get(name) or "").strip() for name in cls.__slots__}
        if values["kind"] not in KIND_GROUPS:
            values["kind"] = ""
        if values["status"] not in STATUSES:
            values["status"] = ""
        return cls(**values)

    def query(self) -> dict[str, str]:
        return {name: getattr(self, name) for name in self.__slots__ if getattr(self, name)}

    def matches(self, message: dict[str, Any]) -> bool:
        details = message["details"]
        if self.kind and message["kind"] not in KIND_GROUPS[self.kind][1]:
            return False
        if self.pool and details.get("pool_id") != self.pool:
            return False
        return not self.user or self.user in (details.get("username"), *message["recipients"])


def list_mail(tx: Transaction, wanted: MailFilter, limit: int = SHOWN) -> list[dict[str, Any]]:
    """Matching messages, newest first, each with its kind's label."""
    where = MessageFilter(
        recipient=wanted.recipient or None,
        sender=wanted.sender or None,
        status=wanted.status or None,
        search=wanted.q or None,
        limit=SCANNED if (wanted.pool or wanted.user or wanted.kind) else limit,
    )
    found = [item for item in queries.list_messages(tx, where) if wanted.matches(item)]
    for item in found[:limit]:
        item["kind_label"] = KIND_LABELS.get(item["kind"], item["kind"])
    return found[:limit]


@dataclass(frozen=True, slots=True)
class Chip:
    label: str
    value: str
    link: bool = False


def chips(message: dict[str, Any]) -> list[Chip]:
    """What a reader copies out of a message: its code, temporary password or link."""
    details = message["details"]
    found: list[Chip] = []
    code = details.get("code")
    if isinstance(code, str) and code:
        kind = message["kind"]
        label = "Temporary password" if kind == "cognito-invitation" else "Code"
        found.append(Chip(label, code))
    link = details.get("link")
    if isinstance(link, str) and link:
        label = "Verification link" if message["kind"] == "ses-verification" else "Link"
        found.append(Chip(label, link, link=True))
    return found


def headers_of(raw: bytes | None) -> list[tuple[str, str]]:
    if raw is None:
        return []
    parsed = BytesParser(policy=policy.default).parsebytes(raw, headersonly=True)
    return [(name, str(value)) for name, value in parsed.items()]


def newest_code(tx: Transaction, pool_id: str, username: str) -> dict[str, Any] | None:
    """The code, link and kind of the newest Cognito message for a pool's user that was
    sent (refusals carry codes nobody received). ``username`` is the user's name, or the
    address the mail went to, for pools that sign in with email."""
    wanted = MailFilter(pool=pool_id, user=username)
    where = MessageFilter(include_rejected=False, limit=SCANNED)
    for message in queries.list_messages(tx, where):
        if message["origin"] == "cognito" and wanted.matches(message):
            details = message["details"]
            return {
                "code": details.get("code"),
                "link": details.get("link"),
                "kind": message["kind"],
                "message_id": message["id"],
                "recipient": message["recipients"][0] if message["recipients"] else None,
                "timestamp": message["timestamp"],
                "created_at": message["created_at"],
                "medium": "EMAIL",
            }
    return None
