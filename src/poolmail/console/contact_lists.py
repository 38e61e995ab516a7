"""The contact-lists section of the console's SES page: each list of the region with its
topics, and its contacts with their subscription status per topic."""

from __future__ import annotations

from typing import Any

from poolmail.console.scope import Scope, call
from poolmail.server.pipeline import Services

SESV2 = "sesv2"
# The section shows a glance, not the whole list: the API pages through the rest.
CONTACTS_SHOWN = 100


def overview(services: Services, scope: Scope) -> list[dict[str, Any]]:
    """The region's contact lists, each with ``topics`` and ``contacts`` (the first
    CONTACTS_SHOWN, each with its effective ``statuses`` in topic order)."""
    found = []
    for summary in call(services, scope, SESV2, "ListContactLists", {})["ContactLists"]:
        name = summary["ContactListName"]
        details = call(services, scope, SESV2, "GetContactList", {"ContactListName": name})
        topics = details.get("Topics", [])
        page = call(
            services,
            scope,
            SESV2,
            "ListContacts",
            {"ContactListName": name, "PageSize": CONTACTS_SHOWN},
        )
        contacts = []
        for contact in page["Contacts"]:
            own = {p["TopicName"]: p["SubscriptionStatus"] for p in contact["TopicPreferences"]}
            statuses = [
                {
                    "topic": topic["TopicName"],
                    "status": "OPT_OUT"
                    if contact["UnsubscribeAll"]
                    else own.get(topic["TopicName"], topic["DefaultSubscriptionStatus"]),
                    "default": topic["TopicName"] not in own,
                }
                for topic in topics
            ]
            contacts.append({**contact, "statuses": statuses})
        found.append(
            {
                "name": name,
                "description": details.get("Description"),
                "topics": topics,
                "contacts": contacts,
                "more": "NextToken" in page,
            }
        )
    return found
