"""The sending log: every refused or bounced message with AWS's exact error, why it
happened in plain words, and how to fix it.

The engine stores a refusal's kind and SES's message (``details.error``); the code a
caller saw depends on the API it used, so each entry names the code per API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from poolmail.cognito.messaging.delivery import SES_ERROR_PREFIX
from poolmail.cognito.messaging.ses_regions import SES_REGIONS_FOR_POOL
from poolmail.mail import queries
from poolmail.mail.queries import MessageFilter
from poolmail.ses.identities.coverage import bare_address, covering_identity
from poolmail.ses.sending.sending_v2 import V2_ERRORS
from poolmail.store import Transaction

COGNITO_DAILY_CAP = "cognito-daily-cap"

# SES v1's code for each refusal (sending._V1_ERRORS; tests/console keep the two equal).
V1_CODES = {
    "not-verified": "MessageRejected",
    "rejected": "MessageRejected",
    "configuration-set": "ConfigurationSetDoesNotExistException",
    "paused": "AccountSendingPausedException",
    "set-paused": "ConfigurationSetSendingPausedException",
    "mail-from": "MailFromDomainNotVerifiedException",
    "access-denied": "AccessDenied",
    "rate": "Throttling",
    "daily": "Throttling",
}
V2_CODES: dict[str, str] = {kind: code for kind, (code, _) in V2_ERRORS.items()}
# What SES's SMTP interface replies (mail/smtp_listener).
SMTP_REPLIES = {"rate": "454", "daily": "454", "paused": "454"}

SES_REGIONS = sorted(
    {*SES_REGIONS_FOR_POOL, *(ses for mapped in SES_REGIONS_FOR_POOL.values() for ses in mapped)}
)


@dataclass(slots=True)
class Explanation:
    title: str
    why: str
    fix: str
    links: list[tuple[str, str]] = field(default_factory=list)


@dataclass(slots=True)
class LogEntry:
    message: dict[str, Any]
    codes: list[tuple[str, str]]  # (API, error code) pairs
    aws_message: str
    explanation: Explanation


def _codes(message: dict[str, Any], kind: str) -> list[tuple[str, str]]:
    origin = message["origin"]
    if kind == COGNITO_DAILY_CAP:
        return [("Cognito", "LimitExceededException")]
    if origin == "cognito":
        return [("Cognito", "CodeDeliveryFailureException")]
    if origin == "smtp":
        return [("SMTP", SMTP_REPLIES.get(kind, "554"))]
    v1 = V1_CODES.get(kind, "MessageRejected")
    v2 = V2_CODES.get(kind, "MessageRejected")
    return [("SES v1", v1), ("SES v2", v2)]


def _aws_message(message: dict[str, Any], kind: str, text: str) -> str:
    if message["origin"] == "cognito" and kind != COGNITO_DAILY_CAP:
        return SES_ERROR_PREFIX + text
    return text


def _failed_identities(text: str) -> list[str]:
    # "... failed the check in region US-EAST-1: a@x.com, b@y.com"
    _, colon, listed = text.rpartition(": ")
    return [item.strip() for item in listed.split(",")] if colon else []


def _verified_elsewhere(
    tx: Transaction, account: str, region: str, address: str, now: float
) -> list[str]:
    return [
        other
        for other in SES_REGIONS
        if other != region and covering_identity(tx, account, other, address, now)
    ]


def _links(message: dict[str, Any]) -> dict[str, str]:
    scope = urlencode({"account": message["account"], "region": message["region"]})
    found = {
        "identities": f"/console/ses/identities?{scope}",
        "account": f"/console/ses/account?{scope}",
    }
    pool_id = message["details"].get("pool_id")
    if isinstance(pool_id, str) and pool_id:
        pool_scope = urlencode({"account": message["account"]})
        found["pool"] = f"/console/pools/{quote(pool_id)}/email?{pool_scope}"
    return found


def _not_verified(tx: Transaction, message: dict[str, Any], text: str, now: float) -> Explanation:
    links = _links(message)
    failed = _failed_identities(text)
    sender = bare_address(message["source"])
    region = message["region"]
    if sender in failed or message["source"] in failed:
        elsewhere = _verified_elsewhere(tx, message["account"], region, sender, now)
        if elsewhere:
            return Explanation(
                "Identity verified in another region",
                f"{sender} is verified in {', '.join(elsewhere)}, but SES identities "
                f"belong to one region: this message was sent through {region}.",
                f"Send through {elsewhere[0]} (for a user pool: pick the identity of a "
                f"region mapped to the pool's), or verify {sender} in {region} too.",
                [("Identities in " + region, links["identities"])]
                + ([("Pool email settings", links["pool"])] if "pool" in links else []),
            )
        return Explanation(
            "Unverified sender identity",
            f"SES sends only from verified identities, sandbox or not: neither {sender} nor "
            f"its domain is verified in {region}.",
            f"Verify {sender} (open the link SES mails) or its domain (publish its DNS "
            "records), then send again.",
            [("Verify an identity", links["identities"])],
        )
    return Explanation(
        "SES sandbox: unverified recipient",
        f"The account is in the SES sandbox in {region}, where mail may go only to "
        f"verified addresses and the mailbox simulator; {', '.join(failed)} is not verified.",
        "Verify the recipient for testing, or request production access (and have it "
        "granted) to send to anyone.",
        [
            ("Verify an identity", links["identities"]),
            ("Request production access", links["account"]),
        ],
    )


def explain(tx: Transaction, message: dict[str, Any], now: float) -> LogEntry:
    """The log entry of a refused or bounced message."""
    error = message["details"].get("error") or {}
    kind = str(error.get("kind") or "")
    text = str(error.get("message") or "")
    links = _links(message)
    explanation: Explanation
    if message["status"] == "bounced":
        explanation = Explanation(
            "Bounced",
            "SES accepted the message, but no recipient received it: the mailbox simulator's "
            "bounce@ answers with a hard bounce, suppressionlist@ is on the suppression list.",
            "Nothing to fix in your setup: simulator addresses bounce on purpose. For real "
            "recipients, remove bad addresses from your lists.",
        )
        return LogEntry(message, [], "Bounce (Permanent)", explanation)
    if kind == "not-verified":
        explanation = _not_verified(tx, message, text, now)
    elif kind == COGNITO_DAILY_CAP:
        explanation = Explanation(
            "Cognito's default email cap",
            "The pool sends with Cognito's default sender (COGNITO_DEFAULT), which mails at "
            "most a fixed number of messages per AWS account a day, across all its pools.",
            "Configure the pool to send with Amazon SES (DEVELOPER) from a verified identity.",
            [("Pool email settings", links["pool"])] if "pool" in links else [],
        )
    elif kind in ("rate", "daily"):
        which = "per-second sending rate" if kind == "rate" else "24-hour sending quota"
        explanation = Explanation(
            "Sending quota exceeded",
            f"The account used up its {which} in {message['region']} (sandboxed accounts: "
            "1 message a second, 200 recipients a day).",
            "Send more slowly or wait for the 24-hour window to roll on; production access "
            "raises the quotas.",
            [("Quotas and production access", links["account"])],
        )
    elif kind == "access-denied":
        explanation = Explanation(
            "Sending authorisation policy",
            "The message named another account's identity (delegate sending), and that "
            "identity's sending authorisation policy does not allow this sender.",
            "Add a policy statement to the identity that allows this account (or Cognito's "
            "email service) the ses:SendEmail and ses:SendRawEmail actions.",
            [("Identities", links["identities"])],
        )
    elif kind == "configuration-set":
        explanation = Explanation(
            "Missing configuration set",
            f"The message names a configuration set that does not exist in "
            f"{message['region']} for this account.",
            "Create the configuration set in that region, or stop naming it (for a user "
            "pool: clear it on the email settings page).",
            [("Pool email settings", links["pool"])] if "pool" in links else [],
        )
    elif kind == "paused":
        explanation = Explanation(
            "Sending paused",
            f"Sending is switched off for the account in {message['region']} "
            "(UpdateAccountSendingEnabled or PutAccountSendingAttributes).",
            "Switch sending back on for the account in that region.",
            [("SES account", links["account"])],
        )
    elif kind == "set-paused":
        explanation = Explanation(
            "Configuration set paused",
            "Sending is switched off for the configuration set the message named, or the "
            "sender identity's default set (UpdateConfigurationSetSendingEnabled or "
            "PutConfigurationSetSendingOptions).",
            "Switch sending back on for the configuration set, or send under another one.",
            [("Configuration sets", links["identities"])],
        )
    elif kind == "mail-from":
        explanation = Explanation(
            "MAIL FROM domain not verified",
            "The sender identity's custom MAIL FROM domain is not in place (its MX record was "
            "not found) and its BehaviorOnMxFailure is RejectMessage.",
            "Publish the MAIL FROM domain's MX record shown on the identity's page, or set "
            "BehaviorOnMxFailure to UseDefaultValue.",
            [("Identities", links["identities"])],
        )
    else:
        explanation = Explanation(
            "Message rejected",
            "SES refused the message as it was written (for example, it had no recipients).",
            "Correct the request as the error says and send again.",
        )
    return LogEntry(message, _codes(message, kind), _aws_message(message, kind, text), explanation)


def log_entries(tx: Transaction, now: float, limit: int = 200) -> list[LogEntry]:
    """Refused and bounced messages, newest first."""
    found: list[dict[str, Any]] = []
    for status in ("rejected", "bounced"):
        found += queries.list_messages(tx, MessageFilter(status=status, limit=limit))
    found.sort(key=lambda item: (item["created_at"], item["id"]), reverse=True)
    return [explain(tx, message, now) for message in found[:limit]]
