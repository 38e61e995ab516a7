"""List management of SES v2 SendEmail (``ListManagementOptions``): the unsubscribe
headers and link of a list-managed message, the contacts a send adds to the list, and
the recipients it withholds because they opted out.

Two hooks: ``prepare`` before the send (checks the list and topic, rewrites the
message) and ``withhold`` in the sending engine's transaction (adds contacts, decides
who opted out, remembers the link); ``deliverable`` tells the relay whom to hand it to.
"""

from __future__ import annotations

import json
import secrets
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import TYPE_CHECKING, Any

from poolmail.mail.mailbox import Event, Status
from poolmail.ses.contacts import contacts, lists
from poolmail.ses.contacts.unsubscribe import LINK_PATH
from poolmail.ses.identities.coverage import bare_address
from poolmail.store import Transaction

if TYPE_CHECKING:
    from poolmail.context import RequestContext
    from poolmail.ses.sending.outbound import Outgoing

# AWS quirk: SES puts the contact's unsubscribe link where the body says
# {{amazonSESUnsubscribeUrl}}, at most twice, in text and HTML parts only
# (docs.aws.amazon.com/ses/latest/dg/sending-email-subscription-management.html).
PLACEHOLDER = "{{amazonSESUnsubscribeUrl}}"
MAX_REPLACEMENTS = 2
_DETAIL = "list_management"
# Events of a recipient that a withheld message never gets.
_DELIVERY_EVENTS = frozenset({"Delivery", "Complaint", "AutoReply", "Bounce"})
# RFC 5322's line limit rather than the email package's 78: a link is one word, which the
# package would otherwise write as an encoded word that no mail client follows.
_POLICY = policy.SMTP.clone(max_line_length=998)


def prepare(ctx: RequestContext, outgoing: Outgoing, options: dict[str, Any] | None) -> None:
    """Check ``options`` (NotFoundException for an unknown list, BadRequestException for
    a topic it lacks) and, for a single recipient, add the unsubscribe headers and link.

    AWS quirk: SES adds List-Unsubscribe and List-Unsubscribe-Post (RFC 2369, RFC 8058),
    replacing the caller's, only to single-recipient sends (facts §6). Choice: the
    header names the https link only (AWS's exact value, with or without a mailto, was
    not found); the link is poolmail's own page.
    """
    if not options:
        return
    list_name, topic = options["ContactListName"], options.get("TopicName")
    with ctx.db.transaction(readonly=True) as tx:
        contact_list = lists.require(tx, ctx.account_id, ctx.region, list_name)
    if topic is not None and topic not in lists.topic_defaults(contact_list):
        raise lists.missing_topic(list_name, topic)
    token = None
    if len(outgoing.recipients) == 1:
        token = secrets.token_urlsafe(24)
        outgoing.raw = _with_unsubscribe(outgoing.raw, f"{ctx.base_url}{LINK_PATH}{token}")
    outgoing.details[_DETAIL] = {"contact_list": list_name, "topic": topic, "token": token}


def keep_placeholder(template: dict[str, Any], options: dict[str, Any] | None) -> dict[str, Any]:
    """``template`` (SendEmail's Template content) whose rendering leaves the unsubscribe
    placeholder in place for ``prepare`` to fill, when the send is list-managed; SES
    fills it rather than refusing it as an attribute missing from the data."""
    if not options:
        return template
    try:
        data = json.loads(template.get("TemplateData", "{}"))
    except ValueError:
        return template  # the renderer refuses it in SES's words
    if not isinstance(data, dict):
        return template
    data.setdefault(PLACEHOLDER.strip("{}"), PLACEHOLDER)
    return {**template, "TemplateData": json.dumps(data)}


def _with_unsubscribe(raw: bytes, url: str) -> bytes:
    message = BytesParser(policy=_POLICY).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    for part in message.walk():
        if (
            part.is_multipart()
            or part.get_content_disposition() == "attachment"
            or part.get_content_type() not in ("text/plain", "text/html")
        ):
            continue
        assert isinstance(part, EmailMessage)
        body = part.get_content()
        if PLACEHOLDER in body:
            filled = body.replace(PLACEHOLDER, url, MAX_REPLACEMENTS)
            # The part keeps its transfer encoding where the email package would pick
            # another, and gets no MIME-Version of its own (set_content adds one).
            encoding = str(part.get("Content-Transfer-Encoding", "")).lower()
            keep = encoding if encoding in ("quoted-printable", "base64") else None
            part.set_content(filled, subtype=part.get_content_subtype(), cte=keep)
            if part is not message:
                del part["MIME-Version"]
    del message["List-Unsubscribe"]
    del message["List-Unsubscribe-Post"]
    message["List-Unsubscribe"] = f"<{url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return message.as_bytes()


def withhold(
    tx: Transaction,
    outgoing: Outgoing,
    account: str,
    region: str,
    now: float,
    events: list[Event],
    status: Status,
) -> tuple[list[Event], Status]:
    """The events and status of a list-managed message once opted-out recipients are
    withheld; other messages' unchanged.

    AWS quirk: a recipient not yet on the list becomes a contact; mail to a contact who
    opted out (of everything, of the topic, or has no preference for a topic whose
    default is OPT_OUT) is accepted and not sent: "SES bounces the email" (facts §6).
    Choice: the bounce's subtype was not found; poolmail records Permanent/General with a
    diagnostic that names the reason.
    """
    options = outgoing.details.get(_DETAIL)
    if not options:
        return events, status
    list_name, topic = options["contact_list"], options["topic"]
    contact_list = lists.load(tx, account, region, list_name)
    if contact_list is None:  # deleted between the check and the send
        return events, status
    withheld: list[str] = []
    for address in outgoing.recipients:
        email = bare_address(address)
        contact = contacts.load(tx, account, region, list_name, email)
        if contact is None:
            contacts.add_if_missing(tx, account, region, list_name, email, now)
            contact = contacts.load(tx, account, region, list_name, email) or {}
        if contacts.opted_out(contact, contact_list, topic):
            withheld.append(address)
    if options["token"]:
        tx.execute(
            "INSERT INTO ses_unsubscribe_links (token, account, region, list_name, email, "
            "topic, message_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                options["token"],
                account,
                region,
                list_name,
                bare_address(outgoing.recipients[0]),
                topic,
                outgoing.message_id,
                now,
            ),
        )
    options["withheld"] = withheld
    if not withheld:
        return events, status
    kept = [
        event
        for event in events
        if not (event.type in _DELIVERY_EVENTS and event.detail.get("recipient") in withheld)
    ]
    what = f"topic {topic} of contact list {list_name}" if topic else f"contact list {list_name}"
    for address in withheld:
        kept.append(
            Event(
                "Bounce",
                now,
                {
                    "recipient": address,
                    "bounceType": "Permanent",
                    "bounceSubType": "General",
                    "reason": "unsubscribed",
                    "diagnosticCode": "Amazon SES did not send the message to this address "
                    f"because the contact unsubscribed from {what}.",
                },
            )
        )
    bounced = {event.detail.get("recipient") for event in kept if event.type == "Bounce"}
    new_status: Status = "bounced" if all(a in bounced for a in outgoing.recipients) else status
    return kept, new_status


def deliverable(outgoing: Outgoing) -> list[str]:
    """The recipients the relay may hand ``outgoing`` to: all but those withheld."""
    withheld = set((outgoing.details.get(_DETAIL) or {}).get("withheld", []))
    return [address for address in outgoing.recipients if address not in withheld]
