"""The unsubscribe link of a list-managed message: whom it opts out of what, and the
opt-out itself, which updates the contact and records a Subscription event on the
message (the shape SES publishes, facts §2.2)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from poolmail.clock import Clock
from poolmail.config import Settings
from poolmail.mail.mailbox import Event
from poolmail.ses.contacts import contacts, lists
from poolmail.ses.events import publishing
from poolmail.store import Database, Transaction

LINK_PATH = "/_poolmail/ses/unsubscribe/"
# AWS quirk: the `source` SES reports for an unsubscribe through the List-Unsubscribe
# header (docs: event-publishing-retrieving-sns-contents). Choice: the page's own button
# reports UnsubscribeLink; AWS's value for it was not found.
SOURCE_HEADER = "UnsubscribeHeader"
SOURCE_LINK = "UnsubscribeLink"


@dataclass(frozen=True, slots=True)
class Link:
    account: str
    region: str
    list_name: str
    email: str
    topic: str | None
    message_id: str


@dataclass(frozen=True, slots=True)
class Subscription:
    """What the link's page shows: the list, the topic's display name, and whether the
    contact already receives nothing through this link."""

    link: Link
    topic_display_name: str | None
    opted_out: bool


def _link(tx: Transaction, token: str) -> Link | None:
    row = tx.fetchone(
        "SELECT account, region, list_name, email, topic, message_id "
        "FROM ses_unsubscribe_links WHERE token = ?",
        (token,),
    )
    if row is None:
        return None
    return Link(*(str(value) if value is not None else None for value in row))  # type: ignore[arg-type]


def _topic_name(contact_list: dict[str, Any], topic: str | None) -> str | None:
    for item in contact_list.get("Topics", []):
        if item["TopicName"] == topic:
            return str(item["DisplayName"])
    return None


def find(db: Database, token: str) -> Subscription | None:
    """The subscription ``token`` manages, or None when the link, list or topic is gone."""
    with db.transaction(readonly=True) as tx:
        link = _link(tx, token)
        if link is None:
            return None
        contact_list = lists.load(tx, link.account, link.region, link.list_name)
        if contact_list is None or (
            link.topic is not None and link.topic not in lists.topic_defaults(contact_list)
        ):
            return None
        contact = contacts.load(tx, link.account, link.region, link.list_name, link.email) or {}
    return Subscription(
        link,
        _topic_name(contact_list, link.topic),
        contacts.opted_out(contact, contact_list, link.topic),
    )


def preferences(contact: dict[str, Any], contact_list: dict[str, Any]) -> dict[str, Any]:
    """A contact's preferences as a Subscription event states them: each topic's status,
    the default where the contact has none."""
    return {
        "unsubscribeAll": bool(contact.get("UnsubscribeAll")),
        "topicSubscriptionStatus": [
            {
                "topicName": name,
                "subscriptionStatus": (
                    "OptOut"
                    if (contacts.preference(contact, name) or default) == "OPT_OUT"
                    else "OptIn"
                ),
            }
            for name, default in lists.topic_defaults(contact_list).items()
        ],
    }


def opt_out(
    db: Database, clock: Clock, settings: Settings, token: str, source: str
) -> Subscription | None:
    """Opt the link's contact out of its topic (or, for a send without one, of every
    topic: "header unsubscribe ... without one from all topics", facts §6) and record the
    Subscription event; None when there is nothing left to opt out of.

    Choice: a contact deleted since the send is added back, opted out, since its owner
    asked not to get the list's mail.
    """
    now = clock.now()
    with db.transaction(readonly=True) as tx:
        found = _link(tx, token)
    if found is None:
        return None
    # The lock the contact operations take, so an UpdateContact meanwhile is not lost.
    with db.transaction(
        lock=contacts.lock_name(found.account, found.region, found.list_name)
    ) as tx:
        link = _link(tx, token)
        if link is None:
            return None
        contact_list = lists.load(tx, link.account, link.region, link.list_name)
        if contact_list is None or (
            link.topic is not None and link.topic not in lists.topic_defaults(contact_list)
        ):
            return None
        scope = (link.account, link.region, link.list_name, link.email)
        contact = contacts.load(tx, *scope) or {"TopicPreferences": [], "UnsubscribeAll": False}
        before = preferences(contact, contact_list)
        changed = dict(contact)
        if link.topic is None:
            changed["UnsubscribeAll"] = True
        else:
            changed["TopicPreferences"] = [
                item
                for item in contact.get("TopicPreferences") or []
                if item["TopicName"] != link.topic
            ] + [{"TopicName": link.topic, "SubscriptionStatus": "OPT_OUT"}]
        contacts.save(tx, *scope, changed, now.timestamp())
        after = preferences(changed, contact_list)
        _record(tx, settings, link, contact_list, before, after, source, now)
    return Subscription(link, _topic_name(contact_list, link.topic), True)


def _record(
    tx: Transaction,
    settings: Settings,
    link: Link,
    contact_list: dict[str, Any],
    before: dict[str, Any],
    after: dict[str, Any],
    source: str,
    now: dt.datetime,
) -> None:
    detail = {
        "contactList": link.list_name,
        "timestamp": now.astimezone(dt.UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z"),
        "source": source,
        "newTopicPreferences": after,
        "oldTopicPreferences": before,
        "recipient": link.email,
    }
    # Published to the message's event destinations (a message since deleted: nothing).
    moment = now.timestamp()
    event = Event("Subscription", moment, detail)
    publishing.later_events(tx, settings, link.message_id, [event], moment)
