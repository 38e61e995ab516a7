"""SES v2 contact lists and contacts, and list-managed sending: unsubscribe headers and
link, the one-click opt-out, and mail to opted-out contacts withheld."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.ses.helpers import messages, production_access, verify
from tests.support.server import ServerProcess

SENDER = "news@brand.example"
TOPICS: list[dict[str, Any]] = [
    {"TopicName": "weekly", "DisplayName": "Weekly digest", "DefaultSubscriptionStatus": "OPT_IN"},
    {
        "TopicName": "offers",
        "DisplayName": "Special offers",
        "Description": "Discounts",
        "DefaultSubscriptionStatus": "OPT_OUT",
    },
]


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    error = excinfo.value.response["Error"]
    status = excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]
    return error["Code"], error["Message"], status


def _refused(call: Any, **params: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    return error_of(excinfo)


def test_contact_list_crud_and_the_one_list_limit(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    assert sesv2.list_contact_lists()["ContactLists"] == []
    sesv2.create_contact_list(
        ContactListName="customers",
        Topics=TOPICS,
        Description="All customers",
        Tags=[{"Key": "team", "Value": "growth"}],
    )
    found = sesv2.get_contact_list(ContactListName="customers")
    assert found["ContactListName"] == "customers"
    assert found["Topics"] == TOPICS
    assert found["Description"] == "All customers"
    assert found["Tags"] == [{"Key": "team", "Value": "growth"}]
    assert found["CreatedTimestamp"] == found["LastUpdatedTimestamp"]
    arn = "arn:aws:ses:us-east-1:123456789012:contact-list/customers"
    sesv2.tag_resource(ResourceArn=arn, Tags=[{"Key": "cost", "Value": "mail"}])
    assert len(sesv2.list_tags_for_resource(ResourceArn=arn)["Tags"]) == 2

    listed = sesv2.list_contact_lists()["ContactLists"]
    assert [item["ContactListName"] for item in listed] == ["customers"]
    assert _refused(sesv2.create_contact_list, ContactListName="customers") == (
        "AlreadyExistsException",
        "List with name: customers already exists.",
        400,
    )
    assert _refused(sesv2.create_contact_list, ContactListName="second") == (
        "BadRequestException",
        "A maximum of 1 Lists allowed per account.",
        400,
    )
    # The limit is per Region: another Region takes its own list.
    live.client("sesv2", region="eu-west-1").create_contact_list(ContactListName="second")

    sesv2.update_contact_list(ContactListName="customers", Topics=TOPICS[:1])
    updated = sesv2.get_contact_list(ContactListName="customers")
    assert updated["Topics"] == TOPICS[:1]
    assert "Description" not in updated
    assert updated["Tags"] == found["Tags"] + [{"Key": "cost", "Value": "mail"}]

    assert _refused(sesv2.get_contact_list, ContactListName="absent") == (
        "NotFoundException",
        "List with name: absent doesn't exist.",
        404,
    )
    assert _refused(sesv2.update_contact_list, ContactListName="absent") == (
        "NotFoundException",
        "List with name: absent doesn't exist.",
        404,
    )
    sesv2.create_contact(ContactListName="customers", EmailAddress="ann@example.com")
    sesv2.delete_contact_list(ContactListName="customers")
    assert _refused(sesv2.delete_contact_list, ContactListName="customers")[0] == (
        "NotFoundException"
    )
    # A new list of the same name starts without the old list's contacts.
    sesv2.create_contact_list(ContactListName="customers")
    assert sesv2.list_contacts(ContactListName="customers")["Contacts"] == []


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            {"ContactListName": "bad name"},
            "ContactListName can contain up to 64 characters. Only alphanumeric characters, "
            "underscores(_) and hyphens(-) are allowed.",
        ),
        (
            {"ContactListName": "x" * 65},
            "ContactListName can contain up to 64 characters. Only alphanumeric characters, "
            "underscores(_) and hyphens(-) are allowed.",
        ),
        (
            {"ContactListName": "dup", "Topics": [TOPICS[0], TOPICS[0]]},
            "Duplicate topic names are not allowed within a List.",
        ),
        (
            {
                "ContactListName": "many",
                "Topics": [{**TOPICS[0], "TopicName": f"t{i}"} for i in range(21)],
            },
            "Maximum of 20 topics allowed per ContactList",
        ),
    ],
)
def test_invalid_contact_lists_are_refused(
    live: ServerProcess, params: dict[str, Any], message: str
) -> None:
    sesv2 = live.client("sesv2")
    assert _refused(sesv2.create_contact_list, **params) == ("BadRequestException", message, 400)
    assert sesv2.list_contact_lists()["ContactLists"] == []


def test_contacts_crud_filters_and_paging(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    sesv2.create_contact_list(ContactListName="customers", Topics=TOPICS)
    people: list[dict[str, Any]] = [
        {"EmailAddress": "a@example.com"},
        {
            "EmailAddress": "b@example.com",
            "TopicPreferences": [{"TopicName": "offers", "SubscriptionStatus": "OPT_IN"}],
        },
        {
            "EmailAddress": "c@example.com",
            "TopicPreferences": [{"TopicName": "weekly", "SubscriptionStatus": "OPT_OUT"}],
        },
        {"EmailAddress": "d@example.com", "UnsubscribeAll": True},
        {"EmailAddress": "e@example.com", "AttributesData": '{"name": "Eve"}'},
    ]
    for person in people:
        sesv2.create_contact(ContactListName="customers", **person)

    got = sesv2.get_contact(ContactListName="customers", EmailAddress="e@example.com")
    assert got["AttributesData"] == '{"name": "Eve"}'
    assert got["TopicPreferences"] == []
    assert got["UnsubscribeAll"] is False
    assert got["TopicDefaultPreferences"] == [
        {"TopicName": "weekly", "SubscriptionStatus": "OPT_IN"},
        {"TopicName": "offers", "SubscriptionStatus": "OPT_OUT"},
    ]
    assert {"CreatedTimestamp", "LastUpdatedTimestamp"} <= set(got)

    create = sesv2.create_contact
    assert _refused(create, ContactListName="customers", EmailAddress="a@example.com") == (
        "AlreadyExistsException",
        "a@example.com already exists in List.",
        400,
    )
    assert _refused(create, ContactListName="absent", EmailAddress="z@example.com") == (
        "NotFoundException",
        "List with name: absent doesn't exist.",
        404,
    )
    assert _refused(
        create,
        ContactListName="customers",
        EmailAddress="z@example.com",
        TopicPreferences=[{"TopicName": "nope", "SubscriptionStatus": "OPT_IN"}],
    ) == ("BadRequestException", "List: customers doesn't contain Topic: nope", 400)
    assert _refused(
        create, ContactListName="customers", EmailAddress="z@example.com", AttributesData="[1"
    ) == ("BadRequestException", "AttributesData must be a JSON object.", 400)
    assert _refused(
        sesv2.get_contact, ContactListName="customers", EmailAddress="z@example.com"
    ) == ("NotFoundException", "z@example.com doesn't exist in List.", 404)

    def emails(**filter_: Any) -> list[str]:
        found = sesv2.list_contacts(ContactListName="customers", Filter=filter_)["Contacts"]
        return [contact["EmailAddress"] for contact in found]

    assert emails() == [p["EmailAddress"] for p in people]
    assert emails(FilteredStatus="OPT_OUT") == ["d@example.com"]
    assert emails(FilteredStatus="OPT_IN", TopicFilter={"TopicName": "offers"}) == ["b@example.com"]
    with_defaults = {"TopicName": "offers", "UseDefaultIfPreferenceUnavailable": True}
    assert emails(FilteredStatus="OPT_OUT", TopicFilter=with_defaults) == [
        "a@example.com",
        "c@example.com",
        "d@example.com",
        "e@example.com",
    ]
    assert emails(FilteredStatus="OPT_OUT", TopicFilter={"TopicName": "weekly"}) == [
        "c@example.com"
    ]

    pages: list[list[str]] = []
    params: dict[str, Any] = {"ContactListName": "customers", "PageSize": 2}
    while True:
        page = sesv2.list_contacts(**params)
        pages.append([contact["EmailAddress"] for contact in page["Contacts"]])
        if "NextToken" not in page:
            break
        params["NextToken"] = page["NextToken"]
    assert pages == [
        ["a@example.com", "b@example.com"],
        ["c@example.com", "d@example.com"],
        ["e@example.com"],
    ]
    assert _refused(sesv2.list_contacts, ContactListName="customers", NextToken="not-a-token") == (
        "BadRequestException",
        "Invalid pagination token.",
        400,
    )

    # UpdateContact replaces the preferences; attributes not given are kept.
    sesv2.update_contact(
        ContactListName="customers",
        EmailAddress="e@example.com",
        TopicPreferences=[{"TopicName": "weekly", "SubscriptionStatus": "OPT_OUT"}],
    )
    sesv2.update_contact(ContactListName="customers", EmailAddress="b@example.com")
    got = sesv2.get_contact(ContactListName="customers", EmailAddress="e@example.com")
    assert got["TopicPreferences"] == [{"TopicName": "weekly", "SubscriptionStatus": "OPT_OUT"}]
    assert got["AttributesData"] == '{"name": "Eve"}'
    assert (
        sesv2.get_contact(ContactListName="customers", EmailAddress="b@example.com")[
            "TopicPreferences"
        ]
        == []
    )
    sesv2.delete_contact(ContactListName="customers", EmailAddress="e@example.com")
    assert _refused(
        sesv2.delete_contact, ContactListName="customers", EmailAddress="e@example.com"
    ) == ("NotFoundException", "e@example.com doesn't exist in List.", 404)
    assert len(emails()) == 4
    # The console's SES page shows the list and each contact's status per topic.
    page = httpx.get(f"{live.url}/console/ses/identities")
    assert page.status_code == 200
    section = page.text.split('id="contact-lists"')[1]
    assert "Special offers" in section and 'data-contact="d@example.com"' in section
    row = section.split('data-contact="b@example.com"')[1].split("</tr>")[0]
    assert row.count("OPT_IN") == 1 and row.count("OPT_OUT") == 1  # both topic defaults


def _send(sesv2: Any, to: list[str], options: dict[str, str]) -> str:
    answer = sesv2.send_email(
        FromEmailAddress=SENDER,
        Destination={"ToAddresses": to},
        Content={
            "Simple": {
                "Subject": {"Data": "News"},
                "Body": {
                    "Text": {"Data": "Read on. Unsubscribe: {{amazonSESUnsubscribeUrl}}"},
                    "Html": {"Data": '<a href="{{amazonSESUnsubscribeUrl}}">Unsubscribe</a>'},
                },
            }
        },
        ListManagementOptions=options,
    )
    return str(answer["MessageId"])


def _message(server: ServerProcess, message_id: str) -> dict[str, Any]:
    answer = httpx.get(f"{server.url}/_poolmail/messages/{message_id}")
    answer.raise_for_status()
    found: dict[str, Any] = answer.json()
    return found


def test_list_send_carries_headers_and_an_unsubscribe_click_withholds_the_next(
    live: ServerProcess,
) -> None:
    sesv2 = live.client("sesv2")
    verify(live, "brand.example")
    production_access(live)  # the sandbox sends one message a second
    sesv2.create_contact_list(ContactListName="customers", Topics=TOPICS)
    reader = "ann@readers.example"
    weekly = {"ContactListName": "customers", "TopicName": "weekly"}

    assert _refused(_send, sesv2=sesv2, to=[reader], options={"ContactListName": "absent"}) == (
        "NotFoundException",
        "List with name: absent doesn't exist.",
        404,
    )
    assert _refused(_send, sesv2=sesv2, to=[reader], options={**weekly, "TopicName": "absent"}) == (
        "BadRequestException",
        "List: customers doesn't contain Topic: absent",
        400,
    )

    first = _send(sesv2, [reader], weekly)
    message = _message(live, first)
    assert message["status"] == "delivered"
    raw = httpx.get(f"{live.url}/_poolmail/messages/{first}/raw").text
    header = re.search(r"^List-Unsubscribe: <(\S+)>\r?$", raw, re.MULTILINE)
    assert header is not None
    url = header[1]
    assert url.startswith(f"{live.url}/_poolmail/ses/unsubscribe/")
    assert re.search(r"^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r?$", raw, re.M)
    assert message["text"].strip() == f"Read on. Unsubscribe: {url}"
    assert f'href="{url}"' in message["html"]
    # The recipient became a contact of the list.
    contact = sesv2.get_contact(ContactListName="customers", EmailAddress=reader)
    assert contact["TopicPreferences"] == []

    page = httpx.get(url)
    assert page.status_code == 200
    assert "Weekly digest" in page.text and "<form" in page.text
    clicked = httpx.post(
        url,
        content="List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert clicked.status_code == 200
    assert "You are unsubscribed" in clicked.text
    contact = sesv2.get_contact(ContactListName="customers", EmailAddress=reader)
    assert contact["TopicPreferences"] == [{"TopicName": "weekly", "SubscriptionStatus": "OPT_OUT"}]
    assert contact["UnsubscribeAll"] is False
    subscription = [e for e in _message(live, first)["events"] if e["type"] == "Subscription"]
    assert len(subscription) == 1
    assert subscription[0]["contactList"] == "customers"
    assert subscription[0]["source"] == "UnsubscribeHeader"
    assert subscription[0]["oldTopicPreferences"] == {
        "unsubscribeAll": False,
        "topicSubscriptionStatus": [
            {"topicName": "weekly", "subscriptionStatus": "OptIn"},
            {"topicName": "offers", "subscriptionStatus": "OptOut"},
        ],
    }
    assert subscription[0]["newTopicPreferences"]["topicSubscriptionStatus"][0] == {
        "topicName": "weekly",
        "subscriptionStatus": "OptOut",
    }
    assert "You are unsubscribed" in httpx.get(url).text

    # The next send of that topic is accepted and not delivered; another topic still is...
    second = _send(sesv2, [reader], weekly)
    withheld = _message(live, second)
    assert withheld["status"] == "bounced"
    bounce = [e for e in withheld["events"] if e["type"] == "Bounce"]
    assert [(b["recipient"], b["bounceType"], b["reason"]) for b in bounce] == [
        (reader, "Permanent", "unsubscribed")
    ]
    assert not [e for e in withheld["events"] if e["type"] == "Delivery"]
    # ... unless its default is OPT_OUT and the contact has no preference for it.
    offers = _send(sesv2, [reader], {"ContactListName": "customers", "TopicName": "offers"})
    assert _message(live, offers)["status"] == "bounced"
    sesv2.update_contact(
        ContactListName="customers",
        EmailAddress=reader,
        TopicPreferences=[{"TopicName": "offers", "SubscriptionStatus": "OPT_IN"}],
    )
    offers = _send(sesv2, [reader], {"ContactListName": "customers", "TopicName": "offers"})
    assert _message(live, offers)["status"] == "delivered"

    # Without a topic the link unsubscribes from everything, through the page's button.
    other = "bob@readers.example"
    listwide = _send(sesv2, [other, reader], {"ContactListName": "customers"})
    assert (
        "List-Unsubscribe" not in httpx.get(f"{live.url}/_poolmail/messages/{listwide}/raw").text
    )  # only single-recipient sends get the headers
    single = _send(sesv2, [other], {"ContactListName": "customers"})
    raw = httpx.get(f"{live.url}/_poolmail/messages/{single}/raw").text
    header = re.search(r"^List-Unsubscribe: <(\S+)>\r?$", raw, re.MULTILINE)
    assert header is not None
    assert httpx.post(header[1], data={"confirm": "unsubscribe"}).status_code == 200
    contact = sesv2.get_contact(ContactListName="customers", EmailAddress=other)
    assert contact["UnsubscribeAll"] is True
    event = next(e for e in _message(live, single)["events"] if e["type"] == "Subscription")
    assert event["source"] == "UnsubscribeLink"
    assert event["newTopicPreferences"]["unsubscribeAll"] is True
    mixed = _send(sesv2, [other, reader], {"ContactListName": "customers"})
    found = _message(live, mixed)
    assert found["status"] == "delivered"
    assert [e["recipient"] for e in found["events"] if e["type"] == "Bounce"] == [other]
    assert [e["recipient"] for e in found["events"] if e["type"] == "Delivery"] == [reader]

    assert httpx.get(f"{live.url}/_poolmail/ses/unsubscribe/unknown").status_code == 404
    assert httpx.post(f"{live.url}/_poolmail/ses/unsubscribe/unknown").status_code == 404
    listed = messages(live)
    # Each withheld send bounced, and SES forwards a bounce to the sender by email while
    # the identity has no Bounce topic (docs/ses-notifications.md).
    assert len([m for m in listed if m["kind"] == "ses-send"]) == 7
    assert len([m for m in listed if m["kind"] == "ses-feedback"]) == 3


def test_templated_list_send_fills_the_unsubscribe_placeholder(live: ServerProcess) -> None:
    sesv2 = live.client("sesv2")
    verify(live, "brand.example")
    production_access(live)
    sesv2.create_contact_list(ContactListName="customers", Topics=TOPICS)
    answer = sesv2.send_email(
        FromEmailAddress=SENDER,
        Destination={"ToAddresses": ["cy@readers.example"]},
        Content={
            "Template": {
                "TemplateContent": {
                    "Subject": "Hi {{name}}",
                    "Text": "Hello {{name}}, leave here: {{amazonSESUnsubscribeUrl}}",
                },
                "TemplateData": '{"name": "Cy"}',
            }
        },
        ListManagementOptions={"ContactListName": "customers"},
    )
    message = _message(live, answer["MessageId"])
    link = re.search(r"leave here: (\S+)", message["text"])
    assert link is not None
    assert link[1].startswith(f"{live.url}/_poolmail/ses/unsubscribe/")
    assert httpx.get(link[1]).status_code == 200
